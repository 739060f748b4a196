"""``le_selector`` ("No Input"): a single constant 0 in, every weight of several layers out.

The engine needs at least one input, so each layer contributes the constant 0 (only one survives
the input-count cut); the circuit must build all 150 + 2400 weights of conv1 and conv2 from
constants alone. Names ``{prefix}mse_{mse}_{rows}_{cols}{suffix}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compress.experiments.base import Experiment
from compress.experiments.registry import register
from compress.selection import FilterSelector, Values


@register
class LeSelectorExperiment(Experiment):
    name = "le_selector"
    description = "constant 0 -> all weights of the given layers (no weights as inputs)"
    name_format = "mse_{mse}_{rows:d}_{cols:d}"
    base_config = {
        "function_input_arity": 2,
        "function_output_arity": 1,
        "input_count": 1,
        "output_count": 2550,
        "population_max": 8,
        "mutation_max": 0.01,
        "function_count": 27,
        "number_of_runs": 30,
        "periodic_log_frequency": 1_000_000,
        "dataset_size": 1,
        "patience": 2_000_000,
    }

    @classmethod
    def add_arguments(cls, parser, group) -> None:
        group.add_argument(
            "--layer-names",
            nargs="+",
            default=["conv1", "conv2"],
            metavar="LAYER",
            help="layers whose weights the circuit must produce (default conv1 conv2)",
        )
        cls.add_threshold_argument(group, [0.0])
        cls.add_grid_arguments(group, 30, 7)

    def planned_fields(self) -> list[dict[str, Any]]:
        rows, cols = self.grid()
        return [{"mse": mse, "rows": rows, "cols": cols} for mse in self.thresholds()]

    def build(self, fields: Mapping[str, Any]):
        combination = [
            FilterSelector(name, inp=[Values([0])], out=[()]) for name in self.args.layer_names
        ]
        output_count = sum(self.layer(s.layer).numel() for s in combination)
        cols = int(fields["cols"])
        values = {
            "input_count": 1,
            "output_count": output_count,
            "dataset_size": 1,
            "row_count": int(fields["rows"]),
            "col_count": cols,
            "look_back_parameter": cols,
            "mse_threshold": self.threshold(float(fields["mse"]), output_count, 1),
        }
        return [combination], values, {}
