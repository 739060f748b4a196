"""PBS tested like Slurm: ``--submit``, job arrays, walltime and ``resubmit`` end to end.

No PBS server runs here, so ``tests/cluster/fake_pbs/`` holds real ``qsub``/``qstat``/``qdel``
scripts, put on PATH: ``qsub`` records its arguments and runs the job script in a new session
under what a PBS execution host provides (``PBS_JOBID``, ``PBS_ARRAY_INDEX``, ``SCRATCHDIR``,
``NCPUS``) and sends SIGTERM at the walltime; ``qstat`` answers as PBS Pro does for running,
finished and unknown jobs. Nothing is mocked in Python: the CLI, the generated scripts and the
engine (``bin/cgp``) are the real ones.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from compress.cli import main
from compress.cluster.status import FAILED, FINISHED, NEVER_STARTED, RUNNING, experiment_status

FAKE_PBS = Path(__file__).resolve().parent / "fake_pbs"
MODEL = ("qat_quantized_lenet", "qat.quantized_lenet.pth")
GRID = ["--rows", "5", "--cols", "5", "--mse-thresholds", "0", "--population-max", "4"]


ENGINE_WRAPPER = """#!/bin/sh
# Records what the job staged beside the engine (the job's working folder), then runs it.
find . -mindepth 1 | sed "s|^./||" | sort > "$FAKE_PBS_HOME/staged.$PBS_JOBID.txt"
echo "$@" > "$FAKE_PBS_HOME/args.$PBS_JOBID.txt"
exec {engine} "$@"
"""


class FakePbs:
    """The fake PBS server's state folder and the cluster workspace its jobs see."""

    def __init__(self, root: Path, engine: Path, monkeypatch: pytest.MonkeyPatch):
        self.home = root / "pbs_server"
        self.home.mkdir()
        self.workspace = root / "ws"
        self.env_root = self.workspace / "experiments_folder"
        monkeypatch.setenv("PATH", f"{FAKE_PBS}:{os.environ['PATH']}")
        monkeypatch.setenv("FAKE_PBS_HOME", str(self.home))
        monkeypatch.setenv("CGP_WORKSPACE", str(self.workspace))
        wrapper = root / "cgp"
        wrapper.write_text(ENGINE_WRAPPER.format(engine=engine))
        wrapper.chmod(0o755)
        monkeypatch.setenv("CGP_BINARY", str(wrapper))
        monkeypatch.setenv("TQDM_DISABLE", "1")

    def calls(self, tool: str = "qsub") -> list[tuple[Path, list[str]]]:
        """(working directory, arguments) of every call of ``tool``, in order."""
        log = self.home / "calls.log"
        lines = log.read_text().splitlines() if log.exists() else []
        found = []
        for line in lines:
            name, cwd, words = line.split("\t")
            if name == tool:
                found.append((Path(cwd), subprocess.run(
                    ["bash", "-c", f'for w in {words}; do echo "$w"; done'],
                    capture_output=True, text=True, check=True,
                ).stdout.split()))  # fmt: skip
        return found

    def wait(self, timeout: float = 300) -> None:
        """Until every job the fake server started has ended."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            jobs = [p for p in (self.home / "jobs").iterdir() if p.is_dir()]
            if all((job / "exit_status").exists() for job in jobs):
                return
            time.sleep(0.2)
        pytest.fail(f"PBS jobs still running after {timeout} s")

    def exit_statuses(self) -> dict[str, int]:
        return {
            job.name: int((job / "exit_status").read_text())
            for job in sorted((self.home / "jobs").iterdir())
        }

    def staged(self, job: str) -> list[str]:
        """The files of the job's working folder when its engine started."""
        return (self.home / f"staged.{job}.txt").read_text().split()

    def logs(self, folder: Path) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()}" for p in sorted(folder.glob("*.[oe]*")))


@pytest.fixture
def pbs(tmp_path, engine, monkeypatch) -> FakePbs:
    return FakePbs(tmp_path, engine, monkeypatch)


def train_pbs(pbs: FakePbs, *extra: str) -> int:
    return main(
        ["layer_bypass:train-pbs", *MODEL, *GRID, "--cpu", "1", "--time-limit", "01:00:00",
         "--experiment-env", str(pbs.env_root), *extra]
    )  # fmt: skip


def test_submit_array_runs_every_task_under_pbs_variables(pbs, capsys):
    """``train-pbs --array --submit``: one qsub of the array script from the experiment folder;
    every subjob finds its folder by ``PBS_ARRAY_INDEX``; ``status`` asks qstat and reads the
    results folder the scripts wrote (beside the experiments folder)."""
    assert train_pbs(pbs, "--number-of-runs", "3", "-b", "3", "--patience", "2000", "--array",
                     "--submit") == 0  # fmt: skip
    top = pbs.env_root / "layer_bypass"
    ((cwd, args),) = pbs.calls("qsub")
    assert cwd == top and args == ["train_array.pbs.sh"]
    assert "1[].fakepbs" in capsys.readouterr().out
    pbs.wait()

    assert pbs.exit_statuses() == {"1_0": 0, "1_1": 0, "1_2": 0}, pbs.logs(top)
    results = pbs.workspace / "results" / "layer_bypass"
    for index in range(3):
        batch = results / f"mse_0.0_5_5_batch_{index}"
        assert sorted(p.name for p in (batch / "cgp_configs").iterdir()) == [
            f"cgp.{index + 1}.config"
        ]
        assert (batch / "complete").is_file()
        info = (top / batch.name / "jobs_info.txt").read_text().split()
        assert info[0] == f"1[{index}].fakepbs"
        # ncpus=1 in the script, NCPUS=1 from PBS: the engine's thread count.
        engine_args = (pbs.home / f"args.1[{index}].fakepbs.txt").read_text().split()
        assert engine_args[engine_args.index("--threads") + 1] == "1"
    statuses = experiment_status(top)
    assert [s.job for s in statuses] == [FINISHED] * 3
    assert [s.runs for s in statuses] == [{1: FINISHED}, {2: FINISHED}, {3: FINISHED}]

    assert main(["layer_bypass:status", "--folder", str(top)]) == 0
    total = capsys.readouterr().out.splitlines()[-1].split()
    assert total == ["total", "3", "0", "0", "0"]  # finished, running, failed, never started
    assert pbs.calls("qstat") == [], "finished jobs need no scheduler query"

    assert main(["layer_bypass:resubmit", "--folder", str(top)]) == 0
    assert "nothing to resubmit" in capsys.readouterr().out
    assert len(pbs.calls("qsub")) == 1


