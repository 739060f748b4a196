"""The base of every experiment: from CLI options to planned sub-experiments.

An :class:`Experiment` (one per name: ``layer_bypass``, ``le_selector``, ...) turns its options into
sub-experiments, each named by the experiment's ``name_format`` (``mse_0.0_256_31`` ...). The
name fields rebuild the selection of a sub-experiment; folders written by this toolkit also keep
them in their ``experiment.json`` sidecar, and only the original's folders are parsed back from
their names (:mod:`compress.experiments.discovery`).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import parse
import torch

from compress.engine.config import CGPConfig, Value
from compress.engine.options import engine_values, option_keys
from compress.errors import CompressError
from compress.experiments import options
from compress.experiments.layout import ENVIRONMENT_PATHS, RUN_TIME_KEYS
from compress.experiments.sub_experiment import SubExperiment
from compress.experiments.thresholds import engine_threshold
from compress.selection import Combination
from compress.settings import Settings


def engine_base_config(
    *,
    input_count: int,
    output_count: int,
    population_max: int = 8,
    mutation_max: float = 0.15,
    function_count: int = 27,
    function_output_arity: int = 1,
    number_of_runs: int = 30,
    dataset_size: int = 1,
    patience: int = 2_000_000,
    **extra: Value,
) -> dict[str, Value]:
    """An experiment's built-in engine config: the original's shared settings, in the original's
    key order (so written configs read like the original's), with ``extra`` keys last."""
    return {
        "function_input_arity": 2,
        "function_output_arity": function_output_arity,
        "input_count": input_count,
        "output_count": output_count,
        "population_max": population_max,
        "mutation_max": mutation_max,
        "function_count": function_count,
        "number_of_runs": number_of_runs,
        "periodic_log_frequency": 1_000_000,
        "dataset_size": dataset_size,
        "patience": patience,
        **extra,
    }


def resolve_base_config_path(path: Path, experiment_name: str) -> Path | None:
    """The original's base-config lookup for ``--experiment-path`` (workflow spec §1.3)."""
    if path.suffix == ".cgp" and path.is_file():
        return path
    if path.is_dir():
        found = sorted(path.glob("*.cgp"))
        if found:
            return found[0]
        for candidate in (path / "config.cgp", path / experiment_name / "config.cgp"):
            if candidate.is_file():
                return candidate
    return None


class Experiment:
    """Base of every experiment. Subclasses set the class attributes and implement
    :meth:`planned_fields` (the sub-experiments the options ask for) and :meth:`build`
    (selection and config of one sub-experiment from its name fields)."""

    name: ClassVar[str]
    description: ClassVar[str]
    name_format: ClassVar[str]
    """``str.format``/``parse`` pattern of sub-experiment names, without prefix and suffix."""
    base_config: ClassVar[Mapping[str, Value]]
    default_function_count: ClassVar[int] = 27
    uses_grid_options: ClassVar[bool] = True

    def __init__(self, args: argparse.Namespace, settings: Settings, *, prepare: bool, model=None):
        self.args = args
        self.settings = settings
        self.prepare = prepare
        self._model = model
        self._weights: dict[str, torch.Tensor] | None = None
        self._identity: dict[str, str | None] | None = None
        self.prefix = getattr(args, "prefix", "") or ""
        self.suffix = getattr(args, "suffix", "") or ""
        self.metric = (getattr(args, "error_metric", None) or "SE").upper()
        gate_table = getattr(args, "gate_table", None)
        self.gate_table_path = Path(gate_table) if gate_table else None

    # -- options -------------------------------------------------------------------------------
    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser, group: argparse._ArgumentGroup) -> None:
        """Experiment-specific options (the "Experiment" group)."""

    @classmethod
    def add_grid_arguments(cls, group, rows: int | None = 30, cols: int | None = 7) -> None:
        options.add_grid_arguments(group, rows, cols)

    @classmethod
    def add_layers_argument(cls, group, flag: str, default: Sequence[str], help_text: str) -> None:
        options.add_layers_argument(group, flag, default, help_text)

    @classmethod
    def add_threshold_argument(
        cls, group, default: Sequence[float], *, integer: bool = False
    ) -> None:
        options.add_threshold_argument(group, default, integer=integer)

    def thresholds(self) -> list[float | int]:
        convert = (
            options.int_threshold_value
            if getattr(self.args, "threshold_integer", False)
            else options.threshold_value
        )
        try:
            return options.expand_number_lists(getattr(self.args, "mse_thresholds", None), convert)
        except argparse.ArgumentTypeError as error:
            raise CompressError(f"--mse-thresholds: {error}") from None

    def grid(self) -> tuple[int, int]:
        rows = (
            self.args.row_count
            if getattr(self.args, "row_count", None)
            else getattr(self.args, "rows", None)
        )
        cols = (
            self.args.col_count
            if getattr(self.args, "col_count", None)
            else getattr(self.args, "cols", None)
        )
        if rows is None or cols is None or rows < 1 or cols < 1:
            raise CompressError("grid rows and columns must be positive; pass --rows and --cols")
        return int(rows), int(cols)

    # -- model ---------------------------------------------------------------------------------
    @property
    def model(self):
        if self._model is None:
            from compress.models import load_model

            self._model = load_model(self.args.model_name, self.args.model_path, self.settings)
        return self._model

    def weights(self) -> dict[str, torch.Tensor]:
        """Int8 weights of every quantized layer of the model (read once)."""
        if self._weights is None:
            from compress.weights import get_int8_weights, weight_layer_names

            self._weights = {
                name: get_int8_weights(self.model, name).contiguous()
                for name in weight_layer_names(self.model)
            }
        return self._weights

    def checkpoint_path(self) -> Path | None:
        """The model checkpoint file the options name (``None`` without a model)."""
        path = getattr(self.args, "model_path", None)
        if not path:
            return None
        from compress.models import resolve_checkpoint

        return resolve_checkpoint(path, self.settings)

    def model_identity(self) -> dict[str, str | None]:
        """Model name, checkpoint as given and its sha256 (the sidecar's ``model``)."""
        from compress.experiments.sidecar import sha256_file

        if self._identity is None:
            checkpoint = self.checkpoint_path()
            self._identity = {
                "name": getattr(self.args, "model_name", None),
                "checkpoint": str(getattr(self.args, "model_path", None) or "") or None,
                "sha256": sha256_file(checkpoint) if checkpoint and checkpoint.is_file() else None,
            }
        return self._identity

    def engine_binary(self) -> Path | None:
        binary = getattr(self.args, "cgp", None) or self.settings.cgp
        return Path(binary) if binary else None

    def layer(self, name: str) -> torch.Tensor:
        weights = self.weights()
        if name not in weights:
            raise CompressError(f"unknown layer {name!r}; valid layers: {', '.join(weights)}")
        return weights[name]

    # -- names ---------------------------------------------------------------------------------
    def format_name(self, fields: Mapping[str, Any]) -> str:
        return f"{self.prefix}{self.name_format.format(**fields)}{self.suffix}"

    def parse_name(self, name: str) -> dict[str, Any] | None:
        """Fields of a sub-experiment folder name, or ``None`` if it is not one of ours."""
        name = re.sub(r"_batch_\d+$", "", name)
        if not (name.startswith(self.prefix) and name.endswith(self.suffix)):
            return None
        core = name[len(self.prefix) : len(name) - len(self.suffix) if self.suffix else None]
        result = parse.parse(self.name_format, core)
        if result is None:
            return None
        return self.convert_fields(dict(result.named))

    def convert_fields(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Turn parsed strings into typed fields (``mse`` stays as written, e.g. "0.0")."""
        return fields

    # -- sub-experiments -----------------------------------------------------------------------
    def planned_fields(self) -> list[dict[str, Any]]:
        """Name fields of the sub-experiments the options ask for; by default one per
        ``--mse-thresholds`` value on the ``--rows`` x ``--cols`` grid."""
        rows, cols = self.grid()
        return [{"mse": mse, "rows": rows, "cols": cols} for mse in self.thresholds()]

    @staticmethod
    def grid_values(
        fields: Mapping[str, Any], *, input_count: int, output_count: int, dataset_size: int = 1
    ) -> dict[str, Value]:
        """Config values of a sub-experiment on the grid its name gives (levels-back = cols)."""
        cols = int(fields["cols"])
        return {
            "input_count": input_count,
            "output_count": output_count,
            "dataset_size": dataset_size,
            "row_count": int(fields["rows"]),
            "col_count": cols,
            "look_back_parameter": cols,
        }

    def build(
        self, fields: Mapping[str, Any]
    ) -> tuple[list[Combination], dict[str, Value], dict[str, torch.Tensor]]:
        """(combinations, config values, model modifications) of one sub-experiment."""
        raise NotImplementedError

    def threshold(self, error: float, combinations_outputs: int, items: int) -> int:
        return engine_threshold(error, self.metric, outputs=combinations_outputs, items=items)

    def base(self) -> CGPConfig:
        """Built-in base config, or the one found through ``--experiment-path`` (train only)."""
        config = CGPConfig(self.base_config)
        path = getattr(self.args, "experiment_path", None)
        if self.prepare and path:
            found = resolve_base_config_path(Path(path), self.name)
            if found is not None:
                config.update(dict(CGPConfig.load(found).items()))
        return config

    def cgp_overrides(self) -> dict[str, Value | None]:
        """Engine keys the command line set (``None`` = not given), the error metric included;
        the grid comes from :meth:`grid` and the file names from the layout."""
        values = engine_values(self.args, option_keys(skip=[*ENVIRONMENT_PATHS, *RUN_TIME_KEYS]))
        values.pop("row_count", None)
        values.pop("col_count", None)
        values["error_metric"] = self.metric
        return values

    def make_sub(
        self, fields: Mapping[str, Any], *, folder_config: CGPConfig | None = None
    ) -> SubExperiment:
        """A planned sub-experiment, or (``folder_config``) one found on disk, whose selection
        is built only when asked for."""
        if folder_config is not None:
            return SubExperiment(
                name=self.format_name(fields),
                config=folder_config,
                built=None,
                experiment=self,
                fields=dict(fields),
            )
        combinations, values, modifications = self.build(fields)
        config = self.base()
        config.update(values)
        if getattr(self.args, "multiplex", False) and len(combinations) > 1:
            config["function_count"] = max(int(config.get("function_count", 27)), 29)
            config["function_output_arity"] = max(int(config.get("function_output_arity", 1)), 2)
        config.update(self.cgp_overrides())
        self._apply_logging_threshold(config, combinations)
        return SubExperiment(
            name=self.format_name(fields),
            config=config,
            built=(list(combinations), dict(modifications)),
            experiment=self,
            fields=dict(fields),
        )

    def _apply_logging_threshold(self, config: CGPConfig, combinations) -> None:
        allowed = getattr(self.args, "allowed_mse_error", None)
        if allowed is None or "mse_chromosome_logging_threshold" in config:
            return
        outputs = self.meaningful_outputs(combinations)
        config["mse_chromosome_logging_threshold"] = engine_threshold(
            float(allowed), self.metric, outputs=outputs, items=len(combinations)
        )

    def meaningful_outputs(self, combinations: Sequence[Combination]) -> int:
        shapes = {name: tuple(t.shape) for name, t in self.weights().items()}
        from compress.selection import item_positions

        return sum(item_positions(c, shapes).size for c in combinations)

    def sub_experiments(self) -> list[SubExperiment]:
        """Planned sub-experiments (``prepare``), else those found on disk under the experiment
        folder (``--experiment-path``), filtered by the ``--experiment`` globs."""
        if self.prepare:
            subs = [self.make_sub(fields) for fields in self.planned_fields()]
            return self._split_batches(subs)
        return self.discover(self.results_folder())

    def _split_batches(self, subs: list[SubExperiment]) -> list[SubExperiment]:
        batches = getattr(self.args, "batches", None)
        if not batches:
            return subs
        if batches < 1:
            raise CompressError("-b/--batches must be a positive number")
        result = []
        for sub in subs:
            runs = sub.config.get_int("number_of_runs", 30)
            if runs % batches:
                raise CompressError(
                    f"--number-of-runs {runs} is not divisible by -b/--batches {batches}; "
                    "choose a batch count that divides the runs"
                )
            if "start_generation" in sub.config:
                raise CompressError("--start-generation cannot be combined with -b/--batches")
            step = runs // batches
            for index in range(batches):
                config = sub.config.clone()
                config["start_run"] = index * step
                config["number_of_runs"] = index * step + step
                result.append(
                    SubExperiment(
                        name=f"{sub.name}_batch_{index}",
                        config=config,
                        built=sub.built,
                        experiment=self,
                        fields=sub.fields,
                        batch=index,
                    )
                )
        return result

    def results_folder(self) -> Path:
        """Where this experiment's sub-experiment folders are (for evaluate/model-metrics)."""
        from compress.experiments.discovery import results_folder

        return results_folder(self)

    def discover(self, folder: Path) -> list[SubExperiment]:
        from compress.experiments.discovery import discover

        return discover(self, folder)
