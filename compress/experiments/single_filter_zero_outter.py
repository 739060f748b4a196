"""``single_filter_zero_outter`` ("Zero-Outer"): a kernel whose outer ring is zeroed in the model.

For each chosen kernel (filter i, channel j) the outer ring is set to 0 in memory, and the circuit
must produce those 16 zeros from the kernel's 3x3 core. Kernels whose core already holds a 0 are
named ``..._zero`` and must finish with no gates (``gate_count_early_stop`` 0); an equal number
of kernels without a 0 in the core are sampled (seeded) and may use one gate. Names
``{prefix}{layer}_{i}_{j}[_zero]{suffix}``. Model-metrics evaluates the model with that kernel's
ring zeroed and the circuit's weights injected; its baseline is the untouched model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import parse

from compress.errors import CompressError
from compress.experiments.base import all_filter_channel_pairs, sample_pairs
from compress.experiments.grid_size import GridSizeExperiment
from compress.experiments.registry import register
from compress.selection import conv2d_core, outer_mask, select_values


@register
class SingleFilterZeroOutterExperiment(GridSizeExperiment):
    name = "single_filter_zero_outter"
    description = "single kernel with its outer ring zeroed in the model: core -> 16 zeros"
    name_format = "{layer}_{out:d}_{inp:d}"
    base_config = {
        **GridSizeExperiment.base_config,
        "mse_early_stop": 0,
        "energy_early_stop": 0,
    }

    def parse_name(self, name: str) -> dict[str, Any] | None:
        zero = name.endswith("_zero" + self.suffix)
        if zero:
            name = name[: len(name) - len("_zero" + self.suffix)] + self.suffix
        fields = super().parse_name(name)
        if fields is not None:
            fields["zero"] = zero
        return fields

    def format_name(self, fields: Mapping[str, Any]) -> str:
        core = self.name_format.format(**fields) + ("_zero" if fields.get("zero") else "")
        return f"{self.prefix}{core}{self.suffix}"

    def core_has_zero(self, layer: str, out: int, inp: int) -> bool:
        weights = self.layer(layer)
        return any(
            v == 0 for part in conv2d_core((out, inp)) for v in select_values(weights, part, layer)
        )

    def kernels_with_flag(self) -> list[tuple[str, int, int, bool]]:
        layers = self.args.layer_names
        n = self.args.n
        seed = getattr(self.args, "seed", None) or 1
        result = []
        for layer in layers:
            pairs = all_filter_channel_pairs(self.layer(layer))
            zero = [p for p in pairs if self.core_has_zero(layer, *p)]
            nonzero = [p for p in pairs if not self.core_has_zero(layer, *p)]
            chosen_nonzero = sample_pairs(nonzero, len(zero), seed)
            cases = [(layer, o, i, True) for o, i in zero] + [
                (layer, o, i, False) for o, i in chosen_nonzero
            ]
            if not cases:  # no zero in any core: still offer sampled kernels
                cases = [(layer, o, i, False) for o, i in sample_pairs(pairs, 1, seed)]
            if n is not None:
                cases = cases[: max(1, n // len(layers))]
            result += cases
        return result

    def planned_fields(self) -> list[dict[str, Any]]:
        if len(self.args.grid_sizes) != 1:
            raise CompressError(
                "single_filter_zero_outter takes one --grid-sizes value (names carry no grid)"
            )
        if self.args.reuse is not None:
            raise CompressError("--reuse is not supported by single_filter_zero_outter")
        return [
            {"layer": layer, "out": out, "inp": inp, "zero": zero}
            for layer, out, inp, zero in self.kernels_with_flag()
        ]

    def build(self, fields: Mapping[str, Any]):
        rows, cols = self.args.grid_sizes[0]
        layer, out, inp = fields["layer"], int(fields["out"]), int(fields["inp"])
        weights = self.layer(layer)
        if not (0 <= out < weights.shape[0] and 0 <= inp < weights.shape[1]):
            raise CompressError(
                f"kernel ({out}, {inp}) does not exist in {layer} of shape {tuple(weights.shape)}"
            )
        zeroed = weights.clone()
        zeroed.view(-1)[outer_mask(tuple(weights.shape), (out, inp)).tolist()] = 0
        combinations, values, _ = super().build({**fields, "rows": rows, "cols": cols})
        values["gate_count_early_stop"] = 0 if fields.get("zero") else 1
        return combinations, values, {layer: zeroed}


# Keep ``parse`` imported for subclasses that override the name format.
_ = parse
