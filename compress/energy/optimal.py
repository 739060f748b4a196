"""Proven-optimal exact circuits for one dataset item: an integer program over the 256 int8 values.

The argument that the bound is valid is written out in ``docs/optimal-circuits.md``; in short:

* **Free closure.** Call a gate *free* when the table prices it at 0 pJ and it reads at most one
  operand (shifts by a constant, constants). The values reachable from a set ``S`` through free
  gates, ``cl(S)``, satisfy ``cl(S ∪ S') = cl(S) ∪ cl(S')`` because every free gate reads one
  value. ``A0 = cl(inputs ∪ free constants)`` costs nothing.
* **One new value per costed gate.** Every other gate (including a 0 pJ binary gate, should a
  table have one) is *costed*. Ordering a circuit's active costed gates topologically, each one's
  operands lie in ``cl(A0 ∪ earlier outputs)``, and a circuit is exact when every expected value
  lies in ``cl(A0 ∪ all outputs)``. A circuit that builds a value twice, or builds one that is
  already free, is never cheaper, so the cheapest circuit is a sequence of *distinct new* values,
  each with one *recipe* (a costed gate and its operands).
* **The program.** Binary ``x_r`` choose recipes; ``q[w,u]`` say which built value ``w`` provides
  operand ``u ∈ cl(w)``; times ``t`` order the built values (``t_v ≥ t_u + 1`` for every operand
  ``u`` of ``v``'s recipe, ``t_u ≥ t_w`` for its provider), so a solution can be put in order
  and is a real circuit; every missing target lies in the closure of a built value.
* **Lazy pair recipes.** A recipe whose two operands both need building is first *relaxed* to
  ``(v | u)``: "needs only ``u``", at the cheapest cost over all partners. Relaxing only drops
  requirements, so the optimum of the program stays a lower bound of every real circuit. When
  the solution uses a relaxed recipe whose partner is not available in time, that ``(v | u)`` is
  replaced by its real recipes (the single-operand ones and every pair with ``u`` explicitly),
  and the program is solved again. When every chosen recipe is real, the solution is a circuit
  whose energy equals the bound: proven optimal.

The circuit's energy is the sum of its gates' ``energy_pj`` (zero-cost gates add 0); the engine
reports the same figure for the placed chromosome. HiGHS (``scipy.optimize.milp``) solves with a
relative gap of 0, so "proven" means HiGHS closed the gap, not that it stopped at 0.01 %.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

from compress.energy.constructive import (
    BuiltValue,
    _int8,
    _tables,
    constructive_reference,
    missing_values,
)
from compress.energy.functions import BASE_FUNCTION_COUNT, apply, arity
from compress.energy.gates import GateTable
from compress.errors import CompressError

_VALUES = 256
_PROOF_TOLERANCE = 1e-9
"""Relative difference below which circuit energy and bound count as equal (float round-off)."""
_EXPLICIT_PAIRS = 4000
"""Up to this many affordable (value, operand) pairs, pair recipes are listed explicitly from
the start (one solve); beyond it they start relaxed and are refined where the solution needs."""
_FIRST_BUDGET = 0.5
_BUDGET_STEP = 1.25
"""Budgets tried: half the constructive circuit's energy, then 1.25 × more up to all of it."""
_COST_SCALE = 1e6
"""pJ → objective units for HiGHS (µpJ), so its absolute tolerances sit far below one gate."""


@dataclass(frozen=True)
class OptimalResult:
    """The best exact circuit found and a proven lower bound on every exact circuit's energy.

    ``steps`` build every missing value (operands before users, free gates included, each value
    once), as :class:`~compress.energy.constructive.BuiltValue` like the constructive reference,
    so the same grid placement applies. ``proven`` is true when energy and bound are equal.
    """

    energy_pj: float
    lower_bound_pj: float
    steps: tuple[BuiltValue, ...]
    missing_values: tuple[int, ...]
    solve_seconds: float
    iterations: int
    source: str
    """``optimal`` when the program's solution is the circuit, else ``constructive`` (time limit
    hit before the program found a cheaper real circuit)."""

    @property
    def proven(self) -> bool:
        return self.energy_pj - self.lower_bound_pj <= _PROOF_TOLERANCE * max(self.energy_pj, 1e-30)

    @property
    def gap_ratio(self) -> float:
        """energy ÷ bound (1.0 when proven; NaN when the bound is 0 pJ and the energy is not)."""
        return optimality_ratio(self.energy_pj, self.lower_bound_pj)

    @property
    def costed_gate_count(self) -> int:
        return sum(1 for step in self.steps if step.energy_pj > 0)


