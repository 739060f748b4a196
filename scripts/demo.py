"""``make demo``: the main job on the bundled default, in a couple of minutes.

1. ``layer_bypass:train`` on the committed QAT LeNet-5: a circuit fed with conv1's 150 int8 weights
   must produce conv2's 2400 weights, for an exact (0) and a looser per-weight error threshold,
   three short runs each (small patience and a wall-clock budget per run);
2. ``layer_bypass:model-metrics``: inject each run's final circuit's weights into the model and
   measure accuracy on the bundled MNIST test split;
3. a summary table: threshold, error, accuracy before/after, circuit energy, and per memory level
   the configuration without the circuit (fetch conv1's and conv2's weights) against the one with
   it (fetch conv1's weights, compute conv2's), gate count;
4. ``layer_bypass:report``: statistics tables, tests, Pareto fronts and figures of the runs
   (``report.html``, ``report.md``), printed with its path at the end.

Results go to a fresh ``experiment_results/demo-<timestamp>/`` (never overwriting anything).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from compress.cli import main as cli_main  # noqa: E402
from compress.errors import CompressError  # noqa: E402

MODEL = ("qat_quantized_lenet", "qat.quantized_lenet.pth")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="result folder (default experiment_results/demo-<UTC timestamp>); must not exist",
    )
    parser.add_argument(
        "--thresholds",
        nargs="+",
        default=["0", "8"],
        help="per-weight error thresholds (default 0 8)",
    )
    parser.add_argument(
        "--runs", type=int, default=3, help="independent runs per threshold (default 3)"
    )
    parser.add_argument("--rows", type=int, default=40, help="grid rows (default 40)")
    parser.add_argument("--cols", type=int, default=10, help="grid columns (default 10)")
    parser.add_argument(
        "--patience", type=int, default=20000, help="engine patience (default 20000)"
    )
    parser.add_argument(
        "--time-budget", type=int, default=8, help="wall-clock seconds per run (default 8)"
    )
    parser.add_argument("--seed", type=int, default=1, help="engine seed (default 1)")
    return parser.parse_args(argv)


def run_cli(arguments: list[str]) -> None:
    print("$ compress.py " + " ".join(arguments), flush=True)
    code = cli_main(arguments)
    if code:
        raise SystemExit(code)


def summary(out: Path) -> str:
    from compress.energy import SummaryRow, format_summary_table
    from compress.experiments.thresholds import per_weight_error
    from compress.metrics import read_metrics

    frame = read_metrics(out / "layer_bypass" / "model_metrics")
    rows = []
    for sub_name, group in frame.groupby("sub_experiment", sort=False):
        best = group.sort_values(["error", "energy"]).iloc[0]
        threshold = float(sub_name.split("_")[1])
        outputs = int(best["weights_produced"])
        rows.append(
            SummaryRow(
                threshold=threshold,
                error=round(
                    per_weight_error(float(best["error"]), "SE", outputs=outputs, items=1), 3
                ),
                top1_before=float(best["baseline_top1"]),
                top1_after=float(best["Top-1"]),
                circuit_energy_pj=float(best["circuit_energy_pj"]),
                weights_produced=outputs,
                gate_count=int(best["gate_count"]),
                weights_fetched_with_circuit=int(best["weights_fetched_with_circuit"]),
                weights_fetched_without_circuit=int(best["weights_fetched_without_circuit"]),
            )
        )
    rows.sort(key=lambda r: r.threshold)
    header = (
        "layer_bypass on the QAT LeNet-5: a circuit fed with conv1's weights computes conv2's "
        f"{rows[0].weights_produced if rows else 0} int8 weights.\n"
        "threshold and error are per weight (RMS, int8 steps); accuracy on the bundled MNIST test split;\n"
        "one line per threshold: its best run (lowest error, then lowest energy)."
    )
    return header + "\n" + format_summary_table(rows)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    out = args.out or REPO / "experiment_results" / f"demo-{stamp}"
    if out.exists():
        print(
            f"demo: {out} already exists; pass another --out (results are never overwritten)",
            file=sys.stderr,
        )
        return 2
    out.mkdir(parents=True)
    common = [*MODEL, "--experiment-env", str(out)]
    try:
        run_cli(
            [
                "layer_bypass:train",
                *common,
                "--mse-thresholds",
                *args.thresholds,
                "--rows",
                str(args.rows),
                "--cols",
                str(args.cols),
                "--number-of-runs",
                str(args.runs),
                "--patience",
                str(args.patience),
                "--time-budget",
                str(args.time_budget),
                "--seed",
                str(args.seed),
                "--population-max",
                "8",
            ]
        )
        run_cli(["layer_bypass:model-metrics", *common, "--top", "1", "--include-loss"])
        print()
        print(summary(out))
        print()
        run_cli(["layer_bypass:report", "--experiment-env", str(out)])
    except CompressError as error:
        print(f"demo: error: {error}", file=sys.stderr)
        return error.exit_code
    report = out / "layer_bypass" / "report"
    print(f"\nresults: {out}  (wall time {time.monotonic() - started:.0f} s)")
    print(f"report:  {report / 'report.html'}  (and report.md, summary.csv, tests.csv, figures/)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
