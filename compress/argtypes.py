"""Value types for command-line options that refuse nonsense before anything runs.

argparse calls these on the raw text; an ``ArgumentTypeError`` becomes the parser's one-line
``error: argument --top: ...`` and exit 2, so no command starts with a count of zero runs or a
name that the generated job scripts cannot carry.
"""

from __future__ import annotations

import argparse
import re

NAME_PART = re.compile(r"^[A-Za-z0-9._+=,@-]*$")
"""Characters a sub-experiment name may hold: they appear unquoted in folder names, job names and
the job scripts' task tables (``read -r folder start end``), where whitespace, ``/``, quotes and
``$`` would split or change them."""


def _int_at_least(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
    return value


def positive_int(text: str) -> int:
    """An integer of at least 1 (counts: runs, rows kept, batches, CPUs)."""
    return _int_at_least(text, 1)


def non_negative_int(text: str) -> int:
    """An integer of at least 0 (seconds of margin, 0 meaning none)."""
    return _int_at_least(text, 0)


def name_part(text: str) -> str:
    """A ``--prefix``/``--suffix``: only characters that folder names and job scripts carry."""
    if not NAME_PART.match(text):
        bad = "".join(sorted({c for c in text if not NAME_PART.match(c)}))
        raise argparse.ArgumentTypeError(
            f"{text!r} contains {bad!r}; use letters, digits and . _ + = , @ - "
            "(sub-experiment names become folder and job names)"
        )
    return text
