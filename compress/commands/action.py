"""The shape of one ``<experiment>:<action>``, shared by the local and the cluster action tables.

Its own module so that :mod:`compress.commands.experiment` (which assembles every parser) and
:mod:`compress.cluster.actions` (which defines the cluster actions) both depend on it and not on
each other.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

from compress.settings import Settings


@dataclass(frozen=True)
class Action:
    """One ``<experiment>:<action>``: its help line, its own options and what it runs."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser, type], None]
    run: Callable[[argparse.Namespace, Settings], int | None]
    needs_model: bool = True
    """False for actions that only read experiment folders (status, merge, resubmit): the
    ``model_name model_path`` positionals are then optional and default to ``None``."""
