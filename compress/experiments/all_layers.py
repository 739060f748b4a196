"""``all_layers`` (the "Multiplexer" experiment): one dataset item per layer, one shared circuit.

Each layer's item feeds the 3x3 cores of all its kernels and asks for their outer rings; the
circuit sees the item index through MUX/DEMUX gates (function count 29, output arity 2). Items are
padded with ``x`` to the longest one. Names ``{prefix}mse_{mse}_{rows}_{cols}{suffix}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compress.experiments.base import Experiment, engine_base_config
from compress.experiments.registry import register
from compress.selection import conv2d_selector


@register
class AllLayersExperiment(Experiment):
    name = "all_layers"
    description = "per layer: kernel cores -> outer rings, one dataset item per layer, multiplexers"
    name_format = "mse_{mse}_{rows:d}_{cols:d}"
    base_config = engine_base_config(
        input_count=864,
        output_count=1536,
        function_count=29,
        function_output_arity=2,
        dataset_size=2,
    )

    @classmethod
    def add_arguments(cls, parser, group) -> None:
        cls.add_layers_argument(
            group, "--layer-names", ["conv1", "conv2"], "conv layers, one dataset item each"
        )
        group.add_argument(
            "--kernel-dimension", type=int, default=5, help="kernel size (default 5)"
        )
        group.add_argument(
            "--kernel-core-dimension",
            type=int,
            default=3,
            help="size of the centre square used as inputs (default 3)",
        )
        cls.add_threshold_argument(group, [250.0, 150.0, 100.0, 50.0, 25.0, 15.0, 10.0, 0.0])
        cls.add_grid_arguments(group, 30, 7)

    def build(self, fields: Mapping[str, Any]):
        kernel, core = self.args.kernel_dimension, self.args.kernel_core_dimension
        combinations = []
        input_count = output_count = total_outputs = 0
        for name in self.args.layer_names:
            weights = self.layer(name)
            kernels = weights.shape[0] * weights.shape[1]
            combinations.append([conv2d_selector(name, (slice(None), slice(None)), kernel, core)])
            input_count = max(input_count, kernels * core * core)
            output_count = max(output_count, kernels * (kernel * kernel - core * core))
            total_outputs += kernels * (kernel * kernel - core * core)
        values = {
            "function_count": 29,
            "function_output_arity": 2,
            **self.grid_values(
                fields,
                input_count=input_count,
                output_count=output_count,
                dataset_size=len(combinations),
            ),
            "mse_threshold": self.threshold(float(fields["mse"]), total_outputs, len(combinations)),
        }
        return combinations, values, {}
