"""Experiments and their sub-experiments: from CLI options to engine folders, and back.

An :class:`Experiment` (one per name: ``layer_bypass``, ``le_selector``, ...) turns its options into
sub-experiments, each named by the experiment's ``name_format`` (``mse_0.0_256_31`` ...). Each
name encodes everything needed to rebuild its selection, which is how old folders written by the
original are read back: :meth:`Experiment.from_name` parses a folder name with the ``parse``
library and rebuilds the same :class:`SubExperiment`.

A :class:`SubExperiment` knows its engine config, its dataset items (selector combinations) and any
in-memory change to the model (``single_filter_zero_outter`` zeroes an outer ring), and writes the
isolated environment the engine runs in (workflow spec §4.1).
"""

from __future__ import annotations

import argparse
import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import parse
import torch

from compress.engine.config import CGPConfig, Value
from compress.engine.files import TrainItem, write_train_data
from compress.engine.options import engine_values, option_keys
from compress.errors import CompressError
from compress.experiments.thresholds import engine_threshold
from compress.selection import Combination, item_values
from compress.settings import Settings

CONFIG_FILE = "train_cgp.config"
TRAIN_DATA = "train.data"
GATE_PARAMETERS_TXT = "gate_parameters.txt"
GATE_PARAMETERS_CSV = "gate_parameters.csv"
STATISTICS_PATTERN = "train_statistics/fitness/statistics.{run}.csv"
RESULT_CONFIG_PATTERN = "cgp_configs/cgp.{run}.config"
WEIGHTS_PATTERN = "weights/weights.{run}.txt"
CHECKPOINT_PATTERN = "checkpoints/checkpoint.{run}.ckpt"

ENVIRONMENT_PATHS: dict[str, str] = {
    "input_file": TRAIN_DATA,
    "cgp_statistics_file": STATISTICS_PATTERN,
    "output_file": RESULT_CONFIG_PATTERN,
    "gate_parameters_file": GATE_PARAMETERS_TXT,
    "train_weights_file": WEIGHTS_PATTERN,
    "checkpoint_file": CHECKPOINT_PATTERN,
    "stdout": "train_stdout.txt",
    "stderr": "train_stderr.txt",
}
"""Config path keys of a training environment (relative to the sub-experiment folder)."""

ENVIRONMENT_FOLDERS = (
    "train_statistics/fitness",
    "cgp_configs",
    "weights",
    "checkpoints",
    "eval_statistics",
)

RUN_TIME_KEYS = frozenset({"threads"})
"""Engine keys passed as flags when the engine runs, never written into a config: results do not
depend on them, so a rerun on another machine is the same sub-experiment."""


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


