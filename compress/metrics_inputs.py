"""What a model-metrics result was computed from, recorded beside it and checked on every rerun.

The result file name (``{dataset}.{split}.{sub}.{run}.csv``, the original's) does not say which
checkpoint, ``--top``, statistics file or loss setting made it. Each CSV therefore gets
``<csv>.inputs.json``; a rerun whose inputs differ from the record (or finds a CSV without one)
refuses with the differences and a ``--force`` hint instead of returning the old numbers, and
``--force`` moves the old files into ``model_metrics/superseded/<UTC time>/`` and recomputes.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from compress.atomic import write_text_atomic
from compress.errors import CompressError
from compress.experiments.layout import SUPERSEDED_DIR, SubExperimentPaths
from compress.experiments.sidecar import sha256_file, toolkit_info, utc_now

INPUTS_SUFFIX = ".inputs.json"
COMPARED = (
    "checkpoint_sha256",
    "dataset",
    "split",
    "top",
    "statistics_file",
    "statistics_sha256",
    "train_data_sha256",
    "include_loss",
    "image_limit",
    "wire_energy_pj_per_output",
    "allow_model_mismatch",
    "toolkit_version",
)


def add_metrics_input_arguments(group) -> None:
    group.add_argument(
        "--force",
        action="store_true",
        help="when a result exists but was computed from other inputs, move it into "
        f"model_metrics/{SUPERSEDED_DIR}/<time>/ and compute it again",
    )
    group.add_argument(
        "--allow-model-mismatch",
        action="store_true",
        help="measure even when the checkpoint's weights differ from the ones the experiment "
        "was built from (recorded in each result's inputs)",
    )


def inputs_path(output: Path) -> Path:
    return output.with_name(output.name + INPUTS_SUFFIX)


def result_inputs(
    args: argparse.Namespace,
    model: dict[str, Any],
    folder: Path,
    run: int,
    statistics: Path,
    mismatch: list[str],
) -> dict[str, Any]:
    """The inputs of one (sub-experiment, run) result."""
    return {
        "model_name": model.get("name"),
        "checkpoint": model.get("checkpoint"),
        "checkpoint_sha256": model.get("sha256"),
        "dataset": args.dataset or "default",
        "split": args.split or "test",
        "top": args.top,
        "run": run,
        "statistics_file": statistics.relative_to(folder).as_posix(),
        "statistics_sha256": sha256_file(statistics),
        "train_data_sha256": sha256_file(SubExperimentPaths(folder).train_data),
        "include_loss": bool(args.include_loss),
        "image_limit": getattr(args, "limit", None),
        "wire_energy_pj_per_output": getattr(args, "wire_energy_pj_per_output", None),
        "allow_model_mismatch": bool(getattr(args, "allow_model_mismatch", False)),
        "model_mismatch": mismatch,
        "toolkit_version": toolkit_info()["version"],
        "toolkit_revision": toolkit_info()["revision"],
    }


def stale_differences(output: Path, inputs: dict[str, Any]) -> list[str]:
    """Why an existing result does not answer ``inputs`` (empty: it does and can be kept)."""
    record = inputs_path(output)
    if not record.is_file():
        return ["no record of the inputs it was computed from (an earlier or the original's file)"]
    try:
        recorded = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        return [f"unreadable {record.name}: {error}"]
    return [
        f"{key}: {recorded.get(key)} → {inputs.get(key)}"
        for key in COMPARED
        if recorded.get(key) != inputs.get(key)
    ]


def refuse_stale(stale: dict[Path, list[str]], output_dir: Path) -> None:
    lines = [f"model-metrics: {len(stale)} existing result(s) were computed from other inputs:"]
    for output, differences in stale.items():
        lines.append(f"  {output.name}: " + "; ".join(differences))
    lines.append(
        f"  pass --force to move them into {output_dir / SUPERSEDED_DIR}/<time>/ and compute "
        "them again, or point --experiment-env at a copy"
    )
    raise CompressError("\n".join(lines))


def supersede_results(outputs: list[Path], output_dir: Path) -> Path:
    """Move old results (and their records) into ``superseded/<time>/``; returns that folder."""
    target = output_dir / SUPERSEDED_DIR / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target.mkdir(parents=True, exist_ok=True)
    for output in outputs:
        for path in (output, inputs_path(output)):
            if path.exists():
                path.rename(target / path.name)
    return target


def write_inputs(output: Path, inputs: dict[str, Any]) -> None:
    record = dict(inputs, created=utc_now())
    write_text_atomic(inputs_path(output), json.dumps(record, indent=2) + "\n")
