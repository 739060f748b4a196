"""Every shipped and generated shell script passes shellcheck, and the generators' pieces behave."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from cluster_folders import finish_run, handmade_folder

from compress.cluster.jobs import parse_memory_mb, parse_walltime, render_template, slurm_time
from compress.cluster.pbs import PbsOptions, write_pbs_jobs
from compress.cluster.prepare import job_from_folder
from compress.cluster.slurm import SlurmOptions, array_spec, entries_of, write_slurm_jobs
from compress.errors import CompressError
from compress.settings import load_settings

REPO = Path(__file__).resolve().parents[2]
SHIPPED = sorted((REPO / "metacentrum").glob("*.sh")) + sorted(
    (REPO / "scripts" / "slurm").glob("*.sh")
)
FAKE_PBS = Path(__file__).resolve().parent / "fake_pbs"


def committed_shell_scripts() -> list[Path]:
    """Every shell script in git (by extension or a shell shebang), templates aside: those are
    checked as the scripts they render."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    found = []
    for name in filter(None, listed):
        path = REPO / name
        if path.suffix in (".pbs", ".sbatch", ".job") or not path.is_file():
            continue
        if path.suffix == ".sh":
            found.append(path)
            continue
        with path.open("rb") as handle:
            first = handle.readline()
        if first.startswith(b"#!") and (b"bash" in first or first.rstrip().endswith(b"/sh")):
            found.append(path)
    return found


