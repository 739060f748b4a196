"""A constructive reference for circuit energy: build the missing values greedily, cheapest first.

The engine's real task is to find the *cheapest* exact circuit. To say whether an evolved circuit
is good, the benchmark compares it with a circuit anyone could write down without search:

1. Values the inputs already hold cost nothing (they are on input pins).
2. Every distinct expected value the inputs lack ("missing value") must be produced by gates.
3. Repeatedly, pick the missing value that is cheapest to produce **from what is available now**
   (inputs and every value built so far) and build it:

   * if a chain of zero-energy gates reaches it (constants, shifts by a constant, … – whatever
     the table prices at 0 pJ), use the shortest such chain;
   * otherwise use the cheapest single gate fed by available values (or by zero-energy chains
     from them), e.g. ``add(x, one_const)``;
   * if no single gate reaches it, use the cheapest tree of gates.

   All three cases are one computation: a Dijkstra search over the 256 int8 values where a
   value's cost is the cheapest gate producing it plus the costs of that gate's operands
   (available values cost 0), ties broken by fewer gates, then by the smaller value.
4. Every value built becomes available to later steps, so shared intermediate values are paid
   for once. Repeat until every expected value is available.

The result is an upper bound on what a good search should reach – a greedy, not an optimum
(building an intermediate once and reusing it for many values is only found by accident).
Every built value counts as one gate, including zero-energy ones, as the engine's gate count
does. MUX/DEMUX are not used: they select per dataset item and do not create new values.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import numpy as np

from compress.energy.functions import BASE_FUNCTION_COUNT, FUNCTION_NAMES, apply, arity
from compress.energy.gates import GateTable
from compress.errors import CompressError

_UNITS_PER_PJ = 10**9
"""Costs are compared as integers of 1e-9 pJ, so equal sums compare equal (no float drift)."""
_COUNT_BITS = 12
_COUNT_MAX = (1 << _COUNT_BITS) - 1
_COST_CAP = 1 << 50
"""Tree costs above ~1.1e6 pJ saturate; far beyond any real 8-bit gate table."""
_UNREACHED = np.int64(np.iinfo(np.int64).max)
_COMMUTATIVE = {1, 3, 8, 9, 10}


@dataclass(frozen=True)
class BuiltValue:
    """One gate of the constructed circuit: ``value = function(operands)``."""

    value: int
    function_id: int
    operands: tuple[int, ...]
    energy_pj: float

    @property
    def function_name(self) -> str:
        return FUNCTION_NAMES[self.function_id]


@dataclass(frozen=True)
class ConstructiveEstimate:
    """Total energy (pJ) and gate count of the constructed circuit, with its gates in order."""

    energy_pj: float
    gate_count: int
    missing_values: tuple[int, ...]
    steps: tuple[BuiltValue, ...]


def missing_values(inputs: Iterable[int | None], expected: Iterable[int | None]) -> list[int]:
    """Distinct expected values (``None`` = don't care, skipped) that no input holds, sorted."""
    have = {_int8(v) for v in inputs if v is not None}
    return sorted({_int8(v) for v in expected if v is not None} - have)


def _int8(value: int) -> int:
    value = int(value)
    if not -128 <= value <= 127:
        raise CompressError(f"value {value} is outside int8 (-128..127)")
    return value


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    """Result tables indexed by ``value + 128``: unary (256,), binary (256, 256)."""
    values = range(-128, 128)
    unary: dict[int, np.ndarray] = {}
    binary: dict[int, np.ndarray] = {}
    for function_id in range(BASE_FUNCTION_COUNT):
        n = arity(function_id)
        if n == 1:
            unary[function_id] = np.array([apply(function_id, a) + 128 for a in values])
        elif n == 2:
            binary[function_id] = np.array(
                [[apply(function_id, a, b) + 128 for b in values] for a in values]
            )
    return unary, binary


def constructive_reference(
    inputs: Sequence[int | None],
    expected: Sequence[int | None],
    table: GateTable,
    *,
    function_count: int = BASE_FUNCTION_COUNT,
) -> ConstructiveEstimate:
    """Estimate the energy of a circuit built constructively (module docstring: the algorithm).

    ``function_count`` limits the gates to ids ``0 … function_count−1`` like the engine's flag.
    """
    available = {_int8(v) for v in inputs if v is not None}
    needed = set(missing_values(inputs, expected))
    missing = tuple(sorted(needed))
    usable = range(min(function_count, BASE_FUNCTION_COUNT))
    energies = {fid: table.by_id(fid).energy_pj for fid in usable}
    units = {fid: int(Fraction(e) * _UNITS_PER_PJ) for fid, e in energies.items()}
    steps: list[BuiltValue] = []
    while needed:
        target, parent = _cheapest(available, needed, units)
        for value in _tree(target, parent, available):
            function_id, operands = parent[value + 128]
            steps.append(BuiltValue(value, function_id, operands, energies[function_id]))
            available.add(value)
        needed -= available
    energy = float(sum(Fraction(step.energy_pj) for step in steps))
    return ConstructiveEstimate(energy, len(steps), missing, tuple(steps))


def _cheapest(
    available: set[int], needed: set[int], units: dict[int, int]
) -> tuple[int, list[tuple[int, tuple[int, ...]] | None]]:
    """Dijkstra from the available values; stop at the first needed value settled."""
    unary, binary = _tables()
    keys = np.full(256, _UNREACHED, dtype=np.int64)
    settled = np.zeros(256, dtype=bool)
    parent: list[tuple[int, tuple[int, ...]] | None] = [None] * 256
    heap: list[tuple[int, int]] = []

    def offer(index: int, key: int, origin: tuple[int, tuple[int, ...]]) -> None:
        if not settled[index] and key < keys[index]:
            keys[index] = key
            parent[index] = origin
            heapq.heappush(heap, (key, index))

    unary_ids = [f for f in units if f in unary]
    binary_ids = [f for f in units if f in binary]

    # Available values all have key 0, the minimum, so they are settled together and their
    # one-gate successors offered in bulk (one array operation per gate instead of one per value).
    sources = np.array(sorted(v + 128 for v in available), dtype=np.int64)
    keys[sources] = 0
    settled[sources] = True
    for function_id, cost in units.items():
        if arity(function_id) == 0:
            offer(apply(function_id) + 128, _key(cost, 1), (function_id, ()))
    for function_id in unary_ids:
        _offer_all(
            offer, keys, settled, unary[function_id][sources], sources[:, None], function_id, units
        )
    for function_id in binary_ids:
        results = binary[function_id][np.ix_(sources, sources)]
        pairs = np.stack(np.meshgrid(sources, sources, indexing="ij"), axis=-1)
        _offer_all(offer, keys, settled, results.ravel(), pairs.reshape(-1, 2), function_id, units)

    while heap:
        key, index = heapq.heappop(heap)
        if settled[index] or key != keys[index]:
            continue
        settled[index] = True
        value = index - 128
        if value in needed:
            return value, parent
        cost, count = key >> _COUNT_BITS, key & _COUNT_MAX
        for function_id in unary_ids:
            offer(
                int(unary[function_id][index]),
                _key(units[function_id] + cost, count + 1),
                (function_id, (value,)),
            )
        others = np.flatnonzero(settled)
        other_keys = keys[others]
        other_cost = other_keys >> _COUNT_BITS
        other_count = other_keys & _COUNT_MAX
        for function_id in binary_ids:
            cand_cost = np.minimum(units[function_id] + cost + other_cost, _COST_CAP)
            cand_count = np.minimum(count + 1 + other_count, _COUNT_MAX)
            cand = (cand_cost << _COUNT_BITS) | cand_count
            directions = [(binary[function_id][index, others], True)]
            if function_id not in _COMMUTATIVE:
                directions.append((binary[function_id][others, index], False))
            for results, value_first in directions:
                better = (cand < keys[results]) & ~settled[results]
                for j in np.flatnonzero(better):
                    other = int(others[j]) - 128
                    operands = (value, other) if value_first else (other, value)
                    offer(int(results[j]), int(cand[j]), (function_id, operands))
    lacking = sorted(needed)
    raise CompressError(
        f"values {lacking[:10]} cannot be built from the inputs with functions "
        f"0–{max(units, default=-1)}; raise the function count"
    )


def _offer_all(
    offer,
    keys: np.ndarray,
    settled: np.ndarray,
    results: np.ndarray,
    operands: np.ndarray,
    function_id: int,
    units: dict[int, int],
) -> None:
    """Offer one gate applied to available operands (cost 0 each): first producer per result."""
    key = _key(units[function_id], 1)
    none = len(results)
    first = np.full(256, none, dtype=np.int64)
    np.minimum.at(first, results, np.arange(none, dtype=np.int64))  # order-independent, so stable
    improved = np.flatnonzero((first < none) & (key < keys) & ~settled)
    for index in improved.tolist():
        producer = operands[first[index]]
        offer(index, key, (function_id, tuple(int(o) - 128 for o in producer)))


def _key(cost: int, count: int) -> int:
    return (min(cost, _COST_CAP) << _COUNT_BITS) | min(count, _COUNT_MAX)


def _tree(
    target: int,
    parent: list[tuple[int, tuple[int, ...]] | None],
    available: set[int],
) -> list[int]:
    """Values to build for ``target``, operands before their users, each once."""
    order: list[int] = []
    seen: set[int] = set()

    def visit(value: int) -> None:
        if value in available or value in seen:
            return
        seen.add(value)
        origin = parent[value + 128]
        assert origin is not None, "a settled, unavailable value always has a producing gate"
        for operand in origin[1]:
            visit(operand)
        order.append(value)

    visit(target)
    return order
