"""Seeded fixed subsets of a dataset (``--limit N``): the same N images for the same seed, so
results on a subset are comparable between runs and machines."""

from __future__ import annotations

import torch

from compress.errors import CompressError


def subset_indices(size: int, limit: int | None, seed: int) -> list[int]:
    """All indices, or ``limit`` of them drawn with ``seed`` (sorted)."""
    if limit is None or limit >= size:
        return list(range(size))
    if limit < 1:
        raise CompressError(f"--limit must be at least 1, got {limit}")
    order = torch.randperm(size, generator=torch.Generator().manual_seed(seed))[:limit]
    return sorted(order.tolist())
