"""A generated ``train.pbs.sh`` run with bash under the environment PBS gives a job.

PBS itself cannot run here, so the script gets what PBS would provide: ``$SCRATCHDIR`` (an empty
directory), ``$PBS_JOBID``, ``$PBS_ARRAY_INDEX``, ``$PBS_NUM_PPN`` and a ``clean_scratch`` command
on PATH (the script calls it when present). The engine is the real ``bin/cgp``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from cluster_folders import handmade_folder

from compress.cluster.pbs import PBS_ARRAY_SCRIPT, PBS_SCRIPT, PbsOptions, write_pbs_jobs
from compress.cluster.prepare import job_from_folder
from compress.cluster.status import FAILED, FINISHED, NEVER_STARTED, experiment_status
from compress.engine.config import CGPConfig
from compress.settings import load_settings

ORIGINAL_PATHS = {
    "input_file": "train.data",
    "cgp_statistics_file": "train_statistics/fitness/statistics.{run}.csv",
    "output_file": "cgp_configs/cgp.{run}.config",
    "gate_parameters_file": "gate_parameters.txt",
    "train_weights_file": "weights/weights.{run}.txt",
    "stdout": "train_stdout.txt",
    "stderr": "train_stderr.txt",
}
"""Config paths of a PBS folder, relative to it, as the original wrote them (workflow spec §4.1)."""

CLEAN_SCRATCH = """#!/bin/sh
# Stand-in for MetaCentrum's clean_scratch: record what the job staged, then empty the scratch.
find "$SCRATCHDIR" -mindepth 1 | sed "s|^$SCRATCHDIR/||" | sort > "$CLEAN_SCRATCH_LOG"
find "$SCRATCHDIR" -mindepth 1 -delete
"""


ENGINE_WRAPPER = """#!/bin/sh
# Records what the job staged next to the engine when it starts, then runs the real engine.
find . -mindepth 1 | sed "s|^./||" | sort > "$ENGINE_START_LOG"
exec {engine} "$@"
"""


class Workspace:
    """``<root>/ws/{experiments_folder,results}/exp/<folders>`` plus a PBS-like environment."""

    def __init__(self, root: Path, engine: Path):
        self.root = root
        self.data = root / "ws"
        self.engine = engine
        self.top = self.data / "experiments_folder" / "exp"
        self.results = self.data / "results" / "exp"
        self.bin = root / "pbs_bin"
        self.bin.mkdir(parents=True)
        stub = self.bin / "clean_scratch"
        stub.write_text(CLEAN_SCRATCH)
        stub.chmod(0o755)
        self.wrapper = self.bin / "cgp"
        self.wrapper.write_text(ENGINE_WRAPPER.format(engine=engine))
        self.wrapper.chmod(0o755)
        self.attempt = 0

    def write_scripts(self, time_limit: str = "01:00:00", array: bool = False) -> list[Path]:
        jobs = [job_from_folder(path) for path in sorted(self.top.iterdir()) if path.is_dir()]
        options = PbsOptions(time_limit=time_limit, cpu=1, array=array, checkpoint_every=1)
        return write_pbs_jobs("exp", self.top, jobs, options, load_settings())

    def env(self, index: int | None = None) -> dict[str, str]:
        self.attempt += 1
        scratch = self.root / f"scratch{self.attempt}"
        scratch.mkdir()
        env = {
            **os.environ,
            "PATH": f"{self.bin}:{os.environ['PATH']}",
            "SCRATCHDIR": str(scratch),
            "PBS_JOBID": f"{1000 + self.attempt}.pbs-test",
            "PBS_NUM_PPN": "1",
            "CGP_WORKSPACE": str(self.data),
            "CGP_BINARY": str(self.wrapper),
            "CLEAN_SCRATCH_LOG": str(self.root / f"cleaned{self.attempt}.txt"),
            "ENGINE_START_LOG": str(self.root / f"staged{self.attempt}.txt"),
        }
        if index is not None:
            env["PBS_ARRAY_INDEX"] = str(index)
        return env

    def staged(self) -> list[str]:
        """The engine's working folder (the staged experiment) when the engine started."""
        return (self.root / f"staged{self.attempt}.txt").read_text().split()

    def cleaned(self) -> list[str]:
        """The scratch directory when clean_scratch ran."""
        return (self.root / f"cleaned{self.attempt}.txt").read_text().split()

    def run(self, script: Path, index: int | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["bash", str(script)], env=self.env(index), capture_output=True, text=True, timeout=300
        )


