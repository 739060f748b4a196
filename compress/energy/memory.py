"""Memory-fetch energy: what it costs to *read* the weights a circuit would *compute*.

Per-byte read energies come from ``data_store/gates/memory_45nm.csv`` (Horowitz, ISSCC 2014,
45 nm, 0.9 V: 64-bit reads of 10 / 20 / 100 pJ from 8 KB / 32 KB / 1 MB SRAM and 1.3–2.6 nJ
from DRAM). The comparison this enables is deliberately narrow: reading ``weight_count``
weights **once** from one memory level versus evaluating the circuit **once** (one pass of its
active gates, which yields every weight in parallel). Neither side includes moving the weights
on to the multipliers, addressing, or refresh.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from compress.errors import CompressError
from compress.settings import REPO_ROOT, Settings

MEMORY_TABLE = "memory_45nm.csv"
MEMORY_COLUMNS = (
    "level",
    "read_energy_pj_per_byte",
    "read_energy_min_pj_per_byte",
    "read_energy_max_pj_per_byte",
    "source",
)


@dataclass(frozen=True)
class MemoryLevel:
    """One memory level; ``read_energy_pj_per_byte`` is the representative value used."""

    level: str
    read_energy_pj_per_byte: float
    read_energy_min_pj_per_byte: float
    read_energy_max_pj_per_byte: float
    source: str


def default_memory_table_path(settings: Settings | None = None) -> Path:
    """The table in the datastore if present, else the repository's copy."""
    if settings is not None:
        candidate = settings.gates_dir / MEMORY_TABLE
        if candidate.is_file():
            return candidate
    return REPO_ROOT / "data_store" / "gates" / MEMORY_TABLE


def load_memory_table(
    path: Path | str | None = None, settings: Settings | None = None
) -> tuple[MemoryLevel, ...]:
    """Read and validate the memory-level CSV (levels in file order, smallest first)."""
    resolved = default_memory_table_path(settings) if path is None else Path(path)
    try:
        text = resolved.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise CompressError(f"cannot read memory table {resolved}: {error.strerror}") from error
    rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
    if not rows:
        raise CompressError(f"{resolved}: empty memory table")
    header = [c.strip() for c in rows[0]]
    for column in MEMORY_COLUMNS:
        if column not in header:
            raise CompressError(f"{resolved}:1: missing column {column!r}")
    index = {c: header.index(c) for c in MEMORY_COLUMNS}
    levels = []
    for line, row in enumerate(rows[1:], start=2):
        try:
            values = [float(row[index[c]]) for c in MEMORY_COLUMNS[1:4]]
        except (ValueError, IndexError):
            raise CompressError(f"{resolved}:{line}: energies must be numbers") from None
        typical, low, high = values
        if not all(math.isfinite(v) and v > 0 for v in values) or not low <= typical <= high:
            raise CompressError(
                f"{resolved}:{line}: need 0 < min <= representative <= max read energy"
            )
        levels.append(
            MemoryLevel(
                row[index["level"]].strip(), typical, low, high, row[index["source"]].strip()
            )
        )
    return tuple(levels)


@lru_cache(maxsize=1)
def _bundled_levels() -> tuple[MemoryLevel, ...]:
    """The repository's table, read once (result writers call this per row)."""
    return load_memory_table()


def memory_fetch_energy_pj(
    weight_count: int,
    bytes_per_weight: int = 1,
    *,
    levels: tuple[MemoryLevel, ...] | None = None,
) -> dict[str, float]:
    """Energy in pJ to read ``weight_count`` weights once from each memory level.

    ``bytes_per_weight`` is 1 for int8 weights. ``levels`` defaults to the bundled 45 nm table.
    """
    if weight_count < 0 or bytes_per_weight < 1:
        raise CompressError(
            f"weight count {weight_count} and bytes per weight {bytes_per_weight} must be "
            "non-negative and at least 1"
        )
    levels = _bundled_levels() if levels is None else levels
    total_bytes = weight_count * bytes_per_weight
    return {level.level: total_bytes * level.read_energy_pj_per_byte for level in levels}
