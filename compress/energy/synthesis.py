"""Build a gate table from Synopsys Design Compiler reports, as the original's extractor did.

Per gate ``<name>`` the reports folder holds three files written by ``report_power``,
``report_area`` and ``report_timing`` on the synthesised 8-bit module:

* ``<name>_power.txt`` – the ``Total`` row of the power-group table:
  ``Total  <internal> <unit>  <switching> <unit>  <leakage> <unit>  <total> <unit>``;
  the total is converted to mW whatever unit it carries;
* ``<name>_area.txt`` – ``Total cell area:  <value>`` (library area unit, µm² for 45 nm PDKs);
* ``<name>_timing.txt`` – the first ``data arrival time  <value>`` (ns), or delay 0 when the
  report says ``No paths.`` (a module that is pure wiring has no timing path).

Energy = total power × arrival time; mW × ns = pJ (the original labelled this "uJ"). If the
power report states ``Time Units = 1ps`` (or another unit) the arrival time is converted to ns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from compress.energy.functions import DEMUX_ID, DEMUX_NAMES, FUNCTION_NAMES, MUX_ID, MUX_NAMES
from compress.energy.gates import Gate, GateTable, parse_gate_table, write_gate_table
from compress.errors import CompressError

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_POWER_UNITS_MW = {"w": 1e3, "mw": 1.0, "uw": 1e-3, "µw": 1e-3, "nw": 1e-6, "pw": 1e-9, "fw": 1e-12}
_TIME_UNITS_NS = {"s": 1e9, "ms": 1e6, "us": 1e3, "µs": 1e3, "ns": 1.0, "ps": 1e-3, "fs": 1e-6}
_TOTAL_POWER = re.compile(
    rf"^\s*Total\s+({_NUMBER})\s*(\S*W)\s+({_NUMBER})\s*(\S*W)\s+({_NUMBER})\s*(\S*W)"
    rf"\s+({_NUMBER})\s*(\S*W)\b",
    re.MULTILINE,
)
_TIME_UNITS = re.compile(r"Time Units\s*=\s*(" + _NUMBER + r")\s*([a-zµ]+)", re.IGNORECASE)
_CELL_AREA = re.compile(rf"^\s*Total cell area:\s*({_NUMBER})\s*$", re.MULTILINE)
_ARRIVAL = re.compile(rf"^\s*data arrival time\s+({_NUMBER})\s*$", re.MULTILINE)
_NO_PATHS = re.compile(r"^\s*No paths\.", re.MULTILINE)


@dataclass(frozen=True)
class PowerReport:
    internal_mw: float
    switching_mw: float
    leakage_mw: float
    total_mw: float
    time_unit_ns: float
    """Length of the library's time unit in ns (1.0 when the report does not say)."""


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise CompressError(f"missing synthesis report {path}") from None
    except OSError as error:
        raise CompressError(f"cannot read synthesis report {path}: {error.strerror}") from error


def _to_mw(value: str, unit: str, path: Path) -> float:
    factor = _POWER_UNITS_MW.get(unit.lower())
    if factor is None:
        raise CompressError(f"{path}: unknown power unit {unit!r} on the Total line")
    return float(value) * factor


def parse_power_report(path: Path) -> PowerReport:
    """The ``Total`` row of ``report_power``, converted to mW."""
    text = _read(path)
    matches = list(_TOTAL_POWER.finditer(text))
    if not matches:
        raise CompressError(
            f"{path}: no 'Total <internal> <unit> <switching> <unit> <leakage> <unit> <total> "
            "<unit>' line; is this a Design Compiler report_power output?"
        )
    groups = matches[-1].groups()
    internal, switching, leakage, total = (
        _to_mw(groups[i], groups[i + 1], path) for i in range(0, 8, 2)
    )
    time_unit_ns = 1.0
    unit_match = _TIME_UNITS.search(text)
    if unit_match:
        factor = _TIME_UNITS_NS.get(unit_match.group(2).lower())
        if factor is None:
            raise CompressError(f"{path}: unknown time unit {unit_match.group(2)!r}")
        time_unit_ns = float(unit_match.group(1)) * factor
    if total < 0:
        raise CompressError(f"{path}: negative total power {groups[6]} {groups[7]}")
    return PowerReport(internal, switching, leakage, total, time_unit_ns)


def parse_area_report(path: Path) -> float:
    """``Total cell area:`` of ``report_area`` (library units, µm² for 45 nm libraries)."""
    text = _read(path)
    match = _CELL_AREA.search(text)
    if match is None:
        raise CompressError(f"{path}: no 'Total cell area: <number>' line")
    area = float(match.group(1))
    if area < 0:
        raise CompressError(f"{path}: negative cell area {area}")
    return area


def parse_timing_report(path: Path) -> float:
    """Arrival time of the critical path in library time units; 0 for ``No paths.``."""
    text = _read(path)
    match = _ARRIVAL.search(text)
    if match is not None:
        return abs(float(match.group(1)))
    if _NO_PATHS.search(text):
        return 0.0
    raise CompressError(f"{path}: neither a 'data arrival time <number>' line nor 'No paths.'")


@dataclass(frozen=True)
class SynthesisResult:
    gate: Gate
    power: PowerReport


def read_gate_reports(folder: Path, name: str, function_id: int, source: str) -> SynthesisResult:
    """The three reports of one gate → a table row (energy = power × arrival time)."""
    power = parse_power_report(folder / f"{name}_power.txt")
    area = parse_area_report(folder / f"{name}_area.txt")
    delay_ns = parse_timing_report(folder / f"{name}_timing.txt") * power.time_unit_ns
    energy_pj = power.total_mw * delay_ns
    detail = f"{power.total_mw:.6g} mW x {delay_ns:.6g} ns"
    gate = Gate(function_id, name, energy_pj, delay_ns, area, f"{source}; {detail}")
    return SynthesisResult(gate, power)


def import_reports(folder: Path, *, source: str | None = None) -> tuple[GateTable, list[float]]:
    """Read every gate's reports in ``folder``; ids 0–26 are required, MUX/DEMUX optional.

    A MUX/DEMUX width is imported when any of its three reports exists (and then all three must).
    Returns the table and the total power (mW) per gate, in table order.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise CompressError(
            f"reports folder {folder} not found; pass the folder holding <gate>_power.txt, "
            "<gate>_area.txt and <gate>_timing.txt"
        )
    source = source or f"Synopsys DC reports in {folder}"
    wanted = [(i, name) for i, name in enumerate(FUNCTION_NAMES)]
    for function_id, names in ((MUX_ID, MUX_NAMES), (DEMUX_ID, DEMUX_NAMES)):
        for name in names:
            if any(
                (folder / f"{name}_{kind}.txt").exists() for kind in ("power", "area", "timing")
            ):
                wanted.append((function_id, name))
    results = [read_gate_reports(folder, name, i, source) for i, name in wanted]
    table = GateTable(tuple(r.gate for r in results), folder)
    return table, [r.power.total_mw for r in results]


def import_to_csv(folder: Path, output: Path, *, source: str | None = None) -> GateTable:
    """Import the reports and write the table CSV (with an extra ``power_mw`` column)."""
    table, power = import_reports(folder, source=source)
    write_gate_table(table.gates, output, extra={"power_mw": [repr(p) for p in power]})
    # Re-read what was written: the file must pass the same validation as any --gate-table.
    return parse_gate_table(Path(output).read_text(encoding="utf-8"), Path(output))
