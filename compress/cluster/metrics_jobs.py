"""``model-metrics`` fanned out over a cluster in modulo groups (the original's model-metrics-pbs).

Sub-experiment folder i goes to group ``i % modulo``; each group is one job (PBS: one script per
group, ``{experiment}_{model}_{g}_{modulo}.pbs.sh``; Slurm: one array task per group). Folders
whose every run already has its model-metrics CSV are left out, and model-metrics itself skips
existing CSVs, so generating and submitting again only computes what is missing. Unlike the
original, ``--modulo`` has a working default (one group per pending folder, at most
:data:`DEFAULT_MODULO`), and nothing points at the original author's machine.
"""

from __future__ import annotations

import argparse
import fnmatch
import re
import shlex
import sys
from pathlib import Path
from typing import Any

from compress.argtypes import positive_int
from compress.cluster.jobs import (
    TEMPLATES_DIR,
    format_walltime,
    job_name,
    parse_memory_mb,
    parse_walltime,
    pbs_size,
    read_template,
    render_template,
    repository_root,
    slurm_time,
    write_script,
)
from compress.cluster.slurm import array_spec
from compress.errors import CompressError
from compress.experiments.layout import (
    CONFIG_FILE,
    METRICS_RESULT_PATTERN,
    MODEL_METRICS_DIR,
    STATISTICS_DIR,
    run_finished,
)
from compress.settings import Settings

DEFAULT_TEMPLATE = TEMPLATES_DIR / "model_metrics.job"
DEFAULT_MODULO = 8
DEFAULT_STATS_FORMAT = "statistics.{run}.csv.zip"


def _has(parser: argparse.ArgumentParser, flag: str) -> bool:
    return flag in parser._option_string_actions


def _add_common(parser: argparse.ArgumentParser, *, scheduler: str) -> argparse._ArgumentGroup:
    if not any(action.dest == "model_name" for action in parser._actions):
        parser.add_argument("model_name", help="model name, e.g. qat_quantized_lenet")
        parser.add_argument("model_path", help="checkpoint, e.g. qat.quantized_lenet.pth")
    group = parser.add_argument_group(f"model-metrics on {scheduler}")

    def add(*flags: str, **kwargs: Any) -> None:
        if not any(_has(parser, flag) for flag in flags):
            group.add_argument(*flags, **kwargs)

    add(
        "--experiment-path",
        default=None,
        help="folder of the (merged) sub-experiment folders (default $datastore/<experiment>)",
    )
    add(
        "--experiment",
        nargs="+",
        default=[],
        metavar="GLOB",
        help="only sub-experiment folders matching these globs (default: all)",
    )
    add(
        "-s",
        "--statistics-file-format",
        default=DEFAULT_STATS_FORMAT,
        help=f"statistics file pattern in train_statistics/fitness (default {DEFAULT_STATS_FORMAT})",
    )
    add(
        "--top",
        type=positive_int,
        default=1,
        help="evaluate the last N logged solutions per run (default 1)",
    )
    add("--batch-size", type=int, default=None, help="evaluation batch size")
    add("--num-workers", type=int, default=0, help="data loader workers")
    add("--dataset", default=None, help="dataset name (default: the bundled one)")
    add("--split", default=None, help="dataset split")
    add("-l", "--include-loss", action="store_true", help="also compute the loss")
    group.add_argument(
        "--modulo",
        type=positive_int,
        default=None,
        help=f"number of groups (default: pending folders, at most {DEFAULT_MODULO})",
    )
    group.add_argument("--modulo-group", type=int, default=None, help="generate only this group")
    group.add_argument(
        "--time-limit",
        "--walltime",
        dest="cluster_time_limit",
        default="24:00:00",
        help="walltime per job (default 24:00:00)",
    )
    group.add_argument("--cpu", type=positive_int, default=4, help="CPUs per job (default 4)")
    group.add_argument("--mem", default="8gb", help="memory per job (default 8gb)")
    group.add_argument(
        "--job-dir",
        type=Path,
        default=None,
        help="where the job scripts go (default <experiment-path>/model_metrics_jobs)",
    )
    group.add_argument(
        "--python",
        default=None,
        help="Python on the cluster nodes (default: this interpreter; $COMPRESS_PYTHON wins)",
    )
    group.add_argument(
        "--template-file",
        type=Path,
        default=DEFAULT_TEMPLATE,
        help="job template (default: the shipped one)",
    )
    return group


