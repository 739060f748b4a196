"""One sub-experiment: its engine config, dataset items, model changes, and the folder it writes.

The folder (workflow spec §4.1, names in :mod:`compress.experiments.layout`) holds only paths
relative to itself, so it can be copied, moved or renamed; the engine is always run from it.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import torch

from compress.engine.config import CGPConfig
from compress.engine.files import TrainItem, format_train_data
from compress.experiments.layout import (
    ENVIRONMENT_FOLDERS,
    ENVIRONMENT_PATHS,
    GATE_PARAMETERS_CSV,
    GATE_PARAMETERS_TXT,
    SubExperimentPaths,
)
from compress.experiments.sidecar import (
    SIDECAR_FORMAT,
    engine_info,
    given_options,
    sha256_text,
    toolkit_info,
    utc_now,
    write_sidecar,
)
from compress.selection import Combination, Values, item_values
from compress.settings import Settings


class ExperimentSource(Protocol):
    """What a sub-experiment (and discovery) asks of its experiment; :class:`Experiment` of
    :mod:`compress.experiments.experiment` provides it (declared here so neither module imports
    the other back)."""

    name: str
    name_format: str
    prefix: str
    suffix: str
    metric: str
    args: argparse.Namespace
    settings: Settings
    gate_table_path: Path | None
    default_function_count: int

    def weights(self) -> dict[str, torch.Tensor]: ...
    def build(self, fields: Mapping[str, Any]) -> tuple[list[Combination], dict, dict]: ...
    def model_identity(self) -> dict[str, str | None]: ...
    def engine_binary(self) -> Path | None: ...
    def parse_name(self, name: str) -> dict[str, Any] | None: ...
    def make_sub(
        self, fields: Mapping[str, Any], *, folder_config: CGPConfig | None = None
    ) -> SubExperiment: ...


@dataclass
class SubExperiment:
    """One engine environment: a config, the dataset items and in-memory model changes.

    A sub-experiment found on disk gets its config from the folder; its selection
    (``combinations``, ``modifications``) is rebuilt from ``fields`` only when something asks
    for it, so reading folders (``evaluate``) never loads the model.
    """

    name: str
    config: CGPConfig
    built: tuple[list[Combination], dict[str, torch.Tensor]] | None
    """(combinations, modifications), or ``None`` until first asked for."""
    experiment: ExperimentSource
    fields: dict[str, Any] = field(default_factory=dict)
    batch: int | None = None

    def _selection(self) -> tuple[list[Combination], dict[str, torch.Tensor]]:
        if self.built is None:
            combinations, _, modifications = self.experiment.build(self.fields)
            self.built = (list(combinations), dict(modifications))
        return self.built

    @property
    def combinations(self) -> list[Combination]:
        """One selector combination per dataset item (compress/selection.py)."""
        return self._selection()[0]

    @property
    def modifications(self) -> dict[str, torch.Tensor]:
        """Layer -> int8 values this sub-experiment changes in the model before anything else."""
        return self._selection()[1]

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

    def runs(self) -> list[int]:
        """The 1-based run numbers this environment produces (a batch produces a slice)."""
        start = int(self.config.cli_only.get("start_run", 0))
        end = self.config.get_int("number_of_runs", 30)
        return list(range(start + 1, end + 1))

    def finished_runs(self, folder: Path) -> list[int]:
        """Runs of this sub-experiment that are finished (:func:`layout.run_state`)."""
        return SubExperimentPaths(Path(folder)).finished_runs(self.runs())

    # -- what the folder holds -----------------------------------------------------------------
    def environment_config(self) -> CGPConfig:
        """The config as written into the folder: the layout's relative paths."""
        config = self.config.clone()
        for key, relative in ENVIRONMENT_PATHS.items():
            config[key] = relative
        return config

    def train_data_text(self) -> str:
        return format_train_data(
            self.train_items(),
            self.config.get_int("input_count"),
            self.config.get_int("output_count"),
        )

    def layers(self) -> str:
        """``conv1->conv2``: the layers feeding the circuit -> the layers it produces."""

        def names(part: str) -> str:
            seen: list[str] = []
            for combination in self.combinations:
                for selector in combination:
                    parts = getattr(selector, part)
                    if any(not isinstance(p, Values) for p in parts) and selector.layer not in seen:
                        seen.append(selector.layer)
            return "+".join(seen) or "-"

        return f"{names('inp')}->{names('out')}"

    def factors(self) -> dict[str, Any]:
        """The sidecar's grouping factors: the contract's common ones, then the name fields."""
        factors: dict[str, Any] = {
            "threshold": float(self.fields["mse"]) if "mse" in self.fields else None,
            "error_metric": self.experiment.metric,
            "rows": self.config.get_int("row_count", 0) or None,
            "cols": self.config.get_int("col_count", 0) or None,
            "layers": self.layers(),
            "batch": self.batch,
        }
        for key, value in self.fields.items():
            if key not in ("mse", "rows", "cols"):
                factors.setdefault(key, value)
        return factors

    def sidecar_data(self, config: CGPConfig, train_data: str) -> dict[str, Any]:
        experiment = self.experiment
        model = experiment.model_identity()
        return {
            "format": SIDECAR_FORMAT,
            "experiment": experiment.name,
            "sub_experiment": self.name,
            "factors": self.factors(),
            "name_fields": dict(self.fields),
            "options": given_options(experiment.args),
            "engine_config": {key: value for key, value in config.items()},
            "model": model,
            "train_data_sha256": sha256_text(train_data),
            "toolkit": toolkit_info(),
            "engine": engine_info(experiment.engine_binary()),
            "created": utc_now(),
        }

    def write_environment(self, folder: Path, *, relative_paths: bool = True) -> None:
        """Write ``train_cgp.config``, ``train.data``, ``gate_parameters.txt/.csv``, the
        ``experiment.json`` sidecar and the empty result folders into ``folder``.

        Paths in the config are always relative to the folder (``relative_paths`` is accepted
        for callers of the earlier interface; absolute paths are no longer written).
        """
        from compress.atomic import write_text_atomic
        from compress.energy import load_gate_table, write_gate_parameters

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for sub in ENVIRONMENT_FOLDERS:
            (folder / sub).mkdir(parents=True, exist_ok=True)
        config = self.environment_config()
        paths = SubExperimentPaths(folder)
        train_data = self.train_data_text()
        write_text_atomic(paths.train_data, train_data)
        table = load_gate_table(self.experiment.gate_table_path, self.experiment.settings)
        write_gate_parameters(
            table,
            folder / GATE_PARAMETERS_TXT,
            folder / GATE_PARAMETERS_CSV,
            rows=config.get_int("row_count"),
            cols=config.get_int("col_count"),
            function_count=config.get_int("function_count", self.experiment.default_function_count),
        )
        config.save(paths.config)
        write_sidecar(folder, self.sidecar_data(config, train_data))
        self.config.path = paths.config
