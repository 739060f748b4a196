"""ImageNet-1k loaders on tiny data the tests make: a val/<wnid>/*.JPEG folder, a saved Hugging
Face dataset, and the one-line errors when neither is there and the network is not either."""

from __future__ import annotations

import dataclasses
import json
import socket

import numpy as np
import pytest
import torch

from compress.data import load_dataset
from compress.errors import CompressError
from compress.imagenet import load_imagenet

WNIDS = ["n01440764", "n01443537", "n01484850"]


def _image(mode: str, seed: int, size=(300, 260)):
    from PIL import Image

    rng = np.random.default_rng(seed)
    channels = {"L": 1, "RGB": 3, "RGBA": 4}[mode]
    pixels = rng.integers(0, 256, size=(size[1], size[0], channels), dtype=np.uint8)
    return Image.fromarray(pixels.squeeze(-1) if channels == 1 else pixels, mode=mode)


@pytest.fixture
def image_folder(tmp_path):
    """Three classes of the standard index, one grayscale and one RGBA (PNG) image among them."""
    root = tmp_path / "imagenet"
    index = {str(i): [wnid, f"class {i}"] for i, wnid in enumerate(WNIDS + ["n01491361"])}
    (root / "val").mkdir(parents=True)
    (root / "imagenet_class_index.json").write_text(json.dumps(index))
    modes = ["RGB", "L", "RGB", "RGBA", "RGB", "RGB"]
    for number, mode in enumerate(modes):
        folder = root / "val" / WNIDS[number % 3]
        folder.mkdir(exist_ok=True)
        suffix = ".png" if mode == "RGBA" else ".JPEG"
        _image(mode, number).save(folder / f"ILSVRC2012_val_{number:08d}{suffix}")
    return root


def test_local_folder_gives_preprocessed_rgb_tensors_with_index_labels(image_folder, settings):
    dataset = load_dataset("imagenet", "validation", settings, data_dir=image_folder)
    assert len(dataset) == 6
    labels = sorted(int(dataset[i][1]) for i in range(len(dataset)))
    assert labels == [0, 0, 1, 1, 2, 2]
    for index in range(len(dataset)):
        image, _ = dataset[index]
        assert image.shape == (3, 224, 224)  # resize 256, centre crop 224, grayscale/RGBA -> RGB
        assert image.dtype == torch.float32
    # normalised with ImageNet's mean/std: random pixels give values on both sides of zero
    assert float(dataset[0][0].min()) < 0 < float(dataset[0][0].max())


def test_limit_is_a_seeded_fixed_subset(image_folder, settings):
    first = load_imagenet("validation", settings, data_dir=image_folder, limit=3, seed=5)
    again = load_imagenet("validation", settings, data_dir=image_folder, limit=3, seed=5)
    other = load_imagenet("validation", settings, data_dir=image_folder, limit=3, seed=6)
    assert len(first) == 3
    assert first.indices == again.indices == sorted(first.indices)
    assert torch.equal(first[1][0], again[1][0])
    assert first.indices != other.indices


def test_folder_without_class_index_is_refused(image_folder, settings):
    (image_folder / "imagenet_class_index.json").unlink()
    with pytest.raises(CompressError, match="no class index") as error:
        load_imagenet("validation", settings, data_dir=image_folder)
    assert "\n" not in str(error.value)


def test_saved_hugging_face_dataset(tmp_path, settings):
    import datasets

    images = [_image(mode, n) for n, mode in enumerate(["RGB", "L", "RGBA", "RGB"])]
    table = datasets.Dataset.from_dict({"image": images, "label": [3, 1, 4, 1]}).cast_column(
        "image", datasets.Image()
    )
    saved = tmp_path / "imagenet_hf"
    datasets.DatasetDict({"validation": table}).save_to_disk(str(saved))
    dataset = load_dataset("imagenet", "validation", settings, data_dir=saved, limit=3, seed=0)
    assert len(dataset) == 3
    expected = [[3, 1, 4, 1][i] for i in dataset.indices]
    assert [dataset[i][1] for i in range(3)] == expected
    assert all(dataset[i][0].shape == (3, 224, 224) for i in range(3))
    # the same loader reads a plain saved Dataset (no splits)
    table.save_to_disk(str(tmp_path / "plain"))
    assert len(load_imagenet("validation", settings, data_dir=tmp_path / "plain")) == 4


def _reachable(host: str) -> bool:
    try:
        with socket.create_connection((host, 443), timeout=3):
            return True
    except OSError:
        return False


def test_no_data_and_offline_flag_is_one_line(tmp_path, settings):
    with pytest.raises(CompressError) as error:
        load_imagenet("validation", settings, data_dir=tmp_path / "none", download=False)
    message = str(error.value)
    assert "\n" not in message and str(tmp_path / "none" / "val") in message


def test_no_data_and_no_network_is_one_line(tmp_path, settings):
    if _reachable("huggingface.co"):
        pytest.skip("the Hugging Face Hub is reachable here; this test is for offline machines")
    local = dataclasses.replace(settings, datastore=tmp_path)
    with pytest.raises(CompressError) as error:
        load_imagenet("validation", local, download=True)
    message = str(error.value)
    assert "\n" not in message
    assert "cannot be reached" in message and str(tmp_path / "datasets" / "imagenet") in message


def test_torchvision_weights_without_network_is_one_line(tmp_path, settings):
    from compress.models import mobilenet

    if _reachable("download.pytorch.org"):
        pytest.skip("download.pytorch.org is reachable here; this test is for offline machines")
    local = dataclasses.replace(settings, datastore=tmp_path)
    with pytest.raises(CompressError) as error:
        mobilenet.fetch_torchvision_weights("IMAGENET1K_QNNPACK_V1", local)
    message = str(error.value)
    assert "\n" not in message and "cannot download torchvision weights" in message
    assert not list((tmp_path / "models" / "mobilenet_v2").glob("*.pth"))  # nothing half-written
