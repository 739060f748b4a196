"""Checkpoint files: locating them, reading them safely, writing them atomically.

Checkpoints are plain state dicts (as in the original), read with ``weights_only=True`` so a
checkpoint file cannot run code. Writing goes through a temporary file and a rename, so an
interrupted save never leaves a truncated file that looks complete.
"""

from __future__ import annotations

import pickle
import zipfile
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from compress.atomic import atomic_path
from compress.errors import CompressError
from compress.models.quantized_lenet import quiet_quantization_warnings
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


def load_state_dict_file(path: Path) -> Mapping[str, torch.Tensor]:
    """Read a state dict; a file that is not one gives a one-line error naming the file."""
    try:
        with quiet_quantization_warnings():  # torch's quantized-tensor loader warns
            data = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise CompressError(
            f"cannot read checkpoint {path}: not a PyTorch state dict (only tensors are loaded, "
            "never pickled code)"
        ) from None
    except (
        RuntimeError,
        EOFError,
        zipfile.BadZipFile,
        ValueError,
        OSError,
        AttributeError,
        ImportError,
        IndexError,
    ) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        reason = reason.split(". ")[0]
        raise CompressError(
            f"cannot read checkpoint {path}: corrupt or not a PyTorch file ({reason[:100]})"
        ) from None
    if (
        isinstance(data, Mapping)
        and "state_dict" in data
        and isinstance(data["state_dict"], Mapping)
    ):
        data = data["state_dict"]
    if not isinstance(data, Mapping) or not all(isinstance(key, str) for key in data):
        raise CompressError(f"checkpoint {path} is not a state dict (got {type(data).__name__})")
    return data  # not copied: its ``_metadata`` (layer versions) decides how layers load it


def save_state_dict(model: nn.Module, path: str | Path, *, force: bool = False) -> Path:
    """Write ``model``'s state dict to ``path`` atomically; refuse to overwrite unless ``force``."""
    target = Path(path).expanduser()
    if target.exists() and not force:
        raise CompressError(f"{target} already exists; pass --force to overwrite it")
    # Through a file object, so the archive's inner folder is not the random temporary name
    # and the same weights always give the same bytes.
    with atomic_path(target, mode=0o644) as temporary, temporary.open("wb") as handle:
        torch.save(model.state_dict(), handle)
    return target


def check_state_dict_keys(
    state_dict: Mapping[str, object], expected: Mapping[str, object], *, what: str
) -> None:
    """A one-line error when a checkpoint's keys are not exactly the model's.

    Checked before loading because the quantized layers fail deep inside their kernels (with
    pages of text) when handed float weights.
    """
    missing = [key for key in expected if key not in state_dict]
    unexpected = [key for key in state_dict if key not in expected]
    if not missing and not unexpected:
        return
    parts = []
    if missing:
        parts.append(f"missing {', '.join(missing[:3])}{' ...' if len(missing) > 3 else ''}")
    if unexpected:
        parts.append(
            f"unexpected {', '.join(unexpected[:3])}{' ...' if len(unexpected) > 3 else ''}"
        )
    raise CompressError(f"{what}: {'; '.join(parts)}; pass the checkpoint made for this model")
