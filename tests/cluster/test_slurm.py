"""``layer_bypass`` on a real one-node Slurm cluster: job arrays, merge, model-metrics, resume.

Nothing is mocked between the generated scripts and the scheduler: the CLI writes the folders and
``train.sbatch``, ``sbatch`` runs them through slurmctld/slurmd, the engine is ``bin/cgp``.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from compress.cluster.status import FAILED, FINISHED, experiment_status

pytestmark = pytest.mark.slurm

REPO = Path(__file__).resolve().parents[2]
MODEL = ("qat_quantized_lenet", "qat.quantized_lenet.pth")
GRID = ["--rows", "5", "--cols", "5", "--mse-thresholds", "0"]


def cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, str(REPO / "cmd" / "compress" / "compress.py"), *args],
        env={**env, "TQDM_DISABLE": "1"},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return result


def submitted_job(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    line = next(
        line for line in result.stdout.splitlines() if line.startswith("submitted array job")
    )
    return line.split()[-1]


def wait_for(job: str, env: dict[str, str], timeout: float = 600) -> None:
    """Poll squeue until no task of ``job`` is pending or running."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = subprocess.run(
            ["squeue", "-h", "-j", job, "-o", "%i %T"], env=env, capture_output=True, text=True
        )
        if result.returncode == 0 and not result.stdout.strip():
            return
        if result.returncode != 0 and "Invalid job id" in result.stderr:
            return
        time.sleep(1)
    pytest.fail(f"job {job} still queued after {timeout} s: {result.stdout}")


def task_logs(top: Path) -> str:
    return "\n".join(
        f"--- {p.name}\n{p.read_text()}" for p in sorted((top / "slurm_logs").glob("*.out"))
    )


