"""Merge, status and the metacentrum/ helper scripts on batch folders the real engine produced."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import zipfile
from pathlib import Path

import pytest
from cluster_folders import batch_folders, handmade_folder

from compress.cluster.merge import merge_all, merge_batches
from compress.cluster.status import (
    FAILED,
    FINISHED,
    NEVER_STARTED,
    RUNNING,
    experiment_status,
    format_status,
)
from compress.engine.config import CGPConfig
from compress.errors import CompressError

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "metacentrum"


def train(engine: Path, folder: Path, start_run: int, *extra: str) -> None:
    result = subprocess.run(
        [
            str(engine),
            "train",
            "train_cgp.config",
            "--threads",
            "1",
            "--start-run",
            str(start_run),
            *extra,
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr


def record_job(folder: Path, job: str, exit_code: int | None, *, complete: bool = False) -> None:
    """What a job script leaves: its jobs_info.txt line, the exit code, the complete marker."""
    line = (
        f"{job} is running on node {os.uname().nodename} in a scratch directory /scratch/{job} "
        f"conducting experiment exp/{folder.name} in experiments_folder that resides in /ws\n"
    )
    with open(folder / "jobs_info.txt", "a") as handle:
        handle.write(line)
    if exit_code is not None:
        (folder / "exit_code").write_text(f"{exit_code}\n")
    if complete:
        (folder / "complete").touch()


def kill_mid_run(engine: Path, folder: Path, start_run: int) -> None:
    """A job killed hard (node failure, SIGKILL): statistics exist, the result config does not."""
    process = subprocess.Popen(
        [
            str(engine),
            "train",
            "train_cgp.config",
            "--threads",
            "1",
            "--start-run",
            str(start_run),
            "--patience",
            "100000000",
        ],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    stats = folder / "train_statistics" / "fitness" / f"statistics.{start_run + 1}.csv"
    deadline = time.monotonic() + 30
    while not (stats.exists() and len(stats.read_text().splitlines()) > 2):
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()


@pytest.fixture(scope="module")
def results(tmp_path_factory, engine) -> Path:
    """``x_batch_{0,1,2}`` (runs 1-2, 3-4, 5-6): batch 1 died in its second run; ``y_batch_{0,1}``."""
    root = tmp_path_factory.mktemp("results")
    x = batch_folders(root, "x", batches=3, runs_per_batch=2, checkpoint=False)
    for index, folder in enumerate(x):
        if index == 1:
            train(engine, folder, 2, "--number-of-runs", "3")  # run 3 finishes ...
            kill_mid_run(engine, folder, start_run=3)  # ... run 4 dies
            record_job(folder, "11.pbs", None)
        else:
            train(engine, folder, start_run=2 * index)
            record_job(folder, f"1{index}.pbs", 0, complete=True)
    for index, folder in enumerate(
        batch_folders(root, "y", batches=2, runs_per_batch=1, seed=3, checkpoint=False)
    ):
        train(engine, folder, start_run=index)
        record_job(folder, f"2{index}.pbs", 0, complete=True)
    handmade_folder(root / "z_never", runs=1, checkpoint=False)
    return root


def tree(folder: Path) -> dict[str, bytes]:
    """Relative path -> content; zips by their members, so archives compare by what they hold."""
    files = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.name == "merge_report.txt":
            continue
        name = path.relative_to(folder).as_posix()
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                (member,) = archive.namelist()
                files[name] = archive.read(member)
        else:
            files[name] = path.read_bytes()
    return files


def test_status_lists_finished_running_failed_and_never_started(results):
    statuses = {s.name: s for s in experiment_status(results, ask_scheduler=False)}
    assert statuses["x_batch_0"].runs == {1: FINISHED, 2: FINISHED}
    # batch 1: no exit code written and no scheduler to ask -> its job counts as running
    assert statuses["x_batch_1"].job == RUNNING
    assert statuses["x_batch_1"].runs == {3: FINISHED, 4: RUNNING}
    assert statuses["z_never"].job == NEVER_STARTED and statuses["z_never"].runs == {
        1: NEVER_STARTED
    }
    table = format_status(list(statuses.values()))
    assert "x_batch_1" in table and "never started" in table


def test_status_after_a_failed_exit(results, tmp_path):
    folder = tmp_path / "x_batch_1"
    shutil.copytree(results / "x_batch_1", folder)
    (folder / "exit_code").write_text("43\n")
    (status,) = experiment_status(tmp_path, ask_scheduler=False)
    assert (
        status.job == FAILED and status.runs == {3: FINISHED, 4: FAILED} and status.exit_code == 43
    )


@pytest.mark.parametrize("mode", ["all", "lean"])
def test_merge_loses_nothing_and_lists_the_failed_batch(results, tmp_path, mode):
    work = tmp_path / "python"
    shutil.copytree(results, work)
    report = merge_batches(work, "x", mode=mode, top=3)

    assert report.merged_runs == [1, 2, 3, 5, 6]
    assert report.failed_batches == {"x_batch_1": [4]}
    merged = work / "x"
    fitness = sorted(p.name for p in (merged / "train_statistics" / "fitness").iterdir())
    if mode == "all":
        assert fitness == [f"statistics.{run}.csv.zip" for run in (1, 2, 3, 5, 6)]
        with zipfile.ZipFile(
            merged / "train_statistics" / "fitness" / "statistics.5.csv.zip"
        ) as archive:
            assert (
                archive.read("statistics.5.csv")
                == (
                    results / "x_batch_2" / "train_statistics" / "fitness" / "statistics.5.csv"
                ).read_bytes()
            )
    else:
        assert fitness == sorted(
            f"statistics.{run}.csv.{part}.zip"
            for run in (1, 2, 3, 5, 6)
            for part in ("chromosome", "chromosomeless")
        )
    assert sorted(p.name for p in (merged / "cgp_configs").iterdir()) == [
        f"cgp.{r}.config" for r in (1, 2, 3, 5, 6)
    ]
    assert sorted(p.name for p in (merged / "weights").iterdir()) == [
        f"weights.{r}.txt" for r in (1, 2, 3, 5, 6)
    ]
    assert sorted(p.name for p in (merged / "logs").iterdir()) == [
        "x_batch_0",
        "x_batch_1",
        "x_batch_2",
    ]
    assert CGPConfig.load(merged / "train_cgp.config")["number_of_runs"] == 6
    assert "FAILED x_batch_1" in (merged / "merge_report.txt").read_text()
    assert (work / f"x.{mode}.zip").is_file()

    # The shipped shell script merges the same batches into the same files.
    shell = tmp_path / "shell"
    shutil.copytree(results, shell)
    result = subprocess.run(
        ["bash", str(SCRIPTS / "experiment.sh"), "merge", "x", "3", mode],
        cwd=shell,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1, (
        result.stderr
    )  # 1: a batch had unfinished runs; the rest is merged
    assert "FAILED x_batch_1: runs 4" in result.stderr
    assert tree(shell / "x") == tree(merged)
    with zipfile.ZipFile(shell / f"x.{mode}.zip") as archive:
        assert "x/cgp_configs/cgp.6.config" in archive.namelist()


def test_merged_lean_statistics_keep_last_rows_and_blank_chromosomes(results, tmp_path):
    shutil.copytree(results, tmp_path / "r")
    merge_batches(tmp_path / "r", "y", mode="lean", top=2)
    source = (
        (results / "y_batch_1" / "train_statistics" / "fitness" / "statistics.2.csv")
        .read_text()
        .splitlines()
    )
    fitness = tmp_path / "r" / "y" / "train_statistics" / "fitness"
    with zipfile.ZipFile(fitness / "statistics.2.csv.chromosome.zip") as archive:
        assert archive.read(archive.namelist()[0]).decode().splitlines() == [
            source[0],
            *source[-2:],
        ]
    with zipfile.ZipFile(fitness / "statistics.2.csv.chromosomeless.zip") as archive:
        rows = archive.read(archive.namelist()[0]).decode().splitlines()
    assert len(rows) == len(source) and rows[-1].endswith(',""') and not source[-1].endswith(',""')


def test_merge_all_and_bad_input(results, tmp_path):
    shutil.copytree(results, tmp_path / "r")
    reports = merge_all(tmp_path / "r")
    assert [r.name for r in reports] == ["x", "y"] and reports[1].merged_runs == [1, 2]
    with pytest.raises(CompressError):
        merge_batches(tmp_path / "r", "nope")
    with pytest.raises(CompressError):
        merge_batches(tmp_path / "r", "y", mode="fat")
    shell = subprocess.run(
        ["bash", str(SCRIPTS / "experiment.sh"), "merge-all", "5", "all"],
        cwd=tmp_path / "r",
        capture_output=True,
        text=True,
    )
    assert shell.returncode == 1 and "FAILED x_batch_1" in shell.stderr
    assert (tmp_path / "r" / "y.all.zip").is_file()


def test_listings_and_dry_run_resubmission(results):
    def run(*args: str) -> list[str]:
        result = subprocess.run(["bash", *args], capture_output=True, text=True, cwd=results)
        assert result.returncode == 0, result.stderr
        return sorted(Path(line).name for line in result.stdout.split())

    assert run(str(SCRIPTS / "missing_jobs.sh"), ".") == ["z_never"]
    assert run(str(SCRIPTS / "unfinished_jobs.sh")) == ["x_batch_1", "z_never"]
    for folder in ("x_batch_1", "z_never"):
        (results / folder / "train.pbs.sh").write_text("#!/bin/bash\n")
    result = subprocess.run(
        ["bash", str(SCRIPTS / "resub.sh"), "-n"], cwd=results, capture_output=True, text=True
    )
    assert result.stdout.split() == ["would", "submit", "./z_never"], result.stderr
    result = subprocess.run(
        ["bash", str(SCRIPTS / "resub.sh"), "-n", "-u", "."],
        cwd=results,
        capture_output=True,
        text=True,
    )
    assert sorted(result.stdout.split()[2::3]) == ["./x_batch_1", "./z_never"], result.stderr
    for folder in ("x_batch_1", "z_never"):
        (results / folder / "train.pbs.sh").unlink()


def test_backup_clean_and_perish_a_job_scratch(tmp_path):
    """On this machine (the node in jobs_info.txt is this host, so no ssh is involved)."""
    folder = handmade_folder(
        tmp_path / "ws" / "experiments_folder" / "exp" / "sub", runs=1, checkpoint=False
    )
    scratch = tmp_path / "scratch" / "42"
    shutil.copytree(folder, scratch / "work")
    stats = scratch / "work" / "train_statistics" / "fitness" / "statistics.1.csv"
    stats.write_text("run,generation,chromosome\n" + "".join(f'1,{g},"c{g}"\n' for g in range(10)))
    (folder / "jobs_info.txt").write_text(
        f"42.pbs is running on node {os.uname().nodename} in a scratch directory {scratch} conducting "
        f"experiment exp/sub in experiments_folder that resides in {tmp_path / 'ws'}\n"
    )
    backup = subprocess.run(
        ["bash", str(SCRIPTS / "job_backup.sh"), str(folder), "3"], capture_output=True, text=True
    )
    assert backup.returncode == 0, backup.stderr
    archive = Path(backup.stdout.strip())
    assert (
        archive.parent
        == tmp_path / "ws" / "jobs_backups" / "experiments_folder" / "sub" / "exp" / "sub"
    )
    with zipfile.ZipFile(archive) as zipped:
        assert "work/train.data" in zipped.namelist()
        kept = zipped.read("work/train_statistics/fitness/statistics.1.csv").decode().splitlines()
    assert kept == ["run,generation,chromosome", '1,7,"c7"', '1,8,"c8"', '1,9,"c9"']

    cleaner = subprocess.run(
        ["bash", str(SCRIPTS / "job_cleaner.sh"), str(folder)], capture_output=True, text=True
    )
    assert cleaner.returncode == 0, cleaner.stderr
    assert list((tmp_path / "ws" / "failed_jobs_results").rglob("*_data.zip"))
    assert scratch.is_dir() and not any(scratch.iterdir())

    (folder / "jobs_info.txt").write_text(
        f"43.pbs is running on node {os.uname().nodename} in a scratch directory relative/dir conducting "
        "experiment exp/sub in experiments_folder that resides in /ws\n"
    )
    perish = subprocess.run(
        ["bash", str(SCRIPTS / "job_perish.sh"), str(folder)], capture_output=True, text=True
    )
    assert perish.returncode != 0 and "refusing" in perish.stderr
