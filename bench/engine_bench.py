"""Engine benchmark (`make bench`): speed, time to an exact circuit and energy, on LeNet-5 cases.

Issue 5 sets targets for the C++ engine against the original's measured figures; this script
builds the three cases from the committed QAT LeNet-5 checkpoint, runs the real ``bin/cgp`` on
them and prints the figures next to the original's and the targets. It asserts nothing: speed
depends on the machine and its load, so the numbers are for people, not for CI.
bench/README.md says exactly what each figure measures.

Cases (weights as int8, flattened filter, channel, row, col like the experiments):
  1. layer bypass: conv1's 150 weights in, conv2's 2400 out, 256 x 31 grid, L = 31;
  2. no input: one input fixed at 0, conv1 then conv2 (2550) out, 256 x 31 grid, L = 31;
  3. one kernel: its 3 x 3 core in, its 16 outer weights out (spec workflow §1.5 order),
     5 x 5 grid, L = 5.

Per case, three engine runs (each a fresh folder, ``train`` with one run):
  * throughput: ``--output-assignment evolve``, first 100,000 generations, and a free run;
  * exactness: ``--output-assignment nearest``, stop at SE = 0 (capped);
  * energy: ``--output-assignment nearest``, mse_threshold 0, ``--time-budget`` 60 s; the best
    circuit's energy beside the constructive reference from the same gate table.

Then, on case 1, the scale and load tables of ``bench/scale_load.py``: generations per second
for 2,400 / 40,000 / 409,600 outputs, and default threads vs one thread with one core busy.
"""

from __future__ import annotations

import argparse
import csv
import math
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import scale_load  # noqa: E402
from compress.energy import (  # noqa: E402
    constructive_chromosome,
    constructive_reference,
    load_gate_table,
    write_gate_parameters,
)
from compress.errors import CompressError  # noqa: E402
from compress.settings import load_settings  # noqa: E402

DEFAULT_CHECKPOINT = "qat.quantized_lenet.pth"
MODEL_NAME = "qat_quantized_lenet"

# The original engine's figures and the targets (issue 5, "Speed and search quality").
ORIGINAL_EVALS_FIRST_100K = 13_000.0
"""Original, case 1, 4 offspring: evaluations/s over its first 100,000 generations."""
ORIGINAL_EVALS_FREE_60S = 8_400.0
"""Original, case 1: evaluations/s over a free 60 s run."""
ORIGINAL_EXACTNESS = {
    1: "~24 RMS/weight off after 60 s",
    2: "~28 RMS/weight off after 60 s",
    3: "SE = 16 after 120 s",
}
TARGET_SPEEDUP = 100.0
TARGET_EXACT_SECONDS = {1: 1.0, 2: 5.0, 3: 1.0}
TARGET_ENERGY_RATIO = 0.8
FIRST_GENERATIONS = 100_000
NEVER = "-1"
"""An early-stop value no error or energy reaches (both are >= 0): the run is never cut short."""
PATIENCE = 10**15
"""Large enough that only the generation count or the time budget ends a run."""


@dataclass(frozen=True)
class Case:
    number: int
    title: str
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    rows: int
    cols: int
    look_back: int

    @property
    def grid(self) -> str:
        return f"{self.rows}x{self.cols} L={self.look_back}"


@dataclass(frozen=True)
class Settings:
    """Evolution parameters shared by every run (printed with the tables)."""

    population: int
    mutation_max: float
    seed: int
    threads: int
    free_seconds: float
    first_cap_seconds: float
    exact_cap_seconds: float
    energy_seconds: float

    @property
    def offspring(self) -> int:
        return self.population - 1


@dataclass(frozen=True)
class RunResult:
    """What one engine run reports in its result config and statistics CSV."""

    generations: int
    seconds: float
    """The engine's own elapsed time (timestamp of the final statistics row): search only."""
    error: int
    energy_pj: float
    gate_count: int
    first_exact_seconds: float | None
    """Timestamp of the first statistics row with error 0, if any."""
    wall_seconds: float
    """The whole process, including start-up and reading the files."""