def test_submit_without_array_is_one_job_per_folder(pbs, capsys):
    assert train_pbs(pbs, "--number-of-runs", "2", "-b", "2", "--patience", "2000",
                     "--submit") == 0  # fmt: skip
    top = pbs.env_root / "layer_bypass"
    assert pbs.calls("qsub") == [
        (top / "mse_0.0_5_5_batch_0", ["train.pbs.sh"]),
        (top / "mse_0.0_5_5_batch_1", ["train.pbs.sh"]),
    ]
    pbs.wait()
    assert pbs.exit_statuses() == {"1": 0, "2": 0}
    assert [s.job for s in experiment_status(top)] == [FINISHED, FINISHED]


def test_walltime_then_resubmit_resumes_checkpointed_and_starts_unfinished(
    pbs, monkeypatch, capsys
):
    """Batch 0 is submitted alone and killed at its walltime (SIGTERM from PBS): the engine
    checkpoints, the results come back without ``complete``. ``resubmit`` then sends exactly the
    checkpointed batch 0 and the never-started batch 1; batch 0 resumes from its checkpoint
    (the statistics written before the walltime are kept, the run continues after them).
    That a resumed run equals an uninterrupted one is ``test_pbs_job``'s walltime test."""
    # A run ends by its 5 s time budget, never by patience (a 5 x 5 run reaches any patience in
    # well under a second on an idle machine): still running at the 2 s walltime, however fast.
    assert train_pbs(pbs, "--number-of-runs", "2", "-b", "2", "--patience", "100000000",
                     "--time-budget", "5", "--timestamps", "zero") == 0  # fmt: skip
    top = pbs.env_root / "layer_bypass"
    batch0, batch1 = top / "mse_0.0_5_5_batch_0", top / "mse_0.0_5_5_batch_1"

    monkeypatch.setenv("FAKE_PBS_WALLTIME", "2")
    submitted = subprocess.run(["qsub", "train.pbs.sh"], cwd=batch0, capture_output=True, text=True)
    assert submitted.returncode == 0, submitted.stderr
    job = submitted.stdout.strip()
    deadline = time.monotonic() + 60
    while not (batch0 / "jobs_info.txt").exists():  # the job has started
        assert time.monotonic() < deadline, pbs.logs(batch0)
        time.sleep(0.1)
    statuses = {s.name: s for s in experiment_status(top)}
    assert statuses[batch0.name].job == RUNNING, "qstat knows a running job"
    assert statuses[batch1.name].job == NEVER_STARTED
    pbs.wait()
    monkeypatch.delenv("FAKE_PBS_WALLTIME")

    results = pbs.workspace / "results" / "layer_bypass" / batch0.name
    assert (pbs.home / "jobs" / "1" / "killed").read_text().strip() == "walltime"
    assert (results / "exit_code").read_text().strip() == "33", pbs.logs(batch0)
    assert not (results / "complete").exists()
    assert (results / "checkpoints" / "checkpoint.1.ckpt").is_file()
    statistics = results / "train_statistics" / "fitness" / "statistics.1.csv"
    before_walltime = statistics.read_text()
    assert len(before_walltime.splitlines()) > 1, "the engine logged nothing before the walltime"
    statuses = {s.name: s for s in experiment_status(top)}
    assert statuses[batch0.name].job == FAILED and statuses[batch0.name].resumable == [1]
    assert statuses[batch1.name].job == NEVER_STARTED
    assert subprocess.run(["qstat", job], capture_output=True).returncode == 35

    capsys.readouterr()
    assert main(["layer_bypass:resubmit", "--folder", str(top)]) == 0
    out = capsys.readouterr().out
    assert f"resubmit {batch0.name}" in out and "resumable runs: [1]" in out
    assert f"resubmit {batch1.name}" in out
    assert pbs.calls("qsub")[1:] == [(batch0, ["train.pbs.sh"]), (batch1, ["train.pbs.sh"])]
    assert {s.job for s in experiment_status(top)} == {RUNNING}, "queued or running"
    assert main(["layer_bypass:resubmit", "--folder", str(top)]) == 0
    assert "nothing to resubmit" in capsys.readouterr().out
    assert len(pbs.calls("qsub")) == 3, "a queued or running job was submitted twice"
    pbs.wait()

    assert pbs.exit_statuses() == {"1": 33, "2": 0, "3": 0}
    assert {s.job for s in experiment_status(top)} == {FINISHED}
    assert "checkpoints/checkpoint.1.ckpt" in pbs.staged("2.fakepbs"), "batch 0 did not resume"
    assert "checkpoints/checkpoint.2.ckpt" not in pbs.staged("3.fakepbs")
    after = statistics.read_text()
    assert after.startswith(before_walltime) and len(after) > len(before_walltime)
    assert (results / "cgp_configs" / "cgp.1.config").is_file()
