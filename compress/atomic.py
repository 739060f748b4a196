"""Atomic file output: a reader never sees a half-written file that looks complete.

Every result, config and data file the toolkit writes goes through here: the content goes to a
temporary sibling (same folder, so the rename never crosses file systems) which is then renamed
over the target. The rename is atomic on POSIX, so an interrupted run leaves either the old file
or none, never a truncated one.

The temporary file is created with mode ``0666`` filtered by the process umask, as ``open`` would
create the target itself (``tempfile.mkstemp`` would make every result owner-only, ``0600``,
which breaks sharing results with a group on a cluster).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from compress.errors import CompressError

CREATE_MODE = 0o666
"""Requested mode of new files; the umask takes away what the user does not grant."""


def _create_sibling(path: Path) -> Path:
    """A new, empty, uniquely named file beside ``path`` with the umask's permissions."""
    for _ in range(100):
        candidate = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, CREATE_MODE)
        except FileExistsError:
            continue
        os.close(fd)
        return candidate
    raise FileExistsError(f"no free temporary name beside {path}")


@contextmanager
def atomic_path(path: str | Path, *, mode: int | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``.

    Write to the yielded path with any writer (``torch.save``, ``zipfile``...). On an exception
    the temporary file is removed and ``path`` is left as it was. ``mode`` sets explicit
    permissions; without it the file gets the umask's (``0666 & ~umask``).
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = _create_sibling(path)
    except OSError as error:
        raise CompressError(f"cannot write {path}: {error.strerror or error}") from error
    try:
        yield temporary
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | Path, text: str, *, mode: int | None = None) -> None:
    """Write ``text`` (UTF-8, newlines as given) to ``path`` atomically."""
    with atomic_path(path, mode=mode) as temporary:
        with temporary.open("w", encoding="utf-8", newline="") as handle:
            handle.write(text)


def require_writable_folder(path: str | Path, what: str) -> Path:
    """``path`` if results can be written there (it is, or can become, a writable folder).

    Checked before a command writes anything, so a mistyped or read-only location is one line,
    not a traceback after half the output. A missing folder is fine when its nearest existing
    ancestor is a writable folder (it is created when the first file is written).
    """
    path = Path(path)
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise CompressError(f"{what} {path}: {existing} is not a folder; pass a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise CompressError(
            f"{what} {path}: {existing} is not writable; pass a folder you can write to"
        )
    return path
