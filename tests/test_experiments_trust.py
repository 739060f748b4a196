"""Results you can trust (issue 8): each case of wrong, stale or misplaced results, through the CLI.

Every case runs the real command line (``compress.cli.main``, in this process to save the start-up
of a Python with torch per command; the fixture's first command runs ``compress.py`` as a
subprocess) on the committed QAT LeNet-5 with the real engine, then checks the right behaviour (a
refusal with a one-line reason and a non-zero exit, or the right result) and, by sha256 of every
file, that no earlier result changed.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
import torch
from experiment_support import MODEL_NAME, engine, model_path, run_cli, settings

from compress.engine.config import CGPConfig

SUB = "mse_12.0_10_5"
TRAIN = [
    "--mse-thresholds",
    "12",
    "--rows",
    "10",
    "--cols",
    "5",
    "--population-max",
    "8",
    "--threads",
    "1",
    "--patience",
    "500",
    "--time-budget",
    "10",
]


def cli(argv: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``compress.py argv`` in this process: exit code, stdout and stderr."""
    from compress.cli import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else 2
    return subprocess.CompletedProcess(argv, code, out.getvalue(), err.getvalue())


def checksums(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def train(
    env: Path,
    *extra: str,
    runs: int = 1,
    command: str = "layer_bypass:train",
    run=None,
    checkpoint: Path | None = None,
):
    return (run or cli)(
        [
            command,
            MODEL_NAME,
            str(checkpoint or model_path()),
            "--experiment-env",
            str(env),
            *TRAIN,
            "--number-of-runs",
            str(runs),
            *extra,
        ],
        cwd=env.parent,
    )


def metrics(env: Path, *extra: str, checkpoint: Path | None = None):
    return cli(
        [
            "layer_bypass:model-metrics",
            MODEL_NAME,
            str(checkpoint or model_path()),
            "--experiment-env",
            str(env),
            "--top",
            "1",
            *extra,
        ],
        cwd=env.parent,
    )


def assert_refused(result, *needles: str) -> None:
    assert result.returncode != 0, result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """One trained and measured environment (2 runs); tests copy it before changing anything."""
    engine()
    env = tmp_path_factory.mktemp("trust") / "env"
    result = train(env, runs=2, run=run_cli)
    assert result.returncode == 0, result.stderr
    measured = metrics(env)
    assert measured.returncode == 0, measured.stderr
    return env


def copy_of(source: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(source, target)
    return target


def test_copied_environment_trains_evaluates_and_measures_on_its_own(source, tmp_path):
    before = checksums(source)
    copy = copy_of(source, tmp_path)
    folder = copy / "layer_bypass" / SUB
    # As earlier versions wrote it: the copy's config points into the source with absolute paths.
    config = CGPConfig.load(folder / "train_cgp.config")
    for key in ("input_file", "output_file", "cgp_statistics_file", "train_weights_file"):
        config[key] = str(source / "layer_bypass" / SUB / str(config[key]))
    config.save()
    extended = train(copy, runs=3)
    assert extended.returncode == 0, extended.stderr
    assert "extending from 2 to 3 runs" in extended.stderr
    assert (folder / "cgp_configs" / "cgp.3.config").is_file()
    evaluated = cli(
        ["layer_bypass:evaluate", MODEL_NAME, str(model_path()), "--experiment-env", str(copy)],
        cwd=tmp_path,
    )
    assert evaluated.returncode == 0, evaluated.stderr
    assert len([line for line in evaluated.stdout.splitlines() if SUB in line]) == 3
    measured = metrics(copy)
    assert measured.returncode == 0, measured.stderr
    assert (copy / "layer_bypass" / "model_metrics" / f"default.test.{SUB}.3.csv").is_file()
    assert checksums(source) == before
    assert not (source / "layer_bypass" / SUB / "cgp_configs" / "cgp.3.config").exists()


def test_rerun_with_other_settings_is_refused_then_superseded_with_force(source, tmp_path):
    copy = copy_of(source, tmp_path)
    before = checksums(copy)
    for command in ("layer_bypass:train", "layer_bypass:train-pbs", "layer_bypass:train-slurm"):
        extra = [] if command.endswith(":train") else ["--time-limit", "1:00:00"]
        refused = train(copy, "--mutation-max", "0.5", *extra, runs=2, command=command)
        assert_refused(refused, f"{SUB}:", "mutation_max: 0.15 → 0.5", "--force", "--suffix")
        assert checksums(copy) == before
    other_checkpoint(tmp_path / "other.pth")
    refused = train(copy, runs=2, checkpoint=tmp_path / "other.pth")
    assert_refused(refused, "model checkpoint: ", "other.pth", "train.data: sha256 ")
    assert checksums(copy) == before
    fewer = train(copy, runs=1)
    assert fewer.returncode == 0, fewer.stderr
    assert "1 run(s) asked for, but runs up to 2 already finished" in fewer.stderr
    assert checksums(copy) == before
    forced = train(copy, "--mutation-max", "0.5", "--force", runs=1)
    assert forced.returncode == 0, forced.stderr
    [stamp] = list((copy / "layer_bypass" / "superseded").iterdir())
    moved = checksums(stamp)
    assert moved == {
        name.removeprefix("layer_bypass/"): digest
        for name, digest in before.items()
        if name.startswith(("layer_bypass/" + SUB + "/", "layer_bypass/model_metrics/"))
        and not name.endswith("/COLUMNS.md")  # describes every CSV of the folder: stays
    }
    fresh = CGPConfig.load(copy / "layer_bypass" / SUB / "train_cgp.config")
    assert fresh["mutation_max"] == 0.5 and fresh["number_of_runs"] == 1


def test_model_metrics_with_other_inputs_is_refused_then_recomputed_with_force(source, tmp_path):
    copy = copy_of(source, tmp_path)
    results = copy / "layer_bypass" / "model_metrics"
    before = checksums(copy)
    again = metrics(copy)
    assert again.returncode == 0 and "already exist" in again.stderr
    refused = metrics(copy, "--include-loss")
    assert_refused(refused, "include_loss: False → True", "--force")
    assert checksums(copy) == before
    forced = metrics(copy, "--include-loss", "--force")
    assert forced.returncode == 0, forced.stderr
    record = json.loads((results / f"default.test.{SUB}.1.csv.inputs.json").read_text())
    assert record["include_loss"] is True and record["top"] == 1
    assert record["checkpoint_sha256"] == hashlib.sha256(model_path().read_bytes()).hexdigest()
    [stamp] = list((results / "superseded").iterdir())
    old = source / "layer_bypass" / "model_metrics" / f"default.test.{SUB}.1.csv"
    assert (stamp / old.name).read_bytes() == old.read_bytes()


def other_checkpoint(path: Path) -> int:
    """The committed checkpoint with 100 conv2 weights changed by one; returns how many."""
    from compress.models import load_model
    from compress.models.checkpoints import save_state_dict
    from compress.weights import get_int8_weights, set_int8_weights

    model = load_model(MODEL_NAME, model_path(), settings())
    weights = get_int8_weights(model, "conv2").clone()
    flat = weights.view(-1)
    positions = (flat < 127).nonzero().view(-1)[:100]
    flat[positions] += torch.ones(len(positions), dtype=torch.int8)
    set_int8_weights(model, "conv2", weights)
    save_state_dict(model, path, force=True)
    return len(positions)


def test_model_metrics_refuses_a_checkpoint_the_experiment_was_not_built_from(source, tmp_path):
    copy = copy_of(source, tmp_path)
    (copy / "layer_bypass" / "model_metrics").rename(tmp_path / "old_metrics")
    before = checksums(copy)
    changed = other_checkpoint(tmp_path / "other.pth")
    refused = metrics(copy, checkpoint=tmp_path / "other.pth")
    assert_refused(refused, f"conv2: {changed} of 2400 weights differ", "--allow-model-mismatch")
    assert len(refused.stderr.strip().splitlines()) == 1
    assert checksums(copy) == before
    allowed = metrics(copy, "--allow-model-mismatch", checkpoint=tmp_path / "other.pth")
    assert allowed.returncode == 0, allowed.stderr
    record = json.loads(
        (
            copy / "layer_bypass" / "model_metrics" / f"default.test.{SUB}.1.csv.inputs.json"
        ).read_text()
    )
    assert record["allow_model_mismatch"] is True
    assert record["model_mismatch"] == [f"conv2: {changed} of 2400 weights differ"]


def test_unfinished_runs_are_listed_and_never_measured(source, tmp_path):
    copy = copy_of(source, tmp_path)
    folder = copy / "layer_bypass" / SUB
    shutil.rmtree(copy / "layer_bypass" / "model_metrics")
    # Run 2 killed before its result config: statistics, weights and a checkpoint remain.
    (folder / "cgp_configs" / "cgp.2.config").unlink()
    (folder / "checkpoints" / "checkpoint.2.ckpt").write_text("checkpoint\n")
    before = checksums(copy)
    evaluated = cli(
        ["layer_bypass:evaluate", MODEL_NAME, str(model_path()), "--experiment-env", str(copy)],
        cwd=tmp_path,
    )
    assert evaluated.returncode == 0, evaluated.stderr
    assert [line.split()[1] for line in evaluated.stdout.splitlines() if SUB in line] == ["1"]
    assert "run(s) 2 unfinished (checkpointed: 2)" in evaluated.stderr
    refused = metrics(copy, "--runs", "2")
    assert_refused(refused, "2 (checkpointed) not finished")
    measured = metrics(copy)
    assert measured.returncode == 0, measured.stderr
    produced = sorted(p.name for p in (copy / "layer_bypass" / "model_metrics").glob("*.csv"))
    assert produced == [f"default.test.{SUB}.1.csv"]
    status = cli(
        ["layer_bypass:status", "--experiment-env", str(copy), "--no-scheduler"], cwd=tmp_path
    )
    assert status.returncode == 0, status.stderr
    row = next(line for line in status.stdout.splitlines() if line.startswith(SUB))
    assert "resumable: 2" in row
    changed = {k for k, v in checksums(copy).items() if before.get(k) != v}
    assert all(not name.startswith(f"layer_bypass/{SUB}/cgp_configs") for name in changed)
    assert all(not name.startswith(f"layer_bypass/{SUB}/weights") for name in changed)
