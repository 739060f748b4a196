"""Accuracy of a model on a dataset: top-k, mean cross-entropy and the per-image predictions.

The predictions (argmax per image, in dataset order) let callers check that injected weights
reproduce the baseline exactly, not only on average.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

from compress.errors import CompressError
from compress.progress import progress_disabled


@dataclass
class EvaluationResult:
    """``accuracy`` maps k to top-k accuracy in 0..1; ``loss`` is the mean cross-entropy (or
    ``None`` when not requested); ``predictions`` is the int64 argmax of every image."""

    accuracy: dict[int, float]
    loss: float | None
    predictions: torch.Tensor

    @property
    def top1(self) -> float:
        return self.accuracy[1]


def progress_enabled(progress: bool) -> bool:
    """Progress bars unless disabled by the caller or ``TQDM_DISABLE``."""
    return progress and not progress_disabled()


def evaluate_model(
    model: nn.Module,
    dataset: Dataset,
    *,
    batch_size: int | None = 1000,
    top: Iterable[int] = (1, 5),
    include_loss: bool = True,
    num_workers: int = 0,
    progress: bool = True,
) -> EvaluationResult:
    """Evaluate ``model`` (put in eval mode) on every item of ``dataset``, in order.

    ``batch_size=None`` evaluates the whole dataset as one batch. Top-1 is always computed,
    since the predictions are the top-1 classes.
    """
    ks = sorted({1, *(int(k) for k in top)})
    if ks[0] < 1:
        raise CompressError(f"--top values must be at least 1, got {ks[0]}")
    size = len(dataset)  # type: ignore[arg-type]
    if size == 0:
        raise CompressError("the dataset is empty")
    if batch_size is not None and batch_size < 1:
        raise CompressError(f"batch size must be at least 1, got {batch_size}")
    loader = DataLoader(
        dataset, batch_size=batch_size or size, shuffle=False, num_workers=num_workers
    )
    model.eval()
    hits = dict.fromkeys(ks, 0)
    loss_sum = 0.0
    predictions: list[torch.Tensor] = []
    with torch.inference_mode():
        bar = tqdm(loader, desc="evaluate", unit="batch", disable=not progress_enabled(progress))
        for images, labels in bar:
            logits = model(images)
            if include_loss:
                loss_sum += float(nn.functional.cross_entropy(logits, labels, reduction="sum"))
            k_max = min(ks[-1], logits.shape[1])
            ranked = logits.topk(k_max, dim=1).indices
            correct = ranked.eq(labels.unsqueeze(1))
            for k in ks:
                hits[k] += int(correct[:, :k].any(dim=1).sum())
            predictions.append(ranked[:, 0].to(torch.int64))
    return EvaluationResult(
        accuracy={k: hits[k] / size for k in ks},
        loss=loss_sum / size if include_loss else None,
        predictions=torch.cat(predictions),
    )
