"""The constructive circuit as an engine chromosome: a seed that is exact from generation 1.

:func:`~compress.energy.constructive.constructive_reference` says *which* gates build the
values the inputs lack; this module says *where* they go in a ``rows × cols`` grid, so the engine
can start from that circuit (``starting_solution``) instead of a random one and spend its whole
budget on making an exact circuit cheaper.

Placement follows the engine's layout rules (engine spec §3.2, §4.1, §4.2):

* genes are column-major, node ``g`` sits in column ``g // rows`` and owns pin
  ``input_count + g·fo``;
* a pin in column ``k`` (primary inputs count as column −1) is reachable from column ``c`` only
  when ``c − L ≤ k ≤ c − 1``; outputs count as column ``cols``. So with L = cols an output can
  never read a primary input: a weight that is also an input is routed through an ID node
  (function 100, cost 0), and any value too far back for its reader gets a chain of ID relays;
* each gate is placed as early as its operands allow, in the first column with a free row.

Unused nodes become ID nodes reading the first pin of their window: valid genes, inactive, free.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from compress.energy.constructive import BuiltValue, constructive_reference
from compress.energy.functions import BASE_FUNCTION_COUNT, ID_FUNCTION
from compress.energy.gates import GateTable
from compress.errors import CompressError

_INPUT_COLUMN = -1


@dataclass
class _Grid:
    """Nodes placed so far and where every value can be read."""

    input_count: int
    rows: int
    cols: int
    look_back: int
    output_arity: int
    nodes: dict[int, tuple[tuple[int, ...], int]] = field(default_factory=dict)
    """Node index -> (operand pins, function id)."""
    copies: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    """Value -> [(column, pin)] of every pin carrying it (inputs at column −1)."""
    used: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.used = [0] * self.cols

    def pin_of(self, node: int) -> int:
        return self.input_count + node * self.output_arity

    def reachable(self, column: int, reader: int) -> bool:
        return reader - self.look_back <= column <= reader - 1

    def place(self, column: int, operands: tuple[int, ...], function_id: int, value: int) -> int:
        node = column * self.rows + self.used[column]
        self.used[column] += 1
        self.nodes[node] = (operands, function_id)
        pin = self.pin_of(node)
        self.copies.setdefault(value, []).append((column, pin))
        return pin

    def read(self, value: int, reader: int) -> int:
        """A pin carrying ``value`` that column ``reader`` may read; ID relays are added when
        every copy is too far back. Raises CompressError when no relay chain fits."""
        copies = self.copies[value]
        for column, pin in copies:
            if self.reachable(column, reader):
                return pin
        column, pin = max(copies)
        if column >= reader:
            raise CompressError(
                f"value {value} is built in column {column}, too late for column {reader}"
            )
        while not self.reachable(column, reader):
            hop = self._free_column(column + 1, min(column + self.look_back, reader - 1))
            if hop is None:
                raise CompressError(
                    f"no free node to relay value {value} from column {column} towards column "
                    f"{reader}; use more rows or a larger look-back"
                )
            pin = self.place(hop, (pin,), ID_FUNCTION, value)
            column = hop
        return pin

    def _free_column(self, first: int, last: int) -> int | None:
        """The latest column in ``first..last`` with a free row (relays go as far as they can)."""
        for column in range(last, first - 1, -1):
            if 0 <= column < self.cols and self.used[column] < self.rows:
                return column
        return None

    def earliest_column(self, operands: Sequence[int]) -> int:
        if not operands:
            return 0
        return 1 + max(max(column for column, _ in self.copies[v]) for v in operands)

    def first_pin(self, reader: int) -> int:
        """The lowest pin column ``reader`` may read (any valid gene for unused nodes/outputs)."""
        if reader < self.look_back:
            return 0
        return self.pin_of((reader - self.look_back) * self.rows)


def constructive_chromosome(
    inputs: Sequence[int | None],
    expected_outputs: Sequence[int | None],
    table: GateTable,
    *,
    rows: int,
    cols: int,
    look_back: int,
    function_count: int = BASE_FUNCTION_COUNT,
    dataset_item_count: int = 1,
    function_input_arity: int = 2,
    function_output_arity: int = 1,
) -> str:
    """The constructive circuit for one dataset item as a chromosome string (engine spec §3.2).

    ``inputs`` are the circuit's input pins in order (``None`` = ``x``, never read) and
    ``expected_outputs`` its outputs (``None`` = don't care, wired to any valid pin); every other
    output gene points at a pin carrying exactly its expected value. The gates are those of
    :func:`constructive_reference` plus zero-cost ID nodes, so the circuit's energy equals the
    reference's estimate. Raises :class:`CompressError` when the grid has too few nodes or
    columns (or too short a look-back) to hold it.
    """
    if dataset_item_count != 1:
        raise CompressError(
            f"a constructive circuit serves one dataset item, not {dataset_item_count}; "
            "use the random initial solution for multi-item experiments"
        )
    _check_grid(inputs, rows=rows, cols=cols, look_back=look_back, arity=function_input_arity)
    estimate = constructive_reference(
        inputs, expected_outputs, table, function_count=min(function_count, BASE_FUNCTION_COUNT)
    )
    return place_circuit(
        inputs,
        expected_outputs,
        estimate.steps,
        rows=rows,
        cols=cols,
        look_back=look_back,
        function_input_arity=function_input_arity,
        function_output_arity=function_output_arity,
    )


def _check_grid(inputs, *, rows: int, cols: int, look_back: int, arity: int) -> None:
    if rows < 1 or cols < 1 or not 1 <= look_back <= cols:
        raise CompressError(
            f"invalid grid {rows}x{cols} with look-back {look_back}; "
            "need rows, cols >= 1 and 1 <= look-back <= cols"
        )
    if not inputs:
        raise CompressError("the circuit needs at least one input")
    if arity < 2:
        raise CompressError("a constructive circuit needs function_input_arity >= 2")


def place_circuit(
    inputs: Sequence[int | None],
    expected_outputs: Sequence[int | None],
    steps: Sequence[BuiltValue],
    *,
    rows: int,
    cols: int,
    look_back: int,
    function_input_arity: int = 2,
    function_output_arity: int = 1,
) -> str:
    """Place gates (operands before users, as the constructive reference and the optimiser
    list them) in a ``rows × cols`` grid and wire the outputs: a chromosome string.

    Raises :class:`CompressError` naming what is short when the circuit does not fit.
    """
    _check_grid(inputs, rows=rows, cols=cols, look_back=look_back, arity=function_input_arity)
    _check_size(steps, inputs, rows=rows, cols=cols)
    grid = _Grid(len(inputs), rows, cols, look_back, function_output_arity)
    for index, value in enumerate(inputs):
        if value is not None and int(value) not in grid.copies:
            grid.copies[int(value)] = [(_INPUT_COLUMN, index)]
    for step in steps:
        _place_step(grid, step.value, step.function_id, step.operands)
    output_genes = [
        grid.first_pin(cols) if value is None else grid.read(int(value), cols)
        for value in expected_outputs
    ]
    return _format(grid, len(expected_outputs), function_input_arity, output_genes)


def _check_size(steps, inputs: Sequence[int | None], *, rows: int, cols: int) -> None:
    """Fail early, naming the size needed, when the gates alone exceed the grid."""
    depth = {int(v): 0 for v in inputs if v is not None}
    for step in steps:
        depth[step.value] = 1 + max((depth[v] for v in step.operands), default=0)
    deepest = max(depth.values(), default=0)
    if len(steps) > rows * cols or deepest > cols:
        raise CompressError(
            f"the circuit ({len(steps)} gates, {deepest} deep) does not fit a "
            f"{rows}x{cols} grid; use at least {deepest} columns and {len(steps)} nodes"
        )


def _place_step(grid: _Grid, value: int, function_id: int, operands: tuple[int, ...]) -> None:
    for column in range(grid.earliest_column(operands), grid.cols):
        if grid.used[column] >= grid.rows:
            continue
        pins = tuple(grid.read(v, column) for v in operands)
        if grid.used[column] < grid.rows:  # relays may have filled this column meanwhile
            grid.place(column, pins, function_id, value)
            return
    raise CompressError(
        f"the circuit does not fit a {grid.rows}x{grid.cols} grid "
        f"(look-back {grid.look_back}): no free node for value {value}; use more rows or columns"
    )


def _format(grid: _Grid, output_count: int, arity: int, output_genes: list[int]) -> str:
    header = (
        f"{{{grid.input_count},{output_count},{grid.cols},{grid.rows},{arity},{grid.look_back},1}}"
    )
    parts = [header]
    for node in range(grid.rows * grid.cols):
        column = node // grid.rows
        filler = grid.first_pin(column)
        operands, function_id = grid.nodes.get(node, ((filler,), ID_FUNCTION))
        genes = [*operands, *[operands[0] if operands else filler] * (arity - len(operands))]
        parts.append(f"([{grid.input_count + node}]{','.join(map(str, genes))},{function_id})")
    parts.append("(" + ",".join(map(str, output_genes)) + ")")
    return "".join(parts)
