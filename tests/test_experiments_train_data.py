"""Every experiment's ``train.data`` from the committed QAT LeNet-5, checked against the spec.

The expected values are derived here independently of ``compress.selection``: plain loops over
the weight tensor in the order of workflow spec §1.5 (selector-major, then filter, channel, row,
col; the outer ring as its eight position groups).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from experiment_support import (
    MODEL_NAME,
    ORIGINAL_README_LE_SELECTOR,
    model_path,
    parse,
    settings,
)

from compress.engine.config import CGPConfig
from compress.experiments.registry import build_experiment

OUTER_GROUPS = [
    (0, range(0, 5)),
    (1, range(0, 1)),
    (1, range(4, 5)),
    (2, range(0, 1)),
    (2, range(4, 5)),
    (3, range(0, 1)),
    (3, range(4, 5)),
    (4, range(0, 5)),
]


def core(w, filters, channels):
    return [
        int(w[f, c, r, k])
        for f in filters
        for c in channels
        for r in range(1, 4)
        for k in range(1, 4)
    ]


def outer(w, filters, channels):
    return [
        int(w[f, c, r, k])
        for r, cols in OUTER_GROUPS
        for f in filters
        for c in channels
        for k in cols
    ]


def flat(w):
    return [int(v) for v in w.reshape(-1)]


@pytest.fixture(scope="module")
def weights():
    from compress.models import load_model
    from compress.weights import get_int8_weights

    model = load_model(MODEL_NAME, model_path(), settings())
    return {name: get_int8_weights(model, name) for name in ("conv1", "conv2")}


def environment(tmp_path: Path, argv: list[str]):
    """Build the experiment from a real command line and write its first sub-experiment."""
    args = parse([argv[0], MODEL_NAME, str(model_path()), *argv[1:]])
    experiment = build_experiment(args.experiment_name, args, settings(), prepare=True)
    subs = experiment.sub_experiments()
    folder = tmp_path / subs[0].name
    subs[0].write_environment(folder, relative_paths=True)
    config = CGPConfig.load(folder / "train_cgp.config")
    lines = (folder / "train.data").read_text().splitlines()
    return subs, config, [line.split() for line in lines], folder


def ints(tokens):
    return [int(t) for t in tokens]


def test_layer_bypass_conv1_to_conv2(tmp_path, weights):
    subs, config, lines, folder = environment(
        tmp_path,
        ["layer_bypass:train", "--mse-thresholds", "0", "2.5", "--rows", "8", "--cols", "4"],
    )
    assert [s.name for s in subs] == ["mse_0.0_8_4", "mse_2.5_8_4"]
    assert len(lines) == 2
    assert ints(lines[0]) == flat(weights["conv1"]) and len(lines[0]) == 150
    assert ints(lines[1]) == flat(weights["conv2"]) and len(lines[1]) == 2400
    assert (config["input_count"], config["output_count"], config["dataset_size"]) == (150, 2400, 1)
    assert (config["row_count"], config["col_count"], config["look_back_parameter"]) == (8, 4, 4)
    assert subs[1].config["mse_threshold"] == int(2.5**2 * 2400)
    assert config["checkpoint_file"] == "checkpoints/checkpoint.{run}.ckpt"
    assert (folder / "gate_parameters.txt").is_file() and (folder / "gate_parameters.csv").is_file()
    for sub in ("train_statistics/fitness", "cgp_configs", "weights"):
        assert (folder / sub).is_dir()


def test_le_selector_single_zero_input(tmp_path, weights):
    subs, config, lines, _ = environment(
        tmp_path, ["le_selector:train", "--rows", "5", "--cols", "5"]
    )
    assert subs[0].name == "mse_0.0_5_5"
    assert lines[0] == ["0"]
    assert ints(lines[1]) == flat(weights["conv1"]) + flat(weights["conv2"])
    assert config["output_count"] == 2550 and config["input_count"] == 1


def test_all_layers_one_item_per_layer_padded_with_x(tmp_path, weights):
    subs, config, lines, _ = environment(tmp_path, ["all_layers:train", "--mse-thresholds", "1"])
    assert config["dataset_size"] == 2 and config["function_count"] == 29
    assert (config["input_count"], config["output_count"]) == (864, 1536)
    assert len(lines) == 4
    conv1_in, conv1_out, conv2_in, conv2_out = lines
    assert ints(conv1_in[:54]) == core(weights["conv1"], range(6), range(1))
    assert conv1_in[54:] == ["x"] * (864 - 54)
    assert ints(conv1_out[:96]) == outer(weights["conv1"], range(6), range(1))
    assert conv1_out[96:] == ["x"] * (1536 - 96)
    assert ints(conv2_in) == core(weights["conv2"], range(16), range(6))
    assert ints(conv2_out) == outer(weights["conv2"], range(16), range(6))
    # SE: e^2 * N with N = every meaningful output of both items (96 + 1536).
    assert config["mse_threshold"] == 1 * (96 + 1536)


def test_grid_size_parses_grid_pairs_and_names(tmp_path, weights):
    subs, config, lines, _ = environment(
        tmp_path,
        ["grid_size:train", "-n", "2", "--grid-sizes", "5x5", "10x3", "--seed", "4"],
    )
    names = [s.name for s in subs]
    assert len(names) == 4 and all(n.split("_")[-2:] in (["5", "5"], ["10", "3"]) for n in names)
    first = subs[0].fields
    layer, f, c = first["layer"], first["out"], first["inp"]
    assert names[0] == f"{layer}_x_{f}_{c}_5_5"
    assert ints(lines[0]) == core(weights[layer], [f], [c])
    assert ints(lines[1]) == outer(weights[layer], [f], [c])
    assert (config["input_count"], config["output_count"]) == (9, 16)


def test_reversed_single_filter_outer_to_core(tmp_path, weights):
    subs, config, lines, _ = environment(tmp_path, ["reversed_single_filter:train"])
    assert len(subs) == 5  # -n 5: 3 kernels of conv1, 2 of conv2
    first = subs[0].fields
    layer, f, c = first["layer"], first["out"], first["inp"]
    assert ints(lines[0]) == outer(weights[layer], [f], [c])
    assert ints(lines[1]) == core(weights[layer], [f], [c])
    assert (config["input_count"], config["output_count"]) == (16, 9)


def test_single_channel_all_filters_of_one_channel(tmp_path, weights):
    subs, config, lines, _ = environment(
        tmp_path, ["single_channel:train", "--channel", "0", "--mse-thresholds", "0", "3"]
    )
    assert [s.name for s in subs] == ["conv1_mse_0_30_7", "conv1_mse_3_30_7"]
    assert ints(lines[0]) == core(weights["conv1"], range(6), [0])
    assert ints(lines[1]) == outer(weights["conv1"], range(6), [0])
    assert subs[1].config["mse_threshold"] == 9 * 96


def test_single_filter_zero_outter_zeroes_the_ring_in_memory(tmp_path, weights):
    subs, config, lines, _ = environment(
        tmp_path, ["single_filter_zero_outter:train", "--layer-names", "conv2"]
    )
    sub = subs[0]
    f, c = sub.fields["out"], sub.fields["inp"]
    assert ints(lines[0]) == core(weights["conv2"], [f], [c])
    assert ints(lines[1]) == [0] * 16
    zeroed = sub.modifications["conv2"]
    assert outer(zeroed, [f], [c]) == [0] * 16
    assert core(zeroed, [f], [c]) == core(weights["conv2"], [f], [c])
    # only this kernel changed
    changed = (zeroed != weights["conv2"]).nonzero().tolist()
    assert all(tuple(index[:2]) == (f, c) for index in changed)
    expected_name = f"conv2_{f}_{c}" + ("_zero" if 0 in core(weights["conv2"], [f], [c]) else "")
    assert sub.name == expected_name
    assert config["gate_count_early_stop"] == (0 if sub.name.endswith("_zero") else 1)


def test_worst_case_constants(tmp_path):
    subs, config, lines, _ = environment(tmp_path, ["worst_case:train"])
    assert ints(lines[0]) == list(range(64))
    assert ints(lines[1]) == list(range(-128, 128))
    assert subs[0].name == "mse_0_30_7"


def test_batches_split_runs_into_folders(tmp_path):
    args = parse(ORIGINAL_README_LE_SELECTOR)
    subs = build_experiment(args.experiment_name, args, settings(), prepare=True).sub_experiments()
    assert [s.name for s in subs] == [f"mse_0.0_256_31_batch_{i}" for i in range(30)]
    assert [s.runs() for s in subs[:2]] == [[1], [2]]
    assert subs[3].config.cli_only["start_run"] == 3 and subs[3].config["number_of_runs"] == 4
    assert subs[0].config["patience"] == 10_000_000 and subs[0].config["population_max"] == 8


def test_sub_experiment_names_parse_back(tmp_path):
    """Folder names written by the original rebuild the same sub-experiment fields."""
    from compress.experiments.registry import get_experiment

    cases = {
        "layer_bypass": ("mse_0.0_256_31", {"mse": "0.0", "rows": 256, "cols": 31}),
        "le_selector": ("mse_0.0_256_31_batch_7", {"mse": "0.0", "rows": 256, "cols": 31}),
        "grid_size": (
            "conv2_x_3_5_10_10",
            {"layer": "conv2", "out": 3, "inp": 5, "rows": 10, "cols": 10},
        ),
        "single_channel": (
            "conv1_mse_12_30_7",
            {"layer": "conv1", "mse": "12", "rows": 30, "cols": 7},
        ),
        "single_filter_zero_outter": (
            "conv1_4_0_zero",
            {"layer": "conv1", "out": 4, "inp": 0, "zero": True},
        ),
    }
    for name, (folder, fields) in cases.items():
        args = parse([f"{name}:model-metrics", MODEL_NAME, "x.pth"])
        experiment = get_experiment(name)(args, settings(), prepare=False)
        assert experiment.parse_name(folder) == fields, name
        assert experiment.format_name(fields) == folder.replace("_batch_7", "")


@pytest.mark.parametrize(("metric", "expected"), [("SE", 4 * 2400), ("MSE", 4), ("AE", 2 * 2400)])
def test_error_metric_reaches_the_config_with_one_conversion(tmp_path, metric, expected):
    args = parse(
        [
            "layer_bypass:train",
            MODEL_NAME,
            str(model_path()),
            "--mse-thresholds",
            "2",
            "--e-fitness",
            metric,
            "-e",
            "2",
        ]
    )
    (sub,) = build_experiment(
        args.experiment_name, args, settings(), prepare=True
    ).sub_experiments()
    assert sub.config["error_metric"] == metric
    assert sub.config["mse_threshold"] == expected
    assert sub.config["mse_chromosome_logging_threshold"] == expected
    assert (sub.config["seed"], sub.config["output_assignment"]) == (1, "nearest")
