"""Prefix sharing in model-metrics: images x circuits per second with and without it.

On the bundled MNIST MobileNetV2 (``data_store/models/mobilenet_v2.mnist.pth``) and the bundled
test split (``--limit`` images), for one early, one middle and the last conv layer: N variants of
the layer's int8 weights (seeded random offsets, standing in for N evolved circuits) are scored
once through the whole network per variant, and once with the stages before the layer run once
per batch. Both must give identical accuracies (checked); the figures exclude the engine, which
model-metrics runs before.

    .venv/bin/python bench/prefix_sharing_bench.py [--circuits 8] [--limit 1000] [--threads 1]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from compress.data import load_dataset  # noqa: E402
from compress.evaluation_prefix import evaluate_variants  # noqa: E402
from compress.models import load_model, model_input, model_stages  # noqa: E402
from compress.models.stages import whole_model  # noqa: E402
from compress.settings import load_settings  # noqa: E402
from compress.weights import get_int8_weights  # noqa: E402

LAYERS = ("features.1.conv.0.0", "features.9.conv.2", "features.18.0")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--circuits", type=int, default=8, help="variants per layer (default 8)")
    parser.add_argument("--limit", type=int, default=1000, help="test images (default 1000)")
    parser.add_argument("--batch-size", type=int, default=250, help="default 250")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    settings = load_settings()
    model = load_model("mobilenet_v2", "mobilenet_v2.mnist.pth", settings)
    dataset = model_input("mobilenet_v2", load_dataset(None, "test", settings, limit=args.limit))
    generator = torch.Generator().manual_seed(0)
    print(
        f"{args.circuits} circuits x {len(dataset)} images per layer, batch {args.batch_size}, "
        f"{args.threads} torch thread(s); image x circuit evaluations per second"
    )
    print(f"{'layer':22s} {'whole network':>14s} {'prefix shared':>14s} {'speed-up':>9s}")
    for layer in LAYERS:
        values = get_int8_weights(model, layer).to(torch.int16)
        variants = []
        for _ in range(args.circuits):
            noise = torch.randint(-8, 9, values.shape, generator=generator, dtype=torch.int16)
            variants.append({layer: (values + noise).clamp(-128, 127).to(torch.int8)})
        rates, results = [], []
        for stages in (whole_model(model), model_stages("mobilenet_v2", model)):
            started = time.perf_counter()
            results.append(
                evaluate_variants(model, stages, dataset, variants, batch_size=args.batch_size)
            )
            rates.append(len(dataset) * len(variants) / (time.perf_counter() - started))
        same = all(
            a.accuracy == b.accuracy and a.loss == b.loss
            for a, b in zip(results[0], results[1], strict=True)
        )
        if not same:
            print(f"{layer}: prefix sharing changed the figures", file=sys.stderr)
            return 1
        print(f"{layer:22s} {rates[0]:14.0f} {rates[1]:14.0f} {rates[1] / rates[0]:8.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
