"""``single_channel``: one input channel of a layer across all its filters, cores -> outer rings.

For conv1 channel 0: 6 kernels, 54 core weights in, 96 outer weights out. Thresholds are whole
numbers; the default grid has ``--rows-per-filter`` rows per filter. Names
``{prefix}{layer}_mse_{mse}_{rows}_{cols}{suffix}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compress.errors import CompressError
from compress.experiments.base import Experiment, engine_base_config
from compress.experiments.registry import register
from compress.selection import conv2d_selector, item_positions


@register
class SingleChannelExperiment(Experiment):
    name = "single_channel"
    description = "one channel of a layer, all filters: kernel cores -> outer rings"
    name_format = "{layer}_mse_{mse}_{rows:d}_{cols:d}"
    base_config = engine_base_config(input_count=54, output_count=96)

    @classmethod
    def add_arguments(cls, parser, group) -> None:
        group.add_argument("--layer-name", default="conv1", help="conv layer (default conv1)")
        group.add_argument("--channel", type=int, default=0, help="input channel (default 0)")
        group.add_argument(
            "--rows-per-filter",
            type=int,
            default=5,
            help="default grid rows per filter of the layer (default 5)",
        )
        cls.add_threshold_argument(
            group, [0, 1, 2, 3, 5, 8, 10, 12, 15, 20, 25, 30, 40, 50, 100, 200], integer=True
        )
        cls.add_grid_arguments(group, None, 7)

    def grid(self) -> tuple[int, int]:
        if getattr(self.args, "rows", None) is None and not getattr(self.args, "row_count", None):
            self.args.rows = self.args.rows_per_filter * self.layer(self.args.layer_name).shape[0]
        return super().grid()

    def planned_fields(self) -> list[dict[str, Any]]:
        rows, cols = self.grid()
        return [
            {"layer": self.args.layer_name, "mse": mse, "rows": rows, "cols": cols}
            for mse in self.thresholds()
        ]

    def build(self, fields: Mapping[str, Any]):
        layer = fields["layer"]
        weights = self.layer(layer)
        channel = self.args.channel
        if not 0 <= channel < weights.shape[1]:
            raise CompressError(
                f"--channel {channel} is out of range: {layer} has {weights.shape[1]} input channels"
            )
        selector = conv2d_selector(layer, (slice(None), channel))
        outputs = item_positions([selector], {layer: tuple(weights.shape)}).size
        inputs = weights.shape[0] * 9
        values = self.grid_values(fields, input_count=inputs, output_count=outputs)
        values["mse_threshold"] = self.threshold(float(fields["mse"]), outputs, 1)
        return [[selector]], values, {}