def optimality_ratio(energy_pj: float, lower_bound_pj: float) -> float:
    """``energy ÷ bound``; 1.0 when both are 0 pJ (nothing to build), NaN when only the bound is."""
    if lower_bound_pj > 0:
        return energy_pj / lower_bound_pj
    return 1.0 if energy_pj <= 0 else float("nan")


@dataclass
class _Closure:
    """Free gates and, for every value, what they reach from it (with the gate that did)."""

    free_unary: list[int]
    free_constants: list[int]
    reach: list[dict[int, tuple[int, int] | None]] = field(default_factory=list)
    """reach[v + 128]: value -> (function id, operand) of its free producer; None for v itself."""

    def of(self, sources: Sequence[int]) -> dict[int, tuple[int, tuple[int, ...]] | None]:
        """Free closure of ``sources`` plus the free constants: value -> producing free gate."""
        found: dict[int, tuple[int, tuple[int, ...]] | None] = {v: None for v in sources}
        for function_id in self.free_constants:
            found.setdefault(apply(function_id), (function_id, ()))
        frontier = list(found)
        while frontier:
            nxt = []
            for value in frontier:
                for function_id in self.free_unary:
                    result = apply(function_id, value)
                    if result not in found:
                        found[result] = (function_id, (value,))
                        nxt.append(result)
            frontier = nxt
        return found


@lru_cache(maxsize=8)
def _closure(table: GateTable, function_count: int) -> tuple[_Closure, dict[int, float]]:
    costs = {
        fid: table.by_id(fid).energy_pj for fid in range(min(function_count, BASE_FUNCTION_COUNT))
    }
    free_unary = [f for f, c in costs.items() if c == 0 and arity(f) == 1]
    free_constants = [f for f, c in costs.items() if c == 0 and arity(f) == 0]
    closure = _Closure(free_unary, [])
    for value in range(-128, 128):
        reach = closure.of([value])
        closure.reach.append(reach)
    closure.free_constants = free_constants
    costed = {f: c for f, c in costs.items() if not (c == 0 and arity(f) <= 1)}
    return closure, costed


@dataclass(frozen=True)
class _Recipe:
    """Build ``value`` with one costed gate.

    ``via`` is the built value whose free closure holds the gate's one non-free operand
    ``operand`` (None: all operands free); ``needs`` are the two non-free operands of a pair
    recipe, each provided by some built value. ``gate`` is (function id, operands) of a real
    gate, None for a relaxed recipe (its partner operand still has to be found).
    """

    value: int
    cost: float
    gate: tuple[int, tuple[int, ...]] | None
    via: int | None = None
    operand: int | None = None
    needs: tuple[int, ...] = ()


