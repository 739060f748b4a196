"""The model commands through the real CLI: ``python cmd/compress/compress.py model:...``.

Run from an empty temporary folder with the datastore keys removed from the environment, as on a
fresh clone without ``.env``.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
COMPRESS = REPO / "cmd" / "compress" / "compress.py"
ENV_KEYS = ("cgp", "datastore", "huggingface", "experiments_root", "pbs_server", "pbs_username")


def run(cwd: Path, *args: str, progress: bool = False) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in ENV_KEYS}
    env["TQDM_DISABLE"] = "" if progress else "1"
    return subprocess.run(
        [sys.executable, str(COMPRESS), *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _metrics(stdout: str) -> dict[str, float]:
    return {
        key: float(value) for key, value in re.findall(r"^(top-\d+|loss): ([\d.]+)$", stdout, re.M)
    }


def test_help_without_env(tmp_path):
    result = run(tmp_path, "--help")
    assert result.returncode == 0, result.stderr
    assert "model:evaluate" in result.stdout


def test_evaluate_committed_qat_model(tmp_path):
    result = run(
        tmp_path, "model:evaluate", "qat_quantized_lenet", "qat.quantized_lenet.pth", progress=True
    )
    assert result.returncode == 0, result.stderr
    metrics = _metrics(result.stdout)
    assert metrics["top-1"] >= 0.97
    assert metrics["top-5"] >= metrics["top-1"]
    assert 0 < metrics["loss"] < 1
    assert "evaluate" in result.stderr  # the progress bar
    same = run(
        tmp_path,
        "model:evaluate",
        "qat_quantized_lenet",
        "-m",
        "qat.quantized_lenet.pth",
        "--top",
        "1",
        "--no-include-loss",
    )
    assert _metrics(same.stdout) == {"top-1": metrics["top-1"]}


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad")
    (folder / "corrupt.pth").write_bytes(b"\x00garbage, not a zip or pickle")
    torch.save(
        {"conv1.weight": torch.randn(6, 1, 5, 5), "head.bias": torch.randn(10)},
        folder / "random.pth",
    )
    return folder


BAD_INPUTS = {
    "unknown model": ["model:evaluate", "lenet7", "lenet.pth"],
    "missing checkpoint": ["model:evaluate", "lenet", "no_such.pth"],
    "no checkpoint": ["model:evaluate", "lenet"],
    "corrupt checkpoint": ["model:evaluate", "lenet", "{bad}/corrupt.pth"],
    "random state dict": ["model:evaluate", "lenet", "{bad}/random.pth"],
    "float into int8": ["model:evaluate", "qat_quantized_lenet", "lenet.pth"],
    "missing dataset offline": [
        "model:evaluate",
        "lenet",
        "lenet.pth",
        "--dataset",
        "mnist",
        "--offline",
        "--data-dir",
        "{tmp}",
    ],
    "unknown split": ["model:evaluate", "lenet", "lenet.pth", "--split", "validation"],
    "quantize a float name": ["model:quantize", "lenet", "-m", "lenet.pth", "{tmp}/out.pth"],
    "unknown command": ["model:explode"],
}


@pytest.fixture(scope="module")
def bad_results(bad_files, tmp_path_factory):
    """Every bad input, run concurrently (each process mostly waits on importing torch)."""
    cwd = tmp_path_factory.mktemp("cwd")

    def one(case: str) -> subprocess.CompletedProcess:
        args = [a.format(bad=bad_files, tmp=cwd) for a in BAD_INPUTS[case]]
        return run(cwd, *args, progress=True)

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(BAD_INPUTS, pool.map(one, BAD_INPUTS), strict=True))


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_one_line(bad_results, case):
    result = bad_results[case]
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "error" in lines[0]


def test_quantize_and_sensitivity(tmp_path):
    # PTQ from the committed float weights, on a small calibration set
    out = tmp_path / "ptq.pth"
    result = run(
        tmp_path,
        "model:quantize",
        "ptq_quantized_lenet",
        "-m",
        "lenet.pth",
        out,
        "--calibration-images",
        "200",
    )
    assert result.returncode == 0, result.stderr
    evaluated = run(tmp_path, "model:evaluate", "ptq_quantized_lenet", out)
    assert _metrics(evaluated.stdout)["top-1"] >= 0.95
    again = run(tmp_path, "model:quantize", "ptq_quantized_lenet", "-m", "lenet.pth", out)
    assert again.returncode != 0 and "--force" in again.stderr

    # sensitivity: offset 0 reproduces the model's own accuracy, and the file name is fixed
    result = run(
        tmp_path,
        "model:sensitivity",
        "ptq_quantized_lenet",
        "-m",
        out,
        "-e",
        "inner",
        "all",
        "--offsets",
        "-1",
        "1",
        "-o",
        tmp_path / "sens",
    )
    assert result.returncode == 0, result.stderr
    baseline = _metrics(evaluated.stdout)
    for error_type in ("inner", "all"):
        path = tmp_path / "sens" / f"ptq_quantized_lenet.{error_type}.256.csv"
        rows = list(csv.DictReader(path.open()))
        assert [int(row["error"]) for row in rows] == [-1, 0, 1]
        zero = rows[1]
        assert float(zero["top-1"]) == pytest.approx(baseline["top-1"], abs=1e-4)
        assert float(zero["loss"]) == pytest.approx(baseline["loss"], abs=1e-4)


def test_train_then_qat_quantize(tmp_path):
    float_path = tmp_path / "small.pth"
    # one epoch on half the training split: fast, and already far better than chance
    result = run(
        tmp_path,
        "model:train",
        "lenet",
        "-m",
        float_path,
        "--epochs",
        "1",
        "--validation-ratio",
        "0.5",
    )
    assert result.returncode == 0, result.stderr
    assert _metrics(run(tmp_path, "model:evaluate", "lenet", float_path).stdout)["top-1"] > 0.8
    qat_path = tmp_path / "small.qat.pth"
    result = run(
        tmp_path,
        "model:quantize",
        "qat_quantized_lenet",
        "-m",
        float_path,
        qat_path,
        "--epochs",
        "1",
    )
    assert result.returncode == 0, result.stderr
    assert (
        _metrics(run(tmp_path, "model:evaluate", "qat_quantized_lenet", qat_path).stdout)["top-1"]
        > 0.8
    )
