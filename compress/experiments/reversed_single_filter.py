"""``reversed_single_filter`` ("Reversed"): a kernel's 16 outer weights -> its 3x3 core.

The grid-size experiment with inputs and outputs swapped; 5 kernels by default. Names as
``grid_size``: ``{prefix}{layer}_x_{filter}_{channel}_{rows}_{cols}{suffix}``.
"""

from __future__ import annotations

from compress.experiments.grid_size import GridSizeExperiment
from compress.experiments.registry import register
from compress.selection import FilterSelector, conv2d_core, conv2d_outer


@register
class ReversedSingleFilterExperiment(GridSizeExperiment):
    name = "reversed_single_filter"
    description = "single kernel: 16 outer weights -> 3x3 core, for several grid sizes"
    base_config = {
        **GridSizeExperiment.base_config,
        "input_count": 16,
        "output_count": 9,
        "mse_early_stop": 0,
        "energy_early_stop": 0,
    }
    default_n = 5

    def selector(self, layer: str, out: int, inp: int) -> FilterSelector:
        return FilterSelector(
            layer,
            conv2d_outer((out, inp), self.kernel, self.core),
            conv2d_core((out, inp), self.kernel, self.core),
        )