class _Instance:
    """Recipes of one problem: which values are free, which must be covered, how to build."""

    def __init__(
        self, inputs: Sequence[int], targets: Sequence[int], table, function_count, upper_bound
    ):
        self.closure, self.costs = _closure(table, function_count)
        self.free = self.closure.of(sorted(set(inputs)))
        self.free_mask = np.zeros(_VALUES, dtype=bool)
        self.free_mask[[v + 128 for v in self.free]] = True
        self.wanted = sorted(set(targets))
        self.targets = [t for t in self.wanted if not self.free_mask[t + 128]]
        worth = self._worth_building(upper_bound)
        self.others = [v for v in range(-128, 128) if worth[v + 128]]
        """Values a circuit no dearer than ``upper_bound`` may build."""
        self.covers = {
            w: sorted(u for u in self.closure.reach[w + 128] if not self.free_mask[u + 128])
            for w in self.others
        }
        self.usable = sorted({u for reached in self.covers.values() for u in reached})
        """Non-free values that can become available (built, or free from a built value)."""
        self.usable_mask = np.zeros(_VALUES, dtype=bool)
        self.usable_mask[[u + 128 for u in self.usable]] = True
        self.providers: dict[int, list[int]] = {u: [] for u in self.usable}
        for w, reached in self.covers.items():
            for u in reached:
                self.providers[u].append(w)
        self._gates()

    def _worth_building(self, upper_bound: float) -> np.ndarray:
        """Non-free values that some circuit of energy <= ``upper_bound`` can build.

        A built value ``v`` costs at least ``below[v]`` for the gates it depends on (a gate
        costs its own energy plus at least the dearer operand's, ``max`` not ``+`` because
        operands may share gates) and at least ``above[v]`` for a chain of gates from ``v`` to a
        value whose free closure holds a target (without that chain ``v`` is useless). The two
        gate sets are disjoint, so a value with ``below + above > upper_bound`` is in no circuit
        cheaper than the one that gave ``upper_bound``.
        """
        unary, binary = _tables()
        edge = np.full((_VALUES, _VALUES), np.inf)  # edge[a, r]: cheapest gate reading a, giving r
        for function_id in self.closure.free_unary:
            np.minimum.at(edge, (np.arange(_VALUES), unary[function_id]), 0.0)
        for function_id, cost in self.costs.items():
            n = arity(function_id)
            if n == 1:
                np.minimum.at(edge, (np.arange(_VALUES), unary[function_id]), cost)
            elif n == 2:
                table = binary[function_id]
                rows = np.repeat(np.arange(_VALUES), _VALUES)
                np.minimum.at(edge, (rows, table.ravel()), cost)
                np.minimum.at(edge, (rows, table.T.ravel()), cost)
        below = np.full(_VALUES, np.inf)
        below[self.free_mask] = 0.0
        for function_id, cost in self.costs.items():
            if arity(function_id) == 0:
                below[apply(function_id) + 128] = min(below[apply(function_id) + 128], cost)
        below = _dijkstra(below, lambda index: edge[index])
        above = np.full(_VALUES, np.inf)
        for w in range(_VALUES):
            if any(u in self.closure.reach[w] for u in self.targets):
                above[w] = 0.0
        above = _dijkstra(above, lambda index: edge[:, index])
        self.below, self.above = below, above
        self.budget = upper_bound * (1 + _PROOF_TOLERANCE)
        return ~self.free_mask & (below + above <= self.budget)

    def affordable(self, value: int, cost: float, operands: Sequence[int]) -> bool:
        """Whether a recipe can be in a circuit within the budget: its gate, the dearer of its
        operands' gates and a chain from its value to a target."""
        before = max((self.below[u + 128] for u in operands), default=0.0)
        return cost + before + self.above[value + 128] <= self.budget

    def _gates(self) -> None:
        """Cheapest real recipe per (value, non-free operand) and the partner-relaxed costs.

        Functions are visited cheapest first, so the first gate stored for a key is a cheapest.
        """
        unary, binary = _tables()
        free = self.free_mask
        usable = self.usable_mask
        values = np.arange(_VALUES)
        base_cost = np.full(_VALUES, np.inf)
        base_gate: dict[int, tuple[int, tuple[int, ...]]] = {}
        single_cost = np.full((_VALUES, _VALUES), np.inf)  # [v, u]
        single_gate = np.full((_VALUES, _VALUES, 3), -1, dtype=np.int64)  # function, a, b
        pair_cost = np.full((_VALUES, _VALUES), np.inf)
        a_grid, b_grid = np.meshgrid(values, values, indexing="ij")
        for function_id, cost in sorted(self.costs.items(), key=lambda item: item[1]):
            n = arity(function_id)
            if n == 0:
                v = apply(function_id) + 128
                if cost < base_cost[v]:
                    base_cost[v] = cost
                    base_gate[v] = (function_id, ())
                continue
            if n == 1:
                a, v = values, unary[function_id]
                operand_b = np.full(_VALUES, -1)
            else:
                a, b, v = a_grid.ravel(), b_grid.ravel(), binary[function_id].ravel()
                operand_b = b
            a_free = free[a]
            b_free = free[operand_b] if n == 2 else np.ones(len(a), dtype=bool)
            for index in np.flatnonzero(a_free & b_free):
                if cost < base_cost[v[index]]:
                    base_cost[v[index]] = cost
                    operands = (int(a[index]) - 128,)
                    if n == 2:
                        operands += (int(operand_b[index]) - 128,)
                    base_gate[int(v[index])] = (function_id, operands)
            if n == 1:
                one = ~a_free
                u = a
            else:
                one = (a_free ^ b_free) | (~a_free & ~b_free & (a == operand_b))
                u = np.where(a_free, operand_b, a)
            pick = one & (v != u) & usable[u]
            pick &= cost < single_cost[v, u]
            single_cost[v[pick], u[pick]] = cost
            single_gate[v[pick], u[pick]] = np.stack(
                [np.full(pick.sum(), function_id), a[pick], operand_b[pick]], axis=1
            )
            if n == 2:
                both = usable[a] & usable[operand_b] & (a != operand_b)
                both &= (v != a) & (v != operand_b)
                dearer = np.maximum(self.below[a], self.below[operand_b])
                both &= cost + dearer + self.above[v] <= self.budget
                for side in (a, operand_b):
                    keys = (v[both], side[both])
                    pair_cost[keys] = np.minimum(pair_cost[keys], cost)
        self.base = {v - 128: (float(base_cost[v]), gate) for v, gate in base_gate.items()}
        self.single = {}
        for v, u in np.argwhere(np.isfinite(single_cost)):
            function_id, a, b = (int(g) for g in single_gate[v, u])
            operands = (a - 128,) if b < 0 else (a - 128, b - 128)
            self.single[(int(v) - 128, int(u) - 128)] = (
                float(single_cost[v, u]),
                (function_id, operands),
            )
        self.pair_cheapest = {
            (int(v) - 128, int(u) - 128): float(pair_cost[v, u])
            for v, u in np.argwhere(np.isfinite(pair_cost))
        }

    def pair_gates(self, v: int, u: int) -> list[tuple[float, int, int, int]]:
        """Every costed binary gate ``(cost, function, a, b)`` making ``v`` from ``u`` and
        another non-free value (the partner)."""
        _, binary = _tables()
        found = []
        for function_id, cost in self.costs.items():
            if arity(function_id) != 2:
                continue
            table = binary[function_id]
            for partner in np.flatnonzero(table[u + 128] == v + 128):
                if self.usable_mask[partner] and partner != u + 128:
                    found.append((cost, function_id, u, int(partner) - 128))
            for partner in np.flatnonzero(table[:, u + 128] == v + 128):
                if self.usable_mask[partner] and partner != u + 128:
                    found.append((cost, function_id, int(partner) - 128, u))
        return sorted(found)

    def recipes(self, refined: set[tuple[int, int]]) -> list[_Recipe]:
        """The program's recipes: real ones, pairs of refined ``(v, u)``, relaxed for the rest.

        Recipes that another recipe dominates (no cheaper, needs a superset) are left out, and
        so are recipes for a value the recipe's provider already reaches for free.
        """
        recipes: list[_Recipe] = []
        for v in self.others:
            cost, gate = self.base.get(v, (np.inf, None))
            if gate is not None and self.affordable(v, cost, ()):
                recipes.append(_Recipe(v, cost, gate))
        per_operand: dict[int, list[tuple[int, float, tuple | None]]] = {}
        kept = set(self.others)
        for v, u in set(self.single) | set(self.pair_cheapest):
            if v not in kept:
                continue
            limit = self.base.get(v, (np.inf, None))[0]
            real_cost, real_gate = self.single.get((v, u), (np.inf, None))
            if not self.affordable(v, real_cost, (u,)):
                real_cost, real_gate = np.inf, None
            relaxed = np.inf if (v, u) in refined else self.pair_cheapest.get((v, u), np.inf)
            if real_cost <= relaxed and real_cost < limit:
                per_operand.setdefault(u, []).append((v, real_cost, real_gate))
            elif relaxed < min(real_cost, limit):
                per_operand.setdefault(u, []).append((v, relaxed, None))
        for w in self.others:
            best: dict[int, tuple[float, tuple | None, int]] = {}
            reached = set(self.covers[w])
            for u in self.covers[w]:
                for v, cost, gate in per_operand.get(u, ()):
                    if v in reached:
                        continue
                    if v not in best or (cost, gate is None) < (best[v][0], best[v][1] is None):
                        best[v] = (cost, gate, u)
            for v, (cost, gate, u) in sorted(best.items()):
                recipes.append(_Recipe(v, cost, gate, via=w, operand=u))
        for v, u in sorted(refined):
            limit = min(self.base.get(v, (np.inf, None))[0], self.single.get((v, u), (np.inf,))[0])
            best_pair: dict[int, tuple[float, tuple[int, tuple[int, ...]]]] = {}
            for cost, function_id, a, b in self.pair_gates(v, u):
                partner = b if a == u else a
                partner_limit = self.single.get((v, partner), (np.inf,))[0]
                if not self.affordable(v, cost, (u, partner)):
                    continue
                if cost < min(limit, partner_limit) and (
                    partner not in best_pair or cost < best_pair[partner][0]
                ):
                    best_pair[partner] = (cost, (function_id, (a, b)))
            for partner, (cost, gate) in best_pair.items():
                if (v, partner) in refined and partner < u:
                    continue  # the same pair is listed from the partner's side
                recipes.append(_Recipe(v, cost, gate, needs=tuple(sorted((u, partner)))))
        return recipes


