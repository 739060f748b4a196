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

OptionScope = frozenset[str]

ENGINE_BINARY = "engine-binary"
"""--cgp: the action runs the engine."""
PLANNING = "planning"
"""The engine options and what shapes new environments (-b, -e, --gate-table, --multiplex,
--depth, --experiment-path as base config): actions that write engine configs."""
DISCOVERY = "discovery"
"""--experiment globs and --experiment-path as the results folder: actions that read runs."""
SELECTION = "selection"
"""--prefix/--suffix and the experiment's own group: actions that rebuild sub-experiments."""

TRAINING_SCOPE: OptionScope = frozenset({ENGINE_BINARY, PLANNING, SELECTION})
READING_SCOPE: OptionScope = frozenset({ENGINE_BINARY, DISCOVERY, SELECTION})
FOLDER_SCOPE: OptionScope = frozenset()
"""Actions that read job folders only (status, merge, resubmit): --experiment-env and their own."""
REPORT_SCOPE: OptionScope = frozenset({DISCOVERY})
"""Actions that read finished runs but never run the engine nor rebuild selections (report)."""


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
    scope: OptionScope = TRAINING_SCOPE
    """Which shared option groups the action uses; its ``--help`` lists only those."""
