"""Where a circuit comes from: a chromosome string, ``@file``, or an experiment run's best solution.

An experiment run (a sub-experiment folder and a 1-based run number) also supplies what a bare
chromosome lacks: the config's function output arity and constants, the training data whose
inputs a simulation applies, the engine's weights file to compare with, and the
``gate_parameters.txt`` the run was costed with.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from compress.circuit.chromosome import Circuit, parse_chromosome, read_chromosome_text
from compress.engine.config import CGPConfig
from compress.engine.files import result_chromosome
from compress.errors import CompressError

CONFIG_FILE = "train_cgp.config"


@dataclass(frozen=True)
class CircuitSource:
    """A circuit and the files that belong to it (``None`` when the source has none)."""

    circuit: Circuit
    label: str
    """Human description for headers and messages, e.g. ``mse_0.0_40_10 run 1``."""
    name: str
    """Default module/function name."""
    data_path: Path | None = None
    weights_path: Path | None = None
    gate_parameters_path: Path | None = None


def _run_file(folder: Path, config: CGPConfig, key: str, default: str, run: int) -> Path:
    template = str(config.get(key) or default)
    if template.startswith("#"):
        template = default
    path = Path(template.replace("{run}", str(run)))
    return path if path.is_absolute() else folder / path


def load_circuit(
    argument: str,
    run: int | None = None,
    *,
    output_arity: int | None = None,
    value_min: int | None = None,
    value_max: int | None = None,
) -> CircuitSource:
    """Resolve the ``CIRCUIT [RUN]`` arguments of the circuit commands.

    A directory is a sub-experiment folder and needs ``run``; anything else is a chromosome
    (``@path`` reads it from a file). Explicit ``output_arity``/``value_min``/``value_max``
    override what the folder's config says (defaults 1, −128, 127).
    """
    path = Path(argument).expanduser()
    if not argument.startswith("@") and path.is_dir():
        return _load_run(path, run, output_arity, value_min, value_max)
    if not argument.startswith("@") and not argument.lstrip().startswith("{"):
        raise CompressError(
            f"CIRCUIT {argument[:80]!r} is neither a chromosome string ({{in,out,...}}(...)...), "
            "an @file holding one, nor an existing sub-experiment folder"
        )
    if run is not None:
        raise CompressError(
            f"a run number ({run}) only goes with a sub-experiment folder; {argument[:60]!r} "
            "is not a folder"
        )
    text, label = read_chromosome_text(argument)
    circuit = parse_chromosome(
        text,
        output_arity=output_arity or 1,
        value_min=-128 if value_min is None else value_min,
        value_max=127 if value_max is None else value_max,
        source=label,
    )
    name = Path(label).stem if label != "chromosome" else "circuit"
    return CircuitSource(circuit, label, name)


def _load_run(
    folder: Path,
    run: int | None,
    output_arity: int | None,
    value_min: int | None,
    value_max: int | None,
) -> CircuitSource:
    config_path = folder / CONFIG_FILE
    if not config_path.is_file():
        raise CompressError(
            f"{folder} is not a sub-experiment folder (no {CONFIG_FILE}); pass the folder of "
            "one sub-experiment, e.g. <experiment>/mse_0.0_256_31"
        )
    config = CGPConfig.load(config_path)
    if run is None:
        raise CompressError(f"give the run number after {folder} (runs are numbered from 1)")
    if run < 1:
        raise CompressError(f"run numbers start at 1, got {run}")
    result = _run_file(folder, config, "output_file", "cgp_configs/cgp.{run}.config", run)
    chromosome = result_chromosome(result)
    if chromosome is None:
        raise CompressError(
            f"run {run} of {folder} has no best solution yet ({result} is missing or has no "
            "best_solution line); has the run finished?"
        )
    label = f"{folder.name} run {run}"
    circuit = parse_chromosome(
        chromosome,
        output_arity=output_arity or config.get_int("function_output_arity", 1),
        value_min=config.get_int("expected_value_min", -128) if value_min is None else value_min,
        value_max=config.get_int("expected_value_max", 127) if value_max is None else value_max,
        source=f"{result} best_solution",
    )
    items = config.get_int("dataset_size", circuit.dataset_size)
    if items != circuit.dataset_size:
        # The engine evaluates with the config's dataset size; the header field is informational.
        circuit = dataclasses.replace(circuit, dataset_size=items)
    data = _run_file(folder, config, "input_file", "train.data", run)
    weights = _run_file(folder, config, "train_weights_file", "weights/weights.{run}.txt", run)
    gates = _run_file(folder, config, "gate_parameters_file", "gate_parameters.txt", run)
    return CircuitSource(
        circuit,
        label,
        f"{folder.name}_run{run}",
        data_path=data,
        weights_path=weights,
        gate_parameters_path=gates if gates.is_file() else None,
    )
