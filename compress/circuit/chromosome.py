"""An evolved circuit read from the engine's chromosome text, and which of its gates are active.

The text is the engine's (spec §3.2, ``cgp/README.md``)::

    {in,out,cols,rows,arity,L,dataset_size}([id]a,b,f)([id]a,b,f)...(o0,o1,...)

Nodes are column-major, pins ``0 … in−1`` are the primary inputs and node ``g`` owns pins
``in + g·fo … in + g·fo + fo − 1``. The function-output arity ``fo`` and the constants of gates
25/26 are not in the text; they come from the run's config (defaults: 1, −128, 127).

Only *active* gates matter in hardware: those reachable from an output gene, following only the
inputs a gate really reads (the engine's rule, ``cgp/src/functions.h`` ``function_arity``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from compress.energy.functions import (
    BASE_FUNCTION_COUNT,
    DEMUX_ID,
    FUNCTION_NAMES,
    MUX_ID,
)
from compress.energy.functions import arity as base_arity
from compress.errors import CompressError

ID_FUNCTION = 100
"""The engine's identity gate (free; with ``fo`` > 1 pin k passes input k)."""

RIGHT_SHIFTS = {6: 2, 7: 1, 15: 3, 16: 4, 17: 5}
"""Arithmetic right shifts: function id → bits (quarter, half, r_shift_3..5)."""
LEFT_SHIFTS = {12: 1, 18: 2, 19: 3, 20: 4, 21: 5}
"""Truncating left shifts: function id → bits (double, l_shift_2..5)."""
BINARY_OPERATORS = {1: "+", 2: "-", 3: "*", 8: "&", 9: "|", 10: "^"}
"""Two-input gates and their operator, the same token in Verilog and C (8-bit wrap applied by
the exporter)."""

_HEADER = re.compile(r"\s*\{\s*(\d+(?:\s*,\s*\d+){6})\s*\}")
_GROUP = re.compile(r"\(\s*(?:\[\s*\d+\s*\]\s*)?([-+\d,\s]*)\)")


def function_name(function_id: int) -> str:
    """The gate-table name of a function id (``add``, ``mux``, ``demux``, ``id``)."""
    if 0 <= function_id < BASE_FUNCTION_COUNT:
        return FUNCTION_NAMES[function_id]
    return {MUX_ID: "mux", DEMUX_ID: "demux", ID_FUNCTION: "id"}[function_id]


def is_function(function_id: int) -> bool:
    return 0 <= function_id <= DEMUX_ID or function_id == ID_FUNCTION


@dataclass(frozen=True)
class Node:
    """One grid node: its connection genes (pins) and its function id."""

    index: int
    inputs: tuple[int, ...]
    function: int


@dataclass(frozen=True)
class Circuit:
    """A parsed chromosome with the run parameters the text does not carry."""

    input_count: int
    output_count: int
    cols: int
    rows: int
    arity: int
    look_back: int
    dataset_size: int
    nodes: tuple[Node, ...]
    outputs: tuple[int, ...]
    text: str
    output_arity: int = 1
    value_min: int = -128
    value_max: int = 127

    # -- pins --------------------------------------------------------------------------------
    def pin(self, node: int, k: int = 0) -> int:
        return self.input_count + node * self.output_arity + k

    def node_of_pin(self, pin: int) -> int | None:
        """The node owning ``pin``, ``None`` for a primary input."""
        if pin < self.input_count:
            return None
        return (pin - self.input_count) // self.output_arity

    def pin_index(self, pin: int) -> int:
        """Which of its node's output pins ``pin`` is (0 for ``fo`` = 1)."""
        return (pin - self.input_count) % self.output_arity

    def used_inputs(self, function_id: int) -> int:
        """Connection genes the engine reads for a function (``function_arity``, capped)."""
        if function_id == MUX_ID:
            count = self.dataset_size
        elif function_id == ID_FUNCTION:
            count = self.output_arity
        elif function_id == DEMUX_ID:
            count = 1
        else:
            count = base_arity(function_id)
        return min(count, self.arity)

    @staticmethod
    def id_operand(k: int, operand_count: int) -> int:
        """Which used input output pin ``k`` of an ID gate passes (the last one past the end)."""
        return min(k, operand_count - 1)

    def operands(self, node: Node) -> tuple[int, ...]:
        """The pins a node really reads."""
        return node.inputs[: self.used_inputs(node.function)]

    @property
    def selector_bits(self) -> int:
        """Width of the ``item`` input (dataset item index) when ``dataset_size`` > 1, else 0."""
        return 0 if self.dataset_size <= 1 else (self.dataset_size - 1).bit_length()

    # -- activity ----------------------------------------------------------------------------
    @cached_property
    def active_nodes(self) -> tuple[int, ...]:
        """Indices of the nodes reachable from an output gene, ascending (= evaluation order)."""
        seen: set[int] = set()
        stack = [n for n in (self.node_of_pin(p) for p in self.outputs) if n is not None]
        while stack:
            index = stack.pop()
            if index in seen:
                continue
            seen.add(index)
            for pin in self.operands(self.nodes[index]):
                source = self.node_of_pin(pin)
                if source is not None and source not in seen:
                    stack.append(source)
        return tuple(sorted(seen))

    @cached_property
    def used_pins(self) -> frozenset[int]:
        """Every pin an output gene or an active gate reads."""
        pins = set(self.outputs)
        for index in self.active_nodes:
            pins.update(self.operands(self.nodes[index]))
        return frozenset(pins)

    @cached_property
    def fanout(self) -> dict[int, int]:
        """How many times each pin is read by active gates and output genes."""
        counts: dict[int, int] = {}
        for pin in self.outputs:
            counts[pin] = counts.get(pin, 0) + 1
        for index in self.active_nodes:
            for pin in self.operands(self.nodes[index]):
                counts[pin] = counts.get(pin, 0) + 1
        return counts

    @property
    def gate_count(self) -> int:
        """Active gates, ID and constants included (the engine's ``gate_count``)."""
        return len(self.active_nodes)

    def node_pins(self, index: int) -> list[int]:
        """The used output pins of an active node, in pin order."""
        return [p for p in range(self.pin(index), self.pin(index + 1)) if p in self.used_pins]