def test_job_array_merge_and_model_metrics(slurm_env, engine, tmp_path):
    """4 batches of a 5x5 layer_bypass run as one array; merged; model-metrics (itself a Slurm
    job array) sees every run exactly once."""
    env = {**slurm_env, "cgp": str(engine)}
    submit = cli(
        "layer_bypass:train-slurm",
        *MODEL,
        *GRID,
        "--number-of-runs",
        "4",
        "-b",
        "4",
        "--population-max",
        "4",
        "--patience",
        "5000",
        "--time-limit",
        "00:10:00",
        "--cpu",
        "1",
        "--mem",
        "300mb",
        "--experiment-env",
        str(tmp_path / "env"),
        "--submit",
        env=env,
        cwd=tmp_path,
    )
    job = submitted_job(submit)
    top = tmp_path / "env" / "layer_bypass"
    wait_for(job, env)

    statuses = experiment_status(top, ask_scheduler=False)
    assert [s.name for s in statuses] == [f"mse_0.0_5_5_batch_{i}" for i in range(4)]
    assert all(s.job == FINISHED for s in statuses), task_logs(top)
    assert [list(s.runs) for s in statuses] == [[1], [2], [3], [4]]

    merge = cli("layer_bypass:merge", "--folder", str(top), "--mode", "all", env=env, cwd=tmp_path)
    assert merge.returncode == 0, merge.stdout + merge.stderr
    merged = top / "mse_0.0_5_5"
    zips = sorted(p.name for p in (merged / "train_statistics" / "fitness").iterdir())
    assert zips == [f"statistics.{run}.csv.zip" for run in range(1, 5)]
    assert (top / "mse_0.0_5_5.all.zip").is_file()

    generate = cli(
        "layer_bypass:model-metrics-slurm",
        *MODEL,
        "--experiment-path",
        str(top),
        "--experiment",
        "mse_0.0_5_5",
        "-s",
        "statistics.{run}.csv.zip",
        "--cpu",
        "1",
        "--mem",
        "2gb",
        "--time-limit",
        "00:10:00",
        env=env,
        cwd=tmp_path,
    )
    assert generate.returncode == 0, generate.stdout + generate.stderr
    script = top / "model_metrics_jobs" / "model_metrics.sbatch"
    result = subprocess.run(
        ["sbatch", "--parsable", str(script)], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    wait_for(result.stdout.strip().split(";")[0], env)

    outputs = sorted((top / "model_metrics").glob("*.csv"))
    logs = "\n".join(p.read_text() for p in (top / "model_metrics_jobs").glob("*.out"))
    assert [p.name for p in outputs] == [
        f"default.test.mse_0.0_5_5.{run}.csv" for run in range(1, 5)
    ], logs
    runs = [run for path in outputs for run in pd.read_csv(path)["run"].unique()]
    assert sorted(runs) == [1, 2, 3, 4]

    again = cli(
        "layer_bypass:model-metrics-slurm",
        *MODEL,
        "--experiment-path",
        str(top),
        "--experiment",
        "mse_0.0_5_5",
        "-s",
        "statistics.{run}.csv.zip",
        env=env,
        cwd=tmp_path,
    )
    assert again.returncode == 0 and "nothing to do" in again.stdout


def _scratch_stats(scratch: Path) -> list[str]:
    return glob.glob(
        str(scratch / "cgp_*" / "work" / "train_statistics" / "fitness" / "statistics.1.csv")
    )


def _comparable(folder: Path, run: int) -> dict[str, str]:
    names = [
        f"weights/weights.{run}.txt",
        f"cgp_configs/cgp.{run}.config",
        f"train_statistics/fitness/statistics.{run}.csv",
    ]
    return {name: (folder / name).read_text() for name in names}


def test_cancelled_task_resumes_to_the_uninterrupted_result(slurm_env, engine, tmp_path):
    """``scancel --signal=TERM`` on a running array task: the engine checkpoints, the task's
    files come back without ``complete``; ``resubmit`` finishes it, equal to an uninterrupted run."""
    env = {**slurm_env, "cgp": str(engine)}
    generate = cli(
        "layer_bypass:train-slurm",
        *MODEL,
        *GRID,
        "--number-of-runs",
        "2",
        "-b",
        "2",
        "--population-max",
        "4",
        "--patience",
        # long enough (~10 s a run) that the task is still running when it is cancelled,
        # however fast the engine gets on an idle machine
        "150000",
        "--timestamps",
        "zero",
        "--time-limit",
        "00:20:00",
        "--cpu",
        "1",
        "--mem",
        "300mb",
        "--experiment-env",
        str(tmp_path / "env"),
        env=env,
        cwd=tmp_path,
    )
    assert generate.returncode == 0, generate.stdout + generate.stderr
    top = tmp_path / "env" / "layer_bypass"
    reference = tmp_path / "reference"
    shutil.copytree(top / "mse_0.0_5_5_batch_0", reference)

    result = subprocess.run(
        ["sbatch", "--parsable", "train.sbatch"], cwd=top, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    job = result.stdout.strip().split(";")[0]
    scratch = Path(env["TMPDIR"])
    deadline = time.monotonic() + 120
    while True:
        found = _scratch_stats(scratch)
        state = subprocess.run(
            ["squeue", "-h", "-j", f"{job}_0", "-o", "%T"], env=env, capture_output=True, text=True
        )
        if found and len(Path(found[0]).read_text().splitlines()) > 3 and "RUNNING" in state.stdout:
            break
        assert time.monotonic() < deadline, f"task 0 never made progress:\n{task_logs(top)}"
        time.sleep(0.2)
    cancel = subprocess.run(
        ["scancel", "--signal=TERM", f"{job}_0"], env=env, capture_output=True, text=True
    )
    assert cancel.returncode == 0, cancel.stderr
    wait_for(job, env)

    batch = top / "mse_0.0_5_5_batch_0"
    assert (batch / "exit_code").read_text().strip() == "33", task_logs(top)
    assert not (batch / "complete").exists()
    assert (batch / "checkpoints" / "checkpoint.1.ckpt").is_file()
    statuses = {s.name: s for s in experiment_status(top)}
    assert statuses["mse_0.0_5_5_batch_0"].job == FAILED
    assert statuses["mse_0.0_5_5_batch_0"].resumable == [1]
    assert statuses["mse_0.0_5_5_batch_1"].job == FINISHED, task_logs(top)

    resubmit = cli("layer_bypass:resubmit", "--folder", str(top), env=env, cwd=tmp_path)
    wait_for(submitted_job(resubmit), env)
    assert (batch / "complete").exists(), task_logs(top)
    assert {s.job for s in experiment_status(top)} == {FINISHED}

    # The uninterrupted reference: the same folder, the same engine flags as the job script.
    run = subprocess.run(
        [
            str(engine),
            "train",
            "train_cgp.config",
            "--threads",
            "1",
            "--checkpoint-file",
            "checkpoints/checkpoint.{run}.ckpt",
            "--checkpoint-every",
            "600",
            "--start-run",
            "0",
        ],
        cwd=reference,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    assert _comparable(batch, 1) == _comparable(reference, 1)