def shellcheck(paths: list[Path]) -> None:
    tool = shutil.which("shellcheck")
    assert tool, "shellcheck missing: run scripts/slurm/install_deps.sh (make test does)"
    result = subprocess.run(
        [tool, "-x", "--shell=bash", *map(str, paths)],
        capture_output=True,
        text=True,
        cwd=paths[0].parent,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_shipped_scripts_pass_shellcheck():
    names = {path.name for path in SHIPPED}
    for required in (
        "experiment.sh",
        "compress.sh",
        "resub.sh",
        "missing_jobs.sh",
        "unfinished_jobs.sh",
        "job_backup.sh",
        "job_cleaner.sh",
        "job_perish.sh",
        "experiment_backup.sh",
        "experiment_force_backup.sh",
        "experiment_cleaner.sh",
        "experiment_perish.sh",
        "compile_cgp.pbs.sh",
        "install_deps.sh",
    ):
        assert required in names
    shellcheck([p for p in SHIPPED if p.parent.name == "metacentrum"])
    shellcheck([p for p in SHIPPED if p.parent.name == "slurm"])


def test_every_committed_shell_script_passes_shellcheck():
    scripts = committed_shell_scripts()
    names = {path.relative_to(REPO).as_posix() for path in scripts}
    assert {"compress/experiments/job_body.sh", "metacentrum/resub.sh"} <= names
    by_folder: dict[Path, list[Path]] = {}
    for path in scripts:
        by_folder.setdefault(path.parent, []).append(path)
    for paths in by_folder.values():
        shellcheck(paths)


def test_fake_pbs_tools_pass_shellcheck():
    shellcheck(sorted(p for p in FAKE_PBS.iterdir() if p.is_file()))


def test_generated_scripts_pass_shellcheck(tmp_path):
    folders = [handmade_folder(tmp_path / "exp" / f"sub_batch_{i}", runs=i + 1) for i in range(3)]
    jobs = [job_from_folder(folder) for folder in folders]
    options = PbsOptions(time_limit="1:00:00", cpu=2, array=True, cgp_args=("--seed", "3"))
    scripts = write_pbs_jobs("exp", tmp_path / "exp", jobs, options, load_settings())
    scripts.append(
        write_slurm_jobs(
            "exp",
            tmp_path / "exp",
            jobs,
            SlurmOptions(time_limit="1:00:00", cpu=1),
            Path("/bin/true"),
        )
    )
    scripts.append(tmp_path / "exp" / "submit.sh")
    shellcheck(scripts)


def test_generated_model_metrics_scripts_pass_shellcheck(tmp_path):
    from compress.cli import main

    top = tmp_path / "exp"
    folder = handmade_folder(top / "mse_0.0_5_5", runs=1)
    (folder / "train_statistics" / "fitness" / "statistics.1.csv.zip").write_bytes(b"")
    finish_run(folder, 1)
    model = ["qat_quantized_lenet", "qat.quantized_lenet.pth", "--experiment-path", str(top)]
    assert main(["layer_bypass:model-metrics-pbs", *model]) == 0
    assert main(["layer_bypass:model-metrics-slurm", *model]) == 0
    scripts = sorted((top / "model_metrics_jobs").iterdir())
    assert sorted(p.suffix for p in scripts) == [".sbatch", ".sh"]
    shellcheck(scripts)


def test_template_fills_header_until_stable_and_keeps_body():
    template = "#PBS -N ${job_name}\nX=${CGP_WORKSPACE:-${workspace}}\n# PYTHON TEMPLATE END\necho ${job_name} $HOME\n"
    text = render_template(
        template, {"job_name": "cgp_${server}", "server": "brno2", "workspace": "$HOME/w"}
    )
    assert text.splitlines() == [
        "#PBS -N cgp_brno2",
        "X=${CGP_WORKSPACE:-$HOME/w}",
        "echo ${job_name} $HOME",
    ]


def test_pbs_header_batch_runs_and_no_user_names(tmp_path):
    folders = [
        handmade_folder(tmp_path / "exp" / f"mse_0_5_5_batch_{i}", runs=2 * (i + 1))
        for i in range(2)
    ]
    jobs = [job_from_folder(folder) for folder in folders]
    assert [(job.start_run, job.end_run) for job in jobs] == [(0, 2), (2, 4)]
    settings = load_settings()
    scripts = write_pbs_jobs(
        "exp", tmp_path / "exp", jobs, PbsOptions(time_limit="48:00:00", cpu=8), settings
    )
    text = scripts[1].read_text()
    assert "#PBS -N cgp_exp_mse_0_5_5_batch_1\n" in text
    assert "#PBS -l select=1:ncpus=8:mem=2gb:scratch_local=1gb\n" in text
    assert "#PBS -l walltime=48:00:00\n" in text
    assert '"exp/mse_0_5_5_batch_1 2 4"' in text
    assert "\n#PBS -J" not in text
    if not settings.pbs_server:
        assert 'DATADIR="${CGP_WORKSPACE:-${PBS_O_HOME:-$HOME}/cgp_workspace}"' in text
    named = write_pbs_jobs(
        "exp",
        tmp_path / "exp",
        jobs,
        PbsOptions(time_limit="1:00:00", cpu=1, array=True),
        settings.__class__(**{**settings.__dict__, "pbs_server": "brno2", "pbs_username": "alice"}),
    )
    array = named[-1].read_text()
    assert "/storage/brno2/home/alice/cgp_workspace" in array
    assert "#PBS -J 0-1\n" in array
    assert [entry.folder for entry in entries_of(named[-1])] == [
        "exp/mse_0_5_5_batch_0",
        "exp/mse_0_5_5_batch_1",
    ]


def test_slurm_header(tmp_path):
    jobs = [
        job_from_folder(handmade_folder(tmp_path / "exp" / f"a_batch_{i}", runs=i + 1))
        for i in range(3)
    ]
    script = write_slurm_jobs(
        "exp",
        tmp_path / "exp",
        jobs,
        SlurmOptions(time_limit="48:00:00", mem="2gb", cpu=4, max_parallel=2),
        Path("/opt/cgp"),
    )
    text = script.read_text()
    for line in (
        "#SBATCH --array=0-2%2",
        "#SBATCH --time=2-00:00:00",
        "#SBATCH --mem=2048M",
        "#SBATCH --cpus-per-task=4",
        "#SBATCH --signal=TERM@300",
    ):
        assert line + "\n" in text
    assert [(e.folder, e.start_run, e.end_run) for e in entries_of(script)] == [
        ("a_batch_0", 0, 1),
        ("a_batch_1", 1, 2),
        ("a_batch_2", 2, 3),
    ]


@pytest.mark.parametrize(
    ("text", "seconds"), [("48:00:00", 172800), ("2-00:00:30", 172830), ("90:00", 5400), ("45", 45)]
)
def test_walltime(text, seconds):
    assert parse_walltime(text) == seconds


@pytest.mark.parametrize("text", ["", "1:60:00", "tomorrow", "0:00:00"])
def test_bad_walltime_is_a_user_error(text):
    with pytest.raises(CompressError):
        parse_walltime(text)


def test_sizes_and_arrays():
    assert (
        parse_memory_mb("2gb") == 2048
        and parse_memory_mb("500mb") == 500
        and parse_memory_mb("4G") == 4096
    )
    assert slurm_time(3661) == "0-01:01:01"
    assert array_spec([0, 1, 2, 5, 7, 8]) == "0-2,5,7-8"
    with pytest.raises(CompressError):
        parse_memory_mb("lots")
