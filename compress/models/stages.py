"""Stages of a model's forward pass, the unit of prefix sharing (:mod:`compress.evaluation_prefix`).

Their own module so that model definitions (which list their stages) and the evaluator (which
runs them) both depend on it and not on each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class Stage:
    """A piece of the forward pass; ``owns`` are the module-name prefixes of its layers."""

    name: str
    run: Callable[[torch.Tensor], torch.Tensor]
    owns: tuple[str, ...]

    def holds(self, layer: str) -> bool:
        return any(
            prefix == "" or layer == prefix or layer.startswith(prefix + ".")
            for prefix in self.owns
        )


def whole_model(model: nn.Module) -> list[Stage]:
    """The fallback stage list: the model as one stage holding every layer."""
    return [Stage("model", model, ("",))]
