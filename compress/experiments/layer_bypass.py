"""``layer_bypass`` ("LeNet-5 Approximation"): one layer's weights in, another layer's weights out.

By default all 150 int8 weights of conv1 feed the circuit and it must produce all 2400 weights of
conv2 (workflow spec §1.4). One dataset item; sub-experiments per per-weight error threshold,
named ``{prefix}mse_{mse}_{rows}_{cols}{suffix}`` (e.g. ``mse_0.0_256_31``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compress.experiments.base import Experiment, engine_base_config
from compress.experiments.registry import register
from compress.selection import FilterSelector


@register
class LayerBypassExperiment(Experiment):
    name = "layer_bypass"
    description = "all weights of the input layer(s) -> all weights of the output layer(s)"
    name_format = "mse_{mse}_{rows:d}_{cols:d}"
    base_config = engine_base_config(input_count=150, output_count=2400, population_max=64)

    @classmethod
    def add_arguments(cls, parser, group) -> None:
        cls.add_layers_argument(
            group,
            "--input-layer-names",
            ["conv1"],
            "layers whose weights feed the circuit, in order",
        )
        cls.add_layers_argument(
            group,
            "--output-layer-names",
            ["conv2"],
            "layers whose weights the circuit must produce, in order",
        )
        cls.add_threshold_argument(group, [250.0, 150.0, 100.0, 50.0, 25.0, 15.0, 10.0, 0.0])
        cls.add_grid_arguments(group, 30, 7)

    def combination(self) -> list[FilterSelector]:
        inputs = [FilterSelector(name, inp=[()]) for name in self.args.input_layer_names]
        outputs = [FilterSelector(name, out=[()]) for name in self.args.output_layer_names]
        for selector in (*inputs, *outputs):
            self.layer(selector.layer)  # unknown layer names fail here, with the valid ones listed
        return [*inputs, *outputs]

    def build(self, fields: Mapping[str, Any]):
        combination = self.combination()
        input_count = sum(self.layer(s.layer).numel() for s in combination if s.inp)
        output_count = sum(self.layer(s.layer).numel() for s in combination if s.out)
        values = self.grid_values(fields, input_count=input_count, output_count=output_count)
        values["mse_threshold"] = self.threshold(float(fields["mse"]), output_count, 1)
        return [combination], values, {}
