"""The optimiser against an exhaustive search, the real engine, and the train/CLI wiring.

The exhaustive search is a uniform-cost search over every circuit of up to four costed gates
with the bundled gate table: a state is the set of available values (inputs, free constants and
everything free gates reach), and a step adds one new value at the cheapest gate that makes it
from the state. States are popped cheapest first, so every circuit cheaper than the optimiser's
claimed energy is enumerated before the search stops just above it.
"""

from __future__ import annotations

import heapq
import random

import numpy as np
import pytest
from experiment_support import MODEL_NAME, engine, model_path, run_cli, settings
from test_seeding import (
    _evaluate,
    weights,  # noqa: F401 (the conv1/conv2 weights fixture)
)

from compress.energy import load_gate_table
from compress.energy.constructive import _tables
from compress.energy.functions import apply, arity
from compress.energy.optimal import optimal_circuit
from compress.experiments.optimal_start import ItemProblem, best_start, place


@pytest.fixture(scope="module")
def table():
    return load_gate_table(None, settings())


class Exhaustive:
    """Every circuit of up to ``max_gates`` costed gates, cheapest first (bit-set states)."""

    def __init__(self, table, max_gates: int = 4):
        self.costs = {g.function_id: g.energy_pj for g in table.base_gates()}
        self.free_unary = [f for f, c in self.costs.items() if c == 0 and arity(f) == 1]
        self.free_constants = [apply(f) for f, c in self.costs.items() if c == 0 and arity(f) == 0]
        self.costed = [f for f, c in self.costs.items() if not (c == 0 and arity(f) <= 1)]
        self.reach = [self._closure([v]) for v in range(-128, 128)]
        self.max_gates = max_gates

    def _closure(self, values) -> int:
        found, frontier = set(values), list(values)
        while frontier:
            value = frontier.pop()
            for function_id in self.free_unary:
                result = apply(function_id, value)
                if result not in found:
                    found.add(result)
                    frontier.append(result)
        return sum(1 << (v + 128) for v in found)

    def search(self, inputs, targets, stop_above: float):
        """(cheapest cost found or None, every goal cost seen), states up to ``stop_above``."""
        unary, binary = _tables()
        start = self._closure([*inputs, *self.free_constants])
        want = sum(1 << (t + 128) for t in targets)
        heap = [(0.0, 0, start)]
        seen = {start: 0.0}
        goals = []
        while heap:
            cost, gates, state = heapq.heappop(heap)
            if cost > stop_above:
                return None, goals
            if state & want == want:
                return cost, goals
            if seen[state] < cost or gates == self.max_gates:
                continue
            present = np.array([i for i in range(256) if state >> i & 1])
            cheapest = np.full(256, np.inf)
            for function_id in self.costed:
                n = arity(function_id)
                if n == 1:
                    results = unary[function_id][present]
                elif n == 2:
                    results = binary[function_id][np.ix_(present, present)].ravel()
                else:
                    results = np.array([apply(function_id) + 128])
                np.minimum.at(cheapest, results, self.costs[function_id])
            for index in np.flatnonzero(np.isfinite(cheapest)).tolist():
                if state >> index & 1:
                    continue
                after, after_cost = state | self.reach[index], cost + float(cheapest[index])
                if after & want == want:
                    goals.append(after_cost)
                if after_cost < seen.get(after, np.inf):
                    seen[after] = after_cost
                    heapq.heappush(heap, (after_cost, gates + 1, after))
        return None, goals


def _tiny_cases(count: int):
    rng = random.Random(3)
    cases = []
    for _ in range(count):
        inputs = rng.sample(range(-128, 128), rng.randint(1, 3))
        targets = rng.sample([v for v in range(-128, 128) if v not in inputs], rng.randint(2, 5))
        cases.append((inputs, targets))
    return cases


@pytest.mark.parametrize("inputs, targets", _tiny_cases(6))
def test_optimum_equals_exhaustive_search_and_bound_is_below_every_circuit(table, inputs, targets):
    result = optimal_circuit(inputs, targets, table, time_limit_s=60)
    assert result.proven
    optimum, goal_costs = Exhaustive(table).search(
        inputs, targets, stop_above=result.energy_pj * (1 + 1e-9)
    )
    assert all(result.lower_bound_pj <= cost * (1 + 1e-12) for cost in goal_costs)
    if result.costed_gate_count <= 4:
        assert optimum == pytest.approx(result.energy_pj, rel=1e-9)
    else:  # no circuit of up to four costed gates is as cheap: the optimum needs more
        assert optimum is None
    # the steps are a real circuit: every operand available before use, every target built
    available = {*inputs, *Exhaustive(table).free_constants}
    for step in result.steps:
        assert all(operand in available for operand in step.operands)
        assert apply(step.function_id, *step.operands) == step.value
        available.add(step.value)
    assert set(targets) <= available
    assert sum(s.energy_pj for s in result.steps) == pytest.approx(result.energy_pj)


