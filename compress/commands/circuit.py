"""``circuit:export``, ``circuit:simulate``, ``circuit:synth``: an evolved circuit as hardware.

``CIRCUIT`` is a chromosome string, ``@file`` holding one, or a sub-experiment folder followed by
a run number (that run's best solution, with the run's config, data, weights and gate costs).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from compress.atomic import write_text_atomic
from compress.errors import CompressError
from compress.settings import Settings

FORMATS = ("verilog", "c", "dot", "sympy")


def _add_circuit_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "circuit",
        metavar="CIRCUIT",
        help="chromosome string ({in,out,cols,rows,arity,L,items}(...)...), @FILE holding one, "
        "or a sub-experiment folder (then RUN is required)",
    )
    parser.add_argument(
        "run",
        nargs="?",
        type=int,
        default=None,
        metavar="RUN",
        help="run number (from 1) of the sub-experiment folder: its best solution",
    )
    parser.add_argument(
        "--name",
        default=None,
        help="module/function name (default: from the folder and run, else 'circuit')",
    )
    group = parser.add_argument_group(
        "run parameters a bare chromosome does not carry (a folder's config supplies them)"
    )
    group.add_argument(
        "--function-output-arity",
        type=int,
        default=None,
        metavar="N",
        help="output pins per node (default 1)",
    )
    group.add_argument(
        "--expected-value-min",
        type=int,
        default=None,
        metavar="V",
        help="value of constant gate 25 (default -128)",
    )
    group.add_argument(
        "--expected-value-max",
        type=int,
        default=None,
        metavar="V",
        help="value of constant gate 26 (default 127)",
    )


def _add_gate_table_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--gate-table",
        type=Path,
        default=None,
        metavar="PATH",
        help="gate table CSV for the energy/area estimate (default: the folder's "
        "gate_parameters.txt for a run, else gates_45nm.csv in $datastore/gates)",
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the three circuit commands."""
    export = subparsers.add_parser(
        "circuit:export",
        help="write an evolved circuit as Verilog, C, Graphviz DOT or SymPy expressions",
        description=(
            "Export the active gates of an evolved circuit. verilog: one combinational module "
            "'module NAME (input wire [8*N_IN-1:0] in, [input wire [S-1:0] item,] output wire "
            "[8*N_OUT-1:0] out)', in[8*i +: 8] = input i and out[8*k +: 8] = output k as int8, "
            "item (dataset_size > 1) = dataset item index for MUX/DEMUX. c: C99 'void NAME(const "
            "int8_t in[N_IN], int8_t out[N_OUT][, int item])' without undefined behaviour. dot: "
            "Graphviz. sympy: one exact expression per distinct output pin. The header states "
            "the source chromosome, gate count and the gate table's energy and area."
        ),
    )
    _add_circuit_arguments(export)
    export.add_argument("--format", choices=FORMATS, required=True, help="what to write")
    export.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        metavar="FILE",
        help="file to write (default: standard output); an existing file needs --force",
    )
    export.add_argument("--force", action="store_true", help="replace an existing -o FILE")
    export.add_argument(
        "--render",
        choices=("png", "svg"),
        default=None,
        help="with --format dot and -o FILE: also draw FILE.png/.svg with Graphviz dot",
    )
    _add_gate_table_argument(export)
    export.set_defaults(handler=_export)

    simulate = subparsers.add_parser(
        "circuit:simulate",
        help="prove an export: Icarus Verilog and the compiled C against the engine's weights",
        description=(
            "Export the circuit as Verilog and C, run both on every dataset item of the "
            "experiment's inputs (Icarus Verilog with a generated testbench; the system C "
            "compiler, C99 with UBSan where available) and compare every output with the "
            "engine's: a run's weights file, or for a bare chromosome the engine's own "
            "evaluate:chromosome on --data. Prints 'N of N outputs match' per language; exit "
            "code 1 and the first differences on any mismatch."
        ),
    )
    _add_circuit_arguments(simulate)
    simulate.add_argument(
        "--data",
        type=Path,
        default=None,
        metavar="FILE",
        help="train.data whose inputs to apply (default: the folder's; required for a chromosome)",
    )
    simulate.add_argument(
        "--weights",
        type=Path,
        default=None,
        metavar="FILE",
        help="engine weights file to compare with (default: the run's weights file; for a "
        "chromosome the engine evaluates it on --data)",
    )
    simulate.add_argument(
        "--language",
        choices=("verilog", "c", "both"),
        default="both",
        help="which export to check (default both)",
    )
    simulate.add_argument(
        "--cgp",
        type=Path,
        default=None,
        metavar="PATH",
        help="engine binary for the reference evaluation (default: cgp= in .env, else bin/cgp)",
    )
    simulate.add_argument(
        "--differences",
        type=int,
        default=10,
        metavar="N",
        help="how many differences to list on a mismatch (default 10)",
    )
    simulate.set_defaults(handler=_simulate)

    synth = subparsers.add_parser(
        "circuit:synth",
        help="synthesise an export with Yosys: cells, transistors, beside the gate table's estimate",
        description=(
            "Synthesise the Verilog export with Yosys (synth -flatten, check, stat, stat -tech "
            "cmos) and print the cells by type and the transistor estimate next to the gate "
            "table's gate count, energy and area for the same circuit. With --liberty, also map "
            "to that Liberty library (abc -liberty) and report its cells and area."
        ),
    )
    _add_circuit_arguments(synth)
    _add_gate_table_argument(synth)
    synth.add_argument(
        "--liberty",
        type=Path,
        default=None,
        metavar="FILE",
        help="Liberty (.lib) cell library to map to and take the area from",
    )
    synth.set_defaults(handler=_synth)