@dataclass
class SubExperiment:
    """One engine environment: a config, the dataset items and in-memory model changes."""

    name: str
    config: CGPConfig
    combinations: list[Combination]
    experiment: Experiment
    fields: dict[str, Any] = field(default_factory=dict)
    modifications: dict[str, torch.Tensor] = field(default_factory=dict)
    """Layer -> int8 values this sub-experiment changes in the model before anything else."""

    @property
    def dataset_size(self) -> int:
        return len(self.combinations)

    def layer_weights(self) -> dict[str, torch.Tensor]:
        """The model's int8 weights as this sub-experiment sees them (modifications applied)."""
        weights = dict(self.experiment.weights())
        weights.update(self.modifications)
        return weights

    def train_items(self) -> list[TrainItem]:
        weights = self.layer_weights()
        items = []
        for combination in self.combinations:
            inputs, outputs = item_values(combination, weights)
            items.append(TrainItem(inputs, outputs))
        return items

    def finished_runs(self, folder: Path) -> list[int]:
        """1-based runs of this sub-experiment whose result config holds a final chromosome."""
        from compress.engine.files import result_chromosome

        return [
            run
            for run in self.runs()
            if result_chromosome(folder / RESULT_CONFIG_PATTERN.format(run=run)) is not None
        ]

    def runs(self) -> list[int]:
        """The 1-based run numbers this environment produces (a batch produces a slice)."""
        start = int(self.config.cli_only.get("start_run", 0))
        end = self.config.get_int("number_of_runs", 30)
        return list(range(start + 1, end + 1))

    def write_environment(self, folder: Path, *, relative_paths: bool) -> None:
        """Write ``train_cgp.config``, ``train.data``, ``gate_parameters.txt/.csv`` and the empty
        result folders into ``folder`` (paths in the config relative to it, or absolute)."""
        from compress.energy import load_gate_table, write_gate_parameters

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for sub in ENVIRONMENT_FOLDERS:
            (folder / sub).mkdir(parents=True, exist_ok=True)
        config = self.config.clone()
        for key, relative in ENVIRONMENT_PATHS.items():
            config[key] = relative if relative_paths else str((folder / relative).resolve())
        items = self.train_items()
        write_train_data(
            folder / TRAIN_DATA,
            items,
            config.get_int("input_count"),
            config.get_int("output_count"),
        )
        table = load_gate_table(self.experiment.gate_table_path, self.experiment.settings)
        write_gate_parameters(
            table,
            folder / GATE_PARAMETERS_TXT,
            folder / GATE_PARAMETERS_CSV,
            rows=config.get_int("row_count"),
            cols=config.get_int("col_count"),
            function_count=config.get_int("function_count", self.experiment.default_function_count),
        )
        config.save(folder / CONFIG_FILE)
        self.config.path = folder / CONFIG_FILE


