"""The gate cost table: energy (pJ), delay (ns) and area (µm²) per function of the engine.

A table is a CSV with the columns ``function_id, name, energy_pj, delay_ns, area_um2, source``
(extra columns are allowed and ignored). Every column name carries its unit because the
original labelled picojoules as microjoules; a table whose columns name another unit is
rejected rather than silently misread. Ids 0–26 must each appear once under the engine's name;
MUX (27) and DEMUX (28) are optional and may appear once per width (``mux_2to1`` …
``mux_16to1``, ``demux_2to1`` … ``demux_16to1``), because the engine picks the width from the
dataset size.

The default table (``data_store/gates/gates_45nm.csv``) is derived from published 45 nm
figures by ``scripts/build_gate_table.py``; ``gates:import`` builds one from synthesis reports.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from compress.atomic import write_text_atomic
from compress.energy.functions import (
    BASE_FUNCTION_COUNT,
    DEMUX_ID,
    DEMUX_NAMES,
    FUNCTION_NAMES,
    MUX_ID,
    MUX_NAMES,
)
from compress.errors import CompressError
from compress.settings import REPO_ROOT, Settings

DEFAULT_GATE_TABLE = "gates_45nm.csv"
"""File name of the bundled default table inside ``settings.gates_dir``."""

COLUMNS = ("function_id", "name", "energy_pj", "delay_ns", "area_um2", "source")
_NUMERIC = ("energy_pj", "delay_ns", "area_um2")
_UNIT_HINTS = {
    "energy": "energy_pj (picojoules)",
    "power": "energy_pj (picojoules; energy = power × delay)",
    "delay": "delay_ns (nanoseconds)",
    "area": "area_um2 (square micrometres)",
}


@dataclass(frozen=True)
class Gate:
    """One function's cost. ``energy_pj`` is the energy of one evaluation of the 8-bit gate."""

    function_id: int
    name: str
    energy_pj: float
    delay_ns: float
    area_um2: float
    source: str = ""


@dataclass(frozen=True)
class GateTable:
    """Validated gate costs; ``path`` says where they came from (for messages and reports)."""

    gates: tuple[Gate, ...]
    path: Path | None = None

    def __iter__(self) -> Iterator[Gate]:
        return iter(self.gates)

    def __len__(self) -> int:
        return len(self.gates)

    def by_name(self, name: str) -> Gate:
        for gate in self.gates:
            if gate.name == name:
                return gate
        where = f" in {self.path}" if self.path else ""
        raise CompressError(f"gate {name!r} is not in the gate table{where}; add a row for it")

    def has(self, name: str) -> bool:
        return any(gate.name == name for gate in self.gates)

    def by_id(self, function_id: int) -> Gate:
        """The gate of a function id; for MUX/DEMUX the 2-input variant."""
        if 0 <= function_id < BASE_FUNCTION_COUNT:
            return self.by_name(FUNCTION_NAMES[function_id])
        if function_id == MUX_ID:
            return self.by_name(MUX_NAMES[0])
        if function_id == DEMUX_ID:
            return self.by_name(DEMUX_NAMES[0])
        raise CompressError(f"function id {function_id} is not in the function set 0–28")

    def base_gates(self) -> list[Gate]:
        """Gates of ids 0–26 in id order."""
        return [self.by_name(name) for name in FUNCTION_NAMES]


def default_gate_table_path(settings: Settings) -> Path:
    """The default table in the datastore, or the repository's copy if the datastore has none.

    A datastore carried over from the original project has no ``gates/`` folder; falling back to
    the bundled table keeps such a setup working.
    """
    candidate = settings.gates_dir / DEFAULT_GATE_TABLE
    if candidate.is_file():
        return candidate
    return REPO_ROOT / "data_store" / "gates" / DEFAULT_GATE_TABLE


def load_gate_table(path: Path | str | None, settings: Settings) -> GateTable:
    """Read and validate a gate table; ``None`` means the default table in ``settings.gates_dir``.

    Raises :class:`CompressError` naming ``file:line`` for anything wrong, so a user-supplied
    ``--gate-table`` fails with a fixable message before an experiment starts.
    """
    resolved = default_gate_table_path(settings) if path is None else Path(path).expanduser()
    if not resolved.is_file():
        raise CompressError(
            f"gate table {resolved} not found; pass --gate-table PATH to a CSV with columns "
            f"{', '.join(COLUMNS)} (or omit it for the default table)"
        )
    try:
        text = resolved.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise CompressError(f"cannot read gate table {resolved}: {error}") from error
    return parse_gate_table(text, resolved)


