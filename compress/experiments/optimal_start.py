"""The best circuit a run can start from, and the proven bound beside evolved circuits.

``train`` starts every run from the best exact circuit the toolkit can construct: the optimiser's
circuit (:mod:`compress.energy.optimal`: proven optimal unless its time limit was hit), or the
constructive one when the optimum does not fit the grid, or a random grid when neither applies
(several dataset items, a grid too small); the choice and its reason are printed to the log.
``energy:optimal`` and ``model-metrics`` use the same problem reading, so every figure about one
folder comes from the same ``train.data`` and gate table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from compress.energy.constructive import constructive_reference
from compress.energy.functions import BASE_FUNCTION_COUNT
from compress.energy.gates import GateTable, parse_gate_table
from compress.energy.optimal import OptimalResult, optimal_circuit, optimality_ratio
from compress.energy.seeding import place_circuit
from compress.engine.config import CGPConfig
from compress.engine.files import read_train_data
from compress.errors import CompressError
from compress.experiments.layout import CONFIG_FILE, GATE_PARAMETERS_CSV, TRAIN_DATA

DEFAULT_TIME_LIMIT_S = 30.0
"""Solver time per distinct problem before train falls back to the best circuit found."""


@dataclass(frozen=True)
class ItemProblem:
    """One dataset item's circuit problem and the grid it must fit."""

    inputs: tuple[int | None, ...]
    expected: tuple[int | None, ...]
    dataset_size: int
    rows: int
    cols: int
    look_back: int
    function_count: int
    function_input_arity: int
    function_output_arity: int


def problem_from_config(
    config: CGPConfig, items: list, default_function_count: int = BASE_FUNCTION_COUNT
) -> ItemProblem:
    """The problem of a config and its dataset items (``TrainItem``\\ s: inputs, outputs)."""
    input_count = config.get_int("input_count")
    output_count = config.get_int("output_count")
    cols = config.get_int("col_count")
    inputs: list[int | None] = [int(v) for v in items[0].inputs][:input_count] if items else []
    expected: list[int | None] = [int(v) for v in items[0].outputs] if items else []
    inputs += [None] * (input_count - len(inputs))
    expected += [None] * (output_count - len(expected))
    return ItemProblem(
        inputs=tuple(inputs),
        expected=tuple(expected),
        dataset_size=len(items),
        rows=config.get_int("row_count"),
        cols=cols,
        look_back=config.get_int("look_back_parameter", cols),
        function_count=config.get_int("function_count", default_function_count),
        function_input_arity=config.get_int("function_input_arity", 2),
        function_output_arity=config.get_int("function_output_arity", 1),
    )


def problem_of_folder(folder: Path) -> tuple[ItemProblem, GateTable]:
    """A sub-experiment folder's problem (``train_cgp.config``, ``train.data``) and the gate table
    its engine runs used (``gate_parameters.csv``)."""
    folder = Path(folder)
    for needed in (CONFIG_FILE, TRAIN_DATA, GATE_PARAMETERS_CSV):
        if not (folder / needed).is_file():
            raise CompressError(
                f"{folder} has no {needed}; give a sub-experiment folder written by train"
            )
    config = CGPConfig.load(folder / CONFIG_FILE)
    data = read_train_data(
        folder / TRAIN_DATA,
        config.get_int("input_count"),
        config.get_int("output_count"),
        config.get_int("dataset_size", 1),
    )
    table_path = folder / GATE_PARAMETERS_CSV
    table = parse_gate_table(table_path.read_text(encoding="utf-8"), table_path)
    return problem_from_config(config, list(data.items)), table


@lru_cache(maxsize=32)
def _solve_cached(
    inputs: tuple[int | None, ...],
    expected: tuple[int | None, ...],
    table: GateTable,
    function_count: int,
    time_limit_s: float,
) -> OptimalResult:
    """Batches of one sub-experiment share their problem: solve it once per invocation."""
    return optimal_circuit(
        inputs, expected, table, function_count=function_count, time_limit_s=time_limit_s
    )


