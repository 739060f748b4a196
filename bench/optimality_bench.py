"""Energy ÷ proven lower bound after a timed train, from a random start and from the default start.

For each bench case at threshold 0 on a 256 × 31 grid (bundled QAT LeNet-5 unless ``--model``):

* ``layer_bypass``: conv1 → conv2 (150 inputs, 2,400 outputs);
* ``le_selector``: the constant 0 → conv1 + conv2 (2,550 outputs);

it solves the exact problem of the folder's ``train.data`` (``energy:optimal``'s solver), then runs
``<case>:train`` twice with ``--time-limit`` seconds and one run: ``--initial-solution random``
(the original's behaviour) and the default (the best start). It prints the final circuit's
energy (gate energy of one evaluation, pJ; memory fetches not included), the proven lower bound
and their ratio. A ratio is only shown for an exact final circuit (error 0); otherwise the row
says the run ended inexact. Timings depend on machine load: the script says how many CPUs it saw.

Run: ``.venv/bin/python bench/optimality_bench.py [--time-limit 60] [--model PATH]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from compress.energy.optimal import optimality_ratio  # noqa: E402
from compress.engine.files import read_statistics  # noqa: E402
from compress.experiments.optimal_start import problem_of_folder, solve  # noqa: E402

CASES = ("layer_bypass", "le_selector")
MODEL_NAME = "qat_quantized_lenet"


def _train(case: str, model: str, env: Path, seconds: int, initial: str) -> tuple[Path, str]:
    command = [
        sys.executable,
        str(REPO / "cmd" / "compress" / "compress.py"),
        f"{case}:train",
        MODEL_NAME,
        model,
        "--rows",
        "256",
        "--cols",
        "31",
        "--mse-thresholds",
        "0",
        "--number-of-runs",
        "1",
        "--time-budget",
        str(seconds),
        "--initial-solution",
        initial,
        "--experiment-env",
        str(env),
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, env=dict(os.environ, TQDM_DISABLE="1")
    )
    if result.returncode != 0:
        raise SystemExit(f"{case} train failed:\n{result.stderr[-2000:]}")
    folders = [p.parent for p in (env / case).glob("*/train_cgp.config")]
    return folders[0], result.stderr


def _final(folder: Path) -> tuple[float, float]:
    """(error, energy pJ) of the last statistics row of run 1."""
    frame = read_statistics(folder / "train_statistics" / "fitness" / "statistics.1.csv")
    return float(frame["error"].iloc[-1]), float(frame["energy"].iloc[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=int, default=60, help="seconds per train run")
    parser.add_argument("--model", default="qat.quantized_lenet.pth", help="QAT checkpoint")
    args = parser.parse_args()
    print(
        f"optimality bench: threshold 0, 256x31 grid, {args.time_limit} s per run, model "
        f"{args.model}, {len(os.sched_getaffinity(0))} CPU(s) usable (machine load not measured)"
    )
    header = (
        f"{'case':<13}{'start':<9}{'energy_pj':>12}{'lower_bound_pj':>16}{'ratio':>8}"
        f"{'start_s':>9}  note"
    )
    print(header)
    with tempfile.TemporaryDirectory(prefix="optimality-bench-") as tmp:
        for case in CASES:
            for initial in ("random", "best"):
                env = Path(tmp) / f"{case}-{initial}"
                started = time.monotonic()
                folder, log = _train(case, args.model, env, args.time_limit, initial)
                elapsed = time.monotonic() - started
                problem, table = problem_of_folder(folder)
                result = solve(problem, table, 120.0)
                error, energy = _final(folder)
                bound = result.lower_bound_pj
                proof = "bound proven optimal" if result.proven else "bound not tight"
                if error == 0:
                    ratio = f"{optimality_ratio(energy, bound):8.3f}"
                    note = proof
                else:
                    ratio = f"{'-':>8}"
                    note = f"ended inexact (error {error:g}); {proof}"
                start_note = next(
                    (line.split(": ", 1)[1] for line in log.splitlines() if "starting" in line),
                    "",
                )
                if initial == "best" and start_note:
                    note += f"; {start_note.split(':')[0]}"
                print(
                    f"{case:<13}{initial:<9}{energy:>12.6g}{bound:>16.6g}{ratio}"
                    f"{elapsed - args.time_limit:>9.1f}  {note}"
                )
    print(
        "energy: gate energy of one evaluation of the final circuit (pJ), memory fetches not "
        "included; start_s: wall time of the train command beyond the run's time limit "
        "(environment, best-start solve, process start)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
