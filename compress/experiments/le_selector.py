"""``le_selector`` ("No Input"): a single constant 0 in, every weight of several layers out.

The engine needs at least one input, so each layer contributes the constant 0 (only one survives
the input-count cut); the circuit must build all 150 + 2400 weights of conv1 and conv2 from
constants alone. Names ``{prefix}mse_{mse}_{rows}_{cols}{suffix}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compress.experiments.base import Experiment, engine_base_config
from compress.experiments.registry import register
from compress.selection import FilterSelector, Values


@register
class LeSelectorExperiment(Experiment):
    name = "le_selector"
    description = "constant 0 -> all weights of the given layers (no weights as inputs)"
    name_format = "mse_{mse}_{rows:d}_{cols:d}"
    base_config = engine_base_config(input_count=1, output_count=2550, mutation_max=0.01)

    @classmethod
    def add_arguments(cls, parser, group) -> None:
        cls.add_layers_argument(
            group,
            "--layer-names",
            ["conv1", "conv2"],
            "layers whose weights the circuit must produce",
        )
        cls.add_threshold_argument(group, [0.0])
        cls.add_grid_arguments(group, 30, 7)

    def build(self, fields: Mapping[str, Any]):
        combination = [
            FilterSelector(name, inp=[Values([0])], out=[()]) for name in self.args.layer_names
        ]
        output_count = sum(self.layer(s.layer).numel() for s in combination)
        values = self.grid_values(fields, input_count=1, output_count=output_count)
        values["mse_threshold"] = self.threshold(float(fields["mse"]), output_count, 1)
        return [combination], values, {}
