"""Shared helpers for the experiment tests: the committed model, the engine, the real CLI.

Not a test module (no ``test_`` prefix): the experiment tests import it. Everything here uses the
real things: the committed QAT LeNet-5 checkpoint, ``bin/cgp`` (built with ``make -C cgp all``
when missing) and ``compress.py`` in a subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
COMPRESS = REPO / "cmd" / "compress" / "compress.py"
MODEL_NAME = "qat_quantized_lenet"
ORIGINAL_README_LE_SELECTOR = [
    *"le_selector:train qat_quantized_lenet qat.quantized_lenet.pth -b 30 --rows 256".split(),
    *"--cols 31 --multiplex --population-max 8 --patience 10000000".split(),
]
"""The original README's le_selector command, exactly as written there."""
MODEL_FILE = "qat.quantized_lenet.pth"


def settings():
    from compress.settings import load_settings

    return load_settings()


def model_path() -> Path:
    """The committed QAT checkpoint (skips the test when the foundation has not committed it)."""
    path = settings().models_dir / MODEL_FILE
    if not path.is_file():
        pytest.skip(f"{path} is not there yet (built by `make models`)")
    return path


def engine() -> Path:
    """``bin/cgp``, built on first use."""
    binary = settings().cgp
    if not binary.is_file():
        result = subprocess.run(
            ["make", "-C", str(REPO / "cgp"), "all"], capture_output=True, text=True
        )
        if result.returncode != 0 or not binary.is_file():
            pytest.fail(f"building the engine failed:\n{result.stderr[-2000:]}")
    return binary


def parse(argv: list[str]):
    """Parse a command line with the real parser (no handler is run)."""
    from compress.cli import build_parser

    return build_parser().parse_args(argv)


def run_cli(argv: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``compress.py`` in a subprocess, progress bars off."""
    env = dict(os.environ, TQDM_DISABLE="1", PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, str(COMPRESS), *argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
