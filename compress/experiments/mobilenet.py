"""``mobilenet`` ("MobileNetV2"): one conv layer's first weights in, all of a layer's weights out.

As the original (workflow spec §1.4): the circuit's inputs are the input layer's int8 weights in
flatten order, cut to ``input_count`` (96 by default), its outputs every weight of the output
layer (by default the same layer). ``-a/--generate-all`` makes one sub-experiment per conv layer
of the model (the 52 of MobileNetV2, each approximating its own weights; the classifier is not
one). Names ``{prefix}{in}_to_{out}_mse_{mse}_{rows}_{cols}{suffix}``; the original's names
without ``_to_`` (``{in}_{out}_mse_...``) and its underscore layer aliases are read too.
Levels-back is ``cols`` (the original wrote ``cols + 1``, one more than there are columns,
which this engine rejects; every node may still use every earlier column and the inputs).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compress.experiments.base import Experiment, engine_base_config
from compress.experiments.registry import register
from compress.selection import FilterSelector

DEFAULT_LAYER = "features.0.0"
DEFAULT_INPUT_COUNT = 96


@register
class MobilenetExperiment(Experiment):
    name = "mobilenet"
    description = (
        "first input_count weights of a MobileNetV2 conv layer -> all weights of a layer "
        "(-a: every conv layer -> itself)"
    )
    name_format = "{input_layer}_to_{output_layer}_mse_{mse}_{rows:d}_{cols:d}"
    base_config = engine_base_config(
        input_count=DEFAULT_INPUT_COUNT,
        output_count=864,
        population_max=64,
        learning_rate=0.05,
    )

    @classmethod
    def add_arguments(cls, parser, group) -> None:
        group.add_argument(
            "--input-layer-name",
            default=DEFAULT_LAYER,
            metavar="LAYER",
            help="conv layer whose first --input-count weights feed the circuit: a module name "
            f"(features.0.0 ... features.18.0) or a legacy alias (default {DEFAULT_LAYER})",
        )
        group.add_argument(
            "--output-layer-name",
            default=None,
            metavar="LAYER",
            help="conv layer whose weights the circuit must produce (default: the input layer)",
        )
        group.add_argument(
            "-a",
            "--generate-all",
            action="store_true",
            help="one sub-experiment per conv layer of the model (52 for MobileNetV2), each "
            "producing its own weights; --input/--output-layer-name are then ignored",
        )
        cls.add_threshold_argument(group, [250.0, 150.0, 100.0, 50.0, 25.0, 15.0, 10.0, 0.0])
        cls.add_grid_arguments(group, 30, 7)

    # -- names ---------------------------------------------------------------------------------
    def canonical(self, layer: str) -> str:
        """The module name of ``layer`` (aliases resolved), for the model given."""
        from compress.models import canonical_layer
        from compress.models.mobilenet import LEGACY_ALIASES

        model_name = getattr(self.args, "model_name", None)
        if model_name:
            return canonical_layer(model_name, layer)
        return LEGACY_ALIASES.get(layer, layer)  # folder-only actions have no model

    def parse_name(self, name: str) -> dict[str, Any] | None:
        fields = super().parse_name(name)
        if fields is not None:
            return fields
        # The original wrote {in}_{out}_mse_... without -a: the second layer starts at the
        # first "_features" after the first layer's own "features".
        first = name.find("features")
        second = name.find("_features", first + 1) if first != -1 else -1
        if second == -1:
            return None
        return super().parse_name(f"{name[:second]}_to_{name[second + 1 :]}")

    def convert_fields(self, fields: dict[str, Any]) -> dict[str, Any]:
        fields["input_layer"] = self.canonical(fields["input_layer"])
        fields["output_layer"] = self.canonical(fields["output_layer"])
        return fields

    # -- sub-experiments -----------------------------------------------------------------------
    def conv_layers(self) -> list[str]:
        """The model's int8 conv layers in network order (4-D weights; the classifier is 2-D)."""
        return [name for name, weights in self.weights().items() if weights.ndim == 4]

    def planned_fields(self) -> list[dict[str, Any]]:
        rows, cols = self.grid()
        if self.args.generate_all:
            pairs = [(layer, layer) for layer in self.conv_layers()]
        else:
            source = self.canonical(self.args.input_layer_name)
            target = self.canonical(self.args.output_layer_name or self.args.input_layer_name)
            pairs = [(source, target)]
        return [
            {"input_layer": source, "output_layer": target, "mse": mse, "rows": rows, "cols": cols}
            for source, target in pairs
            for mse in self.thresholds()
        ]

    def build(self, fields: Mapping[str, Any]):
        source, target = fields["input_layer"], fields["output_layer"]
        input_weights, output_weights = self.layer(source), self.layer(target)
        combination = [FilterSelector(source, inp=[()]), FilterSelector(target, out=[()])]
        input_count = min(int(self.base_config["input_count"]), int(input_weights.numel()))
        output_count = int(output_weights.numel())
        values = self.grid_values(fields, input_count=input_count, output_count=output_count)
        values["mse_threshold"] = self.threshold(float(fields["mse"]), output_count, 1)
        return [combination], values, {}
