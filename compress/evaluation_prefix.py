"""Evaluate many weight variants of one model, running the layers they share only once.

model-metrics measures many circuits of the same layer: every circuit changes that layer's int8
weights and nothing before it. So the network is cut into *stages* (for MobileNetV2: the quant
stub, ``features.0`` ... ``features.18``, the pooled classifier head, the dequant stub). For
each batch of images the stages before the first changed one run once; then, per variant, its
weights are put in (in memory, a vectorised write of the whole layer) and only the remaining
stages run. Models without a stage list are one stage, i.e. evaluated whole per variant.

The figures are exactly those of evaluating each variant alone with
:func:`compress.evaluation.evaluate_model`: the same batches go through the same int8 kernels
and are scored by the same :class:`~compress.evaluation.ScoreAccumulator`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.data import Dataset
from tqdm import tqdm

from compress.evaluation import (
    EvaluationResult,
    ScoreAccumulator,
    batch_loader,
    progress_enabled,
    top_ks,
)
from compress.models.quantized_lenet import engine_of, use_quantized_engine
from compress.models.stages import Stage, whole_model

Variant = Mapping[str, torch.Tensor]
"""Layer name -> the int8 values it holds in this variant (layers not named keep theirs)."""


def _first_stage(stages: Sequence[Stage], layers: Iterable[str]) -> int:
    """Index of the first stage holding any of ``layers`` (0 when a layer is in none)."""
    first = len(stages) - 1
    for layer in layers:
        found = [i for i, stage in enumerate(stages) if stage.holds(layer)]
        first = min(first, found[0] if found else 0)  # a layer in no stage: share nothing
    return first


def evaluate_variants(
    model: nn.Module,
    stages: Sequence[Stage],
    dataset: Dataset,
    variants: Sequence[Variant],
    *,
    batch_size: int | None = 1000,
    top: Iterable[int] = (1, 5),
    include_loss: bool = True,
    num_workers: int = 0,
    progress: bool = False,
) -> list[EvaluationResult]:
    """Top-k/loss/predictions of ``model`` with each variant's weights, in variant order.

    The model is left with the weights it had on entry.
    """
    from compress.weights import get_int8_weights, set_int8_weights

    if not variants:
        return []
    ks = top_ks(top)
    loader = batch_loader(dataset, batch_size, num_workers)
    touched = sorted({layer for variant in variants for layer in variant})
    original = {layer: get_int8_weights(model, layer) for layer in touched}
    shared = _first_stage(stages, touched)
    prefix, rest = stages[:shared], stages[shared:]
    scores = [ScoreAccumulator(ks, include_loss) for _ in variants]
    model.eval()
    engine = engine_of(model)
    current: dict[str, torch.Tensor] = {}
    bar = tqdm(
        loader,
        desc=f"evaluate {len(variants)} variants",
        unit="batch",
        disable=not progress_enabled(progress),
    )
    try:
        with torch.inference_mode():
            for images, labels in bar:
                use_quantized_engine(engine)
                shared_activation = images
                for stage in prefix:
                    shared_activation = stage.run(shared_activation)
                for variant, score in zip(variants, scores, strict=True):
                    for layer in [name for name in current if name not in variant]:
                        set_int8_weights(model, layer, original[layer])
                        del current[layer]
                    for layer, values in variant.items():
                        if current.get(layer) is not values:
                            set_int8_weights(model, layer, values)
                            current[layer] = values
                    activation = shared_activation
                    for stage in rest:
                        activation = stage.run(activation)
                    score.add(activation, labels)
    finally:
        for layer in current:
            set_int8_weights(model, layer, original[layer])
    size = len(dataset)  # type: ignore[arg-type]
    return [score.result(size) for score in scores]


@dataclass
class Throughput:
    """Images x variants evaluated and the seconds it took, for model-metrics' closing line."""

    image_variants: int = 0
    seconds: float = 0.0
    shared_stages: int = 0
    sharing: bool = True

    def summary(self) -> str:
        rate = self.image_variants / self.seconds if self.seconds > 0 else float("nan")
        how = (
            f"prefix sharing on (up to {self.shared_stages} unchanged stage(s) run once per batch)"
            if self.sharing
            else "prefix sharing off (--no-prefix-sharing)"
        )
        return (
            f"{self.image_variants} image x circuit evaluations in {self.seconds:.1f} s = "
            f"{rate:.0f} per second, {how}; excludes the engine and the baseline"
        )


def evaluate_circuits(
    model: nn.Module,
    dataset: Dataset,
    variants: Sequence[Variant],
    args,
    *,
    tally: Throughput | None = None,
) -> list[EvaluationResult]:
    """model-metrics' evaluation of circuits' weights: prefix sharing over the model's stages
    (unless ``args.no_prefix_sharing``), with the command line's batch size, loss, workers."""
    import time

    from compress.models import model_stages

    sharing = not getattr(args, "no_prefix_sharing", False)
    stages = model_stages(args.model_name, model) if sharing else whole_model(model)
    started = time.perf_counter()
    results = evaluate_variants(
        model,
        stages,
        dataset,
        variants,
        batch_size=args.batch_size,
        top=(1, 5),
        include_loss=args.include_loss,
        num_workers=args.num_workers,
    )
    if tally is not None:
        tally.seconds += time.perf_counter() - started
        tally.image_variants += len(dataset) * len(variants)  # type: ignore[arg-type]
        touched = {layer for variant in variants for layer in variant}
        tally.shared_stages = max(tally.shared_stages, _first_stage(stages, touched))
        tally.sharing = sharing
    return results
