"""The experiment folder layout: every file name, pattern and the finished-run rule, in one place.

A sub-experiment folder (workflow spec §4.1) holds the engine's inputs (``train_cgp.config``,
``train.data``, ``gate_parameters.txt/.csv``), the metadata sidecar ``experiment.json`` and,
per 1-based run ``r``, the engine's results: ``cgp_configs/cgp.{r}.config`` (result config with
``best_solution``), ``weights/weights.{r}.txt``, ``train_statistics/fitness/statistics.{r}.csv``
and ``checkpoints/checkpoint.{r}.ckpt``. Every path written into a folder's files is relative to
the folder, so a folder can be copied, moved or renamed and keeps working.

:class:`SubExperimentPaths` names each file of one folder (like submitit's ``JobPaths``);
:meth:`SubExperimentPaths.run_state` is the one definition of a finished run (a result config
whose ``best_solution`` holds a chromosome, and the run's weights file unless the folder keeps no
``weights/`` at all, as the original's merged folders), used by ``status``, ``evaluate``,
``model-metrics``, ``merge``, ``resubmit`` and (as :data:`FINISHED_RUN_SHELL`) the job scripts.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

CONFIG_FILE = "train_cgp.config"
TRAIN_DATA = "train.data"
SIDECAR_FILE = "experiment.json"
GATE_PARAMETERS_TXT = "gate_parameters.txt"
GATE_PARAMETERS_CSV = "gate_parameters.csv"
STATISTICS_DIR = "train_statistics/fitness"
STATISTICS_PATTERN = f"{STATISTICS_DIR}/statistics.{{run}}.csv"
RESULT_CONFIG_PATTERN = "cgp_configs/cgp.{run}.config"
WEIGHTS_PATTERN = "weights/weights.{run}.txt"
CHECKPOINT_PATTERN = "checkpoints/checkpoint.{run}.ckpt"
MODEL_METRICS_DIR = "model_metrics"
METRICS_RESULT_PATTERN = "{dataset}.{split}.{sub}.{run}.csv"
"""A model-metrics result in ``<experiment folder>/model_metrics/`` (the original's name)."""
SUPERSEDED_DIR = "superseded"
"""``--force`` moves replaced results here (``superseded/<UTC time>/...``); nothing is deleted."""

NOT_SUB_EXPERIMENTS = frozenset({MODEL_METRICS_DIR, SUPERSEDED_DIR, "figures", "logs"})
"""Folders beside sub-experiment folders that are never sub-experiments themselves."""

RUN_TIME_KEYS = frozenset({"threads"})
"""Engine keys passed as flags when the engine runs, never written into a config: results do not
depend on them, so a rerun on another machine is the same sub-experiment."""

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
"""Config path keys of a training environment, relative to the sub-experiment folder."""

ENVIRONMENT_FOLDERS = (
    STATISTICS_DIR,
    "cgp_configs",
    "weights",
    "checkpoints",
    "eval_statistics",
)

FINISHED, CHECKPOINTED, UNFINISHED = "finished", "checkpointed", "unfinished"
"""Run states on disk: result config with a best solution and the weights file; a checkpoint to
resume from; anything else (never started, or killed before its first checkpoint)."""

_BEST_SOLUTION = re.compile(r"^best_solution:.*chromosome:(?P<chromosome>\S+)", re.MULTILINE)

FINISHED_RUN_SHELL = (
    "run_finished() {  # the finished-run rule of compress/experiments/layout.py\n"
    '    { [ -f "weights/weights.$1.txt" ] || [ ! -d weights ]; } && awk \'/^best_solution:/ && '
    'match($0, /chromosome:[^ \\t]+/) && substr($0, RSTART + 11, RLENGTH - 11) != "null" '
    '{ found = 1 } END { exit !found }\' "cgp_configs/cgp.$1.config" 2>/dev/null\n'
    "}"
)
"""The same rule for job scripts (run in the folder; ``$1`` = 1-based run), filled into the
templates as ``${run_finished_function}``."""


def config_chromosome(text: str) -> str | None:
    """The chromosome of a result config's ``best_solution:`` line (``None``: none, or null)."""
    match = _BEST_SOLUTION.search(text)
    if match is None or match["chromosome"] == "null":
        return None
    return match["chromosome"]


@dataclass(frozen=True)
class SubExperimentPaths:
    """Every file of one sub-experiment folder; run numbers are 1-based as in file names."""

    folder: Path

    @property
    def config(self) -> Path:
        return self.folder / CONFIG_FILE

    @property
    def train_data(self) -> Path:
        return self.folder / TRAIN_DATA

    @property
    def sidecar(self) -> Path:
        return self.folder / SIDECAR_FILE

    @property
    def gate_parameters(self) -> Path:
        return self.folder / GATE_PARAMETERS_TXT

    def result_config(self, run: int) -> Path:
        return self.folder / RESULT_CONFIG_PATTERN.format(run=run)

    def weights(self, run: int) -> Path:
        return self.folder / WEIGHTS_PATTERN.format(run=run)

    def statistics(self, run: int) -> Path:
        return self.folder / STATISTICS_PATTERN.format(run=run)

    def checkpoint(self, run: int) -> Path:
        return self.folder / CHECKPOINT_PATTERN.format(run=run)

    def result_text(self, run: int) -> str | None:
        """The result config's text, plain or zipped (``cgp.{run}.config.zip``, as merged
        archives of the original hold it); ``None`` when there is none."""
        plain = self.result_config(run)
        if plain.is_file():
            return plain.read_text(encoding="utf-8", errors="replace")
        zipped = plain.with_name(plain.name + ".zip")
        if zipped.is_file():
            try:
                with zipfile.ZipFile(zipped) as archive:
                    names = archive.namelist()
                    return archive.read(names[0]).decode("utf-8", "replace") if names else None
            except (OSError, zipfile.BadZipFile):
                return None
        return None

    def best_chromosome(self, run: int) -> str | None:
        """A finished run's final chromosome (``None`` unless the run is finished)."""
        if self.run_state(run) != FINISHED:
            return None
        text = self.result_text(run)
        return config_chromosome(text) if text is not None else None

    def run_state(self, run: int) -> str:
        """:data:`FINISHED`, :data:`CHECKPOINTED` or :data:`UNFINISHED` (the one definition)."""
        text = self.result_text(run)
        if text is not None and config_chromosome(text) and self.has_weights(run):
            return FINISHED
        if any(self.checkpoint(run).parent.glob(f"checkpoint.{run}.*")):
            return CHECKPOINTED
        return UNFINISHED

    def has_weights(self, run: int) -> bool:
        """The run's weights file exists, or the folder keeps no weights at all: the original's
        merge (``experiment.sh merge``) carries only zipped result configs and statistics."""
        return self.weights(run).is_file() or not self.weights(run).parent.is_dir()

    def finished_runs(self, runs) -> list[int]:
        return [run for run in runs if self.run_state(run) == FINISHED]

    def has_results(self) -> bool:
        """Whether the engine already wrote anything here (statistics, results, checkpoints)."""
        return any(
            d.is_dir() and any(d.iterdir())
            for d in (
                self.folder / STATISTICS_DIR,
                self.folder / "cgp_configs",
                self.folder / "checkpoints",
            )
        )


def batch_start_run(index: int, end: int) -> int | None:
    """0-based first run of batch ``index`` of equal batches ending at ``end`` (the original's
    split: batch i owns ``[i * step, (i + 1) * step)``); ``None`` when ``end`` does not split."""
    if end % (index + 1):
        return None
    return end // (index + 1) * index


def run_finished(folder: Path, run: int) -> bool:
    """Whether ``run`` (1-based) of the sub-experiment in ``folder`` is finished."""
    return SubExperimentPaths(Path(folder)).run_state(run) == FINISHED
