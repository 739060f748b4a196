"""Reproducible choices of kernels: which (filter, channel) pairs a sampled experiment uses."""

from __future__ import annotations

import numpy as np
import torch


def all_filter_channel_pairs(weights: torch.Tensor) -> list[tuple[int, int]]:
    """Every (filter, channel) kernel of a conv weight tensor, in filter-major order."""
    return [(f, c) for f in range(weights.shape[0]) for c in range(weights.shape[1])]


def sample_pairs(
    pairs: list[tuple[int, int]], count: int | None, seed: int
) -> list[tuple[int, int]]:
    """``count`` pairs chosen reproducibly (all, in order, when ``count`` is None or too large)."""
    if count is None or count >= len(pairs):
        return list(pairs)
    rng = np.random.default_rng(seed)
    chosen = sorted(rng.choice(len(pairs), size=count, replace=False).tolist())
    return [pairs[i] for i in chosen]
