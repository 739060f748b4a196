"""Prove an export: run it on the experiment's inputs and compare every output with the engine's.

* Verilog: Icarus Verilog compiles the module with a generated testbench that applies every
  dataset item (inputs and ``item``), waits, and prints every output as a signed integer.
* C: the system compiler builds the export with a small driver (C99, ``-Wall -Wextra
  -pedantic``, and UBSan when the compiler has it, so undefined behaviour stops the run).

The reference is the engine: a run's weights file, or ``bin/cgp evaluate:chromosome`` on the same
data (:func:`engine_weights`), so the comparison never depends on a second Python model of the
gates. Outputs that are not integers (an ``x`` from an undriven bit) count as mismatches.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from compress.circuit.c_source import signature, to_c
from compress.circuit.chromosome import Circuit
from compress.circuit.tools import require_tool
from compress.circuit.verilog import identifier, to_verilog
from compress.energy.functions import BASE_FUNCTION_COUNT
from compress.engine.files import read_weights
from compress.errors import CompressError

MISSING = np.iinfo(np.int64).min
"""Placeholder for an output that was not an integer (printed as ``x``/``z`` by the simulator)."""


@dataclass(frozen=True)
class Difference:
    item: int
    output: int
    expected: int
    actual: str


@dataclass(frozen=True)
class Comparison:
    """How many outputs (over all items) match the reference, and the first differences."""

    matching: int
    total: int
    differences: tuple[Difference, ...]
    mismatch_count: int

    @property
    def ok(self) -> bool:
        return self.matching == self.total

    def summary(self) -> str:
        return f"{self.matching} of {self.total} outputs match"


def read_inputs(path: Path, circuit: Circuit) -> np.ndarray:
    """The inputs of every dataset item of a ``train.data`` as ``[items, input_count]``.

    Positions are kept: an ``x`` input reads as 0, as the engine reads it.
    """
    if not path.is_file():
        raise CompressError(f"training data {path} does not exist")
    tokens = path.read_text(encoding="utf-8").split()
    per_item = circuit.input_count + circuit.output_count
    needed = circuit.dataset_size * per_item
    if len(tokens) < needed:
        raise CompressError(
            f"{path} has {len(tokens)} values; the circuit needs {needed} ({circuit.dataset_size} "
            f"items x ({circuit.input_count} inputs + {circuit.output_count} outputs))"
        )
    rows = []
    for item in range(circuit.dataset_size):
        start = item * per_item
        row = []
        for token in tokens[start : start + circuit.input_count]:
            try:
                value = 0 if token == "x" else int(token)
            except ValueError:
                raise CompressError(
                    f"{path}: input {token!r} is neither an integer nor 'x'"
                ) from None
            if not -128 <= value <= 127:
                raise CompressError(f"{path}: input {value} is outside int8 -128..127")
            row.append(value)
        rows.append(row)
    return np.asarray(rows, dtype=np.int64)


def compare(expected: np.ndarray, actual: np.ndarray, *, limit: int = 10) -> Comparison:
    """Element-wise comparison; ``actual`` entries equal to :data:`MISSING` never match."""
    if expected.shape != actual.shape:
        raise CompressError(
            f"reference has shape {expected.shape} (items x outputs), the simulation {actual.shape}"
        )
    wrong = np.argwhere(expected != actual)
    differences = tuple(
        Difference(
            int(d),
            int(k),
            int(expected[d, k]),
            "x" if actual[d, k] == MISSING else str(int(actual[d, k])),
        )
        for d, k in wrong[:limit]
    )
    return Comparison(expected.size - len(wrong), expected.size, differences, len(wrong))


def _parse_outputs(text: str, items: int, outputs: int, what: str) -> np.ndarray:
    lines = [line.split() for line in text.splitlines() if line.strip()]
    if len(lines) != items or any(len(line) != outputs for line in lines):
        raise CompressError(
            f"{what} printed {len(lines)} lines of {[len(x) for x in lines[:3]]} values, "
            f"expected {items} lines of {outputs}"
        )
    result = np.empty((items, outputs), dtype=np.int64)
    for d, line in enumerate(lines):
        for k, token in enumerate(line):
            try:
                result[d, k] = int(token)
            except ValueError:
                result[d, k] = MISSING
    return result


def _run(command: list[str], cwd: Path, what: str) -> subprocess.CompletedProcess:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        message = (result.stderr or result.stdout).strip().splitlines()
        raise CompressError(f"{what} failed: {' | '.join(message[:5])[:600]}")
    return result


def testbench(circuit: Circuit, name: str) -> str:
    """A Verilog testbench applying every item of ``stimulus.hex`` and writing ``outputs.txt``."""
    n_in, n_out, items = circuit.input_count, circuit.output_count, circuit.dataset_size
    item_port = ""
    item_reg = ""
    item_set = ""
    if circuit.selector_bits:
        item_reg = f"    reg [{circuit.selector_bits - 1}:0] item;\n"
        item_port = ", .item(item)"
        item_set = "        item = d;\n"
    return (
        "`timescale 1ns/1ps\n"
        "module tb;\n"
        f"    reg [{8 * n_in - 1}:0] stimulus [0:{items - 1}];\n"
        f"    reg [{8 * n_in - 1}:0] in;\n"
        f"{item_reg}"
        f"    wire [{8 * n_out - 1}:0] out;\n"
        "    integer d, k, f;\n"
        f"    {name} dut(.in(in){item_port}, .out(out));\n"
        "    initial begin\n"
        '        $readmemh("stimulus.hex", stimulus);\n'
        '        f = $fopen("outputs.txt", "w");\n'
        f"        for (d = 0; d < {items}; d = d + 1) begin\n"
        "            in = stimulus[d];\n"
        f"{item_set}"
        "            #1;\n"
        f"            for (k = 0; k < {n_out}; k = k + 1)\n"
        '                $fwrite(f, "%0d ", $signed(out[8*k +: 8]));\n'
        '            $fwrite(f, "\\n");\n'
        "        end\n"
        "        $fclose(f);\n"
        "        $finish;\n"
        "    end\n"
        "endmodule\n"
    )


def _stimulus_hex(inputs: np.ndarray) -> str:
    # One line per item, input N_IN-1 first: in[8*i +: 8] is input i.
    return "".join("".join(f"{int(v) & 0xFF:02x}" for v in reversed(row)) + "\n" for row in inputs)


def simulate_verilog(
    circuit: Circuit, inputs: np.ndarray, workdir: Path, *, name: str = "circuit"
) -> tuple[np.ndarray, str]:
    """Outputs ``[items, output_count]`` of the Verilog export under Icarus Verilog, and what
    ``iverilog -Wall`` warned about (empty for a clean export)."""
    iverilog, vvp = require_tool("iverilog"), require_tool("vvp")
    name = identifier(name)
    (workdir / "circuit.v").write_text(to_verilog(circuit, name=name), encoding="utf-8")
    (workdir / "tb.v").write_text(testbench(circuit, name), encoding="utf-8")
    (workdir / "stimulus.hex").write_text(_stimulus_hex(inputs), encoding="utf-8")
    built = _run(
        [str(iverilog), "-Wall", "-g2005", "-o", "sim.vvp", "-s", "tb", "circuit.v", "tb.v"],
        workdir,
        "iverilog",
    )
    _run([str(vvp), "-n", "sim.vvp"], workdir, "vvp")
    text = (workdir / "outputs.txt").read_text(encoding="utf-8")
    outputs = _parse_outputs(text, circuit.dataset_size, circuit.output_count, "the testbench")
    return outputs, (built.stderr + built.stdout).strip()


def c_driver(circuit: Circuit, name: str) -> str:
    """``main`` reading items from argv[1] (one input per token) and writing outputs to argv[2]."""
    call_item = ", d" if circuit.selector_bits else ""
    return (
        "#include <stdint.h>\n#include <stdio.h>\n\n"
        f"{signature(circuit, name)};\n\n"
        f"static int8_t in[{circuit.input_count}];\n"
        f"static int8_t out[{circuit.output_count}];\n\n"
        "int main(int argc, char **argv)\n{\n"
        "    if (argc != 3) return 2;\n"
        '    FILE *src = fopen(argv[1], "r");\n'
        '    FILE *dst = fopen(argv[2], "w");\n'
        "    if (!src || !dst) return 2;\n"
        f"    for (int d = 0; d < {circuit.dataset_size}; ++d) {{\n"
        f"        for (int i = 0; i < {circuit.input_count}; ++i) {{\n"
        "            int v;\n"
        '            if (fscanf(src, "%d", &v) != 1 || v < -128 || v > 127) return 3;\n'
        "            in[i] = (int8_t)v;\n"
        "        }\n"
        f"        {identifier(name)}(in, out{call_item});\n"
        f'        for (int k = 0; k < {circuit.output_count}; ++k) fprintf(dst, "%d ", out[k]);\n'
        "        fputc('\\n', dst);\n"
        "    }\n"
        "    return fclose(dst) == 0 ? 0 : 4;\n"
        "}\n"
    )


def _sanitizer_flags(cc: Path, workdir: Path) -> list[str]:
    """UBSan flags when the compiler can link them (gcc/clang with libubsan), else none."""
    flags = ["-fsanitize=undefined", "-fno-sanitize-recover=undefined"]
    probe = workdir / "probe.c"
    probe.write_text("int main(void) { return 0; }\n", encoding="utf-8")
    result = subprocess.run(
        [str(cc), *flags, "probe.c", "-o", "probe"], cwd=workdir, capture_output=True
    )
    return flags if result.returncode == 0 else []


def run_c(
    circuit: Circuit, inputs: np.ndarray, workdir: Path, *, name: str = "circuit"
) -> tuple[np.ndarray, str]:
    """Outputs of the C export compiled with the system compiler; also returns its warnings."""
    cc = require_tool("cc")
    name = identifier(name)
    (workdir / "circuit.c").write_text(to_c(circuit, name=name), encoding="utf-8")
    (workdir / "driver.c").write_text(c_driver(circuit, name), encoding="utf-8")
    (workdir / "stimulus.txt").write_text(
        "\n".join(" ".join(str(int(v)) for v in row) for row in inputs) + "\n", encoding="utf-8"
    )
    flags = ["-std=c99", "-pedantic", "-Wall", "-Wextra", "-O0", *_sanitizer_flags(cc, workdir)]
    built = _run([str(cc), *flags, "circuit.c", "driver.c", "-o", "circuit_sim"], workdir, str(cc))
    _run(["./circuit_sim", "stimulus.txt", "outputs.txt"], workdir, "the compiled C circuit")
    text = (workdir / "outputs.txt").read_text(encoding="utf-8")
    outputs = _parse_outputs(text, circuit.dataset_size, circuit.output_count, "the C driver")
    return outputs, built.stderr.strip()


def engine_weights(
    circuit: Circuit, data_path: Path, engine: Path, workdir: Path | None = None
) -> np.ndarray:
    """The engine's own outputs for ``circuit`` on ``data_path`` (``cgp evaluate:chromosome``).

    A config is written for the circuit's sizes with every function allowed (29) and zero gate
    costs: costs do not change outputs, and this keeps the reference independent of any table.
    """
    if not engine.is_file():
        raise CompressError(f"engine {engine} not found; build it with `make -C cgp all`")
    with tempfile.TemporaryDirectory(dir=workdir) as scratch:
        folder = Path(scratch)
        (folder / "gates.txt").write_text("0 0 0 0 0\n" * (BASE_FUNCTION_COUNT + 2))
        (folder / "chromosome.txt").write_text(circuit.text, encoding="utf-8")
        config = {
            "function_input_arity": circuit.arity,
            "function_output_arity": circuit.output_arity,
            "output_count": circuit.output_count,
            "input_count": circuit.input_count,
            "row_count": circuit.rows,
            "col_count": circuit.cols,
            "look_back_parameter": circuit.look_back,
            "function_count": BASE_FUNCTION_COUNT + 2,
            "input_file": str(data_path.resolve()),
            "output_file": "evaluation.csv",
            "train_weights_file": "weights.txt",
            "gate_parameters_file": "gates.txt",
            "dataset_size": circuit.dataset_size,
            "expected_value_min": circuit.value_min,
            "expected_value_max": circuit.value_max,
        }
        (folder / "evaluate.config").write_text(
            "".join(f"{key}: {value}\n" for key, value in config.items()), encoding="utf-8"
        )
        _run(
            [str(engine), "evaluate:chromosome", "evaluate.config", "@chromosome.txt"],
            folder,
            "the engine's evaluate:chromosome",
        )
        return read_weights(folder / "weights.txt", circuit.dataset_size, circuit.output_count)
