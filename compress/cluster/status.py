"""Where every run of a cluster experiment stands: finished, running, failed or never started.

Read from the files the job scripts leave, so it works for PBS and Slurm alike (and for folders
the original wrote): ``jobs_info.txt`` (one line per start), ``exit_code`` (written when a job
ends, removed when one starts), ``complete`` (success marker), ``cgp_configs/cgp.{run}.config``
and ``weights/weights.{run}.txt`` (a finished run, by the one rule of
:mod:`compress.experiments.layout`), ``checkpoints/`` (a run that can resume) and
``submitted_job`` (the id of the last job submitted from here). When ``squeue``/``qstat`` is at
hand, a job whose files say "running" but that the scheduler no longer knows counts as failed
(killed without a chance to write ``exit_code``), and a submitted job the scheduler still has
counts as running (queued).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from compress.atomic import write_text_atomic
from compress.cluster.pbs import PBS_SCRIPT
from compress.cluster.prepare import job_from_folder
from compress.cluster.slurm import SLURM_SCRIPT
from compress.errors import CompressError
from compress.experiments import layout
from compress.experiments.layout import CONFIG_FILE as CONFIG_NAME
from compress.experiments.layout import SubExperimentPaths

FINISHED, RUNNING, FAILED, NEVER_STARTED = "finished", "running", "failed", "never started"
STATES = (FINISHED, RUNNING, FAILED, NEVER_STARTED)
SUBMITTED_MARKER = "submitted_job"
"""The id of the job last submitted for a folder (written by ``--submit``/``resubmit``): a job
waiting in the queue has no ``jobs_info.txt`` line yet, but must not be submitted twice."""


@dataclass
class FolderStatus:
    """One job folder: its job state and the state of each run (1-based run number)."""

    name: str
    folder: Path
    job: str
    runs: dict[int, str] = field(default_factory=dict)
    exit_code: int | None = None
    job_id: str | None = None
    resumable: list[int] = field(default_factory=list)
    job_folder: Path | None = None
    """Where the job script and markers are, when not in ``folder`` (PBS: ``experiments_folder``)."""

    def counts(self) -> Counter:
        return Counter(self.runs.values())

    @property
    def needs_submission(self) -> bool:
        """Unfinished and not running: what ``resubmit`` sends again."""
        return self.job != RUNNING and any(state != FINISHED for state in self.runs.values())


def last_job_id(folder: Path) -> str | None:
    info = folder / "jobs_info.txt"
    try:
        lines = [line for line in info.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return None
    return lines[-1].split()[0] if lines else None


def scheduler_of(job_folder: Path) -> str | None:
    """``pbs`` for a folder with ``train.pbs.sh``, ``slurm`` under a ``train.sbatch``, else None:
    a PBS job id means nothing to ``squeue`` (and asking it can take its full timeout)."""
    if (job_folder / PBS_SCRIPT).is_file():
        return "pbs"
    if (job_folder.parent / SLURM_SCRIPT).is_file() or (job_folder / SLURM_SCRIPT).is_file():
        return "slurm"
    return None


def scheduler_knows(job_id: str, scheduler: str | None = None) -> bool | None:
    """Is the job queued or running? ``None`` when no scheduler can be asked (no client, no
    controller reachable), so an unreachable scheduler never turns a running job into a failed one.
    ``scheduler`` (``pbs``/``slurm``) picks the client; without it, whichever is installed."""
    if scheduler != "pbs" and shutil.which("squeue"):
        result = _ask(["squeue", "-h", "-j", job_id, "-o", "%T"])
        if result is None:
            return None
        if result.returncode == 0:
            return bool(result.stdout.strip())
        return False if "invalid job id" in result.stderr.lower() else None
    if scheduler != "slurm" and shutil.which("qstat"):
        result = _ask(["qstat", job_id])
        if result is None:
            return None
        if result.returncode == 0:
            return True
        message = result.stderr.lower()
        return False if ("unknown job id" in message or "has finished" in message) else None
    return None


def _ask(command: list[str]) -> subprocess.CompletedProcess | None:
    """Run a scheduler client briefly (squeue retries a missing config for a minute)."""
    try:
        return subprocess.run(command, capture_output=True, text=True, check=False, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None


def record_submission(job_folder: Path, job_id: str) -> None:
    write_text_atomic(Path(job_folder) / SUBMITTED_MARKER, job_id + "\n")


def pending_submission(markers: Path) -> str | None:
    """The id of a job submitted for this folder that the scheduler still has (queued or
    running), unless the folder's end markers are newer than the submission."""
    marker = markers / SUBMITTED_MARKER
    try:
        submitted = marker.stat().st_mtime_ns
        job_id = marker.read_text().strip()
    except OSError:
        return None
    for end in (markers / "exit_code", markers / "complete"):
        if end.exists() and end.stat().st_mtime_ns >= submitted:
            return None
    return job_id if job_id and scheduler_knows(job_id, scheduler_of(markers)) else None