def kernel_core_and_outer(kernel: Sequence[Sequence[int]]) -> tuple[list[int], list[int]]:
    """3 x 3 core (row-major) and the 16 outer weights of a 5 x 5 kernel, in spec workflow §1.5
    order: row 0, row 1 col 0, row 1 col 4, row 2 col 0, row 2 col 4, row 3 col 0, row 3 col 4,
    row 4."""
    if len(kernel) != 5 or any(len(row) != 5 for row in kernel):
        raise CompressError("case 3 needs a 5x5 kernel; pick a layer with 5x5 kernels (--kernel)")
    core = [kernel[r][c] for r in range(1, 4) for c in range(1, 4)]
    outer = list(kernel[0])
    for r in range(1, 4):
        outer += [kernel[r][0], kernel[r][4]]
    outer += list(kernel[4])
    return core, outer


def build_cases(checkpoint: str, kernel: tuple[str, int, int]) -> list[Case]:
    """The three cases from the checkpoint's int8 weights."""
    from compress.models import load_model
    from compress.weights import get_int8_weights

    model = load_model(MODEL_NAME, checkpoint, load_settings())
    conv1 = [int(v) for v in get_int8_weights(model, "conv1").flatten().tolist()]
    conv2 = [int(v) for v in get_int8_weights(model, "conv2").flatten().tolist()]
    layer, filter_index, channel = kernel
    weights = get_int8_weights(model, layer)
    if not (0 <= filter_index < weights.shape[0] and 0 <= channel < weights.shape[1]):
        raise CompressError(
            f"--kernel {layer}:{filter_index}:{channel} is outside {layer}'s "
            f"{weights.shape[0]} filters x {weights.shape[1]} channels"
        )
    core, outer = kernel_core_and_outer(weights[filter_index, channel].tolist())
    return [
        Case(1, "layer bypass conv1 -> conv2", tuple(conv1), tuple(conv2), 256, 31, 31),
        Case(2, "no input: 0 -> conv1 + conv2", (0,), tuple(conv1 + conv2), 256, 31, 31),
        Case(
            3,
            f"{layer}[{filter_index},{channel}] 3x3 core -> 16 outer",
            tuple(core),
            tuple(outer),
            5,
            5,
            5,
        ),
    ]


def write_run_folder(folder: Path, case: Case, gate_table, settings: Settings) -> None:
    """train.data, gate_parameters.txt/.csv (quantized for this grid) and train.config."""
    if folder.exists():
        shutil.rmtree(folder)  # a rerun into the same --work-dir starts clean
    folder.mkdir(parents=True)
    (folder / "train.data").write_text(
        " ".join(map(str, case.inputs)) + "\n" + " ".join(map(str, case.outputs)) + "\n"
    )
    write_gate_parameters(
        gate_table,
        folder / "gate_parameters.txt",
        folder / "gate_parameters.csv",
        rows=case.rows,
        cols=case.cols,
    )
    config = {
        "function_input_arity": 2,
        "function_output_arity": 1,
        "input_count": len(case.inputs),
        "output_count": len(case.outputs),
        "population_max": settings.population,
        "mutation_max": settings.mutation_max,
        "row_count": case.rows,
        "col_count": case.cols,
        "look_back_parameter": case.look_back,
        "number_of_runs": 1,
        "function_count": 27,
        "dataset_size": 1,
        "patience": PATIENCE,
        "input_file": "train.data",
        "gate_parameters_file": "gate_parameters.txt",
        "output_file": "result.config",
        "cgp_statistics_file": "statistics.csv",
        "train_weights_file": "weights.txt",
        "seed": settings.seed,
        "threads": settings.threads,
    }
    (folder / "train.config").write_text("".join(f"{k}: {v}\n" for k, v in config.items()))