def threshold_value(text: str) -> float:
    """A per-weight error: a non-negative number."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value < 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} must be a finite number >= 0")
    return value


def int_threshold_value(text: str) -> int:
    value = threshold_value(text)
    if value != int(value):
        raise argparse.ArgumentTypeError(f"{text!r} must be a whole number")
    return int(value)


def grid_size(text: str) -> tuple[int, int]:
    """``5x5`` (or ``5,5``) -> (5, 5): rows x columns."""
    match = re.fullmatch(r"\s*(\d+)\s*[xX,]\s*(\d+)\s*", text)
    if not match or int(match.group(1)) < 1 or int(match.group(2)) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a grid size like 5x5 (rows x columns)")
    return int(match.group(1)), int(match.group(2))


def expand_number_lists(values: Sequence[Any] | None, convert) -> list:
    """Allow ``--mse-thresholds 0,10 25`` as well as space-separated values."""
    result = []
    for value in values or []:
        if isinstance(value, str):
            for part in value.split(","):
                if part.strip():
                    result.append(convert(part))
        else:
            result.append(value)
    return result


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
        group.add_argument("--rows", type=int, default=rows, help=f"CGP grid rows (default {rows})")
        group.add_argument(
            "--cols",
            type=int,
            default=cols,
            help=f"CGP grid columns; levels-back = cols (default {cols})",
        )

    @classmethod
    def add_layers_argument(cls, group, flag: str, default: Sequence[str], help_text: str) -> None:
        """A ``nargs="+"`` list of layer names (``--layer-names conv1 conv2``)."""
        group.add_argument(
            flag,
            nargs="+",
            default=list(default),
            metavar="LAYER",
            help=f"{help_text} (default {' '.join(default)})",
        )

    @classmethod
    def add_threshold_argument(
        cls, group, default: Sequence[float], *, integer: bool = False
    ) -> None:
        group.add_argument(
            "--mse-thresholds",
            nargs="+",
            type=str,
            default=[str(v) for v in default],
            metavar="E",
            help=(
                "per-weight errors, one sub-experiment each (space or comma separated; "
                f"default {' '.join(str(v) for v in default)}); converted to the engine threshold "
                "by the error metric: SE e^2*N, MSE e^2*items, AE e*N"
            ),
        )
        group.set_defaults(threshold_integer=integer)

    def thresholds(self) -> list[float | int]:
        convert = (
            int_threshold_value
            if getattr(self.args, "threshold_integer", False)
            else threshold_value
        )
        try:
            return expand_number_lists(getattr(self.args, "mse_thresholds", None), convert)
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
        combinations, values, modifications = self.build(fields)
        if folder_config is not None:
            config = folder_config
        else:
            config = self.base()
            config.update(values)
            if getattr(self.args, "multiplex", False) and len(combinations) > 1:
                config["function_count"] = max(int(config.get("function_count", 27)), 29)
                config["function_output_arity"] = max(
                    int(config.get("function_output_arity", 1)), 2
                )
            config.update(self.cgp_overrides())
            self._apply_logging_threshold(config, combinations)
        return SubExperiment(
            name=self.format_name(fields),
            config=config,
            combinations=list(combinations),
            experiment=self,
            fields=dict(fields),
            modifications=modifications,
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
                        combinations=sub.combinations,
                        experiment=self,
                        fields=sub.fields,
                        modifications=sub.modifications,
                    )
                )
        return result

    def results_folder(self) -> Path:
        """Where this experiment's sub-experiment folders are (for evaluate/model-metrics)."""
        path = getattr(self.args, "experiment_path", None)
        if path:
            return Path(path)
        env = getattr(self.args, "experiment_env", None)
        candidates = [Path(env) / self.name] if env else []
        candidates += [
            self.settings.experiments_root / self.name,
            self.settings.datastore / self.name,
        ]
        for candidate in candidates:
            if candidate.is_dir():
                return candidate
        raise CompressError(
            f"no results folder for {self.name}: looked in {', '.join(str(c) for c in candidates)}; "
            "pass --experiment-path"
        )

    def discover(self, folder: Path) -> list[SubExperiment]:
        """Rebuild the sub-experiments whose folders (with ``train_cgp.config``) are in ``folder``."""
        from compress.engine.config import CGPConfig

        if not folder.is_dir():
            raise CompressError(f"experiment folder {folder} does not exist")
        globs = list(getattr(self.args, "experiment", None) or []) or ["*"]
        subs = []
        for path in sorted(p for p in folder.iterdir() if p.is_dir()):
            if not any(fnmatch.fnmatch(path.name, pattern) for pattern in globs):
                continue
            if path.name in ("model_metrics", "figures"):
                continue
            fields = self.parse_name(path.name)
            if fields is None:
                continue
            config_path = path / CONFIG_FILE
            if not config_path.is_file():
                raise CompressError(
                    f"{path} has no {CONFIG_FILE}; it is not a complete experiment folder "
                    "(restore the file or exclude the folder with --experiment)"
                )
            sub = self.make_sub(fields, folder_config=CGPConfig.load(config_path))
            sub.name = path.name
            subs.append(sub)
        if not subs:
            raise CompressError(
                f"no {self.name} sub-experiment folders matching {' '.join(globs)} in {folder} "
                f"(names like {self.prefix}{self.name_format}{self.suffix} with a {CONFIG_FILE})"
            )
        return subs


def all_filter_channel_pairs(weights: torch.Tensor) -> list[tuple[int, int]]:
    """Every (filter, channel) kernel of a conv weight tensor, in filter-major order."""
    return [(f, c) for f in range(weights.shape[0]) for c in range(weights.shape[1])]


def sample_pairs(
    pairs: list[tuple[int, int]], count: int | None, seed: int
) -> list[tuple[int, int]]:
    """``count`` pairs chosen reproducibly (all, in order, when ``count`` is None or too large)."""
    if count is None or count >= len(pairs):
        return list(pairs)
    rng = np.random.default_rng(seed)
    chosen = sorted(rng.choice(len(pairs), size=count, replace=False).tolist())
    return [pairs[i] for i in chosen]


def build_experiment(
    experiment_name: str, args: argparse.Namespace, settings: Settings, *, prepare: bool
) -> Experiment:
    """The experiment registered as ``experiment_name``, configured from parsed CLI ``args``.

    ``prepare=True`` plans sub-experiments from the options (train, train-pbs, train-slurm);
    ``prepare=False`` discovers them on disk (evaluate, model-metrics).
    """
    from compress.experiments.registry import get_experiment

    return get_experiment(experiment_name)(args, settings, prepare=prepare)
