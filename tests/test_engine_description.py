"""One source of truth: what the Python side knows about the engine is what the engine says.

``bin/cgp describe --json`` lists config keys, exit codes, statistics columns and the function
set. These tests hold the committed copy (``compress/engine/engine_description.json``), the
Python option table built from it, the Python function set and the shared constants to what the
built engine reports, and check the function semantics on every int8 input pair.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import numpy as np
import pytest
from experiment_support import MODEL_NAME, REPO, model_path, run_cli

from compress.engine.description import DESCRIPTION_FILE, parse_description


@pytest.fixture(scope="module")
def live(cgp_binary):
    result = subprocess.run(
        [str(cgp_binary), "describe", "--json"], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


def test_committed_description_is_the_engines(live):
    committed = json.loads(DESCRIPTION_FILE.read_text(encoding="utf-8"))
    assert committed == live, (
        f"{DESCRIPTION_FILE.name} is stale: run `make engine-description` and commit it"
    )


def _subparser(command: str) -> argparse.ArgumentParser:
    from compress.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[command]


def test_python_engine_options_equal_the_engine_keys(live):
    """Every engine key is an option of train with the engine's flag, choices and range, except
    the file names the experiment layout writes itself."""
    from compress.engine.options import PYTHON_OPTIONS, python_default
    from compress.experiments.layout import ENVIRONMENT_PATHS

    parser = _subparser("layer_bypass:train")
    by_dest = {a.dest: a for a in parser._actions}
    description = parse_description(live)
    offered = set()
    for key in description.keys:
        if key.name in ENVIRONMENT_PATHS:
            assert key.name not in by_dest, f"{key.name} is set by the layout, not an option"
            continue
        action = by_dest.get(key.name)
        assert action is not None, f"engine key {key.name} has no Python option"
        offered.add(key.name)
        assert key.flag in action.option_strings
        assert action.default == python_default(key.name)
        if key.choices:
            assert sorted(action.choices) == sorted(key.choices)
        if key.name in PYTHON_OPTIONS and PYTHON_OPTIONS[key.name].parse is not None:
            continue  # a Python parser of its own (--time-budget 1:30); the engine checks range
        if key.minimum is not None and key.type in ("int", "uint"):
            low = int(key.minimum)
            assert action.type(str(low)) == low
            with pytest.raises(argparse.ArgumentTypeError):
                action.type(str(low - 1))
        if key.maximum is not None and key.type in ("int", "uint", "float"):
            with pytest.raises(argparse.ArgumentTypeError):
                action.type(repr(key.maximum * 2 + 1))
    layout_keys = {k.name for k in description.keys} & set(ENVIRONMENT_PATHS)
    assert offered | layout_keys == {k.name for k in description.keys}
    assert {"energy_mutation_max", "expected_value_min", "expected_value_max"} <= offered


def test_shared_constants_are_the_engines(live):
    from compress.engine.adapter import EXIT_CODE_MEANINGS, INTERRUPTED_EXIT_CODE
    from compress.engine.config import CLI_ONLY_KEYS
    from compress.engine.files import STATISTICS_COLUMNS
    from compress.errors import EngineInterrupted

    codes = {e["name"]: e["code"] for e in live["exit_codes"]}
    assert INTERRUPTED_EXIT_CODE == EngineInterrupted.exit_code == codes["interrupted"] == 33
    assert EXIT_CODE_MEANINGS == {e["code"]: e["meaning"] for e in live["exit_codes"]}
    assert tuple(live["statistics_columns"]) == STATISTICS_COLUMNS
    assert CLI_ONLY_KEYS == {k["name"] for k in live["keys"] if k["command_line_only"]}


def test_python_function_set_is_the_engines(live):
    from compress.energy.functions import BASE_FUNCTION_COUNT, FUNCTION_NAMES, arity

    engine = {f["id"]: f for f in live["functions"]}
    assert BASE_FUNCTION_COUNT == 27
    for function_id, name in enumerate(FUNCTION_NAMES):
        assert engine[function_id]["name"] == name
        assert engine[function_id]["arity"] == arity(function_id)


def test_function_semantics_on_every_input_pair(cgp_binary, tmp_path):
    """evaluate:chromosome of a one-column grid holding gates 0..26 on inputs (a, b), over all
    65,536 int8 pairs as dataset items, equals compress.energy.functions.apply."""
    from compress.energy.functions import BASE_FUNCTION_COUNT, apply, arity

    values = np.arange(-128, 128)
    a, b = (grid.ravel() for grid in np.meshgrid(values, values, indexing="ij"))
    items = len(a)
    zeros = " ".join(["0"] * BASE_FUNCTION_COUNT)
    lines = [f"{x} {y}\n{zeros}" for x, y in zip(a.tolist(), b.tolist(), strict=True)]
    (tmp_path / "train.data").write_text("\n".join(lines) + "\n")
    (tmp_path / "gates.txt").write_text("1 1 1 1 1\n" * BASE_FUNCTION_COUNT)
    (tmp_path / "eval.config").write_text(
        "\n".join(
            [
                "input_count: 2",
                f"output_count: {BASE_FUNCTION_COUNT}",
                "function_input_arity: 2",
                f"row_count: {BASE_FUNCTION_COUNT}",
                "col_count: 1",
                "look_back_parameter: 1",
                f"function_count: {BASE_FUNCTION_COUNT}",
                f"dataset_size: {items}",
                "input_file: train.data",
                "gate_parameters_file: gates.txt",
                "train_weights_file: weights.txt",
                "output_file: result.txt",
            ]
        )
        + "\n"
    )
    nodes = "".join(f"([{2 + f}]0,1,{f})" for f in range(BASE_FUNCTION_COUNT))
    outputs = ",".join(str(2 + f) for f in range(BASE_FUNCTION_COUNT))
    chromosome = (
        f"{{2,{BASE_FUNCTION_COUNT},1,{BASE_FUNCTION_COUNT},2,1,{items}}}{nodes}({outputs})"
    )
    subprocess.run(
        [str(cgp_binary), "evaluate:chromosome", "eval.config", chromosome],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    produced = np.loadtxt(tmp_path / "weights.txt", dtype=np.int64)
    assert produced.shape == (items, BASE_FUNCTION_COUNT)
    for function_id in range(BASE_FUNCTION_COUNT):
        operands = (a, b)[: arity(function_id)]
        expected = [apply(function_id, *pair) for pair in zip(*operands, strict=True)] or [
            apply(function_id)
        ] * items
        mismatches = np.flatnonzero(produced[:, function_id] != np.asarray(expected))
        assert mismatches.size == 0, (
            f"function {function_id}: first mismatch at a={a[mismatches[0]]}, b={b[mismatches[0]]}"
        )


def test_engine_help_prints_usage(cgp_binary, live):
    for flag in ("--help", "help", "-h"):
        result = subprocess.run([str(cgp_binary), flag], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("usage: cgp <command> <config>")
        for command in live["commands"]:
            assert command["name"] in result.stdout


def _help(command: list[str]) -> str:
    result = subprocess.run(
        [sys.executable, str(REPO / "cmd" / "compress" / "compress.py"), *command, "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def test_help_has_no_suppressed_lines():
    assert "==SUPPRESS==" not in _help([])


@pytest.mark.parametrize("command", ["layer_bypass:model-metrics", "layer_bypass:status"])
def test_reading_commands_list_no_engine_option(live, command):
    text = _help([command])
    engine_flags = [k["flag"] for k in live["keys"] if k["flag"]]
    listed = [flag for flag in engine_flags if f"{flag} " in text or f"{flag}\n" in text]
    assert listed == [], f"{command} --help lists engine options {listed}"
    assert "Cartesian Genetic Programming" not in text


def test_engine_only_keys_reach_the_config_from_the_cli(tmp_path):
    """--energy-mutation-max, --expected-value-min/max and the original's --e-fitness spelling
    given to layer_bypass:train end up in train_cgp.config."""
    result = run_cli(
        [
            "layer_bypass:train",
            MODEL_NAME,
            str(model_path()),
            "--experiment-env",
            str(tmp_path / "env"),
            "--mse-thresholds",
            "0",
            "--rows",
            "4",
            "--cols",
            "4",
            "--number-of-runs",
            "1",
            "--generation-count",
            "5",
            "--energy-mutation-max",
            "7",
            "--expected-value-min",
            "-100",
            "--expected-value-max",
            "100",
            "--e-fitness",
            "ae",
        ],
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    from compress.engine.config import CGPConfig

    (config_path,) = (tmp_path / "env").rglob("train_cgp.config")
    config = CGPConfig.load(config_path)
    assert config["energy_mutation_max"] == 7
    assert config["expected_value_min"] == -100
    assert config["expected_value_max"] == 100
    assert config["error_metric"] == "AE"
    assert "threads" not in config


@pytest.mark.parametrize(
    ("key", "text", "accepted"),
    [
        ("patience", "inf", None),
        ("patience", "5e3", 5000),
        ("mutation_max", "nan", None),
        ("mutation_max", "0.5", 0.5),
        ("mse_early_stop", "nan", "nan"),
        ("function_count", "30", None),
        ("mse_threshold", "inf", float("inf")),
        ("seed", "-1", None),
    ],
)
def test_option_types_refuse_what_the_engine_refuses(key, text, accepted):
    from compress.engine.description import engine_description
    from compress.engine.options import argument_type

    convert = argument_type(engine_description().key(key))
    if accepted is None:
        with pytest.raises(argparse.ArgumentTypeError):
            convert(text)
    elif accepted == "nan":
        assert convert(text) != convert(text)
    else:
        assert convert(text) == accepted
