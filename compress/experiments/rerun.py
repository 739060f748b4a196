"""Rerun rules shared by ``train``, ``train-pbs`` and ``train-slurm``.

Preparing a sub-experiment into a folder that already holds one compares the effective settings
(the engine config as it would be written, the sha256 of ``train.data`` and of the model
checkpoint) with what the folder was made from:

- the same settings: the folder is kept as it is and its runs resume or are skipped;
- other settings: refused before anything is written, one line per difference and the two ways
  out; with ``--force`` the old folder (and its model-metrics results) is moved into
  ``<experiment folder>/superseded/<UTC time>/`` (nothing is deleted) and prepared afresh;
- more runs than the folder has: the folder is extended (and says so); fewer runs than already
  finished: reported, the finished runs are kept.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from compress.engine.config import CLI_ONLY_KEYS, CGPConfig, Value, format_value
from compress.errors import CompressError
from compress.experiments.layout import (
    ENVIRONMENT_PATHS,
    MODEL_METRICS_DIR,
    SUPERSEDED_DIR,
    SubExperimentPaths,
)
from compress.experiments.sidecar import read_sidecar, sha256_file, sha256_text, write_sidecar
from compress.experiments.sub_experiment import SubExperiment

RUN_CONTROL_KEYS = frozenset({"checkpoint_every", "time_budget", "statistics_chromosomes"})
"""Config keys that drive a run without defining the experiment: the checkpoint interval, and
the wall-clock budget (a run under a budget is not reproducible anyway, and resuming with
another budget is how an interrupted run is finished), and how statistics rows store chromosomes
(full or delta: the first row after a resume is written in full again, so either form reads)."""
UNUSED_KEYS = frozenset({"learning_rate", "learning_rate_file"})
"""Keys the original's configs carry that no engine reads."""
NOT_COMPARED = (
    frozenset(ENVIRONMENT_PATHS)
    | CLI_ONLY_KEYS
    | RUN_CONTROL_KEYS
    | UNUSED_KEYS
    | {"number_of_runs"}
)
"""Paths are the layout's (the original's folders hold absolute ones); run counts have their
own rule."""


def add_force_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--force",
        action="store_true",
        help="when a sub-experiment folder exists with other settings, move it into "
        f"<experiment folder>/{SUPERSEDED_DIR}/<time>/ (nothing is deleted) and start again",
    )


def _shown(value: Value | None) -> str:
    return "(not set)" if value is None else format_value(value)


def config_differences(existing: CGPConfig, planned: CGPConfig) -> list[str]:
    """``key: old → new`` for every compared key whose value differs."""
    keys = list(existing) + [key for key in planned if key not in existing]
    lines = []
    for key in keys:
        if key in NOT_COMPARED:
            continue
        old, new = existing.get(key), planned.get(key)
        if _shown(old) != _shown(new):
            lines.append(f"{key}: {_shown(old)} → {_shown(new)}")
    return lines


@dataclass
class FolderPlan:
    """What preparing one sub-experiment into ``folder`` will do."""

    sub: SubExperiment
    folder: Path
    exists: bool = False
    differences: list[str] = field(default_factory=list)
    existing_config: CGPConfig | None = None
    finished: list[int] = field(default_factory=list)

    @property
    def paths(self) -> SubExperimentPaths:
        return SubExperimentPaths(self.folder)


def plan_folder(sub: SubExperiment, folder: Path) -> FolderPlan:
    """Compare ``sub`` with what ``folder`` holds (nothing is written)."""
    paths = SubExperimentPaths(Path(folder))
    plan = FolderPlan(sub, Path(folder))
    if not paths.config.is_file():
        return plan
    plan.exists = True
    existing = CGPConfig.load(paths.config)
    plan.existing_config = existing
    plan.differences = config_differences(existing, sub.environment_config())
    if paths.train_data.is_file():
        old_data, new_data = sha256_file(paths.train_data), sha256_text(sub.train_data_text())
        if old_data != new_data:
            plan.differences.append(
                f"train.data: sha256 {old_data[:12]}… → {new_data[:12]}… "
                "(the weights the experiment selects from the model differ)"
            )
    sidecar = read_sidecar(paths.folder)
    old_model = (sidecar or {}).get("model") or {}
    new_model = sub.experiment.model_identity()
    if old_model.get("sha256") and old_model.get("sha256") != new_model.get("sha256"):
        plan.differences.append(
            f"model checkpoint: {old_model.get('checkpoint')} (sha256 {old_model['sha256'][:12]}…)"
            f" → {new_model.get('checkpoint')} (sha256 {(new_model.get('sha256') or '?')[:12]}…)"
        )
    start = int(sub.config.cli_only.get("start_run", 0))
    end = existing.get_int("number_of_runs", 30)
    plan.finished = paths.finished_runs(range(start + 1, end + 1))
    return plan