def _source(args: argparse.Namespace):
    from compress.circuit.source import load_circuit

    if args.function_output_arity is not None and args.function_output_arity < 1:
        raise CompressError("--function-output-arity must be at least 1")
    for option in ("expected_value_min", "expected_value_max"):
        value = getattr(args, option)
        if value is not None and not -128 <= value <= 127:
            raise CompressError(f"--{option.replace('_', '-')} must be in int8 -128..127")
    return load_circuit(
        args.circuit,
        args.run,
        output_arity=args.function_output_arity,
        value_min=args.expected_value_min,
        value_max=args.expected_value_max,
    )


def _cost(source, gate_table: Path | None, settings: Settings):
    """The gate-table estimate, or ``None`` (with a note) when the table lacks a used gate."""
    from compress.circuit.costs import circuit_cost, costs_from_parameters, costs_from_table
    from compress.energy.gates import load_gate_table

    if gate_table is None and source.gate_parameters_path is not None:
        costs = costs_from_parameters(source.gate_parameters_path, source.circuit.dataset_size)
    else:
        costs = costs_from_table(load_gate_table(gate_table, settings), source.circuit.dataset_size)
    return circuit_cost(source.circuit, costs)


def _name(args: argparse.Namespace, source) -> str:
    from compress.circuit.verilog import identifier

    return identifier(args.name or source.name)


def _export(args: argparse.Namespace, settings: Settings) -> int:
    from compress.circuit import c_source, dot, symbolic, verilog

    if args.render and (args.format != "dot" or args.output is None):
        raise CompressError("--render needs --format dot and -o FILE (the image goes beside it)")
    if args.output is not None and args.output.exists() and not args.force:
        raise CompressError(f"{args.output} exists; pass --force to replace it")
    source = _source(args)
    name = _name(args, source)
    cost = _cost(source, args.gate_table, settings)
    circuit = source.circuit
    if args.format == "verilog":
        text = verilog.to_verilog(circuit, name=name, cost=cost, source=source.label)
    elif args.format == "c":
        text = c_source.to_c(circuit, name=name, cost=cost, source=source.label)
    elif args.format == "dot":
        lines = verilog.header_lines(circuit, cost, source.label)[2:]
        text = "".join(f"// {line}\n" for line in lines) + dot.to_dot(circuit, name=name)
    else:
        header = verilog.header_lines(circuit, cost, source.label)
        text = symbolic.to_sympy_text(circuit, name=name, header=header)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    write_text_atomic(args.output, text)
    print(
        f"wrote {args.output} ({args.format}, {circuit.gate_count} active gates)", file=sys.stderr
    )
    if args.render:
        image = args.output.with_suffix(f".{args.render}")
        if image.exists() and not args.force:
            raise CompressError(f"{image} exists; pass --force to replace it")
        dot.render(text, args.render, image)
        print(f"wrote {image}", file=sys.stderr)
    return 0


