"""Bad input never crashes or hangs the engine: one line `cgp: <file>:<line>: <what>`, an exit code.

Issue 5 §9 lists the mistakes users make with hand-edited experiment folders: a config line
without a colon, zero or negative counts, look-back beyond the columns, an unknown function
count, a data file with too few or non-numeric tokens or values outside int8, a chromosome that
does not fit the config, a short gate file, an unknown command or flag. Each case here runs the
real ``bin/cgp`` on a folder with exactly one such mistake and checks the documented exit code
(docs/architecture.md), that stderr is exactly one line naming the file and line of the
mistake, that the process was not killed by a signal, left no core file and did not hang.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

TIMEOUT_S = 30
ERROR_LINE = re.compile(r"^cgp: (?P<file>.+?):(?P<line>\d+): (?P<what>\S.*)$")
CLI = "<command line>"

EXIT_ZERO_COUNT = 2
EXIT_NO_COMMAND = 12
EXIT_NO_CONFIG = 13
EXIT_MISSING_POSITIONAL = 14
EXIT_TEMPLATE = 42
EXIT_INVALID = 44

INPUTS = [12, -7, 33, 0, 101, -128]
OUTPUTS = [3, -128, 5, 7, 99, -1, 0, 64, -64, 127, 12, 2]
ROWS, COLS = 3, 4
NODES = ROWS * COLS
PINS = len(INPUTS) + NODES


def base_config() -> list[str]:
    """A valid config, one key per line (line numbers in expectations refer to this list)."""
    return [
        f"input_count: {len(INPUTS)}",  # 1
        f"output_count: {len(OUTPUTS)}",  # 2
        f"row_count: {ROWS}",  # 3
        f"col_count: {COLS}",  # 4
        f"look_back_parameter: {COLS}",  # 5
        "function_input_arity: 2",  # 6
        "population_max: 5",  # 7
        "mutation_max: 0.15",  # 8
        "function_count: 27",  # 9
        "number_of_runs: 1",  # 10
        "generation_count: 100",  # 11
        "dataset_size: 1",  # 12
        "input_file: train.data",  # 13
        "gate_parameters_file: gates.txt",  # 14
        "output_file: result.{run}.config",  # 15
        "cgp_statistics_file: stats.{run}.csv",  # 16
        "train_weights_file: weights.{run}.txt",  # 17
        "seed: 3",  # 18
    ]


def base_data() -> list[str]:
    return [" ".join(map(str, INPUTS)), " ".join(map(str, OUTPUTS))]


def base_gates() -> list[str]:
    return [f"{f % 7} {f % 7 * 0.1:.1f} 1.5 {f % 3} 0.2" for f in range(27)]


def chromosome(
    *,
    header: tuple[int, ...] | None = None,
    node_inputs: Callable[[int], tuple[int, int]] | None = None,
    function: Callable[[int], int] | None = None,
    outputs: list[int] | None = None,
) -> str:
    """A chromosome string for the base layout, with optional wrong parts."""
    header = header or (len(INPUTS), len(OUTPUTS), COLS, ROWS, 2, COLS, 1)
    text = "{" + ",".join(map(str, header)) + "}"
    for node in range(NODES):
        column = node // ROWS
        a, b = node_inputs(node) if node_inputs else (0, max(0, len(INPUTS) + (column - 1) * ROWS))
        f = function(node) if function else node % 27
        text += f"([{node + len(INPUTS)}]{a},{b},{f})"
    outputs = outputs if outputs is not None else [PINS - 1 - j % ROWS for j in range(len(OUTPUTS))]
    return text + "(" + ",".join(map(str, outputs)) + ")"


@dataclass
class Case:
    """One mistake: how to make it, and what the engine must say."""

    name: str
    code: int
    file: str
    lines: tuple[int, ...]
    args: list[str] = field(default_factory=lambda: ["train", "train.config"])
    config: Callable[[list[str]], list[str]] | None = None
    data: Callable[[list[str]], list[str]] | None = None
    gates: Callable[[list[str]], list[str]] | None = None
    extra_files: dict[str, str] = field(default_factory=dict)
    keyword: str | None = None
    """A word any useful message would contain (the key or the offending token)."""
    forbidden: str | None = None
    """Text the message must not contain (garbage seen from a past defect)."""
    data_text: str | None = None


def replace_line(number: int, text: str) -> Callable[[list[str]], list[str]]:
    def edit(lines: list[str]) -> list[str]:
        lines = list(lines)
        lines[number - 1] = text
        return lines

    return edit


def set_token(line: int, index: int, token: str) -> Callable[[list[str]], list[str]]:
    def edit(lines: list[str]) -> list[str]:
        tokens = lines[line - 1].split()
        tokens[index] = token
        return [*lines[: line - 1], " ".join(tokens), *lines[line:]]

    return edit


def append(*extra: str) -> Callable[[list[str]], list[str]]:
    return lambda lines: [*lines, *extra]


CONFIG_CASES = [
    Case(
        "config line without colon",
        EXIT_INVALID,
        "train.config",
        (3,),
        config=replace_line(3, "row_count 3"),
    ),
    Case(
        "zero rows",
        EXIT_INVALID,
        "train.config",
        (3,),
        config=replace_line(3, "row_count: 0"),
        keyword="row_count",
    ),
    Case(
        "negative columns",
        EXIT_INVALID,
        "train.config",
        (4,),
        config=replace_line(4, "col_count: -4"),
        keyword="col_count",
    ),
    Case(
        "zero runs",
        EXIT_INVALID,
        "train.config",
        (10,),
        config=replace_line(10, "number_of_runs: 0"),
        keyword="number_of_runs",
    ),
    Case(
        "negative dataset size",
        EXIT_INVALID,
        "train.config",
        (12,),
        config=replace_line(12, "dataset_size: -1"),
        keyword="dataset_size",
    ),
    Case(
        "zero arity",
        EXIT_INVALID,
        "train.config",
        (6,),
        config=replace_line(6, "function_input_arity: 0"),
        keyword="function_input_arity",
    ),
    Case(
        "negative population",
        EXIT_INVALID,
        "train.config",
        (7,),
        config=replace_line(7, "population_max: -2"),
        keyword="population_max",
    ),
    Case(
        "negative input count",
        EXIT_INVALID,
        "train.config",
        (1,),
        config=replace_line(1, "input_count: -6"),
        keyword="input_count",
    ),
    Case(
        "zero input count",
        EXIT_ZERO_COUNT,
        "train.config",
        (1,),
        config=replace_line(1, "input_count: 0"),
    ),
    Case(
        "zero output count",
        EXIT_ZERO_COUNT,
        "train.config",
        (2,),
        config=replace_line(2, "output_count: 0"),
    ),
    Case(
        "look-back beyond the columns",
        EXIT_INVALID,
        "train.config",
        (5,),
        config=replace_line(5, f"look_back_parameter: {COLS + 3}"),
        keyword="look_back",
    ),
    Case(
        "unknown function count",
        EXIT_INVALID,
        "train.config",
        (9,),
        config=replace_line(9, "function_count: 40"),
        keyword="function_count",
    ),
    Case(
        "zero function count",
        EXIT_INVALID,
        "train.config",
        (9,),
        config=replace_line(9, "function_count: 0"),
        keyword="function_count",
    ),
    Case(
        "non-integer count",
        EXIT_INVALID,
        "train.config",
        (3,),
        config=replace_line(3, "row_count: three"),
        keyword="three",
    ),
    Case(
        "mutation rate above 1",
        EXIT_INVALID,
        "train.config",
        (8,),
        config=replace_line(8, "mutation_max: 1.5"),
        keyword="mutation_max",
    ),
    Case(
        "unknown error metric",
        EXIT_INVALID,
        "train.config",
        (19,),
        config=append("error_metric: RMSE"),
        keyword="RMSE",
    ),
    Case(
        "start_run in a file",
        EXIT_INVALID,
        "train.config",
        (19,),
        config=append("start_run: 1"),
        keyword="start_run",
    ),
    Case(
        "no gate file named",
        EXIT_INVALID,
        "train.config",
        (0, 14),
        config=replace_line(14, "# no gate file"),
        keyword="gate_parameters_file",
    ),
    Case(
        "missing config file",
        EXIT_INVALID,
        "missing.config",
        (0,),
        args=["train", "missing.config"],
    ),
    Case(
        "grid too large",
        EXIT_INVALID,
        "train.config",
        (3, 4),
        config=lambda lines: replace_line(4, "col_count: 100000")(
            replace_line(3, "row_count: 100000")(lines)
        ),
    ),
    Case(
        # rows x cols beyond int64: once printed as a wrapped negative node count (UB).
        "grid beyond int64",
        EXIT_INVALID,
        "train.config",
        (3, 4),
        config=lambda lines: replace_line(4, "col_count: 352e7")(
            replace_line(3, "row_count: 2052e7")(lines)
        ),
        forbidden="-9223372036854775808",
    ),
    Case(
        "count beyond int64",
        EXIT_INVALID,
        "train.config",
        (2,),
        config=replace_line(2, "output_count: 99999999999999999999"),
        keyword="output_count",
    ),
    Case(
        "unclosed template",
        EXIT_TEMPLATE,
        "result.{run.config",
        (0,),
        config=replace_line(15, "output_file: result.{run.config"),
    ),
]

DATA_CASES = [
    Case(
        "too few output tokens",
        EXIT_INVALID,
        "train.data",
        (2, 3),
        data=lambda lines: [lines[0], " ".join(lines[1].split()[:-1])],
    ),
    Case("too few input tokens", EXIT_INVALID, "train.data", (1, 2), data_text="1 2 3\n"),
    Case("empty data file", EXIT_INVALID, "train.data", (0, 1), data_text=""),
    Case(
        "fewer items than dataset_size",
        EXIT_INVALID,
        "train.data",
        (2, 3),
        config=replace_line(12, "dataset_size: 3"),
    ),
    Case(
        "non-numeric output",
        EXIT_INVALID,
        "train.data",
        (2,),
        data=set_token(2, 4, "abc"),
        keyword="abc",
    ),
    Case(
        "decimal input",
        EXIT_INVALID,
        "train.data",
        (1,),
        data=set_token(1, 1, "1.5"),
        keyword="1.5",
    ),
    Case(
        "output above int8",
        EXIT_INVALID,
        "train.data",
        (2,),
        data=set_token(2, 3, "200"),
        keyword="200",
    ),
    Case(
        "input below int8",
        EXIT_INVALID,
        "train.data",
        (1,),
        data=set_token(1, 0, "-129"),
        keyword="-129",
    ),
    Case(
        "only don't-care outputs",
        EXIT_INVALID,
        "train.data",
        (2,),
        data=lambda lines: [lines[0], " ".join(["x"] * len(OUTPUTS))],
    ),
    Case(
        "missing data file",
        EXIT_INVALID,
        "absent.data",
        (0,),
        config=replace_line(13, "input_file: absent.data"),
    ),
]

GATE_CASES = [
    Case(
        "short gate file",
        EXIT_INVALID,
        "gates.txt",
        tuple(range(1, 12)),
        gates=lambda lines: lines[:10],
    ),
    Case("empty gate file", EXIT_INVALID, "gates.txt", (0, 1), gates=lambda lines: []),
    Case(
        "gate line with 4 columns",
        EXIT_INVALID,
        "gates.txt",
        (5,),
        gates=replace_line(5, "1 0.1 1.5 0"),
    ),
    Case(
        "non-numeric gate cost",
        EXIT_INVALID,
        "gates.txt",
        (3,),
        gates=replace_line(3, "1 cheap 1.5 0 0.2"),
        keyword="cheap",
    ),
    Case(
        "negative quantized energy",
        EXIT_INVALID,
        "gates.txt",
        (7,),
        gates=replace_line(7, "-5 0.1 1.5 0 0.2"),
    ),
]


def evaluate_chromosome_case(name: str, text: str, keyword: str | None = None) -> Case:
    return Case(
        name,
        EXIT_INVALID,
        "chromosome.txt",
        (1,),
        args=["evaluate:chromosome", "train.config", "@chromosome.txt"],
        extra_files={"chromosome.txt": text + "\n"},
        keyword=keyword,
    )


CHROMOSOME_CASES = [
    evaluate_chromosome_case(
        "header input count differs",
        chromosome(header=(len(INPUTS) + 1, len(OUTPUTS), COLS, ROWS, 2, COLS, 1)),
        keyword="input_count",
    ),
    evaluate_chromosome_case(
        "header rows differ",
        chromosome(header=(len(INPUTS), len(OUTPUTS), COLS, ROWS + 2, 2, COLS, 1)),
        keyword="row_count",
    ),
    evaluate_chromosome_case(
        "node reads a later pin",
        chromosome(node_inputs=lambda node: (PINS - 1, 0) if node == 2 else (0, 1)),
    ),
    evaluate_chromosome_case(
        "negative pin", chromosome(node_inputs=lambda node: (-1, 0) if node == 0 else (0, 1))
    ),
    evaluate_chromosome_case(
        "unknown function id",
        chromosome(function=lambda node: 50 if node == 4 else 1),
        keyword="50",
    ),
    evaluate_chromosome_case(
        "output pin beyond the grid",
        chromosome(outputs=[PINS + 3] * len(OUTPUTS)),
        keyword=str(PINS + 3),
    ),
    evaluate_chromosome_case(
        "too few output genes", chromosome(outputs=[PINS - 1] * (len(OUTPUTS) - 1))
    ),
    evaluate_chromosome_case("missing output group", chromosome().rsplit("(", 1)[0]),
    evaluate_chromosome_case("text after the outputs", chromosome() + "(1,2)"),
    evaluate_chromosome_case("not a chromosome", "hello"),
    Case(
        "bad chromosome on line 3 of a list",
        EXIT_INVALID,
        "chromosomes.txt",
        (3,),
        args=["evaluate:chromosomes", "train.config", "gates.{run}.csv"],
        config=replace_line(16, "cgp_statistics_file: chromosomes.txt"),
        extra_files={
            "chromosomes.txt": "\n".join(
                [chromosome(), chromosome(), chromosome(function=lambda node: 99)]
            )
            + "\n"
        },
    ),
    Case(
        "starting solution does not fit",
        EXIT_INVALID,
        "train.config",
        (19,),
        config=append(
            "starting_solution: "
            + chromosome(header=(len(INPUTS), len(OUTPUTS) + 1, COLS, ROWS, 2, COLS, 1))
        ),
        keyword="output_count",
    ),
]

CLI_CASES = [
    Case("no command", EXIT_NO_COMMAND, CLI, (0, 1), args=[]),
    Case(
        "unknown command",
        EXIT_NO_CONFIG,
        CLI,
        (1,),
        args=["trian", "train.config"],
        keyword="trian",
    ),
    Case("the original's 'evaluate'", EXIT_NO_CONFIG, CLI, (1,), args=["evaluate", "train.config"]),
    Case("no config file", EXIT_NO_CONFIG, CLI, (2,), args=["train"]),
    Case(
        "missing chromosome",
        EXIT_MISSING_POSITIONAL,
        CLI,
        (3,),
        args=["evaluate:chromosome", "train.config"],
    ),
    Case(
        "missing gate statistics template",
        EXIT_MISSING_POSITIONAL,
        CLI,
        (3,),
        args=["evaluate:chromosomes", "train.config"],
    ),
    Case(
        "unknown flag",
        EXIT_INVALID,
        CLI,
        (3,),
        args=["train", "train.config", "--row-cuont", "5"],
        keyword="--row-cuont",
    ),
    Case(
        "flag without value",
        EXIT_INVALID,
        CLI,
        (5,),
        args=["train", "train.config", "-r", "3", "--seed"],
        keyword="--seed",
    ),
    Case(
        "non-numeric flag value",
        EXIT_INVALID,
        CLI,
        (4,),
        args=["train", "train.config", "--col-count", "wide"],
        keyword="wide",
    ),
    Case(
        "zero rows on the command line",
        EXIT_INVALID,
        CLI,
        (4,),
        args=["train", "train.config", "-r", "0"],
        keyword="row_count",
    ),
    Case(
        "bad output assignment",
        EXIT_INVALID,
        CLI,
        (4,),
        args=["train", "train.config", "--output-assignment", "closest"],
        keyword="closest",
    ),
]

ALL_CASES = CONFIG_CASES + DATA_CASES + GATE_CASES + CHROMOSOME_CASES + CLI_CASES


def write_folder(folder: Path, case: Case) -> None:
    config = base_config()
    if case.config:
        config = case.config(config)
    (folder / "train.config").write_text("\n".join(config) + "\n")
    if case.data_text is not None:
        (folder / "train.data").write_text(case.data_text)
    else:
        data = case.data(base_data()) if case.data else base_data()
        (folder / "train.data").write_text("\n".join(data) + "\n")
    gates = case.gates(base_gates()) if case.gates else base_gates()
    (folder / "gates.txt").write_text("".join(line + "\n" for line in gates))
    for name, text in case.extra_files.items():
        (folder / name).write_text(text)


def test_base_folder_is_valid(cgp_binary: Path, tmp_path: Path) -> None:
    """Without a mistake the same folder trains and evaluates: the failures below are the mistake's."""
    case = Case("valid", 0, "", ())
    write_folder(tmp_path, case)
    train = subprocess.run(
        [str(cgp_binary), "train", "train.config"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        stdin=subprocess.DEVNULL,
    )
    assert train.returncode == 0, train.stderr
    (tmp_path / "chromosome.txt").write_text(chromosome() + "\n")
    evaluate = subprocess.run(
        [str(cgp_binary), "evaluate:chromosome", "train.config", "@chromosome.txt"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        stdin=subprocess.DEVNULL,
    )
    assert evaluate.returncode == 0, evaluate.stderr


@pytest.mark.parametrize("case", ALL_CASES, ids=[case.name for case in ALL_CASES])
def test_bad_input_gives_one_line_and_exit_code(
    cgp_binary: Path, tmp_path: Path, case: Case
) -> None:
    write_folder(tmp_path, case)
    try:
        result = subprocess.run(
            [str(cgp_binary), *case.args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"the engine hung for {TIMEOUT_S} s")
    assert result.returncode >= 0, f"killed by signal {-result.returncode}: {result.stderr[-2000:]}"
    assert not list(tmp_path.glob("core*")), "core dump left behind"
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one stderr line, got {len(lines)}: {lines[:5]}"
    match = ERROR_LINE.match(lines[0])
    assert match, f"not 'cgp: <file>:<line>: <what>': {lines[0]!r}"
    assert result.returncode == case.code, (
        f"exit {result.returncode}, expected {case.code}: {lines[0]}"
    )
    assert match["file"] == case.file, (
        f"names {match['file']!r}, expected {case.file!r}: {lines[0]}"
    )
    assert int(match["line"]) in case.lines, (
        f"line {match['line']}, expected {case.lines}: {lines[0]}"
    )
    if case.keyword:
        assert case.keyword.lower() in match["what"].lower(), (
            f"{case.keyword!r} not in {lines[0]!r}"
        )
    if case.forbidden:
        assert case.forbidden not in lines[0], f"{case.forbidden!r} in {lines[0]!r}"
