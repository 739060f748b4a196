"""ImageNet-1k for the MobileNetV2 ImageNet weights: Hugging Face ``datasets`` or a local folder.

Three sources, tried in this order for ``--dataset imagenet`` (root: ``--data-dir``, else
``$datastore/datasets/imagenet``):

1. a folder in the standard layout, ``<root>/val/<wnid>/*.JPEG`` (``train/`` for the train
   split), with a class index beside it (``imagenet_class_index.json``, ``LOC_synset_mapping.txt``
   or ``wnids.txt``; without one, exactly 1000 class folders in sorted order, which is the
   standard index);
2. a Hugging Face dataset saved with ``save_to_disk`` at ``<root>`` (``image`` and ``label``
   columns);
3. the Hub's ``imagenet-1k`` (gated: the token is ``.env`` key ``huggingface``), cached under
   ``$datastore/.cache``. Offline, one line says what is missing and where to put it.

Every image is converted to RGB (grayscale and RGBA/CMYK files occur in ImageNet) and goes
through the weights' own preprocessing (resize 256, centre crop 224, normalise). ``limit``
picks a seeded, fixed subset (sorted, so it is the same images in the same order every time).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import Dataset

from compress.errors import CompressError
from compress.network import reachable
from compress.settings import Settings
from compress.subsets import subset_indices

HUB_DATASET = "imagenet-1k"
SPLITS = ("validation", "train")
FOLDER_OF_SPLIT = {"validation": "val", "train": "train"}
CLASS_COUNT = 1000
IMAGE_SUFFIXES = (".jpeg", ".jpg", ".png")
CLASS_INDEX_FILES = ("imagenet_class_index.json", "LOC_synset_mapping.txt", "wnids.txt")


def weights_transform() -> Callable[[Any], torch.Tensor]:
    """The preprocessing of torchvision's quantized MobileNetV2 ImageNet weights."""
    from torchvision.models.quantization import MobileNet_V2_QuantizedWeights

    return MobileNet_V2_QuantizedWeights.IMAGENET1K_QNNPACK_V1.transforms()


class ImageNetDataset(Dataset):
    """``(image tensor, label)`` pairs from a source of ``(PIL image, label)`` pairs."""

    def __init__(
        self,
        read: Callable[[int], tuple[Any, int]],
        indices: Sequence[int],
        transform: Callable[[Any], torch.Tensor],
        name: str,
    ) -> None:
        self.read = read
        self.indices = list(indices)
        self.transform = transform
        self.name = name

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        image, label = self.read(self.indices[index])
        if image.mode != "RGB":
            image = image.convert("RGB")
        return self.transform(image), int(label)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name}, {len(self)} images)"


# -- local folder ---------------------------------------------------------------------------------
def read_class_index(folder: Path) -> list[str] | None:
    """wnids in class-index order from the first class index file in ``folder``, or ``None``."""
    for name in CLASS_INDEX_FILES:
        path = folder / name
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        try:
            if name.endswith(".json"):
                table = json.loads(text)
                return [table[str(i)][0] for i in range(len(table))]
            return [line.split()[0] for line in text.splitlines() if line.strip()]
        except (ValueError, KeyError, IndexError, TypeError):
            raise CompressError(f"class index {path} is malformed; restore it") from None
    return None


def folder_dataset(
    root: Path, split: str, transform: Callable, *, limit: int | None, seed: int
) -> ImageNetDataset:
    """``<root>/val/<wnid>/*.JPEG`` (or ``train/``) labelled by the class index."""
    from PIL import Image

    images_dir = root / FOLDER_OF_SPLIT[split]
    wnids = read_class_index(root) or read_class_index(images_dir)
    folders = sorted(p.name for p in images_dir.iterdir() if p.is_dir())
    if wnids is None:
        if len(folders) != CLASS_COUNT:
            raise CompressError(
                f"{images_dir} has {len(folders)} class folders and no class index; put "
                f"{' or '.join(CLASS_INDEX_FILES)} in {root} so labels match the model's classes"
            )
        wnids = folders
    label_of = {wnid: index for index, wnid in enumerate(wnids)}
    unknown = [name for name in folders if name not in label_of]
    if unknown:
        raise CompressError(
            f"{images_dir}: class folder {unknown[0]} is not in the class index; "
            "use the standard ImageNet wnids"
        )
    files: list[tuple[Path, int]] = []
    for name in folders:
        for path in sorted((images_dir / name).iterdir()):
            if path.suffix.lower() in IMAGE_SUFFIXES:
                files.append((path, label_of[name]))
    if not files:
        raise CompressError(f"{images_dir} holds no .JPEG images")

    def read(index: int) -> tuple[Any, int]:
        path, label = files[index]
        with Image.open(path) as image:
            return image.convert("RGB"), label

    indices = subset_indices(len(files), limit, seed)
    return ImageNetDataset(read, indices, transform, f"imagenet folder {images_dir}")


