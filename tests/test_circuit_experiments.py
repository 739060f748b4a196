"""Real evolved circuits (short real engine runs on the committed QAT LeNet-5) proven as hardware.

* ``layer_bypass`` on the experiments' 256 × 31 grid: conv1's 150 weights in, conv2's 2,400
  out, one dataset item;
* ``all_layers`` on a 10 × 4 grid: two dataset items (conv1, conv2), MUX/DEMUX in the function set and two output
  pins per node, so the ``item`` input and per-pin DEMUX/ID are exercised on an evolved circuit.

Each run's Verilog (Icarus) and C (system compiler) must reproduce the run's engine weights file
for every output and item, and Yosys must synthesise it without latches or undriven wires.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from circuit_support import cli
from experiment_support import MODEL_NAME, engine, model_path, run_cli

from compress.circuit.costs import circuit_cost, costs_from_parameters
from compress.circuit.source import load_circuit
from compress.circuit.synth import synthesise
from compress.engine.files import read_weights

SHORT = ["--number-of-runs", "1", "--patience", "2000", "--seed", "3", "--threads", "2"]


def train(root: Path, experiment: str, *options: str, budget: str = "3") -> Path:
    env = root / f"{experiment}_{len(list(root.iterdir()))}"
    result = run_cli(
        [
            f"{experiment}:train",
            MODEL_NAME,
            str(model_path()),
            "--experiment-env",
            str(env),
            *options,
            *SHORT,
            "--time-budget",
            budget,
        ],
        cwd=root,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    (folder,) = [p for p in (env / experiment).iterdir() if (p / "train_cgp.config").is_file()]
    return folder


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    engine()
    root = tmp_path_factory.mktemp("circuits")
    return {
        "all_layers": train(
            root, "all_layers", "--mse-thresholds", "10", "--rows", "10", "--cols", "4"
        ),
        "layer_bypass_256x31": train(
            root, "layer_bypass", "--mse-thresholds", "0", "--rows", "256", "--cols", "31"
        ),
    }


def outputs_and_items(folder: Path) -> int:
    circuit = load_circuit(str(folder), 1).circuit
    return circuit.output_count * circuit.dataset_size


@pytest.mark.parametrize("case", ["all_layers", "layer_bypass_256x31"])
def test_simulation_reproduces_the_engine_weights(runs, case, capsys):
    folder = runs[case]
    code, out, err = cli(["circuit:simulate", str(folder), "1"], capsys)
    assert code == 0, out + err
    n = outputs_and_items(folder)
    assert f"verilog (Icarus Verilog): {n} of {n} outputs match" in out
    assert f"c (system C compiler): {n} of {n} outputs match" in out


@pytest.mark.parametrize("case", ["all_layers", "layer_bypass_256x31"])
def test_synthesis_is_clean_and_costs_match_the_engine(runs, case, tmp_path):
    folder = runs[case]
    source = load_circuit(str(folder), 1)
    report = synthesise(source.circuit, name=source.name, workdir=tmp_path)
    assert report.problems == 0
    assert not [w for w in report.warnings if re.search("latch|undriven", w, re.IGNORECASE)]
    assert sum(report.cells.values()) == report.cell_count
    # The gate-table estimate is the engine's own figure for this run (best_solution line).
    best = next(
        line
        for line in (folder / "cgp_configs" / "cgp.1.config").read_text().splitlines()
        if line.startswith("best_solution:")
    )
    fields = dict(re.findall(r"(\w+):(\S+)", best))
    cost = circuit_cost(
        source.circuit,
        costs_from_parameters(source.gate_parameters_path, source.circuit.dataset_size),
    )
    assert cost.gate_count == int(fields["gate_count"])
    assert cost.energy_pj == pytest.approx(float(fields["energy"]), rel=1e-9)
    assert cost.area_um2 == pytest.approx(float(fields["area"]), rel=1e-9)


def test_the_multiplexed_run_uses_the_item_input(runs, capsys):
    source = load_circuit(str(runs["all_layers"]), 1)
    assert source.circuit.dataset_size == 2 and source.circuit.output_arity == 2
    code, out, err = cli(
        ["circuit:export", str(runs["all_layers"]), "1", "--format", "verilog"], capsys
    )
    assert code == 0, err
    assert "input wire [0:0] item" in out


def test_a_tampered_weights_file_fails_the_proof(runs, tmp_path, capsys):
    folder = runs["layer_bypass_256x31"]
    weights = read_weights(folder / "weights" / "weights.1.txt", 1)
    weights[0, 1234] = -128 if weights[0, 1234] != -128 else 127
    tampered = tmp_path / "weights.1.txt"
    tampered.write_text(" ".join(str(v) for v in weights[0]) + "\n")
    argv = ["circuit:simulate", str(folder), "1", "--language", "verilog", "--weights"]
    code, out, _ = cli([*argv, str(tampered)], capsys)
    assert code == 1
    assert "2399 of 2400 outputs match" in out
    assert f"item 0 output 1234: engine {weights[0, 1234]}, verilog" in out


def test_a_folder_needs_a_finished_run(runs, capsys):
    code, _, err = cli(
        ["circuit:export", str(runs["layer_bypass_256x31"]), "--format", "c"], capsys
    )
    assert code == 2 and "give the run number" in err
    code, _, err = cli(
        ["circuit:export", str(runs["layer_bypass_256x31"]), "7", "--format", "c"], capsys
    )
    assert code == 2 and "run 7" in err and "no best solution" in err
