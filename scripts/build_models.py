"""Rebuild the committed LeNet-5 checkpoints in data_store/models/ from scratch (``make models``).

1. ``lenet.pth``: float LeNet-5 trained on the bundled subset's train split (training.FLOAT_RECIPE).
2. ``qat.quantized_lenet.pth``: those float weights fine-tuned with fake quantization
   (training.QAT_RECIPE), converted to int8.
3. ``ptq.quantized_lenet.pth``: the same float weights calibrated on training images, int8.

Every step is seeded; the same commands are available as ``model:train`` and ``model:quantize``.
The accuracies on the bundled test split are printed for data_store/models/README.md.
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from compress.data import load_dataset  # noqa: E402
from compress.evaluation import evaluate_model  # noqa: E402
from compress.models import create_model, load_model  # noqa: E402
from compress.models.checkpoints import save_state_dict  # noqa: E402
from compress.settings import load_settings  # noqa: E402
from compress.training import (  # noqa: E402
    FLOAT_RECIPE,
    PTQ_CALIBRATION_IMAGES,
    QAT_RECIPE,
    calibrate_ptq,
    quantize_qat,
    train_model,
)

SEED = 0


def main() -> int:
    parser = argparse.ArgumentParser(description="Retrain the bundled LeNet-5 checkpoints.")
    parser.add_argument("--output-dir", type=Path, default=None, help="default: $datastore/models")
    args = parser.parse_args()
    settings = load_settings()
    out = args.output_dir or settings.models_dir
    train_set = load_dataset(None, "train", settings)
    test_set = load_dataset(None, "test", settings)
    torch.set_num_threads(1)  # same arithmetic on every machine; LeNet-5 is too small to gain
    started = time.monotonic()

    torch.manual_seed(SEED)
    float_model = create_model("qat_quantized_lenet")  # float LeNet-5 + stubs; stubs are identity
    train_model(float_model, train_set, FLOAT_RECIPE, desc="float")
    lenet = create_model("lenet")
    lenet.load_state_dict(
        {
            k: v
            for k, v in float_model.state_dict().items()
            if not k.startswith(("quant", "dequant"))
        }
    )
    paths = {"lenet": save_state_dict(lenet, out / "lenet.pth", force=True)}

    qat = quantize_qat(copy.deepcopy(float_model), train_set, QAT_RECIPE)
    paths["qat_quantized_lenet"] = save_state_dict(qat, out / "qat.quantized_lenet.pth", force=True)

    ptq = calibrate_ptq(copy.deepcopy(float_model), train_set, max_images=PTQ_CALIBRATION_IMAGES)
    paths["ptq_quantized_lenet"] = save_state_dict(ptq, out / "ptq.quantized_lenet.pth", force=True)
    elapsed = time.monotonic() - started

    print(f"built in {elapsed:.0f} s; accuracy on the bundled test split ({len(test_set)} images):")
    for name, path in paths.items():
        result = evaluate_model(load_model(name, path, settings), test_set, progress=False)
        print(
            f"  {path.name:26s} {name:20s} top-1 {result.accuracy[1]:.4f}  "
            f"top-5 {result.accuracy[5]:.4f}  loss {result.loss:.4f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
