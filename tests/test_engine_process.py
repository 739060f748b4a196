"""The engine as a process: signals, resume, thread counts, flushed statistics, progress lines.

These are the promises a cluster user relies on (issue 5 §5, §6, §8): a job killed by the
scheduler's SIGTERM and resubmitted ends with exactly the files an uninterrupted job would have
written; a SIGKILL loses no statistics row already written; the thread count never changes a
result; ``--progress`` lines parse. Everything runs the real ``bin/cgp`` on small grids.

Interruption times are fractions of a measured uninterrupted run rather than fixed seconds, so
the signals land mid-run on a fast or a loaded machine alike.
"""

from __future__ import annotations

import json
import random
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

EXIT_INTERRUPTED = 33
RUN_TIMEOUT_S = 120
OUTPUT_PATTERNS = ("stats.{run}.csv", "result.{run}.config", "weights.{run}.txt")
PROGRESS_KEYS = {
    "run",
    "runs",
    "generation",
    "phase",
    "error",
    "quantized_energy",
    "energy",
    "evaluations_per_second",
}


@dataclass(frozen=True)
class Problem:
    """Shape of a small training problem; ``write`` puts its files into a folder."""

    inputs: int = 6
    outputs: int = 12
    rows: int = 4
    cols: int = 6
    runs: int = 2
    generations: int = 150_000
    population: int = 5
    seed: int = 5
    data_seed: int = 1
    output_assignment: str = "evolve"

    def write(self, folder: Path) -> Path:
        """Config, train.data and a gate file with distinct costs (so energy selection matters)."""
        rng = random.Random(self.data_seed)
        inputs = [rng.randrange(-128, 128) for _ in range(self.inputs)]
        outputs = [rng.randrange(-128, 128) for _ in range(self.outputs)]
        (folder / "train.data").write_text(
            " ".join(map(str, inputs)) + "\n" + " ".join(map(str, outputs)) + "\n"
        )
        gate_lines = []
        for function_id in range(27):
            quantized = 0 if function_id >= 22 else (function_id * 37) % 11 + 1
            gate_lines.append(
                f"{quantized} {quantized * 0.01:.4f} {1 + function_id % 3} {function_id % 5 + 1} 0.1"
            )
        (folder / "gates.txt").write_text("\n".join(gate_lines) + "\n")
        config = folder / "train.config"
        config.write_text(
            "\n".join(
                [
                    f"input_count: {self.inputs}",
                    f"output_count: {self.outputs}",
                    f"row_count: {self.rows}",
                    f"col_count: {self.cols}",
                    f"look_back_parameter: {self.cols}",
                    f"population_max: {self.population}",
                    "mutation_max: 0.15",
                    "function_count: 27",
                    f"number_of_runs: {self.runs}",
                    f"generation_count: {self.generations}",
                    "patience: 1000000000",
                    "mse_threshold: 0",
                    # error <= -1 never holds: every run lasts exactly generation_count.
                    "mse_early_stop: -1",
                    "input_file: train.data",
                    "gate_parameters_file: gates.txt",
                    "output_file: result.{run}.config",
                    "cgp_statistics_file: stats.{run}.csv",
                    "train_weights_file: weights.{run}.txt",
                    "checkpoint_file: checkpoint.{run}",
                    f"seed: {self.seed}",
                    f"output_assignment: {self.output_assignment}",
                ]
            )
            + "\n"
        )
        return config


def train_command(binary: Path, *flags: str) -> list[str]:
    return [str(binary), "train", "train.config", "--timestamps", "zero", *flags]


def run_to_end(binary: Path, folder: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        train_command(binary, *flags),
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr[-2000:]}"
    return result


def outputs_of(folder: Path, runs: int) -> dict[str, bytes]:
    """Every result file of every run, by name (a missing file is an assertion failure)."""
    files = {}
    for run in range(1, runs + 1):
        for pattern in OUTPUT_PATTERNS:
            path = folder / pattern.format(run=run)
            assert path.is_file(), f"{path.name} was not written"
            files[path.name] = path.read_bytes()
    return files