def run_engine(binary: Path, folder: Path, flags: list[str], limit_s: float) -> RunResult:
    """Run ``train`` in ``folder`` and read back its result config and statistics."""
    command = [str(binary), "train", "train.config", *flags]
    start = time.monotonic()
    try:
        result = subprocess.run(
            command,
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=limit_s + 120,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as error:
        raise CompressError(f"engine run in {folder} did not finish; command: {command}") from error
    wall = time.monotonic() - start
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["(no stderr)"])[-1]
        raise CompressError(f"engine exited {result.returncode} in {folder}: {last}")
    best, steps = parse_result_config(folder / "result.config")
    rows = read_statistics(folder / "statistics.csv")
    if not rows:
        raise CompressError(f"{folder / 'statistics.csv'} has no rows")
    first_exact = next((float(r["timestamp"]) for r in rows if int(r["error"]) == 0), None)
    return RunResult(
        generations=steps,
        seconds=float(rows[-1]["timestamp"]),
        error=int(best["error"]),
        energy_pj=float(best["energy"]),
        gate_count=int(best["gate_count"]),
        first_exact_seconds=first_exact,
        wall_seconds=wall,
    )


PROBE_SOURCE = REPO / "bench" / "neutral_probe.cpp"
PROBE_BINARY = REPO / "obj" / "bench" / "neutral_probe"
ENGINE_SOURCE_DIR = REPO / "cgp" / "src"


def engine_sources() -> list[Path]:
    """Every engine source but the entry point (what cgp/Makefile links as the library)."""
    return sorted(p for p in ENGINE_SOURCE_DIR.glob("*.cpp") if p.name != "main.cpp")


def build_probe() -> Path:
    """Compile bench/neutral_probe.cpp against the engine's sources (when they are newer)."""
    sources = [PROBE_SOURCE, *engine_sources()]
    headers = list(ENGINE_SOURCE_DIR.glob("*.h"))
    newest = max(path.stat().st_mtime for path in [*sources, *headers])
    if PROBE_BINARY.is_file() and PROBE_BINARY.stat().st_mtime >= newest:
        return PROBE_BINARY
    PROBE_BINARY.parent.mkdir(parents=True, exist_ok=True)
    command = ["g++", "-std=c++17", "-O2", "-fopenmp", f"-I{ENGINE_SOURCE_DIR}", "-o",
               str(PROBE_BINARY), *map(str, sources)]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise CompressError(f"building the neutral probe failed: {result.stderr.strip()[-300:]}")
    return PROBE_BINARY