def _dijkstra(start: np.ndarray, costs_from) -> np.ndarray:
    """Shortest distances over the 256 values from ``start`` (inf = not a source);
    ``costs_from(i)`` gives the edge costs from value index ``i`` to every value index."""
    distance = start.copy()
    settled = np.zeros(_VALUES, dtype=bool)
    heap = [(float(d), i) for i, d in enumerate(distance) if np.isfinite(d)]
    heapq.heapify(heap)
    while heap:
        d, index = heapq.heappop(heap)
        if settled[index] or d > distance[index]:
            continue
        settled[index] = True
        candidate = d + costs_from(index)
        better = np.flatnonzero((candidate < distance) & ~settled)
        distance[better] = candidate[better]
        for j in better.tolist():
            heapq.heappush(heap, (float(distance[j]), j))
    return distance


def optimal_circuit(
    inputs: Sequence[int | None],
    expected: Sequence[int | None],
    table: GateTable,
    *,
    function_count: int = BASE_FUNCTION_COUNT,
    time_limit_s: float = 60.0,
) -> OptimalResult:
    """The cheapest exact circuit for one dataset item (module docstring: the method).

    Stops at ``time_limit_s`` seconds of solving with the best circuit found so far (the
    constructive one if the program found none cheaper) and the best bound proven by then.
    """
    started = time.monotonic()
    present = sorted({_int8(v) for v in inputs if v is not None})
    wanted = [_int8(v) for v in expected if v is not None]
    missing = tuple(missing_values(present, wanted))
    if not present:
        raise CompressError("the circuit needs at least one input value")
    incumbent = constructive_reference(
        present, wanted, table, function_count=min(function_count, BASE_FUNCTION_COUNT)
    )
    best_steps = incumbent.steps
    best_energy = incumbent.energy_pj
    source = "constructive"
    bound = 0.0
    iterations = 0
    budget = incumbent.energy_pj * _FIRST_BUDGET
    instance = None
    while True:
        # A program pruned to circuits of energy <= budget: its optimum, if <= budget, is the
        # optimum; if it has none, every circuit costs more than the budget.
        budget = min(budget, incumbent.energy_pj)
        instance = _Instance(present, wanted, table, function_count, budget)
        if not instance.targets:
            break
        refined: set[tuple[int, int]] = set()
        if len(instance.pair_cheapest) <= _EXPLICIT_PAIRS:
            refined = set(instance.pair_cheapest)
        outcome = "limit"
        while True:
            remaining = time_limit_s - (time.monotonic() - started)
            if remaining <= 0:
                break
            iterations += 1
            recipes = instance.recipes(refined)
            chosen, order, dual_bound, outcome = _solve(instance, recipes, remaining)
            if outcome == "infeasible":
                break
            if chosen is None:
                bound = max(bound, min(dual_bound, budget))
                break
            model_bound = _cost(chosen) if outcome == "optimal" else dual_bound
            bound = max(bound, min(model_bound, budget))
            realised, unrealised = _realise(instance, chosen, order)
            if realised is not None:
                energy = sum(step.energy_pj for step in realised)
                if energy < best_energy or (energy <= best_energy and source != "optimal"):
                    best_steps, best_energy, source = realised, energy, "optimal"
            if not unrealised or outcome != "optimal":
                break
            refined |= unrealised
        if outcome == "infeasible" or (outcome == "optimal" and best_energy > budget):
            bound = max(bound, budget)  # no circuit within the budget
            if budget >= incumbent.energy_pj or time.monotonic() - started >= time_limit_s:
                break
            # a circuit found above the budget: the next program, pruned to its energy, holds it
            budget = best_energy if source == "optimal" else budget * _BUDGET_STEP
            continue
        break
    if instance is not None and not instance.targets:  # free gates alone reach every value
        free_steps, _ = _realise(instance, [], {})
        best_steps, best_energy, bound, source = free_steps or (), 0.0, 0.0, "optimal"
    bound = min(bound, best_energy)
    return OptimalResult(
        energy_pj=float(best_energy),
        lower_bound_pj=float(bound),
        steps=tuple(best_steps),
        missing_values=missing,
        solve_seconds=time.monotonic() - started,
        iterations=iterations,
        source=source,
    )