@pytest.fixture
def workspace(tmp_path, engine) -> Workspace:
    return Workspace(tmp_path, engine)


def test_job_stages_runs_copies_back_and_marks_complete(workspace):
    source = handmade_folder(workspace.top / "sub_batch_0", runs=1)
    (script,) = workspace.write_scripts()
    assert script == source / PBS_SCRIPT

    result = workspace.run(script)

    assert result.returncode == 0, result.stderr
    results = workspace.results / "sub_batch_0"
    for produced in (
        "cgp_configs/cgp.1.config",
        "weights/weights.1.txt",
        "train_statistics/fitness/statistics.1.csv",
        "complete",
    ):
        assert (results / produced).is_file(), produced
    assert (source / "complete").is_file()
    assert (results / "exit_code").read_text().strip() == "0"
    # jobs_info.txt: the original's sentence, fields 1/6/11/14/16/20 = job, node, scratch, ...
    fields = (source / "jobs_info.txt").read_text().split()
    assert fields[0] == "1001.pbs-test"
    assert fields[5] == os.uname().nodename
    assert fields[10] == str(workspace.root / "scratch1")
    assert (fields[13], fields[15], fields[19]) == (
        "exp/sub_batch_0",
        "experiments_folder",
        str(workspace.data),
    )
    # Staged to scratch: the engine and the prepared folder; clean_scratch emptied it afterwards.
    assert {"train.data", "train_cgp.config", "gate_parameters.txt"} <= set(workspace.staged())
    cleaned = workspace.cleaned()
    assert "cgp" in cleaned and "work/cgp_configs/cgp.1.config" in cleaned
    assert not any((workspace.root / "scratch1").iterdir())


def test_array_index_selects_the_folder(workspace):
    for i in range(3):
        handmade_folder(workspace.top / f"sub_batch_{i}", runs=i + 1)
    scripts = workspace.write_scripts(array=True)
    array = workspace.top / PBS_ARRAY_SCRIPT
    assert scripts[-1] == array and "#PBS -J 0-2" in array.read_text()

    result = workspace.run(array, index=2)

    assert result.returncode == 0, result.stderr
    assert (workspace.results / "sub_batch_2" / "cgp_configs" / "cgp.3.config").is_file()
    # Batch 2 owns run 3 only, and the other tasks' folders were not touched.
    assert not (workspace.results / "sub_batch_2" / "cgp_configs" / "cgp.1.config").exists()
    assert not (workspace.results / "sub_batch_0").exists()
    states = {
        s.name: s.job
        for s in experiment_status(workspace.top, results=workspace.results.parent / "exp")
    }
    assert states == {
        "sub_batch_0": NEVER_STARTED,
        "sub_batch_1": NEVER_STARTED,
        "sub_batch_2": FINISHED,
    }


def _wait_for_progress(scratch: Path, process: subprocess.Popen, timeout: float = 60) -> None:
    """Until the engine has written a few statistics rows and a checkpoint in the scratch copy."""
    stats = scratch / "work" / "train_statistics" / "fitness" / "statistics.1.csv"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, (
            "job ended before it could be interrupted; raise the patience"
        )
        if stats.exists() and len(stats.read_text().splitlines()) > 3:
            return
        time.sleep(0.05)
    pytest.fail("the engine made no progress")


def _comparable(folder: Path, runs: int) -> dict[str, str]:
    files = {}
    for run in range(1, runs + 1):
        for name in (
            f"weights/weights.{run}.txt",
            f"cgp_configs/cgp.{run}.config",
            f"train_statistics/fitness/statistics.{run}.csv",
        ):
            files[name] = (folder / name).read_text()
    return files


