"""The engine's 8-bit function set: ids, names and int8 semantics (engine spec §4.3).

The gate table, the quantized ``gate_parameters.txt`` and the constructive reference all index
gates by these ids. Ids, names and arities come from the engine's own description
(:mod:`compress.engine.description`); the semantics here implement the expressions it names
(``tests/test_engine_description.py`` compares them with the engine on every input pair), so
that the constructive reference can reason about which values a gate produces without running
the engine.
"""

from __future__ import annotations

from collections.abc import Callable

from compress.engine.description import engine_description

INT8_MIN = -128
INT8_MAX = 127

_ENGINE_FUNCTIONS = engine_description().functions

FUNCTION_NAMES: tuple[str, ...] = tuple(f.name for f in _ENGINE_FUNCTIONS if f.id < 27)
"""Names of function ids 0–26, index = function id (the original's gate-table names), as the
engine describes its function set."""

BASE_FUNCTION_COUNT = len(FUNCTION_NAMES)  # 27
MUX_ID = engine_description().function("mux").id
DEMUX_ID = engine_description().function("demux").id
ID_FUNCTION = engine_description().function("id").id
"""The free identity gate (pin k passes input k)."""
MUX_WIDTHS = (2, 4, 8, 16)
"""Multiplexer variants: the engine picks the one with 2**bit_variant inputs (spec §3.4)."""


def mux_name(width: int) -> str:
    return f"mux_{width}to1"


def demux_name(width: int) -> str:
    """The original's name for a 1-to-``width`` demultiplexer (it wrote them as ``…to1`` too)."""
    return f"demux_{width}to1"


MUX_NAMES = tuple(mux_name(w) for w in MUX_WIDTHS)
DEMUX_NAMES = tuple(demux_name(w) for w in MUX_WIDTHS)


def wrap(value: int) -> int:
    """Two's complement reduction into int8, the engine's ``plus``/``mul`` wrap-around."""
    return ((value + 128) & 0xFF) - 128


SEMANTICS: dict[str, Callable[..., int]] = {
    "127 - a": lambda a: wrap(127 - a),
    "a + b": lambda a, b: wrap(a + b),
    "a - b": lambda a, b: wrap(a - b),
    "a * b": lambda a, b: wrap(a * b),
    "-a": lambda a: wrap(-a),
    "a - 128": lambda a: wrap(a - 128),
    "a >> 1": lambda a: a >> 1,
    "a >> 2": lambda a: a >> 2,
    "a >> 3": lambda a: a >> 3,
    "a >> 4": lambda a: a >> 4,
    "a >> 5": lambda a: a >> 5,
    "a & b": lambda a, b: a & b,
    "a | b": lambda a, b: a | b,
    "a ^ b": lambda a, b: a ^ b,
    "~a": lambda a: ~a,
    "a << 1": lambda a: wrap(a << 1),
    "a << 2": lambda a: wrap(a << 2),
    "a << 3": lambda a: wrap(a << 3),
    "a << 4": lambda a: wrap(a << 4),
    "a << 5": lambda a: wrap(a << 5),
    "a + 1": lambda a: wrap(a + 1),
    "a - 1": lambda a: wrap(a - 1),
    "1": lambda: 1,
    "-1": lambda: -1,
    "0": lambda: 0,
    "expected_value_min": lambda: INT8_MIN,
    "expected_value_max": lambda: INT8_MAX,
}
"""Python's implementation of each engine semantics expression (int8: + - * << wrap, >> is
arithmetic); the gates pick theirs by the expression the engine names."""

_ARITY = {f.id: f.arity for f in _ENGINE_FUNCTIONS if f.id < BASE_FUNCTION_COUNT}
_IMPLEMENTATION = {
    f.id: SEMANTICS[f.semantics] for f in _ENGINE_FUNCTIONS if f.id < BASE_FUNCTION_COUNT
}


def arity(function_id: int) -> int:
    """Number of inputs the function reads (0 for constants)."""
    if function_id not in _ARITY:
        raise ValueError(f"function id {function_id} is not in the 8-bit function set 0–26")
    return int(_ARITY[function_id])


def apply(function_id: int, *operands: int) -> int:
    """Evaluate function ``function_id`` on int8 operands, as the engine does."""
    if function_id not in _IMPLEMENTATION:
        raise ValueError(f"function id {function_id} is not in the 8-bit function set 0–26")
    return _IMPLEMENTATION[function_id](*operands[: arity(function_id)])
