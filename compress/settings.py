"""Configuration from the environment and an optional ``.env`` file.

Every key has a working default, so nothing needs configuring for the demo, and ``--help``
works without any ``.env`` (the original needed ``datastore`` set just to print help).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Settings:
    """Resolved configuration; build it with :func:`load_settings`."""

    cgp: Path
    """The engine binary (``cgp``)."""
    datastore: Path
    """Root of bundled and downloaded data: ``datasets/``, ``models/``, ``gates/``."""
    huggingface: str | None
    """Hugging Face token (only for ImageNet-based models)."""
    experiments_root: Path
    """Where experiment environments are created by default (``--experiment-env``)."""
    pbs_server: str | None
    pbs_username: str | None

    @property
    def datasets_dir(self) -> Path:
        return self.datastore / "datasets"

    @property
    def models_dir(self) -> Path:
        return self.datastore / "models"

    @property
    def gates_dir(self) -> Path:
        return self.datastore / "gates"


def _path(value: str | None, default: Path) -> Path:
    if not value:
        return default
    path = Path(value).expanduser()
    return path if path.is_absolute() else (Path.cwd() / path)


def load_settings(env_file: Path | None = None) -> Settings:
    """Read ``.env`` (current directory, else the repository root) and the process environment.

    Process environment variables win over the file, as python-dotenv does by default.
    """
    try:
        from dotenv import load_dotenv
    except ImportError:  # pragma: no cover - dotenv is a pinned dependency
        load_dotenv = None
    if load_dotenv is not None:
        for candidate in [env_file, Path.cwd() / ".env", REPO_ROOT / ".env"]:
            if candidate is not None and candidate.is_file():
                load_dotenv(candidate, override=False)
                break
    env = os.environ
    return Settings(
        cgp=_path(env.get("cgp"), REPO_ROOT / "bin" / "cgp"),
        datastore=_path(env.get("datastore"), REPO_ROOT / "data_store"),
        huggingface=env.get("huggingface") or None,
        experiments_root=_path(env.get("experiments_root"), Path.cwd() / "experiment_results"),
        pbs_server=env.get("pbs_server") or None,
        pbs_username=env.get("pbs_username") or None,
    )