def test_walltime_kill_then_rerun_equals_an_uninterrupted_run(workspace):
    """SIGTERM to the job script mid-run (PBS at walltime): the engine checkpoints, results and
    checkpoint are copied back, no ``complete``; the resubmitted job ends exactly as a job that
    was never interrupted (weights, result configs, statistics with zero timestamps)."""
    runs, patience = 2, 600_000  # a few seconds a run: still running when signalled
    handmade_folder(workspace.top / "sub_batch_0", runs=runs, patience=patience)
    (script,) = workspace.write_scripts()
    reference_ws = Workspace(workspace.root / "reference", workspace.engine)
    handmade_folder(reference_ws.top / "sub_batch_0", runs=runs, patience=patience)
    (reference_script,) = reference_ws.write_scripts()
    reference = reference_ws.run(reference_script)
    assert reference.returncode == 0, reference.stderr

    env = workspace.env()
    process = subprocess.Popen(
        ["bash", str(script)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    _wait_for_progress(Path(env["SCRATCHDIR"]), process)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)

    results = workspace.results / "sub_batch_0"
    assert process.returncode == 33, stderr
    assert (results / "exit_code").read_text().strip() == "33"
    assert not (results / "complete").exists()
    assert any((results / "checkpoints").glob("checkpoint.*.ckpt")), (
        "checkpoint was not copied back"
    )
    status = experiment_status(workspace.top, results=workspace.results)[0]
    assert status.job == FAILED and status.resumable and FINISHED not in status.runs.values()

    rerun = workspace.run(script)

    assert rerun.returncode == 0, rerun.stderr
    assert (results / "complete").exists()
    assert "checkpoints/checkpoint.1.ckpt" in workspace.staged(), (
        "the checkpoint was not staged again"
    )
    assert _comparable(results, runs) == _comparable(reference_ws.results / "sub_batch_0", runs)
    status = experiment_status(workspace.top, results=workspace.results)[0]
    assert status.job == FINISHED and set(status.runs.values()) == {FINISHED}


def test_time_limit_stops_the_engine_before_walltime(workspace):
    """With a short walltime the script itself stops the engine (SIGTERM) a margin before it,
    so there is time to copy everything back before PBS kills the job."""
    handmade_folder(workspace.top / "sub_batch_0", runs=1, patience=50_000_000)
    (script,) = workspace.write_scripts(time_limit="00:00:08")
    started = time.monotonic()
    result = workspace.run(script)
    elapsed = time.monotonic() - started
    assert result.returncode == 33, result.stderr
    assert elapsed < 8, f"the job ran into its walltime ({elapsed:.1f} s)"
    assert any((workspace.results / "sub_batch_0" / "checkpoints").glob("checkpoint.1.ckpt"))


def test_missing_scratch_or_engine_is_one_clear_line(workspace):
    handmade_folder(workspace.top / "sub_batch_0", runs=1)
    (script,) = workspace.write_scripts()
    env = workspace.env()
    del env["SCRATCHDIR"]
    result = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True)
    assert result.returncode != 0 and "SCRATCHDIR is not set" in result.stderr
    env = workspace.env()
    env["CGP_BINARY"] = str(workspace.root / "nope" / "cgp")
    result = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True)
    assert result.returncode != 0 and "compile_cgp.pbs.sh" in result.stderr
    assert shutil.which("bash")