def solve(problem: ItemProblem, table: GateTable, time_limit_s: float) -> OptimalResult:
    """The optimiser's result for the problem's one dataset item."""
    if problem.dataset_size != 1:
        raise CompressError(
            f"the optimiser handles one dataset item, this problem has {problem.dataset_size}"
        )
    return _solve_cached(
        problem.inputs,
        problem.expected,
        table,
        min(problem.function_count, BASE_FUNCTION_COUNT),
        float(time_limit_s),
    )


@dataclass(frozen=True)
class Start:
    """How runs start: ``kind`` is optimal, constructive or random; ``message`` says why
    (empty for a grid the engine itself rejects)."""

    kind: str
    chromosome: str | None
    message: str
    result: OptimalResult | None = None


def place(problem: ItemProblem, steps) -> str:
    return place_circuit(
        problem.inputs,
        problem.expected,
        steps,
        rows=problem.rows,
        cols=problem.cols,
        look_back=problem.look_back,
        function_input_arity=problem.function_input_arity,
        function_output_arity=problem.function_output_arity,
    )


def describe(result: OptimalResult) -> str:
    proof = (
        "proven optimal"
        if result.proven
        else f"not proven: lower bound {result.lower_bound_pj:.6g} pJ, ratio {result.gap_ratio:.4g}"
    )
    return (
        f"{result.energy_pj:.6g} pJ, {result.costed_gate_count} costed gates for "
        f"{len(result.missing_values)} missing values ({proof}; solved in "
        f"{result.solve_seconds:.1f} s)"
    )


def best_start(problem: ItemProblem, table: GateTable, time_limit_s: float) -> Start:
    """The best exact circuit that fits the grid, or the reason to start randomly."""
    if problem.dataset_size != 1:
        return Start(
            "random",
            None,
            f"starting randomly: exact starting circuits serve one dataset item, this "
            f"experiment has {problem.dataset_size}",
        )
    if not 1 <= problem.look_back <= problem.cols or problem.rows < 1:
        return Start("random", None, "")  # an invalid grid: the engine rejects it, in one line
    if not any(v is not None for v in problem.inputs):
        return Start("random", None, "starting randomly: the circuit has no input value")
    try:
        result = solve(problem, table, time_limit_s)
    except CompressError as error:
        return Start("random", None, f"starting randomly: {error}")
    label = "proven-optimal" if result.proven else "best found (time limit hit)"
    try:
        return Start(
            "optimal",
            place(problem, result.steps),
            f"starting from the {label} exact circuit: {describe(result)}",
            result,
        )
    except CompressError as too_big:
        reason = f"the optimiser's circuit does not fit: {too_big}"
    constructive = constructive_reference(
        problem.inputs, problem.expected, table, function_count=min(problem.function_count, 27)
    )
    try:
        chromosome = place(problem, constructive.steps)
    except CompressError as error:
        return Start(
            "random",
            None,
            f"starting randomly: {reason}; nor does the constructive circuit: {error}",
            result,
        )
    return Start(
        "constructive",
        chromosome,
        f"starting from the constructive circuit ({constructive.energy_pj:.6g} pJ): {reason}",
        result,
    )


def bound_columns(folder: Path, error: float, energy_pj: float, time_limit_s: float) -> dict:
    """``energy_lower_bound_pj`` and ``optimality_gap_ratio`` (energy ÷ bound) for an exact
    circuit (error 0) of a one-item folder; empty for anything else (no bound applies)."""
    if not (math.isfinite(error) and error == 0 and math.isfinite(energy_pj)):
        return {}
    problem, table = problem_of_folder(folder)
    if problem.dataset_size != 1:
        return {}
    result = solve(problem, table, time_limit_s)
    return {
        "energy_lower_bound_pj": result.lower_bound_pj,
        "optimality_gap_ratio": optimality_ratio(energy_pj, result.lower_bound_pj),
    }
