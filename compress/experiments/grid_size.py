"""``grid_size`` ("Minimal Grid Size"): one kernel's 3x3 core -> its 16 outer weights, per grid.

For each layer, ``-n`` kernels (filter, channel) are sampled (all when ``-n`` is not given), and
each is run on every ``--grid-sizes`` grid (``5x5 10x10``). Names
``{prefix}{layer}_x_{filter}_{channel}_{rows}_{cols}{suffix}``. ``--reuse`` takes the kernels
from an existing experiment folder's names instead of sampling.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import parse

from compress.errors import CompressError
from compress.experiments.base import (
    Experiment,
    all_filter_channel_pairs,
    engine_base_config,
    grid_size,
    sample_pairs,
)
from compress.experiments.registry import register
from compress.selection import FilterSelector, conv2d_core, conv2d_outer


@register
class GridSizeExperiment(Experiment):
    name = "grid_size"
    description = "single kernel: 3x3 core -> 16 outer weights, for several grid sizes"
    name_format = "{layer}_x_{out:d}_{inp:d}_{rows:d}_{cols:d}"
    base_config = engine_base_config(
        input_count=9, output_count=16, population_max=32, patience=400_000, mse_threshold=0
    )
    default_n: int | None = None
    kernel = 5
    core = 3

    @classmethod
    def add_arguments(cls, parser, group) -> None:
        group.add_argument(
            "-n",
            type=int,
            default=cls.default_n,
            dest="n",
            help="kernels to sample, spread evenly over the layers (default: "
            + ("all" if cls.default_n is None else str(cls.default_n))
            + ")",
        )
        cls.add_layers_argument(
            group, "--layer-names", ["conv1", "conv2"], "conv layers to sample kernels from"
        )
        group.add_argument(
            "--grid-sizes",
            nargs="+",
            type=grid_size,
            default=[(5, 5)],
            metavar="RxC",
            help="grid sizes as rows x columns, e.g. --grid-sizes 5x5 10x10 (default 5x5)",
        )
        group.add_argument(
            "--reuse",
            type=Path,
            default=None,
            metavar="PATH",
            help="take the kernels from the sub-experiment folder names in PATH",
        )
        group.add_argument(
            "--name-format",
            default=None,
            help="name pattern of the --reuse folders (default: this experiment's "
            "{layer}_x_{out}_{inp}_{rows}_{cols})",
        )

    def selector(self, layer: str, out: int, inp: int) -> FilterSelector:
        return FilterSelector(
            layer,
            conv2d_core((out, inp), self.kernel, self.core),
            conv2d_outer((out, inp), self.kernel, self.core),
        )

    def kernels(self) -> list[tuple[str, int, int]]:
        if self.args.reuse is not None:
            return self._reused_kernels(self.args.reuse)
        layers = self.args.layer_names
        n = self.args.n
        if n is not None and n < 1:
            raise CompressError(f"-n {n} must be a positive number of kernels")
        seed = getattr(self.args, "seed", None) or 1
        result = []
        for index, layer in enumerate(layers):
            pairs = all_filter_channel_pairs(self.layer(layer))
            # n kernels spread over the layers, the remainder going to the first ones
            count = None if n is None else n // len(layers) + (1 if index < n % len(layers) else 0)
            for out, inp in sample_pairs(pairs, count, seed):
                result.append((layer, out, inp))
        return result

    def _reused_kernels(self, folder: Path) -> list[tuple[str, int, int]]:
        if not folder.is_dir():
            raise CompressError(f"--reuse folder {folder} does not exist")
        pattern = self.args.name_format or self.name_format
        found = []
        for path in sorted(folder.iterdir()):
            result = parse.parse(pattern, path.name) if path.is_dir() else None
            if result is not None:
                key = (result["layer"], int(result["out"]), int(result["inp"]))
                if key not in found:
                    found.append(key)
        if not found:
            raise CompressError(f"no folder in {folder} matches the name pattern {pattern}")
        return found

    def planned_fields(self) -> list[dict[str, Any]]:
        fields = []
        for rows, cols in self.args.grid_sizes:
            for layer, out, inp in self.kernels():
                fields.append({"layer": layer, "out": out, "inp": inp, "rows": rows, "cols": cols})
        return fields

    def build(self, fields: Mapping[str, Any]):
        selector = self.selector(fields["layer"], int(fields["out"]), int(fields["inp"]))
        shapes = {fields["layer"]: tuple(self.layer(fields["layer"]).shape)}
        from compress.selection import item_positions

        outputs = item_positions([selector], shapes).size
        inputs = len(self.kernel_values(selector, "inp"))
        values = self.grid_values(fields, input_count=inputs, output_count=outputs)
        return [[selector]], values, {}

    def kernel_values(self, selector: FilterSelector, side: str) -> list[int]:
        from compress.selection import select_values

        weights = self.layer(selector.layer)
        return [
            v
            for part in getattr(selector, side)
            for v in select_values(weights, part, selector.layer)
        ]
