"""The ``experiment.json`` sidecar: what a sub-experiment folder was made from (docs/SIDECAR contract).

Written when a sub-experiment folder is created (and updated when its runs are extended); read by
discovery (a folder with a sidecar is never re-parsed from its name), the rerun checks, the
model-fit check of ``model-metrics`` and the reports. The original's folders have none: readers
fall back to the folder name and the folder's files.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from compress.atomic import write_text_atomic
from compress.errors import CompressError
from compress.experiments.layout import SIDECAR_FILE

SIDECAR_FORMAT = 1


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@cache
def toolkit_info() -> dict[str, str | None]:
    """This toolkit's version and, in a git checkout, its revision."""
    from compress import __version__

    revision = None
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
        if result.returncode == 0:
            revision = result.stdout.strip() or None
    except (OSError, subprocess.TimeoutExpired):
        pass
    return {"version": __version__, "revision": revision}


@cache
def engine_info(binary: Path | None) -> dict[str, str | None]:
    """The engine build: its binary's sha256 (the engine has no version string of its own)."""
    if binary is None or not Path(binary).is_file():
        return {"version": None, "sha256": None}
    return {"version": None, "sha256": sha256_file(Path(binary))}


def given_options(args: argparse.Namespace) -> dict[str, Any]:
    """The parsed command-line options as JSON values (callables dropped, paths as text)."""
    options = {}
    for key, value in sorted(vars(args).items()):
        if callable(value):
            continue
        if isinstance(value, Path):
            value = str(value)
        elif isinstance(value, (list, tuple)):
            value = [str(v) if isinstance(v, Path) else v for v in value]
        if value is None or isinstance(value, (str, int, float, bool, list)):
            options[key] = value
    return options


def write_sidecar(folder: Path, data: dict[str, Any]) -> Path:
    path = Path(folder) / SIDECAR_FILE
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=False) + "\n")
    return path


def read_sidecar(folder: Path) -> dict[str, Any] | None:
    """The folder's sidecar, ``None`` when it has none; a one-line error when it is unreadable."""
    path = Path(folder) / SIDECAR_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CompressError(f"{path} is not a readable {SIDECAR_FILE}: {error}") from None
    if not isinstance(data, dict) or data.get("format") != SIDECAR_FORMAT:
        raise CompressError(
            f"{path}: unknown sidecar format {data.get('format') if isinstance(data, dict) else data!r}"
            f" (this toolkit reads format {SIDECAR_FORMAT})"
        )
    return data
