"""Finding the sub-experiment folders an experiment already wrote (evaluate, model-metrics).

A folder with an ``experiment.json`` sidecar is rebuilt from it (its name may have changed since:
copied, renamed); the original's folders, which have none, are parsed back from their names.
"""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

from compress.engine.config import CGPConfig
from compress.errors import CompressError
from compress.experiments.layout import CONFIG_FILE, NOT_SUB_EXPERIMENTS, batch_start_run
from compress.experiments.sidecar import read_sidecar
from compress.experiments.sub_experiment import ExperimentSource, SubExperiment

_BATCH = re.compile(r"_batch_(\d+)$")


def results_folder(experiment: ExperimentSource) -> Path:
    """Where this experiment's sub-experiment folders are (for evaluate/model-metrics)."""
    path = getattr(experiment.args, "experiment_path", None)
    if path:
        return Path(path)
    env = getattr(experiment.args, "experiment_env", None)
    candidates = [Path(env) / experiment.name] if env else []
    candidates += [
        experiment.settings.experiments_root / experiment.name,
        experiment.settings.datastore / experiment.name,
    ]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise CompressError(
        f"no results folder for {experiment.name}: looked in "
        f"{', '.join(str(c) for c in candidates)}; pass --experiment-path"
    )


def folder_fields(experiment: ExperimentSource, path: Path) -> tuple[dict, int | None] | None:
    """(name fields, batch index) of a folder: from its sidecar, else from its name; ``None``
    when the folder is not one of this experiment's sub-experiments."""
    sidecar = read_sidecar(path)
    if sidecar is not None:
        if sidecar.get("experiment") != experiment.name:
            return None
        name = path.name
        if not (name.startswith(experiment.prefix) and name.endswith(experiment.suffix)):
            return None
        return dict(sidecar.get("name_fields") or {}), (sidecar.get("factors") or {}).get("batch")
    fields = experiment.parse_name(path.name)
    if fields is None:
        return None
    match = _BATCH.search(path.name)
    return fields, int(match.group(1)) if match else None


def discover(experiment: ExperimentSource, folder: Path) -> list[SubExperiment]:
    """Rebuild the sub-experiments whose folders (with ``train_cgp.config``) are in ``folder``,
    filtered by the ``--experiment`` globs."""
    if not folder.is_dir():
        raise CompressError(f"experiment folder {folder} does not exist")
    globs = list(getattr(experiment.args, "experiment", None) or []) or ["*"]
    subs = []
    for path in sorted(p for p in folder.iterdir() if p.is_dir()):
        if path.name in NOT_SUB_EXPERIMENTS:
            continue
        if not any(fnmatch.fnmatch(path.name, pattern) for pattern in globs):
            continue
        found = folder_fields(experiment, path)
        if found is None:
            continue
        fields, batch = found
        config_path = path / CONFIG_FILE
        if not config_path.is_file():
            raise CompressError(
                f"{path} has no {CONFIG_FILE}; it is not a complete experiment folder "
                "(restore the file or exclude the folder with --experiment)"
            )
        sub = experiment.make_sub(fields, folder_config=CGPConfig.load(config_path))
        sub.name = path.name
        sub.batch = batch
        if batch is not None and "start_run" not in sub.config.cli_only:
            start = batch_start_run(int(batch), sub.config.get_int("number_of_runs", 30))
            if start:
                sub.config.cli_only["start_run"] = start
        subs.append(sub)
    if not subs:
        raise CompressError(
            f"no {experiment.name} sub-experiment folders matching {' '.join(globs)} in {folder} "
            f"(names like {experiment.prefix}{experiment.name_format}{experiment.suffix} "
            f"with a {CONFIG_FILE})"
        )
    return subs