def add_pbs_arguments(parser: argparse.ArgumentParser, experiment_cls: Any = None) -> None:
    group = _add_common(parser, scheduler="PBS")
    group.add_argument(
        "--scratch-capacity", default="10gb", help="local scratch per job (default 10gb)"
    )


def add_slurm_arguments(parser: argparse.ArgumentParser, experiment_cls: Any = None) -> None:
    group = _add_common(parser, scheduler="Slurm")
    group.add_argument("--partition", default=None, help="Slurm partition")
    group.add_argument("--account", default=None, help="Slurm account")


def experiment_path_of(args: argparse.Namespace, settings: Settings, experiment: str) -> Path:
    if getattr(args, "experiment_path", None):
        return Path(args.experiment_path).resolve()
    return (settings.datastore / experiment).resolve()


def metrics_csv(experiment_path: Path, args: argparse.Namespace, sub: str, run: int) -> Path:
    """Where model-metrics writes one run's CSV (workflow spec §5 step 4)."""
    dataset = getattr(args, "dataset", None) or "default"
    split = getattr(args, "split", None) or "test"
    name = METRICS_RESULT_PATTERN.format(dataset=dataset, split=split, sub=sub, run=run)
    return experiment_path / MODEL_METRICS_DIR / name


def runs_of(folder: Path, pattern: str) -> list[int]:
    """Run numbers with a statistics file matching ``pattern`` (``{run}`` = the number)."""
    regex = re.compile("^" + re.escape(pattern).replace(re.escape("{run}"), r"(\d+)") + "$")
    fitness = folder / STATISTICS_DIR
    if not fitness.is_dir():
        return []
    return sorted(int(m.group(1)) for p in fitness.iterdir() if (m := regex.match(p.name)))


def pending_folders(experiment_path: Path, args: argparse.Namespace) -> list[str]:
    """Sub-experiment folders with at least one finished run lacking its model-metrics CSV."""
    if not experiment_path.is_dir():
        raise CompressError(
            f"experiment folder {experiment_path} does not exist; pass --experiment-path"
        )
    globs = list(getattr(args, "experiment", None) or []) or ["*"]
    pattern = getattr(args, "statistics_file_format", None) or DEFAULT_STATS_FORMAT
    pending = []
    for folder in sorted(p for p in experiment_path.iterdir() if p.is_dir()):
        if not (folder / CONFIG_FILE).is_file():
            continue
        if not any(fnmatch.fnmatch(folder.name, glob) for glob in globs):
            continue
        runs = [run for run in runs_of(folder, pattern) if run_finished(folder, run)]
        if any(not metrics_csv(experiment_path, args, folder.name, run).exists() for run in runs):
            pending.append(folder.name)
    return pending


def _groups(args: argparse.Namespace, pending: list[str]) -> dict[int, list[str]]:
    modulo = args.modulo if args.modulo is not None else min(DEFAULT_MODULO, len(pending))
    if modulo < 1:
        raise CompressError(f"--modulo must be at least 1, got {modulo}")
    groups = {g: [name for i, name in enumerate(pending) if i % modulo == g] for g in range(modulo)}
    if args.modulo_group is not None:
        if not 0 <= args.modulo_group < modulo:
            raise CompressError(f"--modulo-group must be in 0..{modulo - 1}")
        groups = {args.modulo_group: groups[args.modulo_group]}
    return {g: names for g, names in groups.items() if names}


