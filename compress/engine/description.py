"""What the engine says about itself (``bin/cgp describe --json``): the one source of the facts
Python and C++ share.

The engine's key table (``cgp/src/config.cpp``), exit codes, statistics columns and function set
are written by the engine into ``engine_description.json`` beside this module (``make
engine-description`` regenerates it; ``tests/test_engine_description.py`` fails when it differs from
what the built engine prints). Python reads the file rather than the binary so that ``--help``
and the gate-table commands work before the engine is built.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

DESCRIPTION_FILE = Path(__file__).with_name("engine_description.json")

Default = int | float | str | None


@dataclass(frozen=True)
class EngineKey:
    """One config key: its type (``int``, ``uint``, ``error``, ``float``, ``path``, ``text``,
    ``choice``), engine default (``None`` = unset), inclusive bounds and flags."""

    name: str
    type: str
    default: Default
    minimum: float | None
    maximum: float | None
    choices: tuple[str, ...]
    command_line_only: bool
    flag: str | None
    short_flag: str | None
    help: str


@dataclass(frozen=True)
class EngineFunction:
    """One gate of the function set; ``arity`` is ``None`` where the grid decides it."""

    id: int
    name: str
    arity: int | None
    semantics: str


@dataclass(frozen=True)
class EngineDescription:
    keys: tuple[EngineKey, ...]
    commands: tuple[str, ...]
    exit_codes: dict[str, int]
    """Exit code by name (``interrupted`` -> 33, ...)."""
    exit_meanings: dict[int, str]
    statistics_columns: tuple[str, ...]
    functions: tuple[EngineFunction, ...]

    def key(self, name: str) -> EngineKey:
        for key in self.keys:
            if key.name == name:
                return key
        raise KeyError(name)

    def function(self, name: str) -> EngineFunction:
        for function in self.functions:
            if function.name == name:
                return function
        raise KeyError(name)


def parse_description(data: dict[str, Any]) -> EngineDescription:
    """The description from the engine's JSON (``describe --json``)."""
    keys = tuple(
        EngineKey(
            name=k["name"],
            type=k["type"],
            default=k["default"],
            minimum=k["min"],
            maximum=k["max"],
            choices=tuple(k["choices"]),
            command_line_only=k["command_line_only"],
            flag=k["flag"],
            short_flag=k["short_flag"],
            help=k["help"],
        )
        for k in data["keys"]
    )
    return EngineDescription(
        keys=keys,
        commands=tuple(c["name"] for c in data["commands"]),
        exit_codes={e["name"]: e["code"] for e in data["exit_codes"]},
        exit_meanings={e["code"]: e["meaning"] for e in data["exit_codes"]},
        statistics_columns=tuple(data["statistics_columns"]),
        functions=tuple(
            EngineFunction(f["id"], f["name"], f["arity"], f["semantics"])
            for f in data["functions"]
        ),
    )


@lru_cache(maxsize=1)
def engine_description() -> EngineDescription:
    """The committed description of the engine this toolkit ships."""
    return parse_description(json.loads(DESCRIPTION_FILE.read_text(encoding="utf-8")))