def parse_chromosome(
    text: str,
    *,
    output_arity: int = 1,
    value_min: int = -128,
    value_max: int = 127,
    source: str = "chromosome",
) -> Circuit:
    """Parse the engine's chromosome text; :class:`CompressError` names what is wrong.

    The checks are the engine's own: header sizes consistent with the genes, connection genes
    pointing at earlier columns (feed-forward), known function ids, output pins in range.
    """
    text = text.strip()
    if not text or text == "null":
        raise CompressError(f"{source}: no chromosome (empty or 'null')")
    header = _HEADER.match(text)
    if not header:
        raise CompressError(
            f"{source}: does not start with the header {{in,out,cols,rows,arity,L,dataset_size}}"
        )
    inputs, outputs, cols, rows, arity, look_back, items = (
        int(v) for v in header.group(1).split(",")
    )
    if min(outputs, cols, rows, arity, items) < 1:
        raise CompressError(f"{source}: header sizes must be positive, got {header.group(0)}")
    if output_arity < 1:
        raise CompressError(f"{source}: function output arity must be at least 1")
    groups: list[str] = []
    position = header.end()
    for match in _GROUP.finditer(text, position):
        if text[position : match.start()].strip():
            raise CompressError(f"{source}: unexpected text at character {position + 1}")
        groups.append(match.group(1))
        position = match.end()
    if text[position:].strip():
        raise CompressError(f"{source}: unexpected text at character {position + 1}")
    node_count = rows * cols
    if len(groups) != node_count + 1:
        raise CompressError(
            f"{source}: {len(groups)} gene groups, the header's {rows}x{cols} grid needs "
            f"{node_count} nodes plus the output group"
        )
    nodes = []
    for index, group in enumerate(groups[:-1]):
        genes = _numbers(group, source, f"node {index}")
        if len(genes) != arity + 1:
            raise CompressError(
                f"{source}: node {index} has {len(genes)} genes, arity {arity} needs {arity + 1}"
            )
        *connections, function = genes
        limit = inputs + (index // rows) * rows * output_arity
        for pin in connections:
            if not 0 <= pin < limit:
                raise CompressError(
                    f"{source}: node {index} reads pin {pin}, not a pin before its column "
                    f"(0..{limit - 1})"
                )
        if not is_function(function):
            raise CompressError(
                f"{source}: node {index} has function {function}, not in the set 0..28 or 100"
            )
        nodes.append(Node(index, tuple(connections), function))
    output_genes = _numbers(groups[-1], source, "the output group")
    pins = inputs + node_count * output_arity
    if len(output_genes) != outputs:
        raise CompressError(
            f"{source}: {len(output_genes)} output genes, the header says {outputs}"
        )
    for k, pin in enumerate(output_genes):
        if not 0 <= pin < pins:
            raise CompressError(f"{source}: output {k} pin {pin} is outside 0..{pins - 1}")
    return Circuit(
        input_count=inputs,
        output_count=outputs,
        cols=cols,
        rows=rows,
        arity=arity,
        look_back=look_back,
        dataset_size=items,
        nodes=tuple(nodes),
        outputs=tuple(output_genes),
        text=text,
        output_arity=output_arity,
        value_min=value_min,
        value_max=value_max,
    )


def _numbers(group: str, source: str, what: str) -> list[int]:
    try:
        return [int(token) for token in group.split(",")]
    except ValueError:
        raise CompressError(f"{source}: {what} is not a comma-separated list of integers") from None


def read_chromosome_text(argument: str) -> tuple[str, str]:
    """``@path`` → the file's text; anything else is the chromosome itself. Returns (text, label)."""
    if not argument.startswith("@"):
        return argument, "chromosome"
    path = Path(argument[1:]).expanduser()
    try:
        return path.read_text(encoding="utf-8"), str(path)
    except OSError as error:
        raise CompressError(f"cannot read chromosome file {path}: {error.strerror}") from None
