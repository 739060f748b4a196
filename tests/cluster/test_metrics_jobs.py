"""model-metrics-pbs / model-metrics-slurm: modulo groups, skipping finished results, scripts."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from cluster_folders import finish_run, handmade_folder

from compress.cli import main
from compress.cluster.slurm import entries_of

MODEL = ["qat_quantized_lenet", "qat.quantized_lenet.pth"]


def experiment_with_results(root: Path, folders: int = 5, runs: int = 2) -> Path:
    top = root / "layer_bypass"
    for index in range(folders):
        folder = handmade_folder(top / f"mse_{index}_5_5", runs=runs, checkpoint=False)
        for run in range(1, runs + 1):
            (folder / "train_statistics" / "fitness" / f"statistics.{run}.csv.zip").write_bytes(b"")
            finish_run(folder, run)
    (top / "model_metrics").mkdir()
    return top


def groups_of(script: Path) -> list[list[str]]:
    lines = script.read_text().split("METRIC_GROUPS=(\n", 1)[1].split("\n)\n", 1)[0].splitlines()
    return [line.strip().strip('"').split() for line in lines]


def test_pbs_groups_skip_finished_folders(tmp_path, capsys):
    top = experiment_with_results(tmp_path)
    # mse_1 has every run evaluated, mse_3 only run 1: mse_1 is left out, mse_3 is not.
    for name in (
        "default.test.mse_1_5_5.1.csv",
        "default.test.mse_1_5_5.2.csv",
        "default.test.mse_3_5_5.1.csv",
    ):
        (top / "model_metrics" / name).write_text("run\n1\n")
    code = main(
        [
            "layer_bypass:model-metrics-pbs",
            *MODEL,
            "--experiment-path",
            str(top),
            "--modulo",
            "2",
            "-s",
            "statistics.{run}.csv.zip",
            "--cpu",
            "2",
            "--mem",
            "4gb",
            "--time-limit",
            "2:00:00",
        ]
    )
    assert code == 0
    scripts = sorted((top / "model_metrics_jobs").glob("*.pbs.sh"))
    assert [p.name for p in scripts] == [
        "layer_bypass_qat_quantized_lenet_0_2.pbs.sh",
        "layer_bypass_qat_quantized_lenet_1_2.pbs.sh",
    ]
    assert [groups_of(p) for p in scripts] == [
        [["mse_0_5_5", "mse_3_5_5"]],
        [["mse_2_5_5", "mse_4_5_5"]],
    ]
    text = scripts[0].read_text()
    assert "#PBS -l select=1:ncpus=2:mem=4gb:scratch_local=10gb\n" in text
    assert "#PBS -l walltime=02:00:00\n" in text
    assert "statistics.{run}.csv.zip" in text
    assert shutil.which("shellcheck")
    check = subprocess.run(["shellcheck", *map(str, scripts)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout


def test_default_modulo_and_slurm_array(tmp_path):
    top = experiment_with_results(tmp_path, folders=3)
    # a folder whose runs have statistics but never finished has nothing to measure
    unfinished = handmade_folder(top / "mse_9_5_5", runs=1, checkpoint=False)
    (unfinished / "train_statistics" / "fitness" / "statistics.1.csv.zip").write_bytes(b"")
    assert main(["layer_bypass:model-metrics-slurm", *MODEL, "--experiment-path", str(top)]) == 0
    script = top / "model_metrics_jobs" / "model_metrics.sbatch"
    text = script.read_text()
    # default modulo: one group per pending folder (at most 8)
    assert "#SBATCH --array=0-2\n" in text
    assert groups_of(script) == [["mse_0_5_5"], ["mse_1_5_5"], ["mse_2_5_5"]]
    assert entries_of(script) == []
    check = subprocess.run(["shellcheck", str(script)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout


def test_nothing_pending_writes_nothing(tmp_path, capsys):
    top = experiment_with_results(tmp_path, folders=1, runs=1)
    (top / "model_metrics" / "default.test.mse_0_5_5.1.csv").write_text("run\n1\n")
    assert main(["layer_bypass:model-metrics-pbs", *MODEL, "--experiment-path", str(top)]) == 0
    assert "nothing to do" in capsys.readouterr().out
    assert not (top / "model_metrics_jobs").exists()


def test_bad_modulo_is_one_line(tmp_path, capsys):
    top = experiment_with_results(tmp_path, folders=2)
    with pytest.raises(SystemExit) as exit_info:
        main(
            [
                "layer_bypass:model-metrics-pbs",
                *MODEL,
                "--experiment-path",
                str(top),
                "--modulo",
                "0",
            ]
        )
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "argument --modulo: must be at least 1" in err and len(err.splitlines()) == 1
