"""Shared helper of the circuit tests (not a test module): the real CLI, run in this process.

A ``compress.py`` subprocess imports torch again each time (seconds on a loaded machine); the
circuit commands need none of it, so the tests call :func:`compress.cli.main` directly.
"""

from __future__ import annotations


def cli(argv: list[str], capsys) -> tuple[int, str, str]:
    """Run one command; return (exit code, stdout, stderr)."""
    from compress.cli import main

    capsys.readouterr()
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err
