"""Synthesise an exported circuit with Yosys and report what it really costs.

Yosys runs ``synth -flatten`` (generic gates: ``$_AND_``, ``$_XOR_``, ``$_MUX_`` …), ``check``,
``stat`` and ``stat -tech cmos`` (its transistor estimate for a static CMOS realisation); with a
Liberty file it also maps to that library with ``abc -liberty`` and reads the library's area
with ``stat -liberty``. The gate table's estimate for the same circuit is computed by
:mod:`compress.circuit.costs`; putting the two side by side shows where the table is optimistic
(the table counts every gate as a separate 8-bit unit; synthesis shares and simplifies logic,
e.g. a multiplication by a constant, or drops bits nobody reads).

:func:`synthesise` is the entry point other commands (``report``) call.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from compress.circuit.chromosome import Circuit
from compress.circuit.tools import require_tool
from compress.circuit.verilog import identifier, to_verilog
from compress.errors import CompressError

_TRANSISTORS = re.compile(r"Estimated number of transistors:\s*(\d+)(\+?)")
_CHIP_AREA = re.compile(r"Chip area for (?:top )?module '?\\?[^:']*'?:\s*([0-9.eE+-]+)")
_PROBLEMS = re.compile(r"Found and reported (\d+) problems")
_WARNING = re.compile(r"^Warning: (.*)$", re.MULTILINE)


@dataclass(frozen=True)
class SynthesisReport:
    """What Yosys says about one circuit."""

    module: str
    cells: dict[str, int]
    """Cell count per cell type (Yosys internal gates, or Liberty cells when mapped)."""
    cell_count: int
    transistors: int | None
    """``stat -tech cmos`` estimate; ``None`` when Yosys could not estimate every cell."""
    liberty_cells: dict[str, int] = field(default_factory=dict)
    liberty_cell_count: int | None = None
    liberty_area: float | None = None
    """Total cell area in the Liberty file's area unit (µm² for most libraries)."""
    warnings: tuple[str, ...] = ()
    problems: int = 0
    """Problems ``check`` reported (undriven wires, multiple drivers, loops)."""
    seconds: float = 0.0
    yosys_version: str = ""


def _script(top: str, liberty: Path | None) -> str:
    lines = [
        "read_verilog circuit.v",
        f"synth -flatten -top {top}",
        "check",
        "tee -q -o stat.json stat -json",
        "tee -q -o cmos.txt stat -tech cmos",
    ]
    if liberty is not None:
        lines += [
            f'abc -liberty "{liberty}"',
            "opt_clean",
            "tee -q -o liberty_stat.json stat -json",
            f'tee -q -o liberty.txt stat -liberty "{liberty}"',
        ]
    return "\n".join(lines) + "\n"


def _cells(stat_json: Path, top: str) -> tuple[dict[str, int], int]:
    data = json.loads(stat_json.read_text(encoding="utf-8"))
    modules = data.get("modules", {})
    module = modules.get(f"\\{top}") or modules.get(top)
    if module is None:
        if not modules:
            raise CompressError("yosys reported no module statistics")
        module = next(iter(modules.values()))
    by_type = module.get("num_cells_by_type", module.get("cells", {}))
    cells = {str(k): int(v) for k, v in by_type.items()}
    return dict(sorted(cells.items(), key=lambda kv: (-kv[1], kv[0]))), int(module["num_cells"])


def synthesise_verilog(
    verilog: str,
    top: str,
    *,
    liberty: Path | None = None,
    workdir: Path | None = None,
    timeout: float | None = None,
) -> SynthesisReport:
    """Synthesise Verilog text whose top module is ``top``."""
    yosys = require_tool("yosys")
    if liberty is not None and not liberty.is_file():
        raise CompressError(f"Liberty file {liberty} does not exist")
    with tempfile.TemporaryDirectory(dir=workdir) as scratch:
        folder = Path(scratch)
        (folder / "circuit.v").write_text(verilog, encoding="utf-8")
        (folder / "synth.ys").write_text(
            _script(top, liberty.resolve() if liberty else None), encoding="utf-8"
        )
        started = time.monotonic()
        try:
            result = subprocess.run(
                [str(yosys), "-q", "-l", "yosys.log", "-s", "synth.ys"],
                cwd=folder,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            raise CompressError(f"yosys did not finish within {timeout:.0f} s") from None
        seconds = time.monotonic() - started
        log = (
            (folder / "yosys.log").read_text(encoding="utf-8", errors="replace")
            if (folder / "yosys.log").is_file()
            else ""
        )
        if result.returncode != 0:
            errors = [line for line in (log + result.stderr).splitlines() if "ERROR" in line]
            hint = ""
            if liberty is not None and "ABC" in log:
                hint = (
                    "; if ABC could not map to the library: a Liberty file needs at least a "
                    "buffer, an inverter and a two-input gate"
                )
            detail = " | ".join(errors[:3]) or result.stderr[-400:]
            raise CompressError(f"yosys failed: {detail}{hint}")
        cells, count = _cells(folder / "stat.json", top)
        cmos = (folder / "cmos.txt").read_text(encoding="utf-8")
        match = _TRANSISTORS.search(cmos)
        transistors = int(match.group(1)) if match and not match.group(2) else None
        liberty_cells: dict[str, int] = {}
        liberty_count = liberty_area = None
        if liberty is not None:
            liberty_cells, liberty_count = _cells(folder / "liberty_stat.json", top)
            area = _CHIP_AREA.search((folder / "liberty.txt").read_text(encoding="utf-8"))
            liberty_area = float(area.group(1)) if area else None
        problems = _PROBLEMS.search(log)
        version = subprocess.run([str(yosys), "-V"], capture_output=True, text=True).stdout
        return SynthesisReport(
            module=top,
            cells=cells,
            cell_count=count,
            transistors=transistors,
            liberty_cells=liberty_cells,
            liberty_cell_count=liberty_count,
            liberty_area=liberty_area,
            warnings=tuple(dict.fromkeys(_WARNING.findall(log))),
            problems=int(problems.group(1)) if problems else 0,
            seconds=seconds,
            yosys_version=version.strip(),
        )


def synthesise(
    circuit: Circuit,
    *,
    name: str = "circuit",
    liberty: Path | None = None,
    workdir: Path | None = None,
    timeout: float | None = None,
) -> SynthesisReport:
    """Export ``circuit`` as Verilog and synthesise it (see the module docstring)."""
    top = identifier(name)
    return synthesise_verilog(
        to_verilog(circuit, name=top), top, liberty=liberty, workdir=workdir, timeout=timeout
    )