def folder_status(
    folder: Path, *, job_folder: Path | None = None, ask_scheduler: bool = True
) -> FolderStatus:
    """Status of one prepared folder; ``job_folder`` holds the job markers if they live elsewhere
    (PBS: markers in ``experiments_folder``, results in ``results``)."""
    folder = Path(folder)
    markers = Path(job_folder) if job_folder is not None else folder
    job = job_from_folder(folder if (folder / CONFIG_NAME).is_file() else markers)
    job_id = last_job_id(markers) or last_job_id(folder)
    exit_code = _read_int(markers / "exit_code")
    if exit_code is None and markers != folder:
        exit_code = _read_int(folder / "exit_code")
    queued = pending_submission(markers) if ask_scheduler else None
    if queued is not None:
        state, job_id = RUNNING, queued
    elif job_id is None:
        state = NEVER_STARTED
    elif (markers / "complete").exists() or (folder / "complete").exists():
        state = FINISHED
    elif exit_code is not None:
        state = FAILED
    else:
        alive = scheduler_knows(job_id, scheduler_of(markers)) if ask_scheduler else None
        state = FAILED if alive is False else RUNNING
    runs: dict[int, str] = {}
    resumable = []
    paths = SubExperimentPaths(folder)
    for run in job.run_numbers:
        run_state = paths.run_state(run)
        if run_state == layout.FINISHED:
            runs[run] = FINISHED
            continue
        if run_state == layout.CHECKPOINTED:
            resumable.append(run)
        runs[run] = {FINISHED: FAILED, FAILED: FAILED, RUNNING: RUNNING}.get(state, NEVER_STARTED)
    return FolderStatus(
        name=folder.name,
        folder=folder,
        job=state,
        runs=runs,
        exit_code=exit_code,
        job_id=job_id,
        resumable=resumable,
        job_folder=markers,
    )


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def job_folders(root: Path) -> list[Path]:
    """Prepared job folders under ``root`` (the experiment folder), or ``root`` itself."""
    root = Path(root)
    if not root.is_dir():
        raise CompressError(
            f"experiment folder {root} does not exist; pass the folder train-pbs/train-slurm wrote"
        )
    if (root / CONFIG_NAME).is_file():
        return [root]
    folders = sorted(p for p in root.iterdir() if p.is_dir() and (p / CONFIG_NAME).is_file())
    return sorted(folders, key=_natural_key)


def _natural_key(path: Path) -> list:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]


def pbs_results_of(root: Path) -> Path | None:
    """The PBS results folder of the experiment folder ``root``, as its job scripts write it.

    A ``train.pbs.sh`` copies results from ``<workspace>/<EXPERIMENTS_FOLDER>/<experiment>`` to
    ``<workspace>/<RESULTS_FOLDER>/<experiment>``; when ``root`` sits in such an experiments
    folder and the results folder exists beside it, that is where the runs are.
    """
    root = Path(root)
    scripts = sorted(root.glob(f"*/{PBS_SCRIPT}")) or sorted(root.glob(PBS_SCRIPT))
    if not scripts:
        return None
    values = dict(_SCRIPT_VALUE.findall(scripts[0].read_text(encoding="utf-8", errors="replace")))
    experiments, results = values.get("EXPERIMENTS_FOLDER"), values.get("RESULTS_FOLDER")
    if not experiments or not results or root.parent.name != experiments:
        return None
    candidate = root.parent.parent / results / root.name
    return candidate if candidate.is_dir() else None


_SCRIPT_VALUE = re.compile(r'^(EXPERIMENTS_FOLDER|RESULTS_FOLDER)="([^"$]*)"$', re.MULTILINE)


def experiment_status(
    root: Path, *, results: Path | None = None, ask_scheduler: bool = True
) -> list[FolderStatus]:
    """Status of every job folder under ``root``; with ``results`` (PBS), runs are read there.

    Without ``results``, a PBS experiment's results folder is found from its job scripts
    (:func:`pbs_results_of`).
    """
    if results is None:
        results = pbs_results_of(root)
    statuses = []
    for folder in job_folders(root):
        if results is not None and (results / folder.name).is_dir():
            statuses.append(
                folder_status(results / folder.name, job_folder=folder, ask_scheduler=ask_scheduler)
            )
        else:
            statuses.append(folder_status(folder, ask_scheduler=ask_scheduler))
    return statuses


def format_status(statuses: list[FolderStatus]) -> str:
    """A table: folder, job state, then run counts per state; totals last."""
    width = max([len("folder")] + [len(s.name) for s in statuses])
    header = f"{'folder':<{width}}  {'job':<13}  " + "  ".join(f"{state:>13}" for state in STATES)
    lines = [header, "-" * len(header)]
    total: Counter = Counter()
    for status in statuses:
        counts = status.counts()
        total.update(counts)
        job = status.job if status.exit_code in (None, 0) else f"{status.job} ({status.exit_code})"
        note = f"  resumable: {','.join(map(str, status.resumable))}" if status.resumable else ""
        lines.append(
            f"{status.name:<{width}}  {job:<13}  "
            + "  ".join(f"{counts.get(state, 0):>13}" for state in STATES)
            + note
        )
    lines.append("-" * len(header))
    lines.append(
        f"{'total':<{width}}  {'':<13}  "
        + "  ".join(f"{total.get(state, 0):>13}" for state in STATES)
    )
    return "\n".join(lines)
