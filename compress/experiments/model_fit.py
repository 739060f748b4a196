"""Does a model checkpoint fit an experiment? Its weights against the ones the circuits were built for.

Circuits evolved for one checkpoint's weights mean nothing injected into another: their error is
measured against weights the network no longer has. A sub-experiment's ``train.data`` holds the
int8 values it was built from; the sidecar holds the checkpoint's sha256. The same sha256 fits;
otherwise every weight the experiment selects is compared with ``train.data``, per layer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from compress.engine.files import read_train_data
from compress.errors import CompressError
from compress.experiments.layout import SubExperimentPaths
from compress.experiments.sidecar import read_sidecar
from compress.experiments.sub_experiment import SubExperiment
from compress.selection import Values, flat_positions, select_values


def weight_differences(sub: SubExperiment, folder: Path) -> dict[str, tuple[int, int]]:
    """Layer -> (weights that differ from ``train.data``, weights compared), distinct positions."""
    config = sub.config
    data = read_train_data(
        SubExperimentPaths(folder).train_data,
        config.get_int("input_count"),
        config.get_int("output_count"),
        config.get_int("dataset_size", 1),
    )
    weights = sub.layer_weights()
    differing: dict[str, set[int]] = {}
    compared: dict[str, set[int]] = {}
    for combination, item in zip(sub.combinations, data.items, strict=False):
        offsets = {"inp": 0, "out": 0}
        recorded = {"inp": list(item.inputs), "out": list(item.outputs)}
        for selector in combination:
            for side in ("inp", "out"):
                for part in getattr(selector, side):
                    tensor = weights.get(selector.layer)
                    values = select_values(tensor, part, selector.layer)
                    start = offsets[side]
                    offsets[side] += len(values)
                    if isinstance(part, Values):
                        continue
                    saved = recorded[side][start : start + len(values)]
                    positions = flat_positions(tuple(tensor.shape), part)[: len(saved)]
                    now = np.asarray(values[: len(saved)])
                    compared.setdefault(selector.layer, set()).update(positions.tolist())
                    changed = positions[now != np.asarray(saved, dtype=now.dtype)]
                    differing.setdefault(selector.layer, set()).update(changed.tolist())
    return {
        layer: (len(differing.get(layer, ())), len(positions))
        for layer, positions in compared.items()
    }


def model_mismatch(sub: SubExperiment, folder: Path) -> list[str]:
    """One line per layer whose weights differ from the ones ``sub`` was built from (empty: fits)."""
    sidecar = read_sidecar(folder) or {}
    built_from = (sidecar.get("model") or {}).get("sha256")
    if built_from and built_from == sub.experiment.model_identity().get("sha256"):
        return []
    return [
        f"{layer}: {count} of {total} weights differ"
        for layer, (count, total) in weight_differences(sub, folder).items()
        if count
    ]


def check_model_fits(sub: SubExperiment, folder: Path, *, allow: bool) -> list[str]:
    """Refuse a checkpoint that does not fit ``sub`` (unless ``allow``); returns the mismatch."""
    mismatch = model_mismatch(sub, folder)
    if mismatch and not allow:
        checkpoint = sub.experiment.model_identity().get("checkpoint")
        raise CompressError(
            f"{sub.name}: checkpoint {checkpoint} does not hold the weights this experiment was "
            f"built from ({'; '.join(mismatch)}, against {folder / 'train.data'}); use the "
            "experiment's checkpoint, or pass --allow-model-mismatch to measure anyway"
        )
    return mismatch
