"""Command line: ``compress.py <experiment>:<action> ...`` and ``compress.py model:<action> ...``.

Each command module under :mod:`compress.commands` registers its sub-commands; a sub-command's
parser carries ``handler(args, settings) -> int | None`` in its defaults. User mistakes are
raised as :class:`~compress.errors.CompressError` and printed here as one line; so is a file-system
error naming a path (permission denied, read-only or full disk, a file where a folder belongs).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from compress.errors import CompressError
from compress.settings import load_settings

COMMAND_MODULES = (
    "compress.commands.model",
    "compress.commands.experiment",
    "compress.commands.gates",
    "compress.commands.circuit",
    "compress.report.command",
    "compress.commands.energy",
)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error names the program and exits 2 with a single line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="compress.py",
        description=(
            "TorchCompresser: evolve 8-bit CGP circuits that compute the int8 weights of a quantized "
            "CNN, inject them back and report accuracy against circuit energy."
        ),
        epilog="Run `compress.py <command> --help` for the options of one command.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="<command>", parser_class=_Parser)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        result = handler(args, load_settings())
    except CompressError as error:
        print(f"compress.py: error: {error}", file=sys.stderr)
        return error.exit_code
    except OSError as error:
        # A file or folder the user named cannot be read or written (permissions, read-only or
        # full file system, a file where a folder is needed): the user's to fix, so one line.
        if error.filename is None:
            raise
        print(f"compress.py: error: {error.filename}: {error.strerror}", file=sys.stderr)
        return CompressError.exit_code
    except KeyboardInterrupt:
        print("compress.py: interrupted", file=sys.stderr)
        return 130
    return int(result or 0)
