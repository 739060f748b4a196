"""Atomic file output: a reader never sees a half-written file that looks complete.

Every result, config and data file the toolkit writes goes through here: the content goes to a
temporary sibling (same folder, so the rename never crosses file systems) which is then renamed
over the target. The rename is atomic on POSIX, so an interrupted run leaves either the old file
or none, never a truncated one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from compress.errors import CompressError


@contextmanager
def atomic_path(path: str | Path, *, mode: int | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``.

    Write to the yielded path with any writer (``torch.save``, ``zipfile``...). On an exception
    the temporary file is removed and ``path`` is left as it was. ``mode`` sets the permissions
    (``mkstemp`` creates files readable by the owner only).
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise CompressError(f"cannot write {path}: {error.strerror}") from error
    os.close(fd)
    temporary = Path(tmp_name)
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
