"""The one finished-run rule (compress/experiments/layout.py), in Python and in the job scripts."""

from __future__ import annotations

import subprocess
import zipfile

import pytest

from compress.cluster.jobs import (
    DEFAULT_PBS_TEMPLATE,
    DEFAULT_SLURM_TEMPLATE,
    TEMPLATES_DIR,
    read_template,
)
from compress.experiments.layout import (
    CHECKPOINTED,
    FINISHED,
    FINISHED_RUN_SHELL,
    UNFINISHED,
    SubExperimentPaths,
)

BEST = "best_solution: error:0 energy:1 chromosome:{1,1,1,1,1}([2]0,1,3)(2)\n"
CASES = {
    1: (BEST, True, False, FINISHED),
    2: (BEST, False, False, UNFINISHED),  # killed after the result config, before the weights
    3: ("best_solution: error:0 chromosome:null\n", True, False, UNFINISHED),
    4: ("population_max: 8\n", True, True, CHECKPOINTED),  # a config dump without a solution
    5: (None, True, True, CHECKPOINTED),  # statistics and weights so far, and a checkpoint
    6: (None, False, False, UNFINISHED),
}


@pytest.fixture
def folder(tmp_path):
    for sub in ("cgp_configs", "weights", "checkpoints"):
        (tmp_path / sub).mkdir()
    for run, (config, weights, checkpoint, _) in CASES.items():
        if config is not None:
            (tmp_path / "cgp_configs" / f"cgp.{run}.config").write_text(config)
        if weights:
            (tmp_path / "weights" / f"weights.{run}.txt").write_text("0 1 2\n")
        if checkpoint:
            (tmp_path / "checkpoints" / f"checkpoint.{run}.ckpt").write_text("x\n")
    return tmp_path


def test_run_states(folder):
    paths = SubExperimentPaths(folder)
    assert {run: paths.run_state(run) for run in CASES} == {r: c[3] for r, c in CASES.items()}
    assert paths.best_chromosome(1) == "{1,1,1,1,1}([2]0,1,3)(2)"
    assert paths.best_chromosome(2) is None


def test_zipped_result_config_counts(folder):
    (folder / "cgp_configs" / "cgp.2.config").rename(folder / "plain")
    with zipfile.ZipFile(folder / "cgp_configs" / "cgp.6.config.zip", "w") as archive:
        archive.writestr("cgp.6.config", BEST)
    (folder / "weights" / "weights.6.txt").write_text("0\n")
    assert SubExperimentPaths(folder).run_state(6) == FINISHED


def test_job_scripts_use_the_same_rule(folder):
    script = (
        FINISHED_RUN_SHELL
        + "\n"
        + "".join(f'run_finished {run} && echo "{run} yes" || echo "{run} no"\n' for run in CASES)
    )
    result = subprocess.run(
        ["bash", "-c", script], cwd=folder, capture_output=True, text=True, check=True
    )
    expected = [f"{run} {'yes' if case[3] == FINISHED else 'no'}" for run, case in CASES.items()]
    assert result.stdout.split("\n")[:-1] == expected
    body = read_template(TEMPLATES_DIR / "job_body.sh")
    assert 'run_finished "$((first + 1))"' in body
    for template in (DEFAULT_PBS_TEMPLATE, DEFAULT_SLURM_TEMPLATE):
        text = read_template(template)
        assert "${run_finished_function}" in text and "INCLUDE job_body.sh" in text


def test_a_folder_without_weights_is_the_originals_merge(folder):
    """The original's merge keeps result configs but no weights/: the result config decides."""
    import shutil

    shutil.rmtree(folder / "weights")
    paths = SubExperimentPaths(folder)
    assert paths.run_state(2) == FINISHED and paths.run_state(3) == UNFINISHED
    script = FINISHED_RUN_SHELL + "\nrun_finished 2 && run_finished 1 && ! run_finished 3\n"
    assert subprocess.run(["bash", "-c", script], cwd=folder).returncode == 0