def parse_gate_table(text: str, path: Path | None = None) -> GateTable:
    """Validate the CSV ``text`` (see the module docstring for the rules)."""
    where = str(path) if path is not None else "<gate table>"
    reader = csv.reader(io.StringIO(text))
    rows = [
        (number, row) for number, row in enumerate(reader, start=1) if any(c.strip() for c in row)
    ]
    if not rows:
        raise CompressError(f"{where}: empty gate table; expected a header {','.join(COLUMNS)}")
    header_line, header = rows[0]
    header = [cell.strip() for cell in header]
    for column in COLUMNS:
        if column not in header:
            raise CompressError(f"{where}:{header_line}: {_missing_column_message(column, header)}")
    index = {column: header.index(column) for column in COLUMNS}

    gates: list[Gate] = []
    seen: dict[str, int] = {}
    for line, row in rows[1:]:
        gate = _parse_row(row, index, f"{where}:{line}")
        if gate.name in seen:
            raise CompressError(
                f"{where}:{line}: gate {gate.name!r} appears twice (also on line {seen[gate.name]})"
            )
        seen[gate.name] = line
        gates.append(gate)

    missing = [f"{i} ({name})" for i, name in enumerate(FUNCTION_NAMES) if name not in seen]
    if missing:
        raise CompressError(
            f"{where}: missing functions: {', '.join(missing)}; the engine needs a row for "
            f"every function id 0–{BASE_FUNCTION_COUNT - 1}"
        )
    gates.sort(key=_sort_key)
    return GateTable(tuple(gates), path)


def _missing_column_message(column: str, header: list[str]) -> str:
    quantity = column.split("_")[0]
    wrong_unit = [h for h in header if h.split("_")[0] == quantity or h.startswith(quantity)]
    if column in _NUMERIC and quantity in header:
        return f"column {quantity!r} has no unit; expected {_UNIT_HINTS[quantity]}"
    if column in _NUMERIC and wrong_unit:
        return (
            f"column {wrong_unit[0]!r} has the wrong unit; expected {_UNIT_HINTS[quantity]} "
            "(convert the values and rename the column)"
        )
    if column == "energy_pj" and any(h.startswith("power") for h in header):
        return f"no energy column; expected {_UNIT_HINTS['power']}"
    return f"missing column {column!r}; expected columns {', '.join(COLUMNS)}"


def _parse_row(row: list[str], index: dict[str, int], where: str) -> Gate:
    if len(row) <= max(index.values()):
        raise CompressError(f"{where}: {len(row)} fields, expected at least {len(COLUMNS)}")
    raw_id = row[index["function_id"]].strip()
    try:
        function_id = int(raw_id)
    except ValueError:
        raise CompressError(f"{where}: function_id {raw_id!r} is not an integer") from None
    name = row[index["name"]].strip()
    expected = _expected_names(function_id)
    if expected is None:
        raise CompressError(
            f"{where}: function_id {function_id} is not in the function set "
            f"(0–{BASE_FUNCTION_COUNT - 1}, {MUX_ID} MUX, {DEMUX_ID} DEMUX)"
        )
    if name not in expected:
        raise CompressError(
            f"{where}: function {function_id} is named {', '.join(expected)} in the engine's "
            f"function set, not {name!r}"
        )
    values = {}
    for column in _NUMERIC:
        raw = row[index[column]].strip()
        try:
            value = float(raw)
        except ValueError:
            raise CompressError(f"{where}: {column} {raw!r} is not a number") from None
        if not math.isfinite(value) or value < 0:
            raise CompressError(
                f"{where}: {column} is {raw}; costs must be finite and non-negative"
            )
        values[column] = value
    return Gate(
        function_id=function_id,
        name=name,
        energy_pj=values["energy_pj"],
        delay_ns=values["delay_ns"],
        area_um2=values["area_um2"],
        source=row[index["source"]].strip(),
    )


def _expected_names(function_id: int) -> tuple[str, ...] | None:
    if 0 <= function_id < BASE_FUNCTION_COUNT:
        return (FUNCTION_NAMES[function_id],)
    if function_id == MUX_ID:
        return MUX_NAMES
    if function_id == DEMUX_ID:
        return DEMUX_NAMES
    return None


def _sort_key(gate: Gate) -> tuple[int, int]:
    """Id order; MUX/DEMUX widths in increasing order."""
    names = _expected_names(gate.function_id) or (gate.name,)
    return gate.function_id, names.index(gate.name)


def format_gate_table_csv(gates: Iterable[Gate], extra: dict[str, list[str]] | None = None) -> str:
    """Render gates as the table CSV; ``extra`` adds named columns (one value per gate)."""
    gates = list(gates)
    extra = extra or {}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*COLUMNS, *extra])
    for i, gate in enumerate(gates):
        writer.writerow(
            [
                gate.function_id,
                gate.name,
                _number(gate.energy_pj),
                _number(gate.delay_ns),
                _number(gate.area_um2),
                gate.source,
                *(values[i] for values in extra.values()),
            ]
        )
    return buffer.getvalue()


def write_gate_table(
    gates: Iterable[Gate], path: Path, extra: dict[str, list[str]] | None = None
) -> None:
    """Write a gate table CSV atomically."""
    write_text_atomic(Path(path), format_gate_table_csv(gates, extra))


def _number(value: float) -> str:
    """Shortest text that reads back to the same float (no spurious digits in the CSV)."""
    return repr(float(value))