def test_time_limited_bound_stays_below_the_optimum(table):
    inputs, targets = [-96], [-98, -1, 67, -12, 5]
    exact = optimal_circuit(inputs, targets, table, time_limit_s=60)
    quick = optimal_circuit(inputs, targets, table, time_limit_s=0.01)
    assert exact.proven
    assert quick.lower_bound_pj <= exact.energy_pj * (1 + 1e-9) <= quick.energy_pj * (1 + 2e-9)


def test_nothing_to_build_costs_nothing(table):
    result = optimal_circuit([12], [3, 6, 12, 0, -128], table)
    assert result.energy_pj == 0 and result.lower_bound_pj == 0 and result.proven
    assert all(step.energy_pj == 0 for step in result.steps)
    assert {3, 6, 0, -128} <= {step.value for step in result.steps}


def test_optimal_circuit_on_the_engine_is_exact_at_the_claimed_energy(tmp_path, request):
    """conv1 -> conv2 of the bundled checkpoint: proven optimal, cheaper than constructive, and
    the placed chromosome evaluated by bin/cgp gives error 0 and the optimiser's energy."""
    from compress.energy import constructive_reference

    conv_weights = request.getfixturevalue("weights")
    table = load_gate_table(None, settings())
    inputs, expected = conv_weights["conv1"], conv_weights["conv2"]
    result = optimal_circuit(inputs, expected, table, time_limit_s=60)
    assert result.proven
    assert result.energy_pj < constructive_reference(inputs, expected, table).energy_pj
    problem = ItemProblem(tuple(inputs), tuple(expected), 1, 256, 31, 31, 27, 2, 1)
    chromosome = place(problem, result.steps)
    row, produced = _evaluate(
        tmp_path, table, chromosome, inputs, expected, rows=256, cols=31, look_back=31
    )
    assert float(row["error"]) == 0
    assert produced[: len(expected)] == expected
    assert float(row["energy"]) == pytest.approx(result.energy_pj, rel=1e-6)


def test_best_start_says_why_it_starts_randomly_or_constructively(table):
    two_items = ItemProblem((1,), (5,), 2, 10, 10, 10, 27, 2, 1)
    start = best_start(two_items, table, 5)
    assert start.kind == "random" and start.chromosome is None
    assert "one dataset item" in start.message
    # five values needing gates; a 1x2 grid holds neither circuit
    targets = (-59, 57, 78, -69, 24)
    tiny_grid = ItemProblem((93, -127), targets, 1, 1, 2, 2, 27, 2, 1)
    start = best_start(tiny_grid, table, 5)
    assert start.kind == "random" and "does not fit" in start.message
    fits = ItemProblem((93, -127), targets, 1, 8, 8, 8, 27, 2, 1)
    start = best_start(fits, table, 5)
    assert start.kind == "optimal" and "proven-optimal" in start.message
    assert start.chromosome.startswith("{2,5,8,8,2,8,1}")


def test_energy_optimal_command_on_a_train_folder(tmp_path):
    """train writes the folder (default start logged), energy:optimal proves the same optimum
    and writes the chromosome; a folder without train.data is a one-line error."""
    model_path()
    common = ["--experiment-env", str(tmp_path), "--cgp", str(engine())]
    result = run_cli(
        [
            "layer_bypass:train",
            MODEL_NAME,
            str(model_path()),
            "--rows",
            "256",
            "--cols",
            "31",
            "--mse-thresholds",
            "0",
            "--number-of-runs",
            "1",
            "--generation-count",
            "5",
            *common,
        ],
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "starting from the proven-optimal exact circuit" in result.stderr
    folder = tmp_path / "layer_bypass" / "mse_0.0_256_31"
    output = tmp_path / "optimal.chromosome"
    result = run_cli(["energy:optimal", str(folder), "--output", str(output)], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "proven optimal" in result.stdout and "optimality_gap_ratio 1" in result.stdout
    config = (folder / "train_cgp.config").read_text()
    assert output.read_text().strip() in config
    refused = run_cli(["energy:optimal", str(folder), "--write-start"], cwd=tmp_path)
    assert refused.returncode != 0 and "already holds engine results" in refused.stderr
    (tmp_path / "empty").mkdir()
    missing = run_cli(["energy:optimal", str(tmp_path / "empty")], cwd=tmp_path)
    assert missing.returncode != 0 and "Traceback" not in missing.stderr
    assert "train_cgp.config" in missing.stderr