def _simulate(args: argparse.Namespace, settings: Settings) -> int:
    from compress.circuit import simulate
    from compress.engine.files import read_weights

    source = _source(args)
    circuit = source.circuit
    data = args.data or source.data_path
    if data is None:
        raise CompressError(
            "a bare chromosome needs --data train.data (the inputs to apply); or pass a "
            "sub-experiment folder and run number"
        )
    inputs = simulate.read_inputs(data, circuit)
    name = _name(args, source)
    weights_path = args.weights or source.weights_path
    with tempfile.TemporaryDirectory(prefix="circuit-sim-") as scratch:
        folder = Path(scratch)
        if weights_path is not None:
            reference = read_weights(weights_path, circuit.dataset_size, circuit.output_count)
            described = f"engine weights {weights_path}"
        else:
            engine = args.cgp or settings.cgp
            reference = simulate.engine_weights(circuit, data, engine, folder)
            described = f"the engine's evaluate:chromosome ({engine}) on {data}"
        print(
            f"{source.label}: {circuit.gate_count} active gates, {circuit.dataset_size} item(s) "
            f"x {circuit.output_count} outputs; reference: {described}"
        )
        failed = False
        languages = ("verilog", "c") if args.language == "both" else (args.language,)
        for language in languages:
            workdir = folder / language
            workdir.mkdir()
            started = time.monotonic()
            if language == "verilog":
                actual, warnings = simulate.simulate_verilog(circuit, inputs, workdir, name=name)
                tool = "Icarus Verilog"
            else:
                actual, warnings = simulate.run_c(circuit, inputs, workdir, name=name)
                tool = "system C compiler"
            if warnings:
                tool += f"; compiler said: {' '.join(warnings.split())[:200]}"
            comparison = simulate.compare(reference, actual, limit=max(args.differences, 0))
            seconds = time.monotonic() - started
            print(f"{language} ({tool}): {comparison.summary()} [{seconds:.1f} s]")
            if not comparison.ok:
                failed = True
                print(f"  {comparison.mismatch_count} differ; first differences:")
                for d in comparison.differences:
                    print(
                        f"  item {d.item} output {d.output}: engine {d.expected}, "
                        f"{language} {d.actual}"
                    )
    return 1 if failed else 0


def _synth(args: argparse.Namespace, settings: Settings) -> int:
    from compress.circuit.synth import synthesise

    source = _source(args)
    circuit = source.circuit
    cost = _cost(source, args.gate_table, settings)
    report = synthesise(circuit, name=_name(args, source), liberty=args.liberty)
    print(
        f"{source.label}: {circuit.gate_count} active gates of a {circuit.rows}x{circuit.cols} grid"
    )
    print(
        f"gate table ({cost.source}): {cost.gate_count} gates, energy {cost.energy_pj:.6g} pJ per "
        f"evaluation, area {cost.area_um2:.6g} um2 (sum over active 8-bit gates, ID free)"
    )
    transistors = (
        f"{report.transistors} transistors (stat -tech cmos)"
        if report.transistors is not None
        else "transistor estimate not available for every cell"
    )
    print(
        f"{report.yosys_version}, synth -flatten: {report.cell_count} cells, {transistors} "
        f"[{report.seconds:.1f} s]"
    )
    for cell, count in report.cells.items():
        print(f"  {cell:<12} {count}")
    if args.liberty is not None:
        area = f"{report.liberty_area:.6g}" if report.liberty_area is not None else "not reported"
        print(
            f"mapped to {args.liberty}: {report.liberty_cell_count} cells, area {area} "
            "(the library's area unit, um2 for most libraries)"
        )
        for cell, count in report.liberty_cells.items():
            print(f"  {cell:<12} {count}")
        if report.liberty_area:
            print(
                f"  gate table area / library area = {cost.area_um2 / report.liberty_area:.3g} "
                "(if the library's unit is um2: > 1 means the table is pessimistic here)"
            )
    if report.problems or report.warnings:
        print(f"yosys check: {report.problems} problem(s); warnings:")
        for warning in report.warnings[:10]:
            print(f"  {warning}")
    return 0
