"""Prepared job folders: what both schedulers' script writers start from.

The experiments code decides *what* a sub-experiment is (config, train data, gate parameters);
this module only asks it to write each one into its folder with relative paths (so the folder can
be copied to a cluster) and records which runs each folder owns. Generation is all-or-nothing:
:func:`plan_experiment` plans in memory, the scheduler module renders every script (checking
every option), and only then :func:`write_all_or_nothing` writes folders and scripts.
"""

from __future__ import annotations

import argparse
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from compress.atomic import require_writable_folder
from compress.engine.config import CGPConfig
from compress.errors import CompressError
from compress.experiments.layout import CONFIG_FILE, batch_start_run
from compress.settings import Settings

if TYPE_CHECKING:
    from compress.experiments.rerun import FolderPlan


@dataclass(frozen=True)
class PreparedJob:
    """A sub-experiment (or batch) folder ready to run, and the runs ``[start_run, end_run)`` it owns."""

    name: str
    folder: Path
    start_run: int
    end_run: int
    population_max: int | None = None

    @property
    def run_numbers(self) -> range:
        """Run numbers as used in result file names (1-based)."""
        return range(self.start_run + 1, self.end_run + 1)


def run_range(config: CGPConfig) -> tuple[int, int]:
    """Runs a config owns: ``start_run`` (command-line only) up to ``number_of_runs`` (exclusive).

    That is the original's batch convention: batch i of a split has ``start_run = i * step`` and
    ``number_of_runs = start_run + step``.
    """
    start = int(config.get("start_run", 0) or 0)
    end = config.get_int("number_of_runs", 30)
    if end <= start:
        raise CompressError(f"config owns no runs: start_run {start} >= number_of_runs {end}")
    return start, end


def job_from_folder(folder: Path, name: str | None = None) -> PreparedJob:
    """A job for an already prepared folder (``train_cgp.config`` + data), e.g. hand-made or old."""
    folder = Path(folder).resolve()
    config_path = folder / CONFIG_FILE
    if not config_path.is_file():
        raise CompressError(
            f"{folder} has no train_cgp.config; prepare it with <experiment>:train-pbs"
        )
    config = CGPConfig.load(config_path)
    start, end = run_range(config)
    batch = _batch_start(folder, end)
    if batch is not None:
        start = batch
    population = config.get("population_max")
    return PreparedJob(
        name=name or folder.name,
        folder=folder,
        start_run=start,
        end_run=end,
        population_max=int(population) if population is not None else None,
    )


def _batch_start(folder: Path, end: int) -> int | None:
    """The first run of a batch folder whose config ends at ``end``: its batch index from the
    sidecar, else (the original's folders) from the ``<name>_batch_<i>`` name."""
    from compress.experiments.sidecar import read_sidecar

    sidecar = read_sidecar(folder)
    if sidecar is not None:
        index = (sidecar.get("factors") or {}).get("batch")
        return None if index is None else batch_start_run(int(index), end)
    head, sep, text = folder.name.rpartition("_batch_")
    if not sep or not text.isdigit():
        return None
    return batch_start_run(int(text), end)


def experiment_name_of(args: argparse.Namespace) -> str:
    """The ``<experiment>`` part of the command, whichever attribute the command parser used."""
    for attribute in ("experiment_name", "experiment_type", "experiment_class_name"):
        value = getattr(args, attribute, None)
        if isinstance(value, str) and value:
            return value
    command = getattr(args, "command", None)
    if isinstance(command, str) and ":" in command:
        return command.split(":", 1)[0]
    raise CompressError("cannot tell which experiment this command is for")


def experiment_env_of(
    args: argparse.Namespace, settings: Settings, *, writable: bool = True
) -> Path:
    """``--experiment-env`` (else the configured experiments root); when the command writes
    there, refused if it cannot be written (a file, a read-only folder) before anything is."""
    value = getattr(args, "experiment_env", None)
    root = Path(value) if value else settings.experiments_root
    return require_writable_folder(root, "--experiment-env") if writable else root


@dataclass
class ExperimentPlan:
    """The folders a generation command will write, planned in memory: nothing is on disk yet,
    so a bad option found while the job scripts are rendered leaves no half-prepared folder."""

    name: str
    top: Path
    folder_plans: list[FolderPlan]
    jobs: list[PreparedJob]

    def write_folders(self) -> None:
        """Write every sub-experiment (or batch) folder by the rerun rules
        (:mod:`compress.experiments.rerun`: new, kept and resumed, or superseded with --force)."""
        from compress.experiments.rerun import apply_plan

        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        for folder_plan in self.folder_plans:
            folder_plan.folder.parent.mkdir(parents=True, exist_ok=True)
            apply_plan(folder_plan, stamp)


def plan_experiment(args: argparse.Namespace, settings: Settings) -> ExperimentPlan:
    """Every sub-experiment (or batch) folder under ``<experiment-env>/<experiment>/``, planned.

    The jobs come in sub-experiment order; their folders are where they will be written.
    """
    from compress.experiments.registry import build_experiment
    from compress.experiments.rerun import plan_folders

    name = experiment_name_of(args)
    env = experiment_env_of(args, settings)
    experiment = build_experiment(name, args, settings, prepare=True)
    top = (env / getattr(experiment, "name", name)).resolve()
    subs = experiment.sub_experiments()
    jobs: list[PreparedJob] = []
    folder_plans = plan_folders(
        subs,
        top,
        force=getattr(args, "force", False),
        command=f"{name}:{getattr(args, 'action', 'train-pbs')}",
    )
    for sub in subs:
        start, end = run_range(sub.config)
        population = sub.config.get("population_max")
        jobs.append(
            PreparedJob(
                name=sub.name,
                folder=top / sub.name,
                start_run=start,
                end_run=end,
                population_max=int(population) if population is not None else None,
            )
        )
    if not jobs:
        raise CompressError(f"experiment {name} produced no sub-experiments; check its options")
    return ExperimentPlan(getattr(experiment, "name", name), top, folder_plans, jobs)


def write_all_or_nothing(plan: ExperimentPlan, scripts: dict[Path, str]) -> list[Path]:
    """Write the planned folders, then the rendered ``scripts`` (path -> text, made executable).

    Everything that can be refused was checked while rendering; should writing still fail
    (disk full, a folder vanishing), the folders this call created are removed again, so a
    failed command leaves the experiment environment as it found it. Existing folders are
    never removed (they may hold results).
    """
    from compress.cluster.jobs import write_script

    created = [path for path in [plan.top, *(job.folder for job in plan.jobs)] if not path.exists()]
    try:
        plan.write_folders()
        return [write_script(path, text) for path, text in scripts.items()]
    except BaseException:
        for path in reversed(created):
            shutil.rmtree(path, ignore_errors=True)
        raise