def neutral_share(probe: Path, folder: Path, parent: str, generations: int) -> float:
    """Share of offspring the engine would skip as neutral, for a random or the final parent."""
    if parent != "random":
        chromosome = folder / "final_chromosome.txt"
        best, _ = parse_result_config(folder / "result.config")
        chromosome.write_text(best["chromosome"] + "\n")
        parent = str(chromosome)
    result = subprocess.run(
        [str(probe), "train.config", parent, str(generations), "--output-assignment", "evolve"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    fields = result.stdout.split()
    if result.returncode != 0 or len(fields) != 4:
        raise CompressError(f"neutral probe failed in {folder}: {result.stderr.strip()[-300:]}")
    return int(fields[3]) / int(fields[1])


def parse_result_config(path: Path) -> tuple[dict[str, str], int]:
    """The ``best_solution:`` fields and ``evolution_steps_made`` of a result config."""
    best: dict[str, str] | None = None
    steps: int | None = None
    for line in path.read_text().splitlines():
        if line.startswith("best_solution:"):
            metrics, _, chromosome = line.split(":", 1)[1].partition(" chromosome:")
            best = dict(field.split(":", 1) for field in metrics.split())
            best["chromosome"] = chromosome.strip()
        elif line.startswith("evolution_steps_made:"):
            steps = int(line.split(":", 1)[1])
    if best is None or steps is None:
        raise CompressError(f"{path} has no best_solution or evolution_steps_made line")
    return best, steps


def read_statistics(path: Path) -> list[dict[str, str]]:
    """Rows of a statistics CSV (a 256 x 31 chromosome field is over 100 KB)."""
    csv.field_size_limit(sys.maxsize)
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


@dataclass(frozen=True)
class CaseFigures:
    case: Case
    first: RunResult
    free: RunResult
    exact: RunResult
    energy: RunResult
    reference_pj: float
    reference_gates: int
    neutral_initial: float
    neutral_final: float
    seeded: RunResult | None
    """The energy run started from the constructive circuit (None: it does not fit the grid)."""
    seeded_note: str


def measure(
    binary: Path, probe: Path, case: Case, gate_table, settings: Settings, work: Path, bar
) -> CaseFigures:
    """The four runs of one case, and the energy run again seeded with the constructive circuit."""
    common = ["--timestamps", "wall"]
    runs = {
        "first": (
            ["--output-assignment", "evolve", "--generation-count", str(FIRST_GENERATIONS),
             "--time-budget", str(settings.first_cap_seconds), "--mse-threshold", "0",
             "--mse-early-stop", NEVER],
            settings.first_cap_seconds,
        ),
        "free": (
            ["--output-assignment", "evolve", "--time-budget", str(settings.free_seconds),
             "--mse-threshold", "0", "--mse-early-stop", NEVER],
            settings.free_seconds,
        ),
        "exact": (
            ["--output-assignment", "nearest", "--time-budget", str(settings.exact_cap_seconds),
             "--mse-threshold", "0", "--mse-early-stop", "0", "--energy-early-stop", "nan"],
            settings.exact_cap_seconds,
        ),
        "energy": (
            ["--output-assignment", "nearest", "--time-budget", str(settings.energy_seconds),
             "--mse-threshold", "0", "--mse-early-stop", NEVER, "--energy-early-stop", NEVER],
            settings.energy_seconds,
        ),
    }  # fmt: skip
    results = {}
    for name, (flags, limit) in runs.items():
        bar.set_postfix_str(f"case {case.number}: {name}")
        folder = work / f"case{case.number}_{name}"
        write_run_folder(folder, case, gate_table, settings)
        results[name] = run_engine(binary, folder, [*flags, *common], limit)
        bar.update(1)
    bar.set_postfix_str(f"case {case.number}: neutral probe")
    # About a twentieth of the free run's offspring: a second or less per parent.
    samples = max(25, results["free"].generations // 20)
    free_folder = work / f"case{case.number}_free"
    neutral = {parent: neutral_share(probe, free_folder, parent, samples)
               for parent in ("random", "final")}  # fmt: skip
    reference = constructive_reference(case.inputs, case.outputs, gate_table)
    bar.set_postfix_str(f"case {case.number}: seeded energy run")
    seeded, seeded_note = seeded_energy_run(binary, case, gate_table, settings, work,
                                            runs["energy"][0] + common)  # fmt: skip
    bar.update(1)
    return CaseFigures(case, **results, reference_pj=reference.energy_pj,
                       reference_gates=reference.gate_count, neutral_initial=neutral["random"],
                       neutral_final=neutral["final"], seeded=seeded,
                       seeded_note=seeded_note)  # fmt: skip


def seeded_energy_run(
    binary: Path, case: Case, gate_table, settings: Settings, work: Path, flags: list[str]
) -> tuple[RunResult | None, str]:
    """The energy run, but starting from the constructive circuit (``--initial-solution
    constructive`` in the experiments): how much evolution improves on the greedy construction."""
    try:
        chromosome = constructive_chromosome(
            case.inputs, case.outputs, gate_table,
            rows=case.rows, cols=case.cols, look_back=case.look_back,
        )  # fmt: skip
    except CompressError as error:
        return None, f"does not fit: {error}"
    folder = work / f"case{case.number}_seeded"
    write_run_folder(folder, case, gate_table, settings)
    # In the config, not on the command line: a 256 x 31 chromosome exceeds one argument's limit.
    with (folder / "train.config").open("a") as config:
        config.write(f"starting_solution: {chromosome}\n")
    return run_engine(binary, folder, flags, settings.energy_seconds), ""


def evaluations_per_second(run: RunResult, offspring: int) -> float:
    return run.generations * offspring / run.seconds if run.seconds > 0 else math.inf


def rms(run: RunResult, case: Case) -> float:
    return math.sqrt(run.error / len(case.outputs))


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(out)


def times(ratio: float) -> str:
    """A speed ratio: two decimals below 10x, whole numbers above."""
    return f"{ratio:,.2f}x" if ratio < 10 else f"{ratio:,.0f}x"


def yes_no(ok: bool) -> str:
    return "yes" if ok else "NO"


def seeded_columns(f: CaseFigures) -> list[str]:
    """SE, energy, ratio and target columns of the seeded energy run."""
    if f.seeded is None:
        return ["-", "- (grid too small)", "-", "-"]
    exact = f.seeded.error == 0
    ratio = f.seeded.energy_pj / f.reference_pj if f.reference_pj > 0 else math.inf
    return [
        f"{f.seeded.error}",
        f"{f.seeded.energy_pj:.4f} ({f.seeded.gate_count} gates)",
        f"{ratio:.3f}" if exact else "- (not exact)",
        yes_no(exact and ratio <= TARGET_ENERGY_RATIO),
    ]


def report(
    figures: Sequence[CaseFigures],
    settings: Settings,
    scale: Sequence[scale_load.ScaleRow] = (),
    load: Sequence[scale_load.LoadRow] = (),
) -> str:
    if not figures:  # --cases without a case: tables 4 and 5 only
        title = "Engine benchmark (bench/README.md explains every figure)"
        return "\n".join([title, *scale_and_load_sections(scale, load)])
    lam = settings.offspring
    speed_rows = []
    for f in figures:
        first = evaluations_per_second(f.first, lam)
        free = evaluations_per_second(f.free, lam)
        is_case1 = f.case.number == 1
        speed_rows.append(
            [
                str(f.case.number),
                f"{f.first.generations:,} gen / {f.first.seconds:.2f} s",
                f"{first:,.0f}",
                times(first / ORIGINAL_EVALS_FIRST_100K) if is_case1 else "-",
                f"{f.free.generations:,} gen / {f.free.seconds:.1f} s",
                f"{free:,.0f}",
                times(free / ORIGINAL_EVALS_FREE_60S) if is_case1 else "-",
                f"{100 * f.neutral_initial:.1f}% / {100 * f.neutral_final:.1f}%",
                f"{free * (1 - f.neutral_final):,.0f}",
                yes_no(first / ORIGINAL_EVALS_FIRST_100K >= TARGET_SPEEDUP) if is_case1 else "-",
            ]
        )
    exact_rows = []
    for f in figures:
        t = f.exact.first_exact_seconds
        target = TARGET_EXACT_SECONDS[f.case.number]
        exact_rows.append(
            [
                str(f.case.number),
                f"{t:.3f}" if t is not None else f"> {f.exact.seconds:.1f} (not exact)",
                f"{f.exact.error} (RMS {rms(f.exact, f.case):.2f})",
                f"{f.exact.generations:,}",
                f"{f.exact.wall_seconds:.2f}",
                f"< {target:g} s",
                yes_no(t is not None and t < target),
                ORIGINAL_EXACTNESS[f.case.number],
            ]
        )
    energy_rows = []
    for f in figures:
        exact = f.energy.error == 0
        ratio = f.energy.energy_pj / f.reference_pj if f.reference_pj > 0 else math.inf
        energy_rows.append(
            [
                str(f.case.number),
                f"{f.energy.seconds:.1f}",
                f"{f.energy.error}",
                f"{f.energy.energy_pj:.4f} ({f.energy.gate_count} gates)",
                f"{f.reference_pj:.4f} ({f.reference_gates} gates)",
                f"{ratio:.3f}" if exact else "- (not exact)",
                yes_no(exact and ratio <= TARGET_ENERGY_RATIO),
                *seeded_columns(f),
            ]
        )
    cases = "\n".join(
        f"  case {f.case.number}: {f.case.title}, {len(f.case.inputs)} -> {len(f.case.outputs)}, "
        f"grid {f.case.grid}"
        for f in figures
    )
    return "\n".join(
        [
            "Engine benchmark (bench/README.md explains every figure)",
            cases,
            f"  population {settings.population} (1 parent + {lam} offspring), mutation_max "
            f"{settings.mutation_max}, seed {settings.seed}, threads "
            f"{settings.threads or 'default (the CPUs the engine may use)'}, function_count 27, gate table: the default of "
            "compress.energy, quantized per grid by write_gate_parameters",
            "",
            "1. Evaluations per second, --output-assignment evolve: offspring per second of search "
            "(generations x offspring / engine time), neutral offspring included as the original "
            "counted them; 'neutral' = share the engine skips as provably unchanged, sampled at a "
            "random and at the free run's final parent; 'evaluated/s' = free-run rate without "
            "the final parent's neutral share",
            format_table(
                [
                    "case",
                    f"first {FIRST_GENERATIONS:,} generations",
                    "evals/s",
                    "vs orig 13,000/s",
                    "free run",
                    "evals/s",
                    "vs orig 8,400/s",
                    "neutral random/final",
                    "evaluated/s",
                    f">= {TARGET_SPEEDUP:g}x",
                ],
                speed_rows,
            ),
            "",
            "2. Seconds to an exact circuit (SE = 0), --output-assignment nearest (engine time of "
            "the first statistics row with error 0; process wall time beside it)",
            format_table(
                [
                    "case",
                    "s to SE=0",
                    "final SE",
                    "generations",
                    "wall s",
                    "target",
                    "met",
                    "original",
                ],
                exact_rows,
            ),
            "",
            f"3. Energy of the best circuit after {settings.energy_seconds:g} s (nearest, "
            "mse_threshold 0) vs the constructive reference from the same gate table, pJ; "
            "'seeded' = the same run started from the constructive circuit itself",
            format_table(
                [
                    "case",
                    "engine s",
                    "SE",
                    "evolved energy pJ",
                    "constructive pJ",
                    "ratio",
                    f"<= {TARGET_ENERGY_RATIO:g}",
                    "seeded: SE",
                    "seeded energy pJ",
                    "ratio",
                    f"<= {TARGET_ENERGY_RATIO:g}",
                ],
                energy_rows,
            ),
            *scale_and_load_sections(scale, load),
        ]
    )


def scale_and_load_sections(
    scale: Sequence[scale_load.ScaleRow], load: Sequence[scale_load.LoadRow]
) -> list[str]:
    """Tables 4 and 5 (bench/README.md), when they were run."""
    sections = []
    if scale:
        sections += [
            "",
            f"4. Scale: nearest assignment, case 1's grid and inputs, conv2's weights repeated to "
            f"each output count (nearly the same search, scaled histograms), "
            f"{scale[0].run.generations:,} generations; generations/s = generations / engine "
            "time (search only); wall s and peak MiB = the whole process, reading and writing "
            "the files included",
            scale_load.format_scale(scale, format_table),
        ]
    if load:
        sections += [
            "",
            "5. Load: case 1, nearest assignment, default thread count vs --threads 1, on this "
            "machine as it is ('idle' = nothing started by the bench; other users' jobs still "
            "count) and with one more core kept busy by a busy loop; median of the runs",
            scale_load.format_load(load, format_table),
        ]
    return sections


def parse_kernel(text: str) -> tuple[str, int, int]:
    try:
        layer, filter_index, channel = text.split(":")
        return layer, int(filter_index), int(channel)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--kernel {text!r}: expected LAYER:FILTER:CHANNEL, e.g. conv1:0:0"
        ) from None


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark bin/cgp on LeNet-5 cases (see bench/README.md)."
    )
    parser.add_argument(
        "--checkpoint",
        default=DEFAULT_CHECKPOINT,
        help=f"QAT LeNet-5 checkpoint, path or name under the datastore's models/ "
        f"(default {DEFAULT_CHECKPOINT})",
    )
    parser.add_argument(
        "--cgp", type=Path, default=REPO / "bin" / "cgp", help="engine binary (default bin/cgp)"
    )
    parser.add_argument(
        "--cases",
        type=int,
        nargs="*",
        default=[1, 2, 3],
        choices=[1, 2, 3],
        help="cases of tables 1-3 to run (default all three; none: only tables 4 and 5)",
    )
    parser.add_argument(
        "--kernel",
        type=parse_kernel,
        default=("conv1", 0, 0),
        help="case 3's kernel as LAYER:FILTER:CHANNEL (default conv1:0:0)",
    )
    parser.add_argument(
        "--population", type=int, default=5, help="population_max: 1 parent + N-1 offspring (5)"
    )
    parser.add_argument(
        "--mutation-max", type=float, default=0.15, help="mutation_max (0.15, as the experiments)"
    )
    parser.add_argument("--seed", type=int, default=1, help="engine seed (1)")
    parser.add_argument(
        "--threads", type=int, default=0, help="engine threads, 0 = the engine's default (0)"
    )
    parser.add_argument(
        "--free-seconds", type=float, default=10.0, help="length of the free evolve run (10)"
    )
    parser.add_argument(
        "--first-cap-seconds",
        type=float,
        default=15.0,
        help=f"cap on the first-{FIRST_GENERATIONS:,}-generations run (15)",
    )
    parser.add_argument(
        "--exact-cap-seconds", type=float, default=20.0, help="cap on the SE = 0 run (20)"
    )
    parser.add_argument(
        "--energy-seconds", type=float, default=60.0, help="time budget of the energy run (60)"
    )
    parser.add_argument(
        "--scale-generations",
        type=int,
        default=20_000,
        help="generations of each scale-table run, 0 skips the table (20,000)",
    )
    parser.add_argument(
        "--load-generations",
        type=int,
        default=20_000,
        help="generations of each load-table run, 0 skips the table (20,000)",
    )
    parser.add_argument(
        "--load-repetitions", type=int, default=3, help="runs per load-table row (3)"
    )
    parser.add_argument(
        "--work-dir",
        type=Path,
        help="keep the run folders here (default: a temporary folder, removed afterwards)",
    )
    args = parser.parse_args(argv)
    if args.population < 2:
        parser.error("--population must be at least 2 (1 parent + 1 offspring)")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    settings = Settings(
        population=args.population,
        mutation_max=args.mutation_max,
        seed=args.seed,
        threads=args.threads,
        free_seconds=args.free_seconds,
        first_cap_seconds=args.first_cap_seconds,
        exact_cap_seconds=args.exact_cap_seconds,
        energy_seconds=args.energy_seconds,
    )
    try:
        if not args.cgp.is_file():
            raise CompressError(f"engine {args.cgp} not found; build it with `make build`")
        probe = build_probe()
        all_cases = build_cases(args.checkpoint, args.kernel)
        cases = [c for c in all_cases if c.number in args.cases]
        gate_table = load_gate_table(None, load_settings())
        scale_runs = len(scale_load.SCALE_OUTPUTS) if args.scale_generations > 0 else 0
        load_runs = 4 * args.load_repetitions if args.load_generations > 0 else 0
        with tempfile.TemporaryDirectory(prefix="engine_bench_") as temporary:
            work = args.work_dir or Path(temporary)
            work.mkdir(parents=True, exist_ok=True)
            figures = []
            total = 5 * len(cases) + scale_runs + load_runs
            with tqdm(total=total, desc="engine bench", unit="run") as bar:
                for case in cases:
                    figures.append(measure(args.cgp, probe, case, gate_table, settings, work, bar))
                scale, load = scale_and_load_runs(
                    args, all_cases[0], gate_table, settings, work, bar
                )
    except CompressError as error:
        print(f"engine_bench: {error}", file=sys.stderr)
        return 2
    print(report(figures, settings, scale, load))
    return 0


def engine_generations_and_seconds(folder: Path) -> tuple[int, float]:
    """Generations made and the engine's own search time of a finished run folder."""
    _, steps = parse_result_config(folder / "result.config")
    rows = read_statistics(folder / "statistics.csv")
    if not rows:
        raise CompressError(f"{folder / 'statistics.csv'} has no rows")
    return steps, float(rows[-1]["timestamp"])


def scale_and_load_runs(args, case1: Case, gate_table, settings: Settings, work: Path, bar):
    """Tables 4 and 5 on case 1 (whatever --cases says)."""

    def write_folder(folder: Path, case: Case) -> None:
        write_run_folder(folder, case, gate_table, settings)

    def run(folder: Path, flags: list[str], limit: float) -> scale_load.Throughput:
        return scale_load.run_measured(
            args.cgp, folder, flags, limit, engine_generations_and_seconds
        )

    scale = []
    if args.scale_generations > 0:
        scale = scale_load.scale_table(case1, write_folder, run, work, args.scale_generations, bar)
    load = []
    if args.load_generations > 0:
        load = scale_load.load_table(
            case1, write_folder, run, work, args.load_generations, args.load_repetitions, bar
        )
    return scale, load


if __name__ == "__main__":
    sys.exit(main())
