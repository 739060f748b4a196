"""Progress of long commands: a bar on a terminal, plain periodic lines in logs.

A tqdm bar redraws one line with carriage returns, which is right on a terminal and noise in a
cluster job's log (or nothing at all: tqdm disables itself when it cannot tell). So the one
helper used by ``train`` and ``model-metrics`` decides once per task: stderr is a terminal ->
a tqdm bar; otherwise one plain line when work starts, then at most one every
:data:`PLAIN_INTERVAL_S` seconds (``COMPRESS_PROGRESS_INTERVAL`` overrides it) and on every
finished unit of work when that interval has passed, and always a final line.
``TQDM_DISABLE=1`` turns progress off altogether (scripts that want stderr for errors only).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from typing import TextIO

from tqdm import tqdm

PLAIN_INTERVAL_S = 30.0
"""Seconds between plain progress lines: a few lines per minute keep a cluster log readable."""


def _interval() -> float:
    try:
        return max(0.0, float(os.environ.get("COMPRESS_PROGRESS_INTERVAL", PLAIN_INTERVAL_S)))
    except ValueError:
        return PLAIN_INTERVAL_S


def progress_disabled() -> bool:
    """``TQDM_DISABLE`` set to anything but an empty or false value: no progress output."""
    return os.environ.get("TQDM_DISABLE", "").strip().lower() not in ("", "0", "false", "no")


def bar_wanted(stream: TextIO) -> bool:
    """A redrawn bar only on a terminal."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _format_status(status: Mapping[str, object]) -> str:
    return ", ".join(f"{key} {value}" for key, value in status.items())


class Progress:
    """``total`` units of work (runs, chromosomes...) of one task, shown as a bar or as lines."""

    def __init__(
        self,
        total: int,
        description: str,
        *,
        unit: str,
        initial: int = 0,
        stream: TextIO | None = None,
    ):
        self.total = total
        self.done = initial
        self.description = description
        self.unit = unit
        self.stream = stream if stream is not None else sys.stderr
        self.status: dict[str, object] = {}
        self.started = time.monotonic()
        self.interval = _interval()
        self.bar: tqdm | None = None
        self.quiet = progress_disabled()
        if self.quiet:
            self.last_line = self.started
        elif bar_wanted(self.stream):
            self.bar = tqdm(
                total=total,
                initial=initial,
                desc=description,
                unit=unit,
                dynamic_ncols=True,
                file=self.stream,
            )
            self.last_line = 0.0
        else:
            self.last_line = self.started
            self._line("started")

    def _line(self, event: str) -> None:
        if self.quiet:
            return
        elapsed = time.monotonic() - self.started
        text = f"{self.description}: {event}, {self.done}/{self.total} {self.unit}s done"
        text += f", {elapsed:.0f} s elapsed"
        if self.status:
            text += f" ({_format_status(self.status)})"
        print(text, file=self.stream, flush=True)
        self.last_line = time.monotonic()

    def _due(self) -> bool:
        return time.monotonic() - self.last_line >= self.interval

    def update(self, count: int = 1) -> None:
        """``count`` more units finished."""
        self.done += count
        if self.bar is not None:
            self.bar.update(count)
        elif self._due() or self.done >= self.total:
            self._line(f"{self.unit} finished")

    def set_status(self, status: Mapping[str, object]) -> None:
        """The latest figures of the unit in progress (bar postfix, or part of the next line)."""
        self.status = dict(status)
        if self.bar is not None:
            self.bar.set_postfix(self.status, refresh=False)
            self.bar.refresh()
        elif self._due():
            self._line("working")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        elif self.done < self.total:
            self._line("stopped")

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
