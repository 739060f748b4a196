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
TEMPLATE_INCLUDE = "# PYTHON TEMPLATE INCLUDE "
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


def render_template(
    text: str, values: dict[str, object], *, include_from: tuple[Path, ...] = ()
) -> str:
    """Fill the part above the template end marker; keep the rest verbatim, LF line endings.

    Below the marker a line ``# PYTHON TEMPLATE INCLUDE <file>`` is replaced by that file's text
    (looked up in ``include_from``, then beside the shipped templates): the PBS and Slurm
    templates share their job body this way, and every generated script is still one file.
    """
    lines = text.replace("\r\n", "\n").split("\n")
    try:
        end = next(i for i, line in enumerate(lines) if line.strip() == TEMPLATE_END)
    except StopIteration:
        end = None
    head = "\n".join(lines if end is None else lines[:end])
    tail = "" if end is None else _include(lines[end + 1 :], (*include_from, TEMPLATES_DIR))
    mapping = {key: str(value) for key, value in values.items()}
    for _ in range(10):
        filled = Template(head).safe_substitute(mapping)
        if filled == head:
            break
        head = filled
    return head + ("\n" + tail if end is not None else "\n")


def _include(lines: list[str], folders: tuple[Path, ...]) -> str:
    out = []
    for line in lines:
        if not line.startswith(TEMPLATE_INCLUDE):
            out.append(line)
            continue
        name = line[len(TEMPLATE_INCLUDE) :].strip()
        path = next((folder / name for folder in folders if (folder / name).is_file()), None)
        if path is None:
            raise CompressError(
                f"job template includes {name}, which is in none of "
                f"{', '.join(str(f) for f in folders)}"
            )
        out.append(read_template(path).replace("\r\n", "\n").rstrip("\n"))
    return "\n".join(out)


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


def engine_threads(
    folder: Path, population_max: int | None, cpu: int | None, threads: int | None
) -> int:
    """CPUs a job requests, which is also the engine's thread count stated in its script.

    ``--cpu`` wins, else ``--threads`` when not 0 ("all cores" means nothing on a shared node),
    else the config's ``population_max`` (the original's rule: one thread per offspring).
    """
    if cpu is not None and threads and cpu != threads:
        raise CompressError(
            f"--cpu {cpu} and --threads {threads} disagree; a job's engine uses its CPUs, "
            "give one of them"
        )
    for flag, value in (("--cpu", cpu), ("--threads", threads or None)):
        if value is not None:
            if value < 1:
                raise CompressError(f"{flag} must be at least 1, got {value}")
            return value
    if population_max:
        return int(population_max)
    raise CompressError(f"{folder}: config has no population_max; pass --cpu N")


def job_name(text: str, prefix: str = "cgp_") -> str:
    """A scheduler-safe job name: letters, digits, ``_ . -``; starts with a letter (PBS rule)."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]", "_", text.replace("/", "_"))
    return (prefix + cleaned)[:200]


def shell_words(words: list[str]) -> str:
    return shlex.join(words)


def write_script(path: Path, text: str) -> Path:
    """Write atomically and make executable (users run ``qsub``/``bash`` on it): execute is
    granted to whoever the umask lets read the file, nobody else."""
    write_text_atomic(path, text)
    mode = stat.S_IMODE(path.stat().st_mode)
    path.chmod(mode | (mode & 0o444) >> 2)
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
