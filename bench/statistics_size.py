"""Statistics size per minute of run time with ``-e 0`` on a 256 x 31 layer_bypass grid.

``-e 0`` logs a chromosome on every improvement at error 0; a full chromosome of this grid is
~160 KB. The toolkit writes them as deltas (``statistics_chromosomes: delta``). This script
trains one run through the real CLI for ``--seconds`` (default 60), then runs the engine again
on the same folder for the same number of generations with full chromosomes, and prints both
sizes, the rows and the size per minute. It asserts nothing: the figures depend on the machine's
speed and load (more generations, more rows). Run: ``.venv/bin/python bench/statistics_size.py``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from compress.engine.files import read_statistics  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60, help="time budget of the run (60)")
    parser.add_argument("--threads", type=int, default=0, help="engine threads (0 = all)")
    parser.add_argument("--work-dir", type=Path, default=None, help="keep the run folder here")
    args = parser.parse_args()
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="statistics_size_"))
    cli = [sys.executable, str(REPO / "cmd" / "compress" / "compress.py")]
    subprocess.run(
        [
            *cli,
            "layer_bypass:train",
            "qat_quantized_lenet",
            "qat.quantized_lenet.pth",
            "--experiment-env",
            str(work),
            "--mse-thresholds",
            "0",
            "--rows",
            "256",
            "--cols",
            "31",
            "-e",
            "0",
            "--number-of-runs",
            "1",
            "--time-budget",
            str(args.seconds),
            "--threads",
            str(args.threads),
        ],
        check=True,
    )
    (folder,) = (work / "layer_bypass").iterdir()
    delta_path = folder / "train_statistics" / "fitness" / "statistics.1.csv"
    delta = read_statistics(delta_path)
    generations = int(delta["generation"].max())
    full_dir = folder / "full_chromosomes"
    full_dir.mkdir(exist_ok=True)
    started = time.monotonic()
    subprocess.run(
        [
            str(REPO / "bin" / "cgp"),
            "train",
            "train_cgp.config",
            "--time-budget",
            "0",
            "--generation-count",
            str(generations),
            "--threads",
            str(args.threads),
            "--statistics-chromosomes",
            "full",
            "--cgp-statistics-file",
            f"{full_dir.name}/statistics.{{run}}.csv",
            "--output-file",
            f"{full_dir.name}/cgp.{{run}}.config",
            "--train-weights-file",
            f"{full_dir.name}/weights.{{run}}.txt",
            "--checkpoint-file",
            f"{full_dir.name}/checkpoint.{{run}}.ckpt",
        ],
        cwd=folder,
        check=True,
        capture_output=True,
    )
    full_seconds = time.monotonic() - started
    full_path = full_dir / "statistics.1.csv"
    delta_mb = delta_path.stat().st_size / 1e6
    full_mb = full_path.stat().st_size / 1e6
    print(f"run: {args.seconds} s budget, {generations} generations, {len(delta)} rows")
    print(f"delta chromosomes: {delta_mb:.3f} MB = {delta_mb * 60 / args.seconds:.3f} MB/min")
    print(
        f"full chromosomes (same generations, {full_seconds:.0f} s): {full_mb:.1f} MB = "
        f"{full_mb * 60 / args.seconds:.1f} MB/min of the delta run's time"
    )
    print(f"folder: {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
