"""Circuits as hardware on the experiments' 256 x 31 grid: how long export, proof and synthesis take.

Two circuits for LeNet-5 conv1 -> conv2 (150 inputs, 2,400 outputs):

1. **evolved**: the best exact circuit of a short real ``layer_bypass:train`` run (256 x 31,
   threshold 0, ``--time-budget``, seed 1), or of ``--folder`` (a sub-experiment folder, run 1);
2. **dense**: a seeded random 256 x 31 chromosome over functions 0-26 with the same data, where
   about half the grid is active (what the original engine's evolved circuits looked like), as
   the stress case.

For each: Verilog export, Icarus simulation, C compile and run (UBSan), Yosys synthesis; wall
and CPU seconds (children included), outputs matched, active gates, synthesised cells and
transistors beside the gate table's estimate. It asserts nothing; the figures depend on the
machine and its load.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from compress.circuit import simulate  # noqa: E402
from compress.circuit.chromosome import Circuit, parse_chromosome  # noqa: E402
from compress.circuit.costs import circuit_cost, costs_from_parameters  # noqa: E402
from compress.circuit.source import load_circuit  # noqa: E402
from compress.circuit.synth import synthesise  # noqa: E402
from compress.circuit.verilog import to_verilog  # noqa: E402
from compress.cli import main as cli_main  # noqa: E402
from compress.engine.files import read_weights  # noqa: E402
from compress.settings import load_settings  # noqa: E402


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(action: Callable[[], object]) -> tuple[object, float, float]:
    wall, cpu = time.monotonic(), cpu_seconds()
    result = action()
    return result, time.monotonic() - wall, cpu_seconds() - cpu


def dense_chromosome(seed: int) -> str:
    """A random 256 x 31 chromosome (150 inputs, 2400 outputs, arity 2, L = 31)."""
    rng = random.Random(seed)
    rows, cols, inputs = 256, 31, 150
    groups = []
    for node in range(rows * cols):
        limit = inputs + (node // rows) * rows
        genes = [rng.randrange(limit), rng.randrange(limit), rng.randrange(27)]
        groups.append(f"([{inputs + node}]" + ",".join(map(str, genes)) + ")")
    outputs = [rng.randrange(inputs, inputs + rows * cols) for _ in range(2400)]
    return (
        f"{{150,2400,{cols},{rows},2,{cols},1}}"
        + "".join(groups)
        + f"({','.join(map(str, outputs))})"
    )


def evolved_folder(work: Path, budget: int) -> Path:
    env = work / "env"
    code = cli_main(
        [
            "layer_bypass:train",
            "qat_quantized_lenet",
            "qat.quantized_lenet.pth",
            "--experiment-env",
            str(env),
            "--mse-thresholds",
            "0",
            "--rows",
            "256",
            "--cols",
            "31",
            "--number-of-runs",
            "1",
            "--patience",
            "1000000",
            "--time-budget",
            str(budget),
            "--seed",
            "1",
        ]
    )
    if code:
        raise SystemExit(code)
    return env / "layer_bypass" / "mse_0.0_256_31"


def measure(label: str, circuit: Circuit, data: Path, reference, gates: Path, work: Path) -> None:
    cost = circuit_cost(circuit, costs_from_parameters(gates, 1))
    inputs = simulate.read_inputs(data, circuit)
    print(
        f"\n{label}: {circuit.gate_count} active gates; gate table {cost.energy_pj:.4g} pJ, "
        f"{cost.area_um2:.4g} um2"
    )
    _, wall, cpu = timed(lambda: to_verilog(circuit))
    print(f"  verilog export            {wall:6.2f} s wall {cpu:6.2f} s CPU")
    for language, run in (("verilog", simulate.simulate_verilog), ("c", simulate.run_c)):
        folder = work / f"{label}-{language}"
        folder.mkdir()
        result, wall, cpu = timed(lambda run=run, folder=folder: run(circuit, inputs, folder))
        outputs = result[0]
        matched = simulate.compare(reference, outputs).summary()
        print(f"  {language:<8} simulate          {wall:6.2f} s wall {cpu:6.2f} s CPU  {matched}")
    report, wall, cpu = timed(lambda: synthesise(circuit, workdir=work))
    transistors = report.transistors if report.transistors is not None else "n/a"
    print(
        f"  yosys synth -flatten      {wall:6.2f} s wall {cpu:6.2f} s CPU  "
        f"{report.cell_count} cells, {transistors} transistors, {report.problems} check problems"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--folder",
        type=Path,
        default=None,
        help="an existing 256x31 layer_bypass sub-experiment folder (run 1)",
    )
    parser.add_argument(
        "--time-budget",
        type=int,
        default=20,
        help="seconds of evolution when no --folder is given (default 20)",
    )
    parser.add_argument("--seed", type=int, default=5, help="seed of the dense chromosome")
    args = parser.parse_args(argv)
    settings = load_settings()
    with tempfile.TemporaryDirectory(prefix="circuit-bench-") as scratch:
        work = Path(scratch)
        folder = args.folder or evolved_folder(work, args.time_budget)
        source = load_circuit(str(folder), 1)
        reference = read_weights(source.weights_path, 1, source.circuit.output_count)
        measure(
            "evolved",
            source.circuit,
            source.data_path,
            reference,
            source.gate_parameters_path,
            work,
        )
        dense = parse_chromosome(dense_chromosome(args.seed))
        dense_reference = simulate.engine_weights(dense, source.data_path, settings.cgp, work)
        measure(
            "dense", dense, source.data_path, dense_reference, source.gate_parameters_path, work
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
