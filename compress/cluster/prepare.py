"""Prepared job folders: what both schedulers' script writers start from.

The experiments code decides *what* a sub-experiment is (config, train data, gate parameters);
this module only asks it to write each one into its folder with relative paths (so the folder can
be copied to a cluster) and records which runs each folder owns.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from compress.engine.config import CGPConfig
from compress.errors import CompressError
from compress.experiments.layout import CONFIG_FILE, batch_start_run
from compress.settings import Settings


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


def experiment_env_of(args: argparse.Namespace, settings: Settings) -> Path:
    value = getattr(args, "experiment_env", None)
    return Path(value) if value else settings.experiments_root


def prepare_experiment(
    args: argparse.Namespace, settings: Settings
) -> tuple[str, Path, list[PreparedJob]]:
    """Write every sub-experiment (or batch) folder under ``<experiment-env>/<experiment>/``.

    Returns the experiment name, that top folder and the jobs in sub-experiment order.
    """
    from compress.experiments.registry import build_experiment
    from compress.experiments.rerun import prepare_folders

    name = experiment_name_of(args)
    experiment = build_experiment(name, args, settings, prepare=True)
    top = (experiment_env_of(args, settings) / getattr(experiment, "name", name)).resolve()
    jobs: list[PreparedJob] = []
    plans = prepare_folders(
        experiment.sub_experiments(),
        top,
        force=getattr(args, "force", False),
        command=f"{name}:{getattr(args, 'action', 'train-pbs')}",
    )
    for plan in plans:
        sub, folder = plan.sub, plan.folder
        start, end = run_range(sub.config)
        population = sub.config.get("population_max")
        jobs.append(
            PreparedJob(
                name=sub.name,
                folder=folder,
                start_run=start,
                end_run=end,
                population_max=int(population) if population is not None else None,
            )
        )
    if not jobs:
        raise CompressError(f"experiment {name} produced no sub-experiments; check its options")
    return getattr(experiment, "name", name), top, jobs
