"""``report`` and ``<experiment>:report`` on the command line.

Only argparse at import time: every command's parser is built at start-up, so the statistics and
plotting libraries are imported when a report is actually written
(:mod:`compress.report.writer`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from compress.errors import CompressError


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    """The report's own options (shared by ``report`` and ``<experiment>:report``)."""
    group = parser.add_argument_group("report")
    group.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        metavar="DIR",
        help="report folder (default: <first experiment folder>/report)",
    )
    group.add_argument(
        "--alpha",
        type=float,
        default=0.05,
        help="significance level of every test and of the normality/variance checks (default 0.05)",
    )
    group.add_argument(
        "--normal-theory",
        action="store_true",
        help="also run the original's normal-theory path (D'Agostino-Pearson + Levene -> "
        "Student/Welch t or ANOVA + Tukey HSD)",
    )
    group.add_argument(
        "--sensitivity",
        nargs="+",
        type=Path,
        default=[],
        metavar="CSV",
        help="model:sensitivity CSVs (<model>.<type>.256.csv) for the weight-offset plot",
    )
    group.add_argument(
        "--baseline-top1",
        type=float,
        default=None,
        metavar="FRACTION",
        help="baseline top-1 (0-1) for model-metrics CSVs without a baseline_top1 column "
        "(the original's); accuracy loss is left empty otherwise",
    )
    group.add_argument(
        "--dataset-split",
        default=None,
        metavar="DATASET.SPLIT",
        help="model-metrics results used for the accuracy columns when several exist "
        "(default default.test, else the first found)",
    )
    group.add_argument("--force", action="store_true", help="replace an existing report folder")


# -- command line ----------------------------------------------------------------------------------
def folder_argument(text: str) -> tuple[str | None, Path]:
    """``NAME=DIR`` or ``DIR``."""
    name, sep, rest = text.partition("=")
    if sep and name and "/" not in name:
        return name, Path(rest)
    return None, Path(text)


def experiment_of(folder: Path, name: str | None) -> str:
    """The experiment that wrote ``folder``: given, from a sidecar, or the folder's own name."""
    from compress.experiments.registry import load_experiments
    from compress.report.loading import SIDECAR, sub_experiment_folders

    if name is not None:
        return name
    for sub in sub_experiment_folders(folder):
        sidecar = sub / SIDECAR
        if sidecar.is_file():
            try:
                return str(json.loads(sidecar.read_text(encoding="utf-8"))["experiment"])
            except (OSError, ValueError, KeyError):
                raise CompressError(f"{sidecar} has no readable 'experiment' key") from None
    if folder.resolve().name in load_experiments():
        return folder.resolve().name
    raise CompressError(
        f"cannot tell which experiment wrote {folder}: name it NAME={folder} "
        f"(NAME one of {', '.join(load_experiments())})"
    )


def run_plain_report(args: argparse.Namespace, settings) -> int:
    folders = []
    for text in args.folders:
        name, path = folder_argument(text)
        folders.append((experiment_of(path, name), path))
    from compress.report.writer import write_report

    output = args.output or folders[0][1] / "report"
    return _finish(write_report(folders, output, settings, **_options(args)))


def run_experiment_report(args: argparse.Namespace, settings) -> int:
    from compress.experiments.registry import get_experiment
    from compress.report.writer import write_report

    experiment = get_experiment(args.experiment_name)(args, settings, prepare=False)
    folder = experiment.results_folder()
    output = args.output or folder / "report"
    return _finish(
        write_report(
            [(args.experiment_name, folder)], output, settings, args=args, **_options(args)
        )
    )


def _options(args: argparse.Namespace) -> dict:
    return {
        "alpha": args.alpha,
        "normal_theory": args.normal_theory,
        "sensitivity": args.sensitivity,
        "force": args.force,
        "baseline_top1": args.baseline_top1,
        "dataset_split": args.dataset_split,
    }


def _finish(output: Path) -> int:
    print(
        f"report: {output / 'report.html'} (also report.md, summary.csv, tests.csv, pareto.csv, "
        f"figures/)",
        file=sys.stderr,
    )
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """The plain ``report`` command over any experiment folders."""
    parser = subparsers.add_parser(
        "report",
        help="statistics tables, Pareto fronts and figures over experiment folders",
        description="Read the runs of one or more experiment folders (statistics, model-metrics, "
        "gate statistics), group them by their factors and write summary.csv/.md/.tex, "
        "tests.csv, pareto.csv, sensitivity.csv/.tex, figures (PNG + PDF), report.md and a "
        "self-contained report.html.",
    )
    parser.add_argument(
        "folders",
        nargs="+",
        metavar="[NAME=]DIR",
        help="experiment folders (holding sub-experiment folders); NAME = the experiment that "
        "wrote DIR when neither a sidecar nor the folder's name says it",
    )
    add_report_arguments(parser)
    parser.set_defaults(handler=run_plain_report)
