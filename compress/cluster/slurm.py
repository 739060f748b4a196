"""Slurm job arrays: one ``train.sbatch`` per experiment, task ``$SLURM_ARRAY_TASK_ID`` per folder.

The engine runs as a job step (``srun``) so that ``#SBATCH --signal=TERM@S`` (sent to steps S
seconds before the time limit) and ``scancel --signal=TERM`` both reach it; it then writes its
checkpoint and exits 33, the batch script copies everything back, and a resubmitted task resumes.
Results stay in each folder (Slurm sites share the file system), staged through node-local scratch.
"""

from __future__ import annotations

import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

from compress.cluster.jobs import (
    CHECKPOINT_EVERY_S,
    CHECKPOINT_MARGIN_S,
    DEFAULT_SLURM_TEMPLATE,
    JobEntry,
    engine_threads,
    job_name,
    parse_memory_mb,
    parse_walltime,
    read_template,
    render_template,
    slurm_time,
    write_script,
)
from compress.cluster.prepare import PreparedJob
from compress.errors import CompressError
from compress.experiments.layout import FINISHED_RUN_SHELL

SLURM_SCRIPT = "train.sbatch"
SUBMIT_SCRIPT = "submit.sh"
SLURM_SIGNAL_MAX_S = 65535


@dataclass(frozen=True)
class SlurmOptions:
    time_limit: str
    template: Path = DEFAULT_SLURM_TEMPLATE
    mem: str = "2gb"
    cpu: int | None = None
    threads: int | None = None
    cgp_binary: Path | None = None
    partition: str | None = None
    account: str | None = None
    cgp_args: tuple[str, ...] = ()
    checkpoint_every: int = CHECKPOINT_EVERY_S
    checkpoint_margin: int = CHECKPOINT_MARGIN_S
    max_parallel: int | None = None


def array_spec(indices: list[int], max_parallel: int | None = None) -> str:
    """``[0, 1, 2, 5]`` -> ``0-2,5`` (optionally ``%N`` to cap running tasks)."""
    if not indices:
        raise CompressError("no array tasks to submit")
    parts: list[str] = []
    ordered = sorted(set(indices))
    start = previous = ordered[0]
    for index in ordered[1:] + [None]:
        if index is not None and index == previous + 1:
            previous = index
            continue
        parts.append(str(start) if start == previous else f"{start}-{previous}")
        if index is not None:
            start = previous = index
    return ",".join(parts) + (f"%{max_parallel}" if max_parallel else "")


def render_slurm_jobs(
    experiment: str, top: Path, jobs: list[PreparedJob], options: SlurmOptions, cgp_binary: Path
) -> dict[Path, str]:
    """``train.sbatch`` and ``submit.sh`` of the experiment folder, rendered in memory.

    Every option is checked here, before any folder or script is written.
    """
    seconds = parse_walltime(options.time_limit)
    cpu = max(
        engine_threads(job.folder, job.population_max or 1, options.cpu, options.threads)
        for job in jobs
    )
    parse_memory_mb(options.mem)
    margin = max(1, min(options.checkpoint_margin, seconds // 4, SLURM_SIGNAL_MAX_S))
    directives = []
    if options.partition:
        directives.append(f"#SBATCH --partition={options.partition}")
    if options.account:
        directives.append(f"#SBATCH --account={options.account}")
    entries = [
        JobEntry(job.folder.relative_to(top).as_posix(), job.start_run, job.end_run) for job in jobs
    ]
    values = {
        "job_name": job_name(experiment),
        "array": array_spec(list(range(len(entries))), options.max_parallel),
        "time_limit": slurm_time(seconds),
        "mem": f"{parse_memory_mb(options.mem)}M",
        "cpu": cpu,
        "signal_seconds": margin,
        "extra_directives": "\n".join(directives),
        "cgp_binary": str(cgp_binary),
        "cgp_args": shlex.join(options.cgp_args),
        "checkpoint_every": options.checkpoint_every,
        "run_finished_function": FINISHED_RUN_SHELL,
        "jobs": "\n".join(entry.line() for entry in entries),
        "experiment": experiment,
    }
    template = read_template(options.template)
    sbatch = render_template(template, values, include_from=(Path(options.template).parent,))
    return {top / SLURM_SCRIPT: sbatch, top / SUBMIT_SCRIPT: _submit_helper()}


def write_slurm_jobs(
    experiment: str, top: Path, jobs: list[PreparedJob], options: SlurmOptions, cgp_binary: Path
) -> Path:
    """Write ``train.sbatch`` and ``submit.sh`` into the experiment folder; return the sbatch file."""
    scripts = render_slurm_jobs(experiment, top, jobs, options, cgp_binary)
    for path, text in scripts.items():
        write_script(path, text)
    (top / "slurm_logs").mkdir(exist_ok=True)
    return top / SLURM_SCRIPT


def _submit_helper() -> str:
    return """#!/usr/bin/env bash
# Submit this experiment's Slurm job array from its own folder (the tasks find their folders
# relative to it). Extra arguments go to sbatch, e.g. `./submit.sh --array=3,7` to rerun tasks.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p slurm_logs
exec sbatch "$@" train.sbatch
"""


def submit(top: Path, indices: list[int] | None = None, env: dict[str, str] | None = None) -> str:
    """Submit (part of) the array with ``sbatch --parsable``; return the array job id."""
    command = ["sbatch", "--parsable"]
    if indices is not None:
        command.append(f"--array={array_spec(indices)}")
    command.append(SLURM_SCRIPT)
    (top / "slurm_logs").mkdir(exist_ok=True)
    try:
        result = subprocess.run(
            command, cwd=top, capture_output=True, text=True, env=env, check=False
        )
    except FileNotFoundError:
        raise CompressError("sbatch not found: run this on a Slurm login node") from None
    if result.returncode != 0:
        raise CompressError(f"sbatch failed: {result.stderr.strip() or result.stdout.strip()}")
    return result.stdout.strip().split(";")[0]


def entries_of(script: Path) -> list[JobEntry]:
    """Read the task table back from a generated script (PBS or Slurm)."""
    entries = []
    inside = False
    for line in script.read_text(encoding="utf-8").splitlines():
        if line.startswith("JOBS=("):
            inside = True
            continue
        if inside:
            if line.startswith(")"):
                break
            words = line.strip().strip('"').split()
            if len(words) == 3:
                entries.append(JobEntry(words[0], int(words[1]), int(words[2])))
    return entries
