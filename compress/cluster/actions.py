"""Experiment actions that fan out over a cluster, merged into the ``<experiment>:<action>`` table.

``compress.commands.experiment`` builds one parser per (experiment, action) from its own
``ACTIONS`` and this ``CLUSTER_ACTIONS``; each entry has the same shape as its ``Action``:
``name``, ``help``, ``add_arguments(parser, experiment_cls)`` and ``run(args, settings)``.

| action | what it does |
|---|---|
| ``train-pbs`` | prepare folders + ``train.pbs.sh`` per folder (``--array``: one PBS job array) |
| ``train-slurm`` | prepare folders + one ``train.sbatch`` job array and ``submit.sh`` |
| ``status`` | per folder: runs finished, running, failed, never started |
| ``merge`` | merge ``<name>_batch_*`` folders (``all``/``lean``), listing failed batches |
| ``resubmit`` | submit again every unfinished folder that is not running (resumes checkpoints) |
| ``model-metrics-pbs`` / ``model-metrics-slurm`` | model-metrics in modulo groups, one job each |
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from compress.argtypes import non_negative_int, positive_int
from compress.cluster import metrics_jobs
from compress.cluster.jobs import (
    CHECKPOINT_EVERY_S,
    CHECKPOINT_MARGIN_S,
    DEFAULT_PBS_TEMPLATE,
    DEFAULT_SLURM_TEMPLATE,
)
from compress.cluster.merge import MODES, batch_groups, merge_batches
from compress.cluster.pbs import PBS_ARRAY_SCRIPT, PBS_SCRIPT, PbsOptions, render_pbs_jobs
from compress.cluster.prepare import (
    experiment_env_of,
    experiment_name_of,
    plan_experiment,
    write_all_or_nothing,
)
from compress.cluster.slurm import SLURM_SCRIPT, SlurmOptions, entries_of, render_slurm_jobs, submit
from compress.cluster.status import experiment_status, format_status, record_submission
from compress.commands.action import DISCOVERY, FOLDER_SCOPE, Action
from compress.errors import CompressError
from compress.experiments.rerun import add_force_argument
from compress.settings import Settings

ClusterAction = Action
"""The cluster actions are plain experiment actions (:mod:`compress.commands.action`)."""


def _has(parser: argparse.ArgumentParser, flag_or_dest: str) -> bool:
    """Whether the experiment parser already defines an option (its common groups may)."""
    if flag_or_dest.startswith("-"):
        return flag_or_dest in parser._option_string_actions
    return any(action.dest == flag_or_dest for action in parser._actions)


def _add(group, parser: argparse.ArgumentParser, *flags: str, **kwargs) -> None:
    """Add an option unless the shared experiment options already provide it."""
    if any(_has(parser, flag) for flag in flags):
        return
    group.add_argument(*flags, **kwargs)


def _add_positionals(parser: argparse.ArgumentParser) -> None:
    if not _has(parser, "model_name"):
        parser.add_argument("model_name", help="model name, e.g. qat_quantized_lenet")
        parser.add_argument(
            "model_path", help="checkpoint, e.g. qat.quantized_lenet.pth (datastore fallback)"
        )


def _add_batches(group, parser) -> None:
    _add(
        group,
        parser,
        "-b",
        "--batches",
        type=int,
        default=None,
        help="split each sub-experiment's runs into N folders <name>_batch_<i>, one job each",
    )
    _add(
        group,
        parser,
        "--multiplex",
        action="store_true",
        help="allow multiplexer gates (multi-item datasets)",
    )


def _add_job_common(group, parser, *, memory: str) -> None:
    group.add_argument(
        "--time-limit",
        "--walltime",
        dest="cluster_time_limit",
        required=True,
        metavar="HH:MM:SS",
        help="walltime of each job, e.g. 48:00:00 (the engine checkpoints shortly before it)",
    )
    group.add_argument("--mem", default=memory, help=f"memory per job, e.g. 2gb (default {memory})")
    group.add_argument(
        "--cpu",
        type=positive_int,
        default=None,
        help="CPUs per job = engine threads, stated in the job script "
        "(default: --threads when not 0, else the config's population_max, as the original)",
    )
    group.add_argument(
        "--checkpoint-margin",
        type=non_negative_int,
        default=CHECKPOINT_MARGIN_S,
        metavar="S",
        help=f"stop and checkpoint S seconds before the time limit (default {CHECKPOINT_MARGIN_S})",
    )
    _add(
        group,
        parser,
        "--checkpoint-every",
        type=positive_int,
        default=None,
        metavar="S",
        help=f"also checkpoint every S seconds, bounding work lost to a hard kill (default {CHECKPOINT_EVERY_S})",
    )
    group.add_argument(
        "--submit", action="store_true", help="submit the jobs right away (qsub/sbatch)"
    )
    add_force_argument(group)


# -- train-pbs -----------------------------------------------------------------------------------
def add_train_pbs_arguments(parser: argparse.ArgumentParser, experiment_cls: Any = None) -> None:
    _add_positionals(parser)
    group = parser.add_argument_group("PBS Metacentrum")
    _add_job_common(group, parser, memory="2gb")
    group.add_argument(
        "--template-pbs-file",
        type=Path,
        default=DEFAULT_PBS_TEMPLATE,
        help="job template (default: the shipped compress/experiments/job.pbs)",
    )
    group.add_argument(
        "--scratch-capacity", default="1gb", help="local scratch per job (default 1gb)"
    )
    group.add_argument(
        "--experiments-folder",
        default="experiments_folder",
        help="folder in the cluster workspace holding the prepared folders (default experiments_folder)",
    )
    group.add_argument(
        "--results-folder",
        default="results",
        help="folder in the cluster workspace for results (default results)",
    )
    group.add_argument(
        "--cgp-folder",
        default="cgp_cpp_project",
        help="engine project in the cluster workspace, built once with compile_cgp.pbs.sh (default cgp_cpp_project)",
    )
    group.add_argument(
        "--array",
        action="store_true",
        help=f"also write {PBS_ARRAY_SCRIPT}: one job array (qsub -J 0-N) over all folders",
    )
    _add_batches(group, parser)


def _job_options(args: argparse.Namespace) -> dict[str, Any]:
    """The job settings PBS and Slurm share (``_add_job_common``'s options)."""
    return {
        "time_limit": args.cluster_time_limit,
        "mem": args.mem,
        "cpu": args.cpu,
        "threads": getattr(args, "threads", None),
        "checkpoint_every": args.checkpoint_every or CHECKPOINT_EVERY_S,
        "checkpoint_margin": args.checkpoint_margin,
    }


def run_train_pbs(args: argparse.Namespace, settings: Settings) -> int:
    plan = plan_experiment(args, settings)
    experiment, top, jobs = plan.name, plan.top, plan.jobs
    options = PbsOptions(
        **_job_options(args),
        template=args.template_pbs_file,
        scratch_capacity=args.scratch_capacity,
        experiments_folder=args.experiments_folder,
        results_folder=args.results_folder,
        cgp_folder=args.cgp_folder,
        array=args.array,
    )
    scripts = write_all_or_nothing(plan, render_pbs_jobs(experiment, top, jobs, options, settings))
    print(f"wrote {len(jobs)} job folder(s) under {top}")
    print(f"copy {top} into <workspace>/{args.experiments_folder}/ on the cluster, then:")
    if args.array:
        print(f"  qsub {PBS_ARRAY_SCRIPT}   (in {experiment}/; one array of {len(jobs)} tasks)")
    else:
        print(f"  resub.sh   (or qsub {PBS_SCRIPT} in each folder)")
    if args.submit:
        _qsub(scripts[-1:] if args.array else scripts)
    return 0


def _qsub(scripts: list[Path]) -> None:
    """``qsub`` each script from its folder; record the job id in the folders it runs
    (an array's subjob ``N[i]`` in the i-th folder), so a queued job is not submitted twice."""
    if shutil.which("qsub") is None:
        raise CompressError("qsub not found: --submit works on a PBS front-end only")
    for script in scripts:
        result = subprocess.run(
            ["qsub", script.name], cwd=script.parent, capture_output=True, text=True
        )
        if result.returncode != 0:
            raise CompressError(f"qsub {script} failed: {result.stderr.strip()}")
        job_id = result.stdout.strip()
        print(job_id)
        if script.name != PBS_ARRAY_SCRIPT:
            record_submission(script.parent, job_id)
            continue
        for index, entry in enumerate(entries_of(script)):
            subjob = job_id.replace("[]", f"[{index}]")  # a one-folder "array" is a plain job
            record_submission(script.parent / Path(entry.folder).name, subjob)


# -- train-slurm ---------------------------------------------------------------------------------
def add_train_slurm_arguments(parser: argparse.ArgumentParser, experiment_cls: Any = None) -> None:
    _add_positionals(parser)
    group = parser.add_argument_group("Slurm")
    _add_job_common(group, parser, memory="2gb")
    group.add_argument(
        "--template-sbatch-file",
        type=Path,
        default=DEFAULT_SLURM_TEMPLATE,
        help="job template (default: the shipped compress/experiments/job.sbatch)",
    )
    group.add_argument(
        "--partition", default=None, help="Slurm partition (default: the cluster's default)"
    )
    group.add_argument("--account", default=None, help="Slurm account to charge")
    group.add_argument(
        "--max-parallel", type=positive_int, default=None, help="run at most N array tasks at once"
    )
    group.add_argument(
        "--cgp-binary",
        type=Path,
        default=None,
        help="engine binary the jobs run, on the shared file system (default: .env cgp, i.e. bin/cgp)",
    )
    _add_batches(group, parser)


def run_train_slurm(args: argparse.Namespace, settings: Settings) -> int:
    plan = plan_experiment(args, settings)
    experiment, top, jobs = plan.name, plan.top, plan.jobs
    binary = (args.cgp_binary or settings.cgp).resolve()
    options = SlurmOptions(
        **_job_options(args),
        template=args.template_sbatch_file,
        partition=args.partition,
        account=args.account,
        max_parallel=args.max_parallel,
    )
    script, _ = write_all_or_nothing(
        plan, render_slurm_jobs(experiment, top, jobs, options, binary)
    )
    (top / "slurm_logs").mkdir(exist_ok=True)
    print(f"wrote {len(jobs)} job folder(s) and {script}")
    if args.submit:
        print(f"submitted array job {submit(top)}")
    else:
        print(f"submit with: {top / 'submit.sh'}")
    return 0


# -- status / merge / resubmit -------------------------------------------------------------------
def _add_folder(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--folder",
        type=Path,
        default=None,
        help=f"{what} (default <experiment-env>/<experiment>, where train-pbs/train-slurm wrote)",
    )


def _folder(args: argparse.Namespace, settings: Settings) -> Path:
    if args.folder is not None:
        return args.folder
    return experiment_env_of(args, settings, writable=False) / experiment_name_of(args)


def add_status_arguments(parser: argparse.ArgumentParser, experiment_cls: Any = None) -> None:
    _add_folder(parser, "experiment folder holding the job folders")
    parser.add_argument(
        "--results",
        type=Path,
        default=None,
        help="PBS: the results folder of the same experiment (runs are read there, job markers in --folder)",
    )
    parser.add_argument(
        "--no-scheduler",
        action="store_true",
        help="trust the marker files, do not ask squeue/qstat",
    )


def run_status(args: argparse.Namespace, settings: Settings) -> int:
    statuses = experiment_status(
        _folder(args, settings), results=args.results, ask_scheduler=not args.no_scheduler
    )
    print(format_status(statuses))
    return 0


def add_merge_arguments(parser: argparse.ArgumentParser, experiment_cls: Any = None) -> None:
    _add_folder(parser, "results folder holding the <name>_batch_* folders")
    parser.add_argument(
        "--name", default=None, help="merge only <name>_batch_* (default: every batch group)"
    )
    parser.add_argument(
        "--mode", choices=MODES, default="all", help="all: statistics.{run}.csv.zip; lean: split"
    )
    parser.add_argument(
        "--top",
        type=positive_int,
        default=10,
        help="lean mode: rows kept with chromosomes (default 10)",
    )
    parser.add_argument("--no-archive", action="store_true", help="do not write <name>.<mode>.zip")


def run_merge(args: argparse.Namespace, settings: Settings) -> int:
    folder = _folder(args, settings)
    names = [args.name] if args.name else list(batch_groups(folder))
    if not names:
        raise CompressError(f"no *_batch_* folders in {folder}")
    failed = False
    for name in names:
        report = merge_batches(
            folder, name, mode=args.mode, top=args.top, archive=not args.no_archive
        )
        print(report.summary())
        failed = failed or bool(report.failed_batches)
    return 1 if failed else 0


def add_resubmit_arguments(parser: argparse.ArgumentParser, experiment_cls: Any = None) -> None:
    _add_folder(parser, "experiment folder holding the job folders")
    parser.add_argument(
        "--scheduler",
        choices=["auto", "pbs", "slurm"],
        default="auto",
        help=f"auto: slurm when {SLURM_SCRIPT} exists, else pbs",
    )
    parser.add_argument("--dry-run", action="store_true", help="only list what would be submitted")


def run_resubmit(args: argparse.Namespace, settings: Settings) -> int:
    folder = _folder(args, settings)
    statuses = experiment_status(folder)
    pending = [s for s in statuses if s.needs_submission]
    if not pending:
        print("nothing to resubmit: every folder is finished or running")
        return 0
    scheduler = args.scheduler
    if scheduler == "auto":
        scheduler = "slurm" if (folder / SLURM_SCRIPT).is_file() else "pbs"
    for status in pending:
        print(
            f"resubmit {status.name} ({status.job}; resumable runs: {status.resumable or 'none'})"
        )
    if args.dry_run:
        return 0
    if scheduler == "slurm":
        index = {
            Path(entry.folder).name: i for i, entry in enumerate(entries_of(folder / SLURM_SCRIPT))
        }
        missing = [s.name for s in pending if s.name not in index]
        if missing:
            raise CompressError(
                f"{', '.join(missing)} not in {folder / SLURM_SCRIPT}; regenerate with train-slurm"
            )
        print(f"submitted array job {submit(folder, [index[s.name] for s in pending])}")
    else:
        _qsub([(s.job_folder or s.folder) / PBS_SCRIPT for s in pending])
    return 0


CLUSTER_ACTIONS: dict[str, ClusterAction] = {
    action.name: action
    for action in (
        ClusterAction(
            "train-pbs",
            "prepare every sub-experiment (or batch) folder with a PBS job script train.pbs.sh",
            add_train_pbs_arguments,
            run_train_pbs,
        ),
        ClusterAction(
            "train-slurm",
            "prepare every sub-experiment (or batch) folder and one Slurm job array train.sbatch",
            add_train_slurm_arguments,
            run_train_slurm,
        ),
        ClusterAction(
            "status",
            "runs finished, running, failed and never started, per job folder",
            add_status_arguments,
            run_status,
            needs_model=False,
            scope=FOLDER_SCOPE,
        ),
        ClusterAction(
            "merge",
            "merge <name>_batch_* folders into <name> (zipped statistics), listing failed batches",
            add_merge_arguments,
            run_merge,
            needs_model=False,
            scope=FOLDER_SCOPE,
        ),
        ClusterAction(
            "resubmit",
            "submit again every unfinished job folder that is not running (resumes from checkpoints)",
            add_resubmit_arguments,
            run_resubmit,
            needs_model=False,
            scope=FOLDER_SCOPE,
        ),
        ClusterAction(
            "model-metrics-pbs",
            "PBS jobs running model-metrics in modulo groups of sub-experiments",
            metrics_jobs.add_pbs_arguments,
            metrics_jobs.run_pbs,
            scope=frozenset({DISCOVERY}),
        ),
        ClusterAction(
            "model-metrics-slurm",
            "a Slurm job array running model-metrics in modulo groups of sub-experiments",
            metrics_jobs.add_slurm_arguments,
            metrics_jobs.run_slurm,
            scope=frozenset({DISCOVERY}),
        ),
    )
}

__all__ = ["CLUSTER_ACTIONS", "ClusterAction"]

if __name__ == "__main__":  # pragma: no cover - a quick listing for maintainers
    for name, action in CLUSTER_ACTIONS.items():
        print(f"{name:20s} {action.help}", file=sys.stdout)
