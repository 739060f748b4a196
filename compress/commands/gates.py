"""``gates:import`` (gate table from synthesis reports) and ``gates:show`` (print a table)."""

from __future__ import annotations

import argparse
from pathlib import Path

from compress.errors import CompressError
from compress.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``gates:import`` and ``gates:show``."""
    show = subparsers.add_parser(
        "gates:show",
        help="print a gate cost table (energy pJ, delay ns, area um2) and the memory levels",
        description=(
            "Print the gate cost table the experiments use: the default 45 nm table, or the CSV "
            "given with --gate-table. With --rows/--cols also the engine's quantized costs for "
            "that grid, as gate_parameters.txt would hold them."
        ),
    )
    show.add_argument(
        "--gate-table",
        type=Path,
        default=None,
        metavar="PATH",
        help="gate table CSV (columns function_id,name,energy_pj,delay_ns,area_um2,source); "
        "default: gates_45nm.csv in $datastore/gates",
    )
    show.add_argument("--rows", type=int, default=None, help="grid rows for the quantized columns")
    show.add_argument(
        "--cols", type=int, default=None, help="grid columns for the quantized columns"
    )
    show.add_argument(
        "--function-count",
        type=int,
        default=27,
        help="function count of the engine run (27 without multiplexers, 29 with; default 27)",
    )
    show.add_argument("--sources", action="store_true", help="also print each row's source")
    show.set_defaults(handler=_show)

    importer = subparsers.add_parser(
        "gates:import",
        help="build a gate table from Synopsys Design Compiler power/area/timing reports",
        description=(
            "Read <gate>_power.txt, <gate>_area.txt and <gate>_timing.txt for every gate of the "
            "function set (report_power, report_area, report_timing of each 8-bit module) and "
            "write a gate table CSV: energy_pj = total power (mW) x data arrival time (ns). "
            "Use the result with --gate-table."
        ),
    )
    importer.add_argument(
        "reports",
        nargs="?",
        type=Path,
        default=None,
        help="folder with the reports (default $datastore/verilog/res, as the original)",
    )
    importer.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        help="CSV to write (default $datastore/gates/synthesis.csv)",
    )
    importer.add_argument(
        "--source",
        default=None,
        help="text for the table's source column, e.g. the library and tool version",
    )
    importer.set_defaults(handler=_import)


def _show(args: argparse.Namespace, settings: Settings) -> int:
    from compress.energy.gates import load_gate_table
    from compress.energy.memory import load_memory_table
    from compress.energy.quantize import gate_parameters

    table = load_gate_table(args.gate_table, settings)
    if (args.rows is None) != (args.cols is None):
        raise CompressError("give both --rows and --cols to show quantized costs, or neither")
    header = ["id", "name", "energy_pj", "delay_ns", "area_um2"]
    gates = list(table)
    quantized: list[list[str]] = []
    if args.rows is not None:
        parameters = gate_parameters(
            table, rows=args.rows, cols=args.cols, function_count=args.function_count
        )
        gates = list(parameters.gates)
        header += ["quantized_energy", "quantized_delay"]
        quantized = [
            [str(qe), str(qd)]
            for qe, qd in zip(parameters.energy.values, parameters.delay.values, strict=True)
        ]
    rows = [header]
    for i, gate in enumerate(gates):
        cells = [
            str(gate.function_id),
            gate.name,
            f"{gate.energy_pj:.6g}",
            f"{gate.delay_ns:.6g}",
            f"{gate.area_um2:.6g}",
        ]
        rows.append(cells + (quantized[i] if quantized else []))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    print(f"gate table: {table.path}")
    for r in rows:
        print(
            "  ".join(
                c.ljust(w) if j == 1 else c.rjust(w)
                for j, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )
    if quantized:
        print(
            f"quantized for a {args.rows}x{args.cols} grid: one energy quantum = "
            f"{parameters.energy.unit_per_quantum:.3e} pJ ({parameters.energy.bits} bits), "
            f"one delay quantum = {parameters.delay.unit_per_quantum:.3e} ns"
        )
    if args.sources:
        print("sources:")
        for gate in gates:
            print(f"  {gate.name}: {gate.source}")
    print("memory read energy per byte (representative, range):")
    for level in load_memory_table(settings=settings):
        print(
            f"  {level.level:<10} {level.read_energy_pj_per_byte:g} pJ/B "
            f"({level.read_energy_min_pj_per_byte:g}-{level.read_energy_max_pj_per_byte:g})"
        )
    return 0


def _import(args: argparse.Namespace, settings: Settings) -> int:
    from compress.energy.synthesis import import_to_csv

    reports = args.reports or settings.datastore / "verilog" / "res"
    output = args.output or settings.gates_dir / "synthesis.csv"
    table = import_to_csv(reports, output, source=args.source)
    print(f"wrote {output}: {len(table)} gates from {reports}")
    print(f"use it with --gate-table {output}")
    return 0