def _cost(chosen: list[_Recipe] | None) -> float:
    return float(sum(r.cost for r in chosen or []))


def _solve(instance: _Instance, recipes: list[_Recipe], time_limit: float):
    """Solve the program once: (chosen recipes, time of each value, bound, finished?)."""
    others = instance.others
    index = {v: i for i, v in enumerate(others)}
    time_index = {v: i for i, v in enumerate(instance.usable)}
    operands = sorted({u for r in recipes for u in r.needs})
    provider_pairs = [(w, u) for u in operands for w in instance.providers[u]]
    n_x, n_q, n_y, n_t = len(recipes), len(provider_pairs), len(others), len(time_index)
    q0, y0 = n_x, n_x + n_q
    t0 = y0 + n_y
    n = t0 + n_t
    big = float(n_t + 1)
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    lower: list[float] = []
    upper: list[float] = []

    def row(entries: list[tuple[int, float]], lo: float, hi: float) -> None:
        r = len(lower)
        for c, v in entries:
            rows.append(r)
            cols.append(c)
            vals.append(v)
        lower.append(lo)
        upper.append(hi)

    def y(v: int) -> int:
        return y0 + index[v]

    def t(v: int) -> int:
        return t0 + time_index[v]

    by_value: dict[int, list[int]] = {}
    for i, recipe in enumerate(recipes):
        by_value.setdefault(recipe.value, []).append(i)
    for v in others:  # y_v = sum of v's recipes (at most one)
        row([(y(v), -1.0), *[(i, 1.0) for i in by_value.get(v, [])]], 0.0, 0.0)
    for target in instance.targets:  # some built value reaches every target
        entries = [(y(w), 1.0) for w in instance.providers.get(target, []) if w in by_value]
        if not entries:
            # the budget left no recipe for it (the constructive reference would have raised
            # had it no recipe at all): no circuit within the budget
            return None, {}, 0.0, "infeasible"
        row(entries, 1.0, np.inf)
    for i, recipe in enumerate(recipes):
        w, v = recipe.via, recipe.value
        if w is not None:  # x_i <= y_w and t_v >= t_w + 1 - big (1 - x_i)
            row([(i, 1.0), (y(w), -1.0)], -np.inf, 0.0)
            row([(t(v), 1.0), (t(w), -1.0), (i, -big)], 1.0 - big, np.inf)
    pairs_of: dict[int, list[int]] = {}
    for k, (w, u) in enumerate(provider_pairs):
        pairs_of.setdefault(u, []).append(k)
        row([(q0 + k, 1.0), (y(w), -1.0)], -np.inf, 0.0)
        if w != u:  # t_u >= t_w - big (1 - q): u is available once its provider is built
            row([(t(u), 1.0), (t(w), -1.0), (q0 + k, -big)], -big, np.inf)
    for ks in pairs_of.values():
        row([(q0 + k, 1.0) for k in ks], 0.0, 1.0)
    for i, recipe in enumerate(recipes):
        for u in recipe.needs:  # x_r <= sum_w q[w,u];  t_v >= t_u + 1 - big (1 - x_r)
            row([(i, 1.0), *[(q0 + k, -1.0) for k in pairs_of[u]]], -np.inf, 0.0)
            row([(t(recipe.value), 1.0), (t(u), -1.0), (i, -big)], 1.0 - big, np.inf)
    matrix = coo_matrix((vals, (rows, cols)), shape=(len(lower), n)).tocsr()
    objective = np.zeros(n)
    objective[:n_x] = [r.cost * _COST_SCALE for r in recipes]
    integrality = np.zeros(n)
    integrality[:y0] = 1
    bounds = Bounds(np.zeros(n), np.r_[np.ones(y0 + n_y), np.full(n_t, float(n_t))])
    result = milp(
        objective,
        constraints=LinearConstraint(matrix, np.array(lower), np.array(upper)),
        integrality=integrality,
        bounds=bounds,
        options={"time_limit": max(time_limit, 0.1), "mip_rel_gap": 0.0, "disp": False},
    )
    dual = getattr(result, "mip_dual_bound", None)
    dual_bound = float(dual) / _COST_SCALE if dual is not None and np.isfinite(dual) else 0.0
    dual_bound = max(dual_bound, 0.0)
    outcome = {0: "optimal", 2: "infeasible"}.get(result.status, "limit")
    if result.x is None:
        return None, {}, dual_bound, outcome
    x = result.x
    chosen = [recipes[i] for i in range(n_x) if x[i] > 0.5]
    order = {v: float(x[t(v)]) for v in instance.usable}
    return chosen, order, dual_bound, outcome