# -- Hugging Face ---------------------------------------------------------------------------------
def _hf_rows(dataset, name: str, *, limit: int | None, seed: int, transform) -> ImageNetDataset:
    missing = [column for column in ("image", "label") if column not in dataset.column_names]
    if missing:
        raise CompressError(f"{name} has no {missing[0]} column; ImageNet needs image and label")

    def read(index: int) -> tuple[Any, int]:
        row = dataset[int(index)]
        return row["image"], row["label"]

    indices = subset_indices(len(dataset), limit, seed)
    return ImageNetDataset(read, indices, transform, name)


def saved_dataset(root: Path, split: str, transform, *, limit: int | None, seed: int):
    """A dataset written with ``datasets``' ``save_to_disk`` (a Dataset or a DatasetDict)."""
    import datasets

    loaded = datasets.load_from_disk(str(root))
    if isinstance(loaded, datasets.DatasetDict):
        if split not in loaded:
            raise CompressError(f"saved dataset {root} has no {split} split ({', '.join(loaded)})")
        loaded = loaded[split]
    return _hf_rows(loaded, f"saved dataset {root}", limit=limit, seed=seed, transform=transform)


def hub_dataset(
    split: str,
    settings: Settings,
    transform,
    *,
    limit: int | None,
    seed: int,
    num_proc: int | None,
    where: Path,
):
    """``imagenet-1k`` from the Hub (downloaded once into ``$datastore/.cache``)."""
    import datasets
    from huggingface_hub import constants

    cache = settings.datastore / ".cache"
    offline_hint = (
        f"ImageNet-1k is not in {where} and the Hugging Face Hub cannot be reached; put the "
        f"validation images at {where / 'val'}/<wnid>/*.JPEG with a class index, or go online "
        "(token: huggingface= in .env)"
    )
    if not constants.HF_HUB_OFFLINE and not reachable(constants.ENDPOINT):
        raise CompressError(offline_hint)
    if settings.huggingface:
        from huggingface_hub import login

        login(token=settings.huggingface, add_to_git_credential=False)
    print(
        f"loading {HUB_DATASET} ({split}) from the Hugging Face Hub into {cache}", file=sys.stderr
    )
    try:
        loaded = datasets.load_dataset(
            HUB_DATASET,
            split=split,
            cache_dir=str(cache),
            token=settings.huggingface,
            num_proc=num_proc,
        )
    except ConnectionError:
        raise CompressError(offline_hint) from None
    except (FileNotFoundError, ValueError, OSError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CompressError(
            f"cannot load {HUB_DATASET} from the Hub ({reason[:120]}); it is gated: accept its "
            "terms on the Hub and put your token in .env as huggingface=..."
        ) from None
    return _hf_rows(loaded, f"{HUB_DATASET}/{split}", limit=limit, seed=seed, transform=transform)


def load_imagenet(
    split: str,
    settings: Settings,
    *,
    data_dir: Path | None = None,
    download: bool = True,
    limit: int | None = None,
    seed: int = 0,
    num_proc: int | None = None,
) -> ImageNetDataset:
    """ImageNet-1k ``split`` from the first source that has it (see the module docstring)."""
    if split not in SPLITS:
        raise CompressError(f"unknown ImageNet split {split!r}; valid: {', '.join(SPLITS)}")
    root = (
        Path(data_dir).expanduser() if data_dir is not None else settings.datasets_dir / "imagenet"
    )
    transform = weights_transform()
    if (root / FOLDER_OF_SPLIT[split]).is_dir():
        return folder_dataset(root, split, transform, limit=limit, seed=seed)
    if any((root / marker).is_file() for marker in ("dataset_info.json", "dataset_dict.json")):
        return saved_dataset(root, split, transform, limit=limit, seed=seed)
    if not download:
        raise CompressError(
            f"ImageNet-1k ({split}) not found in {root} and downloading is off (--offline); put "
            f"the images at {root / FOLDER_OF_SPLIT[split]}/<wnid>/*.JPEG with a class index"
        )
    return hub_dataset(
        split, settings, transform, limit=limit, seed=seed, num_proc=num_proc, where=root
    )
