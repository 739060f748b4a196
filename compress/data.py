"""Datasets: the bundled MNIST subset (the default) and torchvision's MNIST family.

Every dataset yields ``(image, label)`` with ``image`` a 1x28x28 float tensor normalised as
``ToTensor`` + ``Normalize((0.5,), (0.5,))`` (pixel/255 mapped to -1..1), which is what the
LeNet-5 checkpoints were trained on. torchvision datasets live under ``$datastore/datasets`` (or
``--data-dir``) in torchvision's own layout (``MNIST/raw/...``), are read from disk when present,
downloaded when not, and a missing dataset offline is a one-line error naming the path.
"""

from __future__ import annotations

import ssl
import urllib.error
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset, Subset

from compress.errors import CompressError
from compress.settings import Settings
from compress.subsets import subset_indices

DATASET_NAMES = ("default", "mnist", "qmnist", "fashion-mnist", "emnist", "imagenet")

BUNDLED_FILE = "mnist_subset.npz"
"""The bundled subset inside ``$datastore/datasets`` (built by scripts/build_mnist_subset.py)."""

NORMALIZE_MEAN, NORMALIZE_STD = 0.5, 0.5


@dataclass(frozen=True)
class _Source:
    """Which splits a dataset has and which one ``train=True/False`` picks when none is given."""

    splits: tuple[str, ...]
    train_split: str
    test_split: str
    folder: str


SOURCES: dict[str, _Source] = {
    "default": _Source(("train", "test"), "train", "test", ""),
    "mnist": _Source(("train", "test"), "train", "test", "MNIST"),
    "fashion-mnist": _Source(("train", "test"), "train", "test", "FashionMNIST"),
    "qmnist": _Source(("train", "test", "test10k", "test50k", "nist"), "train", "test", "QMNIST"),
    # EMNIST's "split" is its label set; train=True/False picks the part of that set.
    "emnist": _Source(
        ("byclass", "bymerge", "balanced", "letters", "digits", "mnist"), "mnist", "mnist", "EMNIST"
    ),
    # ImageNet-1k (compress/imagenet.py): 3x224x224 images for the MobileNetV2 ImageNet weights.
    "imagenet": _Source(("validation", "train"), "train", "validation", "imagenet"),
}


class ImageTensorDataset(Dataset):
    """uint8 images (N x 28 x 28) and int64 labels held in memory, normalised on access."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, name: str) -> None:
        if images.dtype != torch.uint8 or images.ndim != 3:
            raise ValueError("images must be a uint8 tensor of shape (N, H, W)")
        if len(images) != len(labels):
            raise ValueError("images and labels differ in length")
        self.images = images
        self.labels = labels.to(torch.int64)
        self.name = name

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        image = self.images[index].to(torch.float32).div_(255.0).unsqueeze_(0)
        return image.sub_(NORMALIZE_MEAN).div_(NORMALIZE_STD), int(self.labels[index])

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name}, {len(self)} images)"


class RgbResized(Dataset):
    """A grayscale dataset's images resized (bilinear) to ``size`` x ``size`` and repeated to
    three channels, for models that take RGB input (MobileNetV2 on MNIST)."""

    def __init__(self, dataset: Dataset, size: int) -> None:
        self.dataset = dataset
        self.size = size

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        image, label = self.dataset[index]
        resized = torch.nn.functional.interpolate(
            image.unsqueeze(0), size=(self.size, self.size), mode="bilinear", align_corners=False
        )[0]
        return resized.expand(3, -1, -1), label

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.dataset!r}, {self.size}x{self.size}, 3 channels)"


def normalize_transform():
    """The torchvision transform matching :class:`ImageTensorDataset`'s normalisation."""
    from torchvision import transforms

    return transforms.Compose(
        [transforms.ToTensor(), transforms.Normalize((NORMALIZE_MEAN,), (NORMALIZE_STD,))]
    )


def dataset_root(settings: Settings, data_dir: Path | None = None) -> Path:
    """Where datasets live: ``--data-dir`` if given, else ``$datastore/datasets``."""
    return Path(data_dir).expanduser() if data_dir is not None else settings.datasets_dir