def test_readme_example_matches_the_original_layout_and_runs(workspace, tmp_path):
    """The original README's PBS command: 30 one-run batches of a 256 x 31 le_selector-style grid
    (here layer_bypass); folders as the original wrote them (workflow spec §4.1), and one of the
    generated scripts runs under the simulated PBS environment until its "walltime" SIGTERM."""
    from compress.cli import main

    env_root = workspace.data / "experiments_folder"
    code = main(
        [
            "layer_bypass:train-pbs",
            "qat_quantized_lenet",
            "qat.quantized_lenet.pth",
            "--rows", "256", "--cols", "31", "--mse-thresholds", "0", "-b", "30",
            "--population-max", "8", "--patience", "10000000", "--multiplex",
            "--time-limit", "48:00:00", "--experiment-env", str(env_root),
        ]
    )  # fmt: skip
    assert code == 0
    top = env_root / "layer_bypass"
    names = sorted(
        (p.name for p in top.iterdir() if p.is_dir()), key=lambda n: int(n.rsplit("_", 1)[1])
    )
    assert names == [f"mse_0.0_256_31_batch_{i}" for i in range(30)]
    for index in (0, 7, 29):
        folder = top / f"mse_0.0_256_31_batch_{index}"
        for entry in (
            "train_cgp.config",
            "train.data",
            "gate_parameters.txt",
            "gate_parameters.csv",
            "train.pbs.sh",
        ):
            assert (folder / entry).is_file(), entry
        for entry in ("train_statistics/fitness", "cgp_configs", "weights"):
            assert (folder / entry).is_dir(), entry
        config = CGPConfig.load(folder / "train_cgp.config")
        assert {key: config[key] for key in ORIGINAL_PATHS} == ORIGINAL_PATHS
        assert (config["row_count"], config["col_count"], config["number_of_runs"]) == (
            256,
            31,
            index + 1,
        )
        assert "start_run" not in (folder / "train_cgp.config").read_text()  # command line only
        script = (folder / "train.pbs.sh").read_text()
        assert f"#PBS -N cgp_layer_bypass_mse_0.0_256_31_batch_{index}\n" in script
        assert (
            "#PBS -l select=1:ncpus=8:mem=2gb:scratch_local=1gb\n" in script
        )  # cpu = population_max
        assert "#PBS -l walltime=48:00:00\n" in script
        assert f'"layer_bypass/mse_0.0_256_31_batch_{index} {index} {index + 1}"' in script

    env = workspace.env()
    script = top / "mse_0.0_256_31_batch_7" / "train.pbs.sh"
    process = subprocess.Popen(
        ["bash", str(script)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    stats = Path(env["SCRATCHDIR"]) / "work" / "train_statistics" / "fitness" / "statistics.8.csv"
    deadline = time.monotonic() + 120
    while not (stats.exists() and len(stats.read_text().splitlines()) > 1):
        assert process.poll() is None, process.communicate()[1]
        assert time.monotonic() < deadline, "the engine made no progress"
        time.sleep(0.1)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 33, stderr
    results = workspace.data / "results" / "layer_bypass" / "mse_0.0_256_31_batch_7"
    assert (results / "checkpoints" / "checkpoint.8.ckpt").is_file()
    assert (results / "train_statistics" / "fitness" / "statistics.8.csv").is_file()
    assert not (results / "complete").exists()


def test_pbs_end_to_end_train_merge_and_model_metrics(workspace, capsys):
    """train-pbs --array, every array task under simulated PBS, merge of the results, then the
    model-metrics-pbs group job under simulated PBS: every run evaluated exactly once."""
    from compress.cli import main

    env_root = workspace.data / "experiments_folder"
    code = main(
        [
            "layer_bypass:train-pbs", "qat_quantized_lenet", "qat.quantized_lenet.pth",
            "--rows", "5", "--cols", "5", "--mse-thresholds", "0", "--number-of-runs", "2", "-b", "2",
            "--population-max", "4", "--patience", "3000", "--cpu", "1", "--time-limit", "1:00:00",
            "--array", "--experiment-env", str(env_root),
        ]
    )  # fmt: skip
    assert code == 0
    array = env_root / "layer_bypass" / PBS_ARRAY_SCRIPT
    for index in range(2):
        result = workspace.run(array, index=index)
        assert result.returncode == 0, result.stderr
    results = workspace.data / "results" / "layer_bypass"
    assert main(["layer_bypass:merge", "--folder", str(results), "--mode", "all"]) == 0

    metrics = ["layer_bypass:model-metrics-pbs", "qat_quantized_lenet", "qat.quantized_lenet.pth"]
    metrics += ["--experiment-path", str(results), "--experiment", "mse_0.0_5_5", "--modulo", "1"]
    assert main(metrics) == 0
    (script,) = (results / "model_metrics_jobs").glob("*.pbs.sh")
    assert script.name == "layer_bypass_qat_quantized_lenet_0_1.pbs.sh"
    env = workspace.env()
    job = subprocess.run(
        ["bash", str(script)], env={**env, "TQDM_DISABLE": "1"}, capture_output=True, text=True
    )
    assert job.returncode == 0, job.stderr
    outputs = sorted(p.name for p in (results / "model_metrics").glob("*.csv"))
    assert outputs == ["default.test.mse_0.0_5_5.1.csv", "default.test.mse_0.0_5_5.2.csv"]
    capsys.readouterr()
    assert main(metrics) == 0
    assert "nothing to do" in capsys.readouterr().out
