"""PBS (OpenPBS / PBS Pro, MetaCentrum) job scripts: ``train.pbs.sh`` per folder, optional array.

Each prepared folder gets ``train.pbs.sh`` (the original's layout), and with ``--array`` the
experiment folder also gets ``train_array.pbs.sh``: one job array (``#PBS -J 0-N``) whose task
``$PBS_ARRAY_INDEX`` runs the N-th folder. Paths inside the scripts are relative to the cluster
workspace (``/storage/<server>/home/<user>/cgp_workspace`` from ``.env`` ``pbs_server`` and
``pbs_username``, else ``$PBS_O_HOME/cgp_workspace``; ``$CGP_WORKSPACE`` wins at run time), so nothing
user- or site-specific is baked in.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from compress.cluster.jobs import (
    CHECKPOINT_EVERY_S,
    CHECKPOINT_MARGIN_S,
    DEFAULT_PBS_TEMPLATE,
    JobEntry,
    engine_threads,
    format_walltime,
    job_name,
    parse_walltime,
    pbs_size,
    read_template,
    render_template,
    write_script,
)
from compress.cluster.prepare import PreparedJob
from compress.experiments.layout import FINISHED_RUN_SHELL
from compress.settings import Settings

PBS_SCRIPT = "train.pbs.sh"
PBS_ARRAY_SCRIPT = "train_array.pbs.sh"


@dataclass(frozen=True)
class PbsOptions:
    time_limit: str
    template: Path = DEFAULT_PBS_TEMPLATE
    mem: str = "2gb"
    scratch_capacity: str = "1gb"
    cpu: int | None = None
    threads: int | None = None
    experiments_folder: str = "experiments_folder"
    results_folder: str = "results"
    cgp_folder: str = "cgp_cpp_project"
    array: bool = False
    cgp_args: tuple[str, ...] = ()
    checkpoint_every: int = CHECKPOINT_EVERY_S
    checkpoint_margin: int = CHECKPOINT_MARGIN_S


def workspace(settings: Settings) -> str:
    """The cluster workspace path as the script should spell it."""
    if settings.pbs_server and settings.pbs_username:
        return f"/storage/{settings.pbs_server}/home/{settings.pbs_username}/cgp_workspace"
    # PBS_O_HOME is the home on the submission host, which MetaCentrum nodes see at the same path.
    return "${PBS_O_HOME:-$HOME}/cgp_workspace"


def cpus_for(job: PreparedJob, options: PbsOptions) -> int:
    """The job's ncpus, which is also the engine's thread count (:func:`engine_threads`)."""
    return engine_threads(job.folder, job.population_max, options.cpu, options.threads)


def render_pbs_jobs(
    experiment: str, top: Path, jobs: list[PreparedJob], options: PbsOptions, settings: Settings
) -> dict[Path, str]:
    """``train.pbs.sh`` of every job folder (and the array script), rendered in memory.

    Every option is checked here, before any folder or script is written.
    """
    walltime = parse_walltime(options.time_limit)
    template = read_template(options.template)
    include = (Path(options.template).parent,)
    common = {
        "time_limit": format_walltime(walltime),
        "walltime_seconds": walltime,
        "checkpoint_margin": min(options.checkpoint_margin, walltime // 4),
        "checkpoint_every": options.checkpoint_every,
        "run_finished_function": FINISHED_RUN_SHELL,
        "workspace": workspace(settings),
        "server": settings.pbs_server or "",
        "username": settings.pbs_username or "",
        "experiments_folder": options.experiments_folder,
        "results_folder": options.results_folder,
        "cgp_cpp_project": options.cgp_folder,
        "cgp_args": shlex.join(options.cgp_args),
    }
    mem, scratch = pbs_size(options.mem), pbs_size(options.scratch_capacity)
    scripts: dict[Path, str] = {}
    for job in jobs:
        cpu = cpus_for(job, options)
        entry = JobEntry(f"{experiment}/{job.name}", job.start_run, job.end_run)
        values = {
            **common,
            "job_name": job_name(f"{experiment}/{job.name}"),
            "machine": f"select=1:ncpus={cpu}:mem={mem}:scratch_local={scratch}",
            "cpu": cpu,
            "array_directive": "",
            "jobs": entry.line(),
            "experiment": entry.folder,
        }
        scripts[job.folder / PBS_SCRIPT] = render_template(template, values, include_from=include)
    if options.array:
        cpu = max(cpus_for(job, options) for job in jobs)
        entries = [JobEntry(f"{experiment}/{job.name}", job.start_run, job.end_run) for job in jobs]
        values = {
            **common,
            "job_name": job_name(experiment),
            "machine": f"select=1:ncpus={cpu}:mem={mem}:scratch_local={scratch}",
            "cpu": cpu,
            # PBS Pro refuses an array of one subjob; a single folder runs as a plain job.
            "array_directive": f"#PBS -J 0-{len(entries) - 1}" if len(entries) > 1 else "",
            "jobs": "\n".join(entry.line() for entry in entries),
            "experiment": experiment,
        }
        scripts[top / PBS_ARRAY_SCRIPT] = render_template(template, values, include_from=include)
    return scripts


def write_pbs_jobs(
    experiment: str, top: Path, jobs: list[PreparedJob], options: PbsOptions, settings: Settings
) -> list[Path]:
    """Write ``train.pbs.sh`` into every (existing) job folder and the array script."""
    scripts = render_pbs_jobs(experiment, top, jobs, options, settings)
    return [write_script(path, text) for path, text in scripts.items()]
