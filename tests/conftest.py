"""Shared fixtures: settings, the committed int8 LeNet-5 and the bundled test split (loaded once).

Session-scoped models are shared: a test that changes weights must work on ``copy.deepcopy``.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from compress.settings import REPO_ROOT, load_settings


@pytest.fixture(scope="session")
def settings():
    return load_settings()


@pytest.fixture(scope="session")
def qat_model(settings):
    from compress.models import load_model

    return load_model("qat_quantized_lenet", "qat.quantized_lenet.pth", settings)


@pytest.fixture(scope="session")
def bundled_test_set(settings):
    from compress.data import load_dataset

    return load_dataset(None, "test", settings)


@pytest.fixture(scope="session")
def bundled_train_set(settings):
    from compress.data import load_dataset

    return load_dataset(None, "train", settings)


@pytest.fixture(scope="session")
def cgp_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build (or bring up to date) bin/cgp, then use a private copy of it.

    The copy keeps a rebuild of bin/cgp during the tests (``make`` in another shell) from
    pulling the binary away under a running test.
    """
    build = subprocess.run(
        ["make", "-s", "-C", str(REPO_ROOT / "cgp"), "all"], capture_output=True, text=True
    )
    if build.returncode != 0:
        pytest.fail(f"building the engine failed:\n{build.stderr[-3000:]}")
    copy = tmp_path_factory.mktemp("engine") / "cgp"
    shutil.copy2(REPO_ROOT / "bin" / "cgp", copy)
    return copy
