"""The engine's 8-bit function set: ids, names and int8 semantics (engine spec §4.3).

The gate table, the quantized ``gate_parameters.txt`` and the constructive reference all index
gates by these ids, so the names and the order live in one place. The semantics here mirror the
engine's wrap-around integer arithmetic so that the constructive reference can reason about which
values a gate produces without running the engine.
"""

from __future__ import annotations

from collections.abc import Callable

INT8_MIN = -128
INT8_MAX = 127

FUNCTION_NAMES: tuple[str, ...] = (
    "reverse_max_a",
    "add",
    "sub",
    "mul",
    "neg",
    "reverse_min_b",
    "quarter",
    "half",
    "bit_and",
    "bit_or",
    "bit_xor",
    "bit_neg",
    "double",
    "bit_inc",
    "bit_dec",
    "r_shift_3",
    "r_shift_4",
    "r_shift_5",
    "l_shift_2",
    "l_shift_3",
    "l_shift_4",
    "l_shift_5",
    "one_const",
    "minus_one_const",
    "zero_const",
    "expected_value_min",
    "expected_value_max",
)
"""Names of function ids 0–26, index = function id (the original's gate-table names)."""

BASE_FUNCTION_COUNT = len(FUNCTION_NAMES)  # 27
MUX_ID = 27
DEMUX_ID = 28
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


_UNARY: dict[int, Callable[[int], int]] = {
    0: lambda a: wrap(127 - a),
    4: lambda a: wrap(-a),
    5: lambda a: wrap(a - 128),
    6: lambda a: a >> 2,
    7: lambda a: a >> 1,
    11: lambda a: ~a,
    12: lambda a: wrap(a << 1),
    13: lambda a: wrap(a + 1),
    14: lambda a: wrap(a - 1),
    15: lambda a: a >> 3,
    16: lambda a: a >> 4,
    17: lambda a: a >> 5,
    18: lambda a: wrap(a << 2),
    19: lambda a: wrap(a << 3),
    20: lambda a: wrap(a << 4),
    21: lambda a: wrap(a << 5),
}
_BINARY: dict[int, Callable[[int, int], int]] = {
    1: lambda a, b: wrap(a + b),
    2: lambda a, b: wrap(a - b),
    3: lambda a, b: wrap(a * b),
    8: lambda a, b: a & b,
    9: lambda a, b: a | b,
    10: lambda a, b: a ^ b,
}
_CONSTANT: dict[int, int] = {22: 1, 23: -1, 24: 0, 25: INT8_MIN, 26: INT8_MAX}


def arity(function_id: int) -> int:
    """Number of inputs the function reads (0 for constants)."""
    if function_id in _CONSTANT:
        return 0
    if function_id in _UNARY:
        return 1
    if function_id in _BINARY:
        return 2
    raise ValueError(f"function id {function_id} is not in the 8-bit function set 0–26")


def apply(function_id: int, *operands: int) -> int:
    """Evaluate function ``function_id`` on int8 operands, as the engine does."""
    if function_id in _CONSTANT:
        return _CONSTANT[function_id]
    if function_id in _UNARY:
        return _UNARY[function_id](operands[0])
    if function_id in _BINARY:
        return _BINARY[function_id](operands[0], operands[1])
    raise ValueError(f"function id {function_id} is not in the 8-bit function set 0–26")
