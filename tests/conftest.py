"""Shared fixtures: settings, the committed int8 LeNet-5 and the bundled test split (loaded once).

Session-scoped models are shared: a test that changes weights must work on ``copy.deepcopy``.
"""

from __future__ import annotations

import pytest

from compress.settings import load_settings


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