def _metrics_args(args: argparse.Namespace) -> list[str]:
    words = ["-s", args.statistics_file_format, "--top", str(args.top)]
    if args.batch_size is not None:
        words += ["--batch-size", str(args.batch_size)]
    if args.num_workers:
        words += ["--num-workers", str(args.num_workers)]
    if args.dataset:
        words += ["--dataset", args.dataset]
    if args.split:
        words += ["--split", args.split]
    if args.include_loss:
        words.append("--include-loss")
    return words


def _values(
    args, settings, experiment: str, experiment_path: Path, groups: list[list[str]]
) -> dict:
    return {
        "compress_home": str(repository_root()),
        "python": args.python or sys.executable,
        "cgp_binary": str(settings.cgp),
        "experiment": experiment,
        "model_name": args.model_name,
        "model_path": str(args.model_path),
        "experiment_path": str(experiment_path),
        "metrics_args": shlex.join(_metrics_args(args)),
        "groups": "\n".join(f'    "{" ".join(names)}"' for names in groups),
    }


def _prepare(args, settings):
    from compress.cluster.prepare import experiment_name_of

    experiment = experiment_name_of(args)
    experiment_path = experiment_path_of(args, settings, experiment)
    pending = pending_folders(experiment_path, args)
    job_dir = (args.job_dir or experiment_path / "model_metrics_jobs").resolve()
    return experiment, experiment_path, pending, job_dir


def run_pbs(args: argparse.Namespace, settings: Settings) -> int:
    experiment, experiment_path, pending, job_dir = _prepare(args, settings)
    if not pending:
        print("every run already has its model-metrics results; nothing to do")
        return 0
    groups = _groups(args, pending)
    modulo = args.modulo if args.modulo is not None else min(DEFAULT_MODULO, len(pending))
    walltime = format_walltime(parse_walltime(args.cluster_time_limit))
    template = read_template(args.template_file)
    model = Path(str(args.model_name)).name
    scripts: dict[Path, tuple[str, int]] = {}
    for group, names in groups.items():
        directives = "\n".join(
            [
                f"#PBS -N {job_name(f'{experiment}_{model}_{group}_{modulo}', prefix='model_eval_')}",
                f"#PBS -l select=1:ncpus={args.cpu}:mem={pbs_size(args.mem)}:"
                f"scratch_local={pbs_size(args.scratch_capacity)}",
                f"#PBS -l walltime={walltime}",
            ]
        )
        values = {
            **_values(args, settings, experiment, experiment_path, [names]),
            "directives": directives,
        }
        script = job_dir / f"{experiment}_{model}_{group}_{modulo}.pbs.sh"
        scripts[script] = (render_template(template, values), len(names))
    # Every group rendered (and every option checked) before the first script is written.
    for script, (text, count) in scripts.items():
        write_script(script, text)
        print(f"{script}: {count} folder(s)")
    return 0


def run_slurm(args: argparse.Namespace, settings: Settings) -> int:
    experiment, experiment_path, pending, job_dir = _prepare(args, settings)
    if not pending:
        print("every run already has its model-metrics results; nothing to do")
        return 0
    groups = list(_groups(args, pending).values())
    directives = [
        f"#SBATCH --job-name={job_name(experiment, prefix='model_eval_')}",
        f"#SBATCH --array={array_spec(list(range(len(groups))))}",
        f"#SBATCH --time={slurm_time(parse_walltime(args.cluster_time_limit))}",
        f"#SBATCH --mem={parse_memory_mb(args.mem)}M",
        f"#SBATCH --cpus-per-task={args.cpu}",
        "#SBATCH --ntasks=1",
        f"#SBATCH --output={job_dir}/%x_%A_%a.out",
    ]
    if args.partition:
        directives.append(f"#SBATCH --partition={args.partition}")
    if args.account:
        directives.append(f"#SBATCH --account={args.account}")
    values = {
        **_values(args, settings, experiment, experiment_path, groups),
        "directives": "\n".join(directives),
    }
    script = job_dir / "model_metrics.sbatch"
    write_script(script, render_template(read_template(args.template_file), values))
    print(
        f"{script}: {len(groups)} group(s) over {len(pending)} folder(s); submit with sbatch {script}"
    )
    return 0