def reference(
    binary: Path, folder: Path, problem: Problem, min_seconds: float = 0.0
) -> tuple[Problem, dict[str, bytes], float]:
    """An uninterrupted run: the problem used, its files and its wall-clock duration.

    The generation count doubles until the run lasts ``min_seconds``, so that on a fast machine
    the signals still land mid-run.
    """
    for _ in range(6):
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir()
        problem.write(folder)
        start = time.monotonic()
        run_to_end(binary, folder)
        duration = time.monotonic() - start
        if duration >= min_seconds:
            break
        problem = replace(problem, generations=problem.generations * 2)
    return problem, outputs_of(folder, problem.runs), duration


def interrupt(
    binary: Path, folder: Path, after_s: float, sig: signal.Signals, *flags: str
) -> tuple[int, str]:
    """Start `train`, send `sig` after `after_s` seconds; return exit code and stderr."""
    with open(folder / "stderr.txt", "w") as stderr:
        process = subprocess.Popen(
            train_command(binary, *flags),
            cwd=folder,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
        )
        try:
            process.wait(timeout=after_s)
        except subprocess.TimeoutExpired:
            process.send_signal(sig)
        code = process.wait(timeout=RUN_TIMEOUT_S)
    return code, (folder / "stderr.txt").read_text()


def assert_same_files(expected: dict[str, bytes], folder: Path, runs: int) -> None:
    actual = outputs_of(folder, runs)
    for name, content in expected.items():
        assert actual[name] == content, f"{name} differs from the uninterrupted run"


def test_sigterm_and_sigint_then_rerun_ends_identical(cgp_binary: Path, tmp_path: Path) -> None:
    """Three interruptions (SIGTERM, SIGINT, SIGTERM), each rerun resumes; the end is identical."""
    problem, expected, duration = reference(cgp_binary, tmp_path / "reference", Problem(), 2.0)
    folder = tmp_path / "interrupted"
    folder.mkdir()
    problem.write(folder)
    # Cumulative 0.45 of the uninterrupted time: every signal lands before the job is done,
    # even if the shared machine runs twice as fast now as during the reference run.
    schedule = [
        (0.10, signal.SIGTERM),
        (0.15, signal.SIGINT),
        (0.20, signal.SIGTERM),
    ]
    interrupted = 0
    for fraction, sig in schedule:
        code, stderr = interrupt(cgp_binary, folder, max(0.2, fraction * duration), sig)
        assert code in (EXIT_INTERRUPTED, 0), f"{sig.name}: exit {code}, stderr: {stderr[-2000:]}"
        if code == 0:
            break
        interrupted += 1
        assert list(folder.glob("checkpoint.*")), f"no checkpoint written on {sig.name}"
    assert interrupted >= 2, (
        f"the job finished after {interrupted} interruptions; the problem is too small "
        f"({duration:.2f} s uninterrupted) to test resuming"
    )
    run_to_end(cgp_binary, folder)
    assert_same_files(expected, folder, problem.runs)
    assert not list(folder.glob("checkpoint.*")), "checkpoint left behind after the last run"


@pytest.mark.parametrize("assignment", ["evolve", "nearest"])
def test_thread_count_never_changes_results(
    cgp_binary: Path, tmp_path: Path, assignment: str
) -> None:
    """--threads 1 and 2 give byte-identical files, on a grid large enough to run in parallel."""
    problem = Problem(
        inputs=20,
        outputs=1900,
        rows=10,
        cols=20,
        runs=2,
        generations=1500,
        population=9,
        output_assignment=assignment,
    )
    results = {}
    for threads in (1, 2):
        folder = tmp_path / f"threads_{threads}"
        folder.mkdir()
        problem.write(folder)
        run_to_end(cgp_binary, folder, "--threads", str(threads))
        results[threads] = outputs_of(folder, problem.runs)
    for name, content in results[1].items():
        assert results[2][name] == content, f"{name} differs between --threads 1 and 2"


def statistics_rows(text: str) -> list[str]:
    """Complete rows (header excluded); a trailing partial line would be a torn write."""
    lines = text.split("\n")
    assert lines[-1] == "", "the statistics file ends with a partial row"
    return lines[1:-1]


