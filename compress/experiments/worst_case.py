"""``worst_case`` (debug): constants 0..63 in, every int8 value -128..127 out.

A stress case for the engine: no model weights are involved, the circuit must produce all 256
values. Names ``{prefix}mse_{mse}_{rows}_{cols}{suffix}``; thresholds are whole numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compress.experiments.base import Experiment, engine_base_config
from compress.experiments.registry import register
from compress.selection import FilterSelector, Values


@register
class WorstCaseExperiment(Experiment):
    name = "worst_case"
    description = "constants 0..63 -> all 256 int8 values (engine stress test)"
    name_format = "mse_{mse}_{rows:d}_{cols:d}"
    base_config = engine_base_config(
        input_count=64, output_count=256, mutation_max=0.01, number_of_runs=10
    )

    @classmethod
    def add_arguments(cls, parser, group) -> None:
        cls.add_threshold_argument(group, [0], integer=True)
        cls.add_grid_arguments(group, 30, 7)

    def build(self, fields: Mapping[str, Any]):
        selector = FilterSelector(
            "conv1", inp=[Values(range(0, 65))], out=[Values(range(-128, 128))]
        )
        values = self.grid_values(fields, input_count=64, output_count=256)
        values["mse_threshold"] = self.threshold(float(fields["mse"]), 256, 1)
        return [[selector]], values, {}