def _realise(
    instance: _Instance, chosen: list[_Recipe], order: dict[int, float]
) -> tuple[tuple[BuiltValue, ...] | None, set[tuple[int, int]]]:
    """Turn chosen recipes into gates in time order; relaxed recipes need their partner in time.

    Returns the circuit when every recipe is real or its partner is available (else None) and
    the relaxed ``(v, u)`` whose partner was not.
    """
    costs = instance.costs
    recipes = sorted(chosen, key=lambda r: (order[r.value], r.value))
    available = dict(instance.free)
    steps: list[BuiltValue] = []
    emitted = {value for value, origin in available.items() if origin is None}
    unrealised: set[tuple[int, int]] = set()

    def emit_value(value: int) -> None:
        """Add the free gates that carry ``value`` from where it became available."""
        if value in emitted:
            return
        origin = available[value]
        assert origin is not None
        function_id, operands = origin
        for operand in operands:
            emit_value(operand)
        steps.append(BuiltValue(value, function_id, operands, costs.get(function_id, 0.0)))
        emitted.add(value)

    def make_available(built: int, gate: tuple[int, tuple[int, ...]]) -> None:
        for operand in gate[1]:
            emit_value(operand)
        steps.append(BuiltValue(built, gate[0], gate[1], costs[gate[0]]))
        emitted.add(built)
        available[built] = gate
        for value, origin in instance.closure.reach[built + 128].items():
            if value not in available and origin is not None:
                available[value] = origin

    for recipe in recipes:
        if recipe.value in available:
            continue
        gate = recipe.gate
        if gate is None:
            u = recipe.operand
            options = [
                (cost, fid, a, b)
                for cost, fid, a, b in instance.pair_gates(recipe.value, u)
                if cost <= recipe.cost and a in available and b in available
            ]
            if not options:
                unrealised.add((recipe.value, u))
                continue
            _, fid, a, b = min(options)
            gate = (fid, (a, b))
        if any(operand not in available for operand in gate[1]):
            # only an earlier unrealised recipe can leave an operand missing: times order them
            assert unrealised, "the times order the recipes"
            continue
        make_available(recipe.value, gate)
    if unrealised:
        return None, unrealised
    for target in instance.wanted:
        if target not in available:
            return None, unrealised
        emit_value(target)
    return tuple(steps), unrealised
