"""Exported circuits against the engine, on hand-written chromosomes using the whole function set.

The reference is always the engine itself (``bin/cgp evaluate:chromosome`` on the same data), so
these tests fail if the Verilog, C or SymPy export gets any gate's int8 semantics wrong
(wrap-around, arithmetic right shifts, truncating left shifts, MUX/DEMUX selection by item, ID
and DEMUX pins with an output arity > 1, the constants). Icarus Verilog, the system C compiler
(with UBSan) and Yosys are the real tools.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from circuit_support import cli

from compress.circuit import simulate
from compress.circuit.chromosome import parse_chromosome
from compress.circuit.symbolic import evaluate_outputs
from compress.circuit.synth import synthesise
from compress.circuit.tools import find_tool
from compress.errors import CompressError

EVERY_FUNCTION = [*range(29), 100]
"""Ids 0–26, MUX (27), DEMUX (28) and ID (100)."""


def hand_written(
    *, inputs: int, rows: int, cols: int, arity: int, fo: int, items: int, seed: int
) -> str:
    """A chromosome whose first nodes are every function once (then a seeded mix), each reading
    seeded earlier pins; the outputs are every pin of every node, so every gate is active."""
    rng = random.Random(seed)
    groups = []
    for node in range(rows * cols):
        limit = inputs + (node // rows) * rows * fo
        function = (
            EVERY_FUNCTION[node] if node < len(EVERY_FUNCTION) else rng.choice(EVERY_FUNCTION)
        )
        genes = [rng.randrange(limit) for _ in range(arity)] + [function]
        groups.append(f"([{inputs + node * fo}]" + ",".join(map(str, genes)) + ")")
    pins = [inputs + n * fo + k for n in range(rows * cols) for k in range(fo)]
    header = f"{{{inputs},{len(pins)},{cols},{rows},{arity},{cols},{items}}}"
    return header + "".join(groups) + "(" + ",".join(map(str, pins)) + ")"


def write_data(path: Path, inputs: np.ndarray, outputs: int, seed: int) -> None:
    """train.data with the given inputs; the expected outputs are arbitrary (not compared)."""
    rng = random.Random(seed)
    lines = []
    for row in inputs:
        lines.append(" ".join(str(int(v)) for v in row))
        lines.append(" ".join(str(rng.randrange(-128, 128)) for _ in range(outputs)))
    path.write_text("\n".join(lines) + "\n")


def random_inputs(items: int, count: int, seed: int) -> np.ndarray:
    """Seeded int8 inputs that always include the edge values −128, 127, 0, −1."""
    rng = np.random.default_rng(seed)
    values = rng.integers(-128, 128, size=(items, count))
    edges = np.array([-128, 127, 0, -1, 1, -127])[:count]
    values[:, : len(edges)] = edges
    return values


def prove(circuit, data: Path, cgp_binary: Path, tmp_path: Path) -> None:
    """Icarus, C and SymPy reproduce the engine bit for bit; Yosys synthesises it cleanly."""
    reference = simulate.engine_weights(circuit, data, cgp_binary, tmp_path)
    inputs = simulate.read_inputs(data, circuit)
    (tmp_path / "v").mkdir()
    verilog, warnings = simulate.simulate_verilog(circuit, inputs, tmp_path / "v")
    assert warnings == ""
    result = simulate.compare(reference, verilog)
    assert result.ok, result.differences
    (tmp_path / "c").mkdir()
    c_outputs, warnings = simulate.run_c(circuit, inputs, tmp_path / "c")
    assert warnings == ""
    result = simulate.compare(reference, c_outputs)
    assert result.ok, result.differences
    symbolic = np.array(
        [evaluate_outputs(circuit, [int(v) for v in inputs[d]], d) for d in range(len(inputs))]
    )
    assert simulate.compare(reference, symbolic).ok
    report = synthesise(circuit, workdir=tmp_path)
    assert report.problems == 0
    assert not [w for w in report.warnings if "latch" in w.lower() or "undriven" in w.lower()]
    assert report.cell_count > 0
    assert sum(report.cells.values()) == report.cell_count
    assert report.transistors is not None and report.transistors > report.cell_count


@pytest.mark.parametrize(
    ("arity", "fo", "items"),
    [(2, 1, 4), (4, 4, 4), (3, 2, 4), (2, 1, 1)],
    ids=["arity2-items4", "arity4-fo4-items4", "arity3-fo2-items4", "arity2-one-item"],
)
def test_every_function_reproduces_the_engine(cgp_binary, tmp_path, arity, fo, items):
    inputs = 6
    text = hand_written(inputs=inputs, rows=3, cols=16, arity=arity, fo=fo, items=items, seed=arity)
    circuit = parse_chromosome(text, output_arity=fo)
    assert {circuit.nodes[i].function for i in circuit.active_nodes} == set(EVERY_FUNCTION)
    data = tmp_path / "train.data"
    write_data(data, random_inputs(items, inputs, seed=items), circuit.output_count, seed=1)
    prove(circuit, data, cgp_binary, tmp_path)


def test_every_gate_on_every_int8_value(cgp_binary, tmp_path):
    """Each function reads input 0 directly; 256 items put every int8 value on it (and item
    values 0..255 on MUX/DEMUX), so every unary gate is checked exhaustively."""
    functions = EVERY_FUNCTION
    groups = "".join(f"([{2 + n}]0,1,{f})" for n, f in enumerate(functions))
    pins = ",".join(str(2 + n) for n in range(len(functions)))
    text = f"{{2,{len(functions)},1,{len(functions)},2,1,256}}{groups}({pins})"
    circuit = parse_chromosome(text, value_min=-100, value_max=99)
    rng = np.random.default_rng(5)
    inputs = np.stack([np.arange(-128, 128), rng.integers(-128, 128, 256)], axis=1)
    data = tmp_path / "train.data"
    write_data(data, inputs, circuit.output_count, seed=2)
    prove(circuit, data, cgp_binary, tmp_path)


def test_a_wrong_reference_is_reported(cgp_binary, tmp_path, capsys):
    text = hand_written(inputs=4, rows=2, cols=8, arity=2, fo=1, items=4, seed=9)
    chromosome = tmp_path / "c.txt"
    chromosome.write_text(text)
    data = tmp_path / "train.data"
    circuit = parse_chromosome(text)
    write_data(data, random_inputs(4, 4, seed=3), circuit.output_count, seed=4)
    weights = simulate.engine_weights(circuit, data, cgp_binary, tmp_path)
    weights[2, 5] = (int(weights[2, 5]) + 1 + 128) % 256 - 128
    wrong = tmp_path / "weights.txt"
    wrong.write_text("\n".join(" ".join(str(v) for v in row) for row in weights) + "\n")
    argv = ["circuit:simulate", f"@{chromosome}", "--data", str(data), "--weights", str(wrong)]
    code, out, err = cli(argv, capsys)
    assert code == 1, err
    total = weights.size
    assert f"verilog (Icarus Verilog): {total - 1} of {total} outputs match" in out
    assert f"{total - 1} of {total} outputs match" in out.split("\nc (")[1]
    assert f"item 2 output 5: engine {weights[2, 5]}, verilog" in out
    # Against the engine's own evaluation everything matches.
    argv = ["circuit:simulate", f"@{chromosome}", "--data", str(data), "--cgp", str(cgp_binary)]
    code, out, err = cli(argv, capsys)
    assert code == 0, out + err
    assert out.count(f"{total} of {total} outputs match") == 2


def test_exports_from_the_command_line(tmp_path, capsys):
    text = hand_written(inputs=4, rows=2, cols=8, arity=2, fo=1, items=4, seed=11)
    chromosome = tmp_path / "c.txt"
    chromosome.write_text(text)
    out = tmp_path / "circuit.dot"
    argv = ["circuit:export", f"@{chromosome}", "--format", "dot", "-o", str(out)]
    code, _, err = cli([*argv, "--render", "svg"], capsys)
    assert code == 0, err
    assert out.read_text().count(" -> ") > 10
    assert (tmp_path / "circuit.svg").read_text().lstrip().startswith(("<?xml", "<svg"))
    code, _, err = cli(
        ["circuit:export", f"@{chromosome}", "--format", "c", "-o", str(out)], capsys
    )
    assert code == 2 and "exists; pass --force" in err
    code, sympy_text, err = cli(["circuit:export", text, "--format", "sympy"], capsys)
    assert code == 0, err
    assert "out[" in sympy_text and "Mod(" in sympy_text
    _, verilog, _ = cli(["circuit:export", text, "--format", "verilog", "--name", "w8"], capsys)
    assert "module w8 (" in verilog
    assert "input wire [1:0] item" in verilog
    assert f"Active gates: {parse_chromosome(text).gate_count}" in verilog


def test_bad_chromosomes_are_one_line_errors(capsys):
    good = hand_written(inputs=4, rows=2, cols=8, arity=2, fo=1, items=1, seed=1)
    cases = {
        "{4,16,8,2,2,8,1}([4]0,1,1)(4)": "gene groups",
        good.replace("([4]", "([4]99,", 1): "genes",
        "{2,1,1,1,2,1,1}([2]0,1,55)(2)": "not in the set",
        "{2,1,1,1,2,1,1}([2]0,1,1)(3)": "outside",
        "hello": "header",
    }
    for text, message in cases.items():
        with pytest.raises(CompressError, match=message):
            parse_chromosome(text)
    code, _, err = cli(["circuit:export", "no/such/folder", "1", "--format", "c"], capsys)
    assert code == 2 and "nor an existing sub-experiment folder" in err
    code, _, err = cli(["circuit:export", "{4,1,1,1,2,1,1}([4]7,0,1)(4)", "--format", "c"], capsys)
    assert code == 2
    assert err.count("\n") == 1 and "reads pin 7" in err


def test_missing_tools_say_what_to_install(tmp_path, capsys, monkeypatch):
    text = hand_written(inputs=4, rows=2, cols=8, arity=2, fo=1, items=1, seed=1)
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    code, _, err = cli(["circuit:synth", text], capsys)
    assert code == 2
    assert "yosys is not installed; install it with `apt-get install yosys`" in err


@pytest.mark.skipif(find_tool("yosys") is None, reason="yosys not installed")
def test_liberty_mapping_reports_the_library_area(tmp_path):
    """Map to a small hand-written library (buffer, inverter, NAND2, NOR2), read its area back."""
    library = tmp_path / "tiny.lib"
    library.write_text(
        "library(tiny) {\n"
        '  cell(BUF) { area: 1; pin(A) { direction: input; } pin(Y) { direction: output; function: "A"; } }\n'
        '  cell(INV) { area: 1; pin(A) { direction: input; } pin(Y) { direction: output; function: "A\'"; } }\n'
        "  cell(NAND2) { area: 2; pin(A) { direction: input; } pin(B) { direction: input; }\n"
        '    pin(Y) { direction: output; function: "(A*B)\'"; } }\n'
        "  cell(NOR2) { area: 2; pin(A) { direction: input; } pin(B) { direction: input; }\n"
        '    pin(Y) { direction: output; function: "(A+B)\'"; } }\n'
        "}\n"
    )
    circuit = parse_chromosome("{2,1,1,1,2,1,1}([2]0,1,1)(2)")  # one 8-bit adder
    report = synthesise(circuit, liberty=library, workdir=tmp_path)
    area = {"BUF": 1, "INV": 1, "NAND2": 2, "NOR2": 2}
    assert set(report.liberty_cells) <= set(area)
    expected = sum(area[cell] * count for cell, count in report.liberty_cells.items())
    assert report.liberty_area == pytest.approx(expected)
    assert report.cell_count > 8
