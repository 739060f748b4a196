"""The external programs the circuit commands run, and what to install when one is missing.

They are Debian packages; ``scripts/slurm/install_deps.sh`` (called by ``make test``) installs
them when missing, and without them a command says which package to install instead of
failing with an obscure ``FileNotFoundError``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from compress.errors import CompressError

PACKAGE_OF = {
    "iverilog": "iverilog",
    "vvp": "iverilog",
    "yosys": "yosys",
    "dot": "graphviz",
    "cc": "gcc",
}


def find_tool(name: str) -> Path | None:
    """The program on ``PATH`` (``cc`` honours ``$CC``), or ``None``."""
    if name == "cc" and os.environ.get("CC"):
        found = shutil.which(os.environ["CC"])
        return Path(found) if found else None
    found = shutil.which(name)
    return Path(found) if found else None


def require_tool(name: str) -> Path:
    """The program, or a :class:`CompressError` saying which Debian package provides it."""
    path = find_tool(name)
    if path is None:
        package = PACKAGE_OF.get(name, name)
        raise CompressError(
            f"{name} is not installed; install it with `apt-get install {package}` "
            "(or `make test`, which installs the hardware tools when run as root)"
        )
    return path
