"""Job-script generation shared by PBS and Slurm.

A cluster job is one prepared sub-experiment folder (or one batch of its runs) plus the range of
runs it owns. Both schedulers get the same engine invocation: the binary built once (no per-job
compilation: error metric and the rest are run-time flags now), threads from the allocation, a
checkpoint file per run so a job stopped at its time limit resumes when resubmitted.

Templates follow the original's convention so users' own templates keep working: the lines up to
``# PYTHON TEMPLATE END`` are filled with :class:`string.Template` (repeated until nothing
changes, so a value may itself contain ``${...}``), the marker is dropped, the rest is copied.
"""

from __future__ import annotations

import os
import re
import shlex
import stat
from dataclasses import dataclass
from pathlib import Path
from string import Template

from compress.atomic import write_text_atomic
from compress.errors import CompressError

TEMPLATE_END = "# PYTHON TEMPLATE END"
TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "experiments"
DEFAULT_PBS_TEMPLATE = TEMPLATES_DIR / "job.pbs"
DEFAULT_SLURM_TEMPLATE = TEMPLATES_DIR / "job.sbatch"

CHECKPOINT_EVERY_S = 600
"""Periodic checkpoints bound the work lost to a hard kill (node failure, SIGKILL)."""
CHECKPOINT_MARGIN_S = 300
"""How long before the time limit the engine is told to checkpoint and stop."""


@dataclass(frozen=True)
class JobEntry:
    """One (array) task: a folder relative to the job's base and its runs ``[start, end)``."""

    folder: str
    start_run: int
    end_run: int

    def line(self) -> str:
        return f'    "{self.folder} {self.start_run} {self.end_run}"'

    @property
    def run_numbers(self) -> range:
        """Run numbers as they appear in file names (1-based)."""
        return range(self.start_run + 1, self.end_run + 1)


def render_template(text: str, values: dict[str, object]) -> str:
    """Fill the part above the template end marker; keep the rest verbatim, LF line endings."""
    lines = text.replace("\r\n", "\n").split("\n")
    try:
        end = next(i for i, line in enumerate(lines) if line.strip() == TEMPLATE_END)
    except StopIteration:
        end = None
    head = "\n".join(lines if end is None else lines[:end])
    tail = "" if end is None else "\n".join(lines[end + 1 :])
    mapping = {key: str(value) for key, value in values.items()}
    for _ in range(10):
        filled = Template(head).safe_substitute(mapping)
        if filled == head:
            break
        head = filled
    return head + ("\n" + tail if end is not None else "\n")


def read_template(path: Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise CompressError(f"cannot read job template {path}: {error.strerror}") from None


_WALLTIME = re.compile(r"^(?:(?P<days>\d+)-)?(?P<parts>\d+(?::\d+){0,2})$")


def parse_walltime(text: str) -> int:
    """``48:00:00`` / ``2-00:00:00`` / ``90:00`` / ``3600`` -> seconds (PBS and Slurm forms)."""
    match = _WALLTIME.match(text.strip())
    if match is None:
        raise CompressError(f"time limit {text!r} is not HH:MM:SS (e.g. 48:00:00 or 2-00:00:00)")
    numbers = [int(part) for part in match["parts"].split(":")]
    if any(number >= 60 for number in numbers[1:]):
        raise CompressError(f"time limit {text!r}: minutes and seconds must be below 60")
    while len(numbers) < 3:
        numbers.insert(0, 0)
    hours, minutes, seconds = numbers
    total = int(match["days"] or 0) * 86400 + hours * 3600 + minutes * 60 + seconds
    if total <= 0:
        raise CompressError(f"time limit {text!r} must be positive")
    return total


def format_walltime(seconds: int) -> str:
    """Seconds -> ``HH:MM:SS`` (hours may exceed 24, which PBS accepts)."""
    hours, rest = divmod(seconds, 3600)
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


def slurm_time(seconds: int) -> str:
    """Seconds -> ``D-HH:MM:SS``, the unambiguous Slurm form."""
    days, rest = divmod(seconds, 86400)
    return f"{days}-{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"


_MEMORY = re.compile(r"^(?P<number>\d+)\s*(?P<unit>[kmgt]?)b?$", re.IGNORECASE)


def parse_memory_mb(text: str) -> int:
    """``2gb`` / ``500mb`` / ``2G`` / ``1024`` (MB) -> megabytes."""
    match = _MEMORY.match(text.strip())
    if match is None:
        raise CompressError(f"memory {text!r} is not a size like 2gb, 500mb or 4G")
    factor = {"": 1, "k": 1 / 1024, "m": 1, "g": 1024, "t": 1024 * 1024}[match["unit"].lower()]
    megabytes = int(int(match["number"]) * factor)
    if megabytes <= 0:
        raise CompressError(f"memory {text!r} must be at least 1mb")
    return megabytes


def pbs_size(text: str) -> str:
    """A size in PBS notation (``2gb``), validated."""
    megabytes = parse_memory_mb(text)
    return f"{megabytes // 1024}gb" if megabytes % 1024 == 0 else f"{megabytes}mb"


def job_name(text: str, prefix: str = "cgp_") -> str:
    """A scheduler-safe job name: letters, digits, ``_ . -``; starts with a letter (PBS rule)."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]", "_", text.replace("/", "_"))
    return (prefix + cleaned)[:200]


def shell_words(words: list[str]) -> str:
    return shlex.join(words)


def write_script(path: Path, text: str) -> Path:
    """Write atomically and make executable (users run ``qsub``/``bash`` on it)."""
    write_text_atomic(path, text)
    mode = path.stat().st_mode
    path.chmod(mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def compress_invocation() -> str:
    """How a generated script calls this CLI: the interpreter that runs us now, and our entry point.

    Cluster nodes share the file system with the login node on both MetaCentrum and typical
    Slurm sites, so the absolute paths of the generating checkout are the right default; both
    can be overridden in the job's environment (``COMPRESS_PYTHON``, ``COMPRESS_HOME``).
    """
    import sys

    return shlex.quote(sys.executable)


def repository_root() -> Path:
    return Path(__file__).resolve().parents[2]


def relative_or_absolute(path: Path, base: Path) -> str:
    try:
        return os.path.relpath(path, base)
    except ValueError:
        return str(path)