def resolve_split(name: str | None, split: str | None, *, train: bool = False) -> tuple[str, str]:
    """Validate ``name``/``split`` and fill in the defaults; errors list the valid choices."""
    name = "default" if name is None else name.lower()
    if name not in SOURCES:
        raise CompressError(f"unknown dataset {name!r}; valid datasets: {', '.join(DATASET_NAMES)}")
    source = SOURCES[name]
    if split is None:
        split = source.train_split if train else source.test_split
    if split not in source.splits:
        raise CompressError(
            f"unknown split {split!r} for dataset {name!r}; valid splits: {', '.join(source.splits)}"
        )
    return name, split


def load_dataset(
    name: str | None,
    split: str | None,
    settings: Settings,
    *,
    train: bool = False,
    data_dir: Path | None = None,
    download: bool = True,
    limit: int | None = None,
    seed: int = 0,
    num_proc: int | None = None,
) -> Dataset:
    """The dataset ``name`` (``None`` = the bundled default) and ``split``.

    ``split=None`` picks the training split when ``train`` else the test split (for EMNIST,
    ``split`` is the label set, default ``mnist``, and ``train`` picks its part). ``download=False``
    never touches the network. ``limit`` keeps a seeded fixed subset of that many images;
    ``num_proc`` is the number of processes Hugging Face ``datasets`` prepares ImageNet with.
    """
    if split == "val":
        split = "validation"
    name, split = resolve_split(name, split, train=train)
    if name == "imagenet":
        from compress.imagenet import load_imagenet

        return load_imagenet(
            split,
            settings,
            data_dir=data_dir,
            download=download,
            limit=limit,
            seed=seed,
            num_proc=num_proc,
        )
    dataset = _load_digits(name, split, settings, train=train, data_dir=data_dir, download=download)
    if limit is not None:
        dataset = Subset(dataset, subset_indices(len(dataset), limit, seed))  # type: ignore[arg-type]
    return dataset


def _load_digits(
    name: str, split: str, settings: Settings, *, train: bool, data_dir: Path | None, download: bool
) -> Dataset:
    root = dataset_root(settings, data_dir)
    if name == "default":
        return load_bundled_subset(split, root)
    return _load_torchvision(name, split, root, train=train, download=download)


def load_bundled_subset(split: str, root: Path) -> ImageTensorDataset:
    """One split of the bundled MNIST subset file (``mnist_subset.npz`` in ``root``)."""
    path = root / BUNDLED_FILE
    if not path.is_file():
        raise CompressError(
            f"bundled dataset {path} is missing; restore it from git or run "
            "scripts/build_mnist_subset.py"
        )
    try:
        with np.load(path) as data:
            images = torch.from_numpy(np.ascontiguousarray(data[f"{split}_images"]))
            labels = torch.from_numpy(data[f"{split}_labels"].astype(np.int64))
    except (OSError, KeyError, ValueError) as error:
        raise CompressError(f"bundled dataset {path} is unreadable ({error}); rebuild it") from None
    return ImageTensorDataset(images, labels, f"default/{split}")


def _network_errors() -> tuple[type[BaseException], ...]:
    return (
        urllib.error.URLError,
        ConnectionError,
        TimeoutError,
        ssl.SSLError,
        OSError,
        RuntimeError,
    )


def _load_torchvision(name: str, split: str, root: Path, *, train: bool, download: bool) -> Dataset:
    from torchvision import datasets

    transform = normalize_transform()
    source = SOURCES[name]

    def build(allow_download: bool) -> Dataset:
        if name == "mnist":
            return datasets.MNIST(
                root, train=split == "train", transform=transform, download=allow_download
            )
        if name == "fashion-mnist":
            return datasets.FashionMNIST(
                root, train=split == "train", transform=transform, download=allow_download
            )
        if name == "qmnist":
            return datasets.QMNIST(root, what=split, transform=transform, download=allow_download)
        return datasets.EMNIST(
            root, split=split, train=train, transform=transform, download=allow_download
        )

    expected = root / source.folder / "raw"
    try:
        return build(False)
    except RuntimeError:
        pass  # not on disk: try to download it below
    if not download:
        raise CompressError(
            f"dataset {name} ({split}) not found in {expected}; put the raw files there or allow "
            "downloading"
        )
    created = [
        path for path in (root / source.folder / "raw", root / source.folder) if not path.exists()
    ]
    try:
        return build(True)
    except _network_errors() as error:
        for path in created:  # leave no empty folders behind that look like a partial dataset
            if path.is_dir() and not any(path.iterdir()):
                path.rmdir()
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CompressError(
            f"dataset {name} ({split}) not found in {expected} and downloading it failed "
            f"({reason[:120]}); copy the raw files there or go online"
        ) from None