def plan_folders(
    subs: list[SubExperiment], root: Path, *, force: bool, command: str
) -> list[FolderPlan]:
    """Plan every sub-experiment under ``root``; refuse (nothing written) when any folder holds
    other settings and ``force`` is off."""
    plans = [plan_folder(sub, Path(root) / sub.name) for sub in subs]
    changed = [plan for plan in plans if plan.differences]
    if changed and not force:
        lines = [
            f"{command}: {len(changed)} sub-experiment folder(s) in {root} hold other settings; "
            "nothing was written:"
        ]
        for plan in changed:
            lines.append(f"  {plan.sub.name}:")
            lines += [f"    {difference}" for difference in plan.differences]
        lines.append(
            "  keep both: use a new --experiment-env DIR or a --suffix TEXT; or pass --force to "
            f"move the old results into {Path(root) / SUPERSEDED_DIR}/<time>/ and start again"
        )
        raise CompressError("\n".join(lines))
    return plans


def supersede(folder: Path, stamp: str) -> Path:
    """Move ``folder`` and its model-metrics results into ``superseded/<stamp>/`` beside it."""
    root = folder.parent
    target_root = root / SUPERSEDED_DIR / stamp
    target_root.mkdir(parents=True, exist_ok=True)
    target = target_root / folder.name
    folder.rename(target)
    metrics = root / MODEL_METRICS_DIR
    if metrics.is_dir():
        pattern = re.compile(rf"^[^.]+\.[^.]+\.{re.escape(folder.name)}\.\d+\.csv(\..+)?$")
        for path in metrics.iterdir():
            if pattern.match(path.name):
                (target_root / MODEL_METRICS_DIR).mkdir(exist_ok=True)
                shutil.move(str(path), target_root / MODEL_METRICS_DIR / path.name)
    return target


def apply_plan(plan: FolderPlan, stamp: str) -> None:
    """Write a new folder, or supersede a changed one and write it afresh, or keep an equal one
    (adjusting its run count); ``plan.sub.config`` ends up as the folder's config."""
    sub = plan.sub
    if plan.exists and plan.differences:
        moved = supersede(plan.folder, stamp)
        print(f"{sub.name}: other settings; old folder moved to {moved}", file=sys.stderr)
    if not plan.exists or plan.differences:
        sub.write_environment(plan.folder)
        return
    config = plan.existing_config
    assert config is not None
    wanted = sub.config.get_int("number_of_runs", 30)
    have = config.get_int("number_of_runs", 30)
    last_finished = max(plan.finished, default=0)
    runs = max(wanted, last_finished)
    if wanted > have:
        print(f"{sub.name}: extending from {have} to {wanted} runs", file=sys.stderr)
    elif wanted < last_finished:
        print(
            f"{sub.name}: {wanted} run(s) asked for, but runs up to {last_finished} already "
            f"finished ({len(plan.finished)} finished); all are kept (--force starts again)",
            file=sys.stderr,
        )
    if runs != have:
        config["number_of_runs"] = runs
        config.save(plan.paths.config)
        sidecar = read_sidecar(plan.folder)
        if sidecar is not None:
            sidecar.setdefault("engine_config", {})["number_of_runs"] = runs
            write_sidecar(plan.folder, sidecar)
    elif not plan.paths.sidecar.is_file():
        write_sidecar(
            plan.folder, sub.sidecar_data(sub.environment_config(), sub.train_data_text())
        )
    config.cli_only.update(sub.config.cli_only)
    config.path = plan.paths.config
    sub.config = config


def prepare_folders(
    subs: list[SubExperiment], root: Path, *, force: bool, command: str
) -> list[FolderPlan]:
    """:func:`plan_folders`, then :func:`apply_plan` on each (one ``superseded`` time stamp)."""
    plans = plan_folders(subs, root, force=force, command=command)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for plan in plans:
        apply_plan(plan, stamp)
    return plans
