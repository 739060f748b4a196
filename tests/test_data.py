"""Dataset loading: the bundled subset and torchvision's raw layout with tiny IDX files."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from compress.data import BUNDLED_FILE, load_dataset, normalize_transform
from compress.errors import CompressError


def test_bundled_subset_splits(settings, bundled_train_set, bundled_test_set):
    assert len(bundled_train_set) == 8000
    assert len(bundled_test_set) == 2000
    image, label = bundled_test_set[0]
    assert image.shape == (1, 28, 28) and image.dtype == torch.float32
    assert -1.0 <= float(image.min()) and float(image.max()) <= 1.0
    assert set(bundled_test_set.labels.tolist()) == set(range(10))
    with np.load(settings.datasets_dir / BUNDLED_FILE) as data:
        train_index, test_index = data["train_index"], data["test_index"]
    assert not set(train_index) & set(test_index)
    assert sorted([*train_index, *test_index]) == list(range(10_000))


def test_bundled_normalisation_matches_torchvision(bundled_test_set):
    transform = normalize_transform()
    for index in (0, 7, 1999):
        pixels = bundled_test_set.images[index].numpy()
        expected = transform(Image.fromarray(pixels, mode="L"))
        assert torch.allclose(bundled_test_set[index][0], expected, atol=1e-6)


def test_default_split_follows_train_flag(settings):
    assert len(load_dataset(None, None, settings)) == 2000
    assert len(load_dataset("default", None, settings, train=True)) == 8000


def test_unknown_names_list_the_valid_ones(settings):
    with pytest.raises(CompressError, match="valid datasets: default, mnist, qmnist"):
        load_dataset("cifar10", None, settings)
    with pytest.raises(CompressError, match="valid splits: train, test, test10k, test50k, nist"):
        load_dataset("qmnist", "validation", settings)
    with pytest.raises(CompressError, match="valid splits: train, test$"):
        load_dataset(None, "val", settings)


# --------------------------------------------------------------------------- tiny IDX files


def _write_idx(path: Path, array: np.ndarray) -> None:
    """An IDX file as LeCun's format defines it: magic (0, 0, type, ndim), big-endian sizes, data."""
    codes = {np.dtype(np.uint8): (0x08, ">u1"), np.dtype(np.int32): (0x0C, ">i4")}
    code, big_endian = codes[array.dtype]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(bytes([0, 0, code, array.ndim]))
        handle.write(struct.pack(f">{array.ndim}I", *array.shape))
        handle.write(array.astype(big_endian).tobytes())


def _tiny_images(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(count, 28, 28), dtype=np.uint8)
    labels = (np.arange(count) % 10).astype(np.uint8)
    return images, labels


def _expected(pixels: np.ndarray) -> torch.Tensor:
    return (torch.from_numpy(pixels.astype(np.float32)) / 255.0 - 0.5).div(0.5).unsqueeze(0)


def _check(dataset, images: np.ndarray, labels: np.ndarray) -> None:
    assert len(dataset) == len(images)
    for index in (0, len(images) - 1):
        image, label = dataset[index]
        assert int(label) == int(labels[index])
        assert torch.allclose(image, _expected(images[index]), atol=1e-6)


@pytest.mark.parametrize(
    ("name", "folder"), [("mnist", "MNIST"), ("fashion-mnist", "FashionMNIST")]
)
def test_mnist_layout(settings, tmp_path, name, folder):
    raw = tmp_path / folder / "raw"
    train_images, train_labels = _tiny_images(12, seed=1)
    test_images, test_labels = _tiny_images(5, seed=2)
    _write_idx(raw / "train-images-idx3-ubyte", train_images)
    _write_idx(raw / "train-labels-idx1-ubyte", train_labels)
    _write_idx(raw / "t10k-images-idx3-ubyte", test_images)
    _write_idx(raw / "t10k-labels-idx1-ubyte", test_labels)
    test = load_dataset(name, None, settings, data_dir=tmp_path, download=False)
    _check(test, test_images, test_labels)
    train = load_dataset(name, "train", settings, data_dir=tmp_path, download=False)
    _check(train, train_images, train_labels)


def test_emnist_layout(settings, tmp_path):
    raw = tmp_path / "EMNIST" / "raw"
    images, labels = _tiny_images(7, seed=3)
    _write_idx(raw / "emnist-digits-test-images-idx3-ubyte", images)
    _write_idx(raw / "emnist-digits-test-labels-idx1-ubyte", labels)
    dataset = load_dataset("emnist", "digits", settings, data_dir=tmp_path, download=False)
    _check(dataset, images, labels)


def test_qmnist_layout_every_split(settings, tmp_path):
    raw = tmp_path / "QMNIST" / "raw"
    files = {"train": "qmnist-train", "test": "qmnist-test", "nist": "xnist"}
    written = {}
    for seed, (what, stem) in enumerate(files.items()):
        images, digits = _tiny_images(6 + seed, seed=10 + seed)
        # QMNIST labels: int32 matrix, one row of 8 fields per image, the class in column 0
        labels = np.zeros((len(images), 8), dtype=np.int32)
        labels[:, 0] = digits
        labels[:, 5] = np.arange(len(images))  # another column, must not leak into the label
        _write_idx(raw / f"{stem}-images-idx3-ubyte", images)
        _write_idx(raw / f"{stem}-labels-idx2-int", labels)
        written[what] = (images, digits)
    for what in ("train", "test", "nist"):
        dataset = load_dataset("qmnist", what, settings, data_dir=tmp_path, download=False)
        _check(dataset, *written[what])
    # test10k is the first 10,000 test images, test50k the rest: here all and none
    _check(
        load_dataset("qmnist", "test10k", settings, data_dir=tmp_path, download=False),
        *written["test"],
    )
    assert len(load_dataset("qmnist", "test50k", settings, data_dir=tmp_path, download=False)) == 0


def test_missing_dataset_offline_names_the_expected_path(settings, tmp_path):
    with pytest.raises(CompressError) as caught:
        load_dataset("mnist", "test", settings, data_dir=tmp_path, download=False)
    message = str(caught.value)
    assert str(tmp_path / "MNIST" / "raw") in message
    assert "\n" not in message
    assert not any(tmp_path.iterdir())  # nothing half-created


def test_missing_bundled_file(settings, tmp_path):
    with pytest.raises(CompressError, match=str(tmp_path / BUNDLED_FILE)):
        load_dataset(None, "test", settings, data_dir=tmp_path)