def test_sigkill_loses_no_written_row_and_resumes_from_periodic_checkpoint(
    cgp_binary: Path, tmp_path: Path
) -> None:
    """Rows up to the last reported generation survive SIGKILL; the rerun ends identical."""
    problem, expected, duration = reference(
        cgp_binary, tmp_path / "reference", Problem(runs=1, generations=300_000), 2.5
    )
    folder = tmp_path / "killed"
    folder.mkdir()
    problem.write(folder)
    code, stderr = interrupt(
        cgp_binary,
        folder,
        0.6 * duration,
        signal.SIGKILL,
        "--checkpoint-every",
        "0.1",
        "--progress",
    )
    if code == 0:
        pytest.fail(f"the job finished before SIGKILL ({duration:.2f} s uninterrupted)")
    assert code == -signal.SIGKILL
    assert (folder / "checkpoint.1").is_file(), "no periodic checkpoint before the kill"

    reported = [
        json.loads(line.removeprefix("PROGRESS "))
        for line in stderr.splitlines()
        if line.startswith("PROGRESS ") and "event" not in line
    ]
    assert reported, "no PROGRESS line before the kill; the test cannot tell what was written"
    last_generation = reported[-1]["generation"]

    written = statistics_rows((folder / "stats.1.csv").read_text())
    reference_rows = statistics_rows(expected["stats.1.csv"].decode())
    assert written == reference_rows[: len(written)], "rows differ from the uninterrupted run"
    due = [row for row in reference_rows if int(row.split(",")[1]) <= last_generation]
    assert len(written) >= len(due), (
        f"{len(due)} rows up to generation {last_generation} were found before the kill, "
        f"only {len(written)} reached the file"
    )

    run_to_end(cgp_binary, folder)
    assert_same_files(expected, folder, problem.runs)


def test_progress_lines_parse_and_are_rate_limited(cgp_binary: Path, tmp_path: Path) -> None:
    """Every PROGRESS line is JSON with the documented keys; one run_finished per run."""
    problem = Problem(runs=2, generations=200_000)
    problem.write(tmp_path)
    start = time.monotonic()
    result = run_to_end(cgp_binary, tmp_path, "--progress")
    duration = time.monotonic() - start
    lines = [line for line in result.stderr.splitlines() if line.startswith("PROGRESS ")]
    records = [json.loads(line.removeprefix("PROGRESS ")) for line in lines]
    updates = [r for r in records if "event" not in r]
    finished = [r for r in records if r.get("event") == "run_finished"]
    assert [(r["run"], r["runs"]) for r in finished] == [(1, 2), (2, 2)]
    assert updates, "no progress update in a run of more than a second"
    last_generation: dict[int, int] = {}
    for record in updates:
        assert set(record) == PROGRESS_KEYS, f"keys {sorted(record)}"
        assert 1 <= record["run"] <= record["runs"] == problem.runs
        assert record["phase"] in (1, 2)
        for key in ("generation", "error", "quantized_energy"):
            assert isinstance(record[key], int) and record[key] >= 0, (key, record)
        assert isinstance(record["energy"], int | float) and record["energy"] >= 0
        assert record["evaluations_per_second"] >= 0
        assert record["generation"] <= problem.generations
        assert record["generation"] >= last_generation.get(record["run"], 0)
        last_generation[record["run"]] = record["generation"]
    # "At most a few lines a second": allow 5/s plus one closing line per run.
    assert len(updates) <= 5 * duration + 2 * problem.runs + 2, (len(updates), duration)
    other = [
        line for line in result.stderr.splitlines() if line and not line.startswith("PROGRESS")
    ]
    assert not other, f"unexpected stderr lines: {other[:5]}"


def test_seed_chosen_by_engine_is_written_and_reproduces_the_run(
    cgp_binary: Path, tmp_path: Path
) -> None:
    """Without a seed the engine picks one, writes it to the result config, and it replays."""
    problem = Problem(runs=1, generations=20_000)
    first = tmp_path / "first"
    first.mkdir()
    config = problem.write(first)
    config.write_text(
        "".join(line for line in config.read_text().splitlines(True) if not line.startswith("seed"))
    )
    run_to_end(cgp_binary, first)
    seeds = [
        line.split(":", 1)[1].strip()
        for line in (first / "result.1.config").read_text().splitlines()
        if line.startswith("seed:")
    ]
    assert len(seeds) == 1 and seeds[0].isdigit(), "the result config must name the seed used"
    replay = tmp_path / "replay"
    replay.mkdir()
    config = problem.write(replay)
    run_to_end(cgp_binary, replay, "--seed", seeds[0])
    assert outputs_of(replay, 1) == outputs_of(first, 1)
