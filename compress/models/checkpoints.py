"""Checkpoint files: locating them, reading them safely, writing them atomically.

Checkpoints are plain state dicts (as in the original), read with ``weights_only=True`` so a
checkpoint file cannot run code. Writing goes through a temporary file and a rename, so an
interrupted save never leaves a truncated file that looks complete.
"""

from __future__ import annotations

import os
import pickle
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from compress.errors import CompressError
from compress.settings import Settings


def resolve_checkpoint(path: str | Path, settings: Settings) -> Path:
    """``path`` itself if it exists, else ``$datastore/models/<path>``; else a one-line error.

    The fallback lets the original's short names (``qat.quantized_lenet.pth``) work from any
    working directory.
    """
    candidate = Path(path).expanduser()
    if candidate.is_file():
        return candidate
    fallback = settings.models_dir / candidate
    if not candidate.is_absolute() and fallback.is_file():
        return fallback
    if candidate.is_dir():
        raise CompressError(f"checkpoint {candidate} is a directory; pass a .pth file")
    where = str(candidate) if candidate.is_absolute() else f"{candidate} nor {fallback}"
    raise CompressError(
        f"checkpoint not found: neither {where} exists; train one with model:train or "
        "run `make models`"
    )


def load_state_dict_file(path: Path) -> dict[str, torch.Tensor]:
    """Read a state dict; a file that is not one gives a one-line error naming the file."""
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except (
        RuntimeError,
        pickle.UnpicklingError,
        EOFError,
        zipfile.BadZipFile,
        ValueError,
        OSError,
        AttributeError,
        ImportError,
        IndexError,
    ) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CompressError(
            f"cannot read checkpoint {path}: not a PyTorch state dict ({reason[:160]})"
        ) from None
    if (
        isinstance(data, Mapping)
        and "state_dict" in data
        and isinstance(data["state_dict"], Mapping)
    ):
        data = data["state_dict"]
    if not isinstance(data, Mapping) or not all(isinstance(key, str) for key in data):
        raise CompressError(f"checkpoint {path} is not a state dict (got {type(data).__name__})")
    return dict(data)


def save_state_dict(model: nn.Module, path: str | Path, *, force: bool = False) -> Path:
    """Write ``model``'s state dict to ``path`` atomically; refuse to overwrite unless ``force``."""
    target = Path(path).expanduser()
    if target.exists() and not force:
        raise CompressError(f"{target} already exists; pass --force to overwrite it")
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
    )
    os.close(handle)
    try:
        torch.save(model.state_dict(), temporary)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
