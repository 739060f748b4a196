"""Rebuild data_store/models/mobilenet_v2.mnist.pth from scratch (part of ``make models``).

The offline default MobileNetV2: torchvision's quantizable MobileNetV2 (width 1.0, 10 classes)
trained on the bundled MNIST subset's train split, digits resized to 32 x 32 and repeated to
three channels (``compress.models.mobilenet.adapt_input``):

1. float training from a seeded random init (training.MOBILENET_FLOAT_RECIPE);
2. quantization-aware fine-tuning of those weights on the first 4,000 training images, fused,
   per-channel int8 weights, x86 engine (training.MOBILENET_QAT_RECIPE), converted to int8.

The same as commands: ``model:train mobilenet_v2 -m mobilenet_v2.mnist.pth`` runs QAT from the
random init with the options given. The accuracy on the bundled test split is printed for
data_store/models/README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

import torch
from torch.utils.data import Subset

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from compress.data import load_dataset  # noqa: E402
from compress.evaluation import evaluate_model  # noqa: E402
from compress.models import create_model, get_model_spec, load_model, model_input  # noqa: E402
from compress.models.checkpoints import save_state_dict  # noqa: E402
from compress.settings import load_settings  # noqa: E402
from compress.training import (  # noqa: E402
    MOBILENET_FLOAT_RECIPE,
    MOBILENET_QAT_IMAGES,
    MOBILENET_QAT_RECIPE,
    quantize_qat,
    train_model,
)

SEED = 0
FILE_NAME = "mobilenet_v2.mnist.pth"
THREADS = 1
"""One thread: on a shared 2-core machine two threads oversubscribe and run slower."""


def main() -> int:
    parser = argparse.ArgumentParser(description="Retrain the bundled MNIST MobileNetV2.")
    parser.add_argument("--output-dir", type=Path, default=None, help="default: $datastore/models")
    args = parser.parse_args()
    settings = load_settings()
    out = args.output_dir or settings.models_dir
    spec = get_model_spec("mobilenet_v2")
    train_set = model_input(spec.name, load_dataset(None, "train", settings))
    test_set = model_input(spec.name, load_dataset(None, "test", settings))
    torch.set_num_threads(THREADS)
    started = time.monotonic()

    torch.manual_seed(SEED)
    # channels-last makes the depthwise convolutions' backward pass ~30 % cheaper on CPU
    model = create_model(spec.name).to(memory_format=torch.channels_last)
    train_model(model, train_set, MOBILENET_FLOAT_RECIPE, desc="float")
    assert spec.prepare_qat is not None
    qat_set = Subset(train_set, range(MOBILENET_QAT_IMAGES))
    model = quantize_qat(model, qat_set, MOBILENET_QAT_RECIPE, prepare=spec.prepare_qat)
    path = save_state_dict(model, out / FILE_NAME, force=True)
    elapsed = time.monotonic() - started

    torch.set_num_threads(1)
    result = evaluate_model(load_model(spec.name, path, settings), test_set, progress=False)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    print(f"built {path} in {elapsed:.0f} s ({THREADS} threads); {path.stat().st_size} bytes")
    print(f"sha256 {digest}")
    print(
        f"bundled test split ({len(test_set)} images): top-1 {result.accuracy[1]:.4f}  "
        f"top-5 {result.accuracy[5]:.4f}  loss {result.loss:.4f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
