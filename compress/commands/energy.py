"""``energy:optimal``: the cheapest exact circuit of a sub-experiment folder, with its proof."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from compress.errors import CompressError
from compress.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``energy:optimal``."""
    parser = subparsers.add_parser(
        "energy:optimal",
        help="proven-optimal exact circuit (or the best found and a proven lower bound) of a "
        "sub-experiment folder, placed in its grid",
        description=(
            "Solve for the cheapest circuit that produces every expected weight of a one-item "
            "sub-experiment exactly (integer program over the 256 int8 values, HiGHS; the "
            "argument is in docs/optimal-circuits.md). Reads FOLDER/train_cgp.config, train.data "
            "and gate_parameters.csv as train wrote them, prints the circuit's energy, the proven "
            "lower bound and their ratio, and places the circuit in the folder's grid (rows, "
            "columns, look-back), saying so when it does not fit."
        ),
    )
    parser.add_argument("folder", type=Path, help="a sub-experiment folder written by train")
    parser.add_argument(
        "--time-limit",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="solver time; when it is hit the best circuit found and the bound proven so far "
        "are reported (default 60)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        metavar="FILE",
        help="write the placed chromosome to FILE (refuses to overwrite an existing file)",
    )
    parser.add_argument(
        "--write-start",
        action="store_true",
        help="set it as starting_solution in FOLDER/train_cgp.config, so the folder's next runs "
        "start from it (refused once the engine has written results there)",
    )
    parser.set_defaults(handler=_run_optimal)


def _run_optimal(args: argparse.Namespace, settings: Settings) -> int:
    from compress.engine.config import CGPConfig
    from compress.experiments.layout import CONFIG_FILE, SubExperimentPaths
    from compress.experiments.optimal_start import describe, place, problem_of_folder, solve

    del settings
    if args.time_limit <= 0:
        raise CompressError(f"--time-limit {args.time_limit} must be positive")
    problem, table = problem_of_folder(args.folder)
    result = solve(problem, table, args.time_limit)
    print(f"{args.folder}: {describe(result)}")
    print(
        f"energy_pj {result.energy_pj:.9g}  energy_lower_bound_pj {result.lower_bound_pj:.9g}  "
        f"optimality_gap_ratio {result.gap_ratio:.6g}  (gate energy only, one evaluation; "
        "memory fetches not included)"
    )
    grid = f"{problem.rows}x{problem.cols} grid, look-back {problem.look_back}"
    try:
        chromosome = place(problem, result.steps)
    except CompressError as error:
        print(f"does not fit the {grid}: {error}", file=sys.stderr)
        if args.output or args.write_start:
            raise CompressError(
                f"nothing written: the circuit does not fit the {grid}; train with a larger grid "
                "(its best start is then this circuit)"
            ) from None
        return 0
    print(f"placed in the {grid}")
    if args.output:
        if args.output.exists():
            raise CompressError(f"{args.output} exists; choose another --output or remove it")
        from compress.atomic import write_text_atomic

        write_text_atomic(args.output, chromosome + "\n")
        print(f"chromosome written to {args.output}")
    if args.write_start:
        if SubExperimentPaths(args.folder).has_results():
            raise CompressError(
                f"{args.folder} already holds engine results; its runs keep their start "
                "(use a fresh folder, or --output to save the chromosome)"
            )
        config = CGPConfig.load(args.folder / CONFIG_FILE)
        config["starting_solution"] = chromosome
        config.save()
        print(f"starting_solution set in {args.folder / CONFIG_FILE}")
    return 0
