"""Merge ``<name>_batch_<i>`` folders into one ``<name>`` folder, as the original's
``experiment.sh merge`` did, without losing anything.

Every finished run (one with a result config) of every batch is merged, including the finished
runs of a batch that failed later; unfinished runs are listed, never silently dropped or merged
half-done. Statistics are zipped as the original did, so ``model-metrics -s
"statistics.{run}.csv.zip"`` reads an ``all`` merge; a ``lean`` merge writes
``statistics.{run}.csv.chromosome.zip`` (header + last TOP rows) and
``statistics.{run}.csv.chromosomeless.zip`` (every row, chromosome blanked). Unlike the original,
result configs and weights are kept as they are (the evaluate action reads them) and each batch's
logs and job records go to ``logs/<batch>/``. The merged folder appears atomically (built beside
it, then renamed), and ``<name>.<mode>.zip`` archives it for transfer.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from compress.atomic import atomic_path
from compress.cluster.prepare import job_from_folder
from compress.engine.files import resolve_chromosome_deltas
from compress.errors import CompressError
from compress.experiments.layout import (
    CONFIG_FILE,
    GATE_PARAMETERS_CSV,
    GATE_PARAMETERS_TXT,
    STATISTICS_DIR,
    TRAIN_DATA,
    run_finished,
)

MODES = ("all", "lean")
TOP_FILES = (CONFIG_FILE, TRAIN_DATA, GATE_PARAMETERS_TXT, GATE_PARAMETERS_CSV)
LOG_FILES = (
    "jobs_info.txt",
    "exit_code",
    "complete",
    "stdout.log",
    "stderr.log",
    "train_stdout.txt",
    "train_stderr.txt",
)
_BATCH = re.compile(r"^(?P<name>.+)_batch_(?P<index>\d+)$")


@dataclass
class MergeReport:
    name: str
    folder: Path
    archive: Path | None
    merged_runs: list[int] = field(default_factory=list)
    failed_batches: dict[str, list[int]] = field(default_factory=dict)
    """Batch folder -> its unfinished runs."""

    def summary(self) -> str:
        lines = [
            f"{self.name}: merged runs {_ranges(self.merged_runs) or 'none'} into {self.folder}"
        ]
        for batch, runs in self.failed_batches.items():
            lines.append(
                f"{self.name}: FAILED {batch}: runs {_ranges(runs)} unfinished (not merged)"
            )
        if self.archive is not None:
            lines.append(f"{self.name}: archive {self.archive}")
        return "\n".join(lines)


def _ranges(numbers: list[int]) -> str:
    parts, numbers = [], sorted(numbers)
    for number in numbers:
        if parts and parts[-1][1] == number - 1:
            parts[-1][1] = number
        else:
            parts.append([number, number])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in parts)


def batch_groups(results: Path) -> dict[str, list[Path]]:
    """``name -> [batch folders in index order]`` for every ``<name>_batch_<i>`` under ``results``."""
    groups: dict[str, list[tuple[int, Path]]] = {}
    for path in Path(results).iterdir():
        match = _BATCH.match(path.name)
        if match and path.is_dir():
            groups.setdefault(match["name"], []).append((int(match["index"]), path))
    return {name: [p for _, p in sorted(items)] for name, items in sorted(groups.items())}


def _zip_single(source_text: bytes, inner_name: str, target: Path) -> None:
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(inner_name, source_text)


_QUOTED_LAST_FIELD = re.compile(r',"[^"]*"$')


def _lean_parts(text: str, top: int) -> tuple[str, str]:
    """(chromosome part: header + last ``top`` rows, chromosomeless part: every row with the
    chromosome, the last and quoted column, blanked), byte-identical to ``compress.sh stats``."""
    lines = text.splitlines()
    if not lines:
        return "", ""
    header, rows = lines[0], lines[1:]
    # The kept rows must stand alone: delta chromosomes become the full ones they stand for.
    kept = resolve_chromosome_deltas(rows, "statistics")[-top:] if top > 0 else []
    chromosome = "\n".join([header, *kept]) + "\n"
    blanked = [_QUOTED_LAST_FIELD.sub(',""', row) for row in rows]
    return chromosome, "\n".join([header, *blanked]) + "\n"


def merge_batches(
    results: Path, name: str, *, mode: str = "all", top: int = 10, archive: bool = True
) -> MergeReport:
    """Merge ``results/<name>_batch_*`` into ``results/<name>``; see the module docstring."""
    if mode not in MODES:
        raise CompressError(f"merge mode {mode!r} is not one of {', '.join(MODES)}")
    results = Path(results)
    batches = batch_groups(results).get(name)
    if not batches:
        raise CompressError(f"no {name}_batch_* folders in {results}")
    target = results / name
    building = results / f".{name}.merging"
    shutil.rmtree(building, ignore_errors=True)
    for sub in ("cgp_configs", STATISTICS_DIR, "weights", "logs"):
        (building / sub).mkdir(parents=True, exist_ok=True)
    report = MergeReport(name=name, folder=target, archive=None)
    seen: dict[int, str] = {}
    for batch in batches:
        job = job_from_folder(batch)
        for (
            top_file
        ) in TOP_FILES:  # later batches overwrite, as the original; the last owns most runs
            if (batch / top_file).is_file():
                shutil.copy2(batch / top_file, building / top_file)
        logs = building / "logs" / batch.name
        for log in LOG_FILES:
            if (batch / log).is_file():
                logs.mkdir(parents=True, exist_ok=True)
                shutil.copy2(batch / log, logs / log)
        unfinished = []
        for run in job.run_numbers:
            if not run_finished(batch, run):
                unfinished.append(run)
                continue
            if run in seen:
                raise CompressError(
                    f"run {run} appears in both {seen[run]} and {batch.name}; not merging"
                )
            seen[run] = batch.name
            _merge_run(batch, building, run, mode, top)
            report.merged_runs.append(run)
        if unfinished:
            report.failed_batches[batch.name] = unfinished
    _fix_run_count(building, max(seen, default=0), batches)
    _merged_sidecar(batches[-1], building, name)
    (building / "merge_report.txt").write_text(report.summary().replace(str(target), name) + "\n")
    old = results / f".{name}.old"
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    building.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    if archive:
        report.archive = _archive(target, results / f"{name}.{mode}.zip")
    return report


def _merge_run(batch: Path, target: Path, run: int, mode: str, top: int) -> None:
    fitness = batch / STATISTICS_DIR
    stats = fitness / f"statistics.{run}.csv"
    out = target / STATISTICS_DIR
    if stats.is_file():
        data = stats.read_bytes()
        if mode == "all":
            _zip_single(data, stats.name, out / f"{stats.name}.zip")
        else:
            chromosome, chromosomeless = _lean_parts(data.decode("utf-8", errors="replace"), top)
            _zip_single(
                chromosome.encode(),
                f"{stats.name}.chromosome",
                out / f"{stats.name}.chromosome.zip",
            )
            _zip_single(
                chromosomeless.encode(),
                f"{stats.name}.chromosomeless",
                out / f"{stats.name}.chromosomeless.zip",
            )
    else:  # already zipped by an earlier merge or by compress.sh
        for zipped in fitness.glob(f"statistics.{run}.csv*.zip"):
            shutil.copy2(zipped, out / zipped.name)
    for config in (batch / "cgp_configs").glob(f"cgp.{run}.config*"):
        shutil.copy2(config, target / "cgp_configs" / config.name)
    weights = batch / "weights" / f"weights.{run}.txt"
    if weights.is_file():
        shutil.copy2(weights, target / "weights" / weights.name)


def _fix_run_count(folder: Path, last_run: int, batches: list[Path]) -> None:
    """The merged config owns every run: ``number_of_runs`` = the last batch's end."""
    from compress.engine.config import CGPConfig

    config_path = folder / CONFIG_FILE
    if not config_path.is_file():
        return
    config = CGPConfig.load(config_path)
    end = max(job_from_folder(batch).end_run for batch in batches)
    config["number_of_runs"] = max(end, last_run)
    config.save(config_path)


def _merged_sidecar(last_batch: Path, folder: Path, name: str) -> None:
    """The merged folder's ``experiment.json``: the last batch's, as one unbatched folder."""
    from compress.engine.config import CGPConfig
    from compress.experiments.sidecar import read_sidecar, write_sidecar

    sidecar = read_sidecar(last_batch)
    if sidecar is None:
        return
    sidecar["sub_experiment"] = name
    sidecar.setdefault("factors", {})["batch"] = None
    config_path = folder / CONFIG_FILE
    if config_path.is_file():
        sidecar["engine_config"] = dict(CGPConfig.load(config_path).items())
    write_sidecar(folder, sidecar)


def _archive(folder: Path, target: Path) -> Path:
    with (
        atomic_path(target, mode=0o644) as tmp,
        zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive,
    ):
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, Path(folder.name) / path.relative_to(folder))
    return target


def merge_all(
    results: Path, *, mode: str = "all", top: int = 10, archive: bool = True
) -> list[MergeReport]:
    """Merge every batch group under ``results``."""
    groups = batch_groups(results)
    if not groups:
        raise CompressError(f"no *_batch_* folders in {results}")
    return [merge_batches(results, name, mode=mode, top=top, archive=archive) for name in groups]
