"""The ``mobilenet`` experiment on the bundled MNIST MobileNetV2, with the real engine.

``-a`` plans all 52 conv layers (each folder's train.data holds the layer's expected number of
outputs); tiny exact runs (constructive start) on a depthwise, a pointwise and the largest layer
(409,600 weights) give exactly the baseline accuracy in model-metrics.
"""

from __future__ import annotations

import argparse

import pandas as pd
import pytest

from compress.cli import main
from compress.engine.config import CGPConfig
from compress.engine.files import read_train_data
from compress.models import mobilenet as mb

MODEL = ["mobilenet_v2", "mobilenet_v2.mnist.pth"]
TINY = "--mse-thresholds 0 --number-of-runs 1 --generation-count 1 --population-max 2 --threads 1"


def test_generate_all_writes_52_folders_with_the_expected_output_counts(tmp_path, cgp_binary):
    # The folders and their counts are under test, not the start: a random start skips the
    # 52 optimal-start solves whose circuits could not fit a 2 x 2 grid anyway.
    argv = ["mobilenet:train", *MODEL, "-a", *TINY.split(), "--rows", "2", "--cols", "2"]
    argv += ["--initial-solution", "random"]
    assert main([*argv, "--cgp", str(cgp_binary), "--experiment-env", str(tmp_path)]) == 0
    root = tmp_path / "mobilenet"
    folders = sorted(p.name for p in root.iterdir())
    expected = sorted(f"{layer}_to_{layer}_mse_0.0_2_2" for layer in mb.CONV_LAYERS)
    assert folders == expected
    for layer, count in mb.EXPECTED_WEIGHT_COUNTS.items():
        folder = root / f"{layer}_to_{layer}_mse_0.0_2_2"
        config = CGPConfig.load(folder / "train_cgp.config")
        assert config.get_int("output_count") == count
        assert config.get_int("input_count") == 96
        data = read_train_data(folder / "train.data", 96, count, 1)
        assert data.meaningful_outputs == count
        assert len(data.items[0].inputs) == 96
        assert (folder / "cgp_configs" / "cgp.1.config").is_file(), f"{layer}: run did not finish"


@pytest.mark.parametrize(
    "layer",
    ["features.1.conv.0.0", "features_1_1_0", "features.18.0"],  # depthwise 288, pointwise 512
)
def test_exact_circuit_gives_exactly_the_baseline(tmp_path, cgp_binary, layer):
    common = [*MODEL, "--cgp", str(cgp_binary), "--experiment-env", str(tmp_path)]
    train = ["mobilenet:train", *common, "--input-layer-name", layer, *TINY.split()]
    train += ["--rows", "30", "--cols", "10", "--initial-solution", "constructive", "-e", "0"]
    assert main(train) == 0
    canonical = mb.canonical_layer(layer)
    name = f"{canonical}_to_{canonical}_mse_0.0_30_10"
    assert (tmp_path / "mobilenet" / name).is_dir()
    metrics = ["mobilenet:model-metrics", *common, "--top", "1", "-l", "--limit", "300"]
    assert main(metrics) == 0
    table = pd.read_csv(tmp_path / "mobilenet" / "model_metrics" / f"default.test.{name}.1.csv")
    assert (table["error"] == 0).all()
    assert (table["weights_produced"] == mb.EXPECTED_WEIGHT_COUNTS[canonical]).all()
    assert (table["Top-1"] == table["baseline_top1"]).all()
    assert (table["Loss"] == table["baseline_loss"]).all()


def _experiment(**options):
    from compress.experiments.mobilenet import MobilenetExperiment
    from compress.settings import load_settings

    args = argparse.Namespace(model_name=None, prefix="", suffix="", **options)
    return MobilenetExperiment(args, load_settings(), prepare=False)


def test_folder_names_of_both_forms_and_aliases_parse():
    experiment = _experiment()
    fields = experiment.parse_name("features.2.conv.1.0_to_features.2.conv.1.0_mse_5.0_256_31")
    assert fields == {
        "input_layer": "features.2.conv.1.0",
        "output_layer": "features.2.conv.1.0",
        "mse": "5.0",
        "rows": 256,
        "cols": 31,
    }
    legacy = experiment.parse_name("features_2_conv_0_1_features_2_1_0_mse_11_30_7_batch_3")
    assert legacy is not None
    assert (legacy["input_layer"], legacy["output_layer"]) == (
        "features.2.conv.1.0",
        "features.2.conv.2",
    )
    assert experiment.parse_name("mse_0.0_256_31") is None


def test_unknown_layer_is_a_one_line_error(tmp_path, cgp_binary, capsys):
    argv = ["mobilenet:train", *MODEL, "--input-layer-name", "conv1", *TINY.split()]
    assert main([*argv, "--cgp", str(cgp_binary), "--experiment-env", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "unknown MobileNetV2 layer 'conv1'" in err and len(err.splitlines()) == 1


def test_per_layer_sensitivity(tmp_path, settings):
    from compress.data import load_dataset
    from compress.evaluation import evaluate_model
    from compress.models import load_model, model_input

    argv = ["model:sensitivity", "mobilenet_v2", "-m", "mobilenet_v2.mnist.pth", "--per-layer"]
    argv += ["--layers", "features.18.0", "features_1_1_0", "--offsets", "0", "2", "-e", "all"]
    assert main([*argv, "--limit", "100", "-o", str(tmp_path)]) == 0
    table = pd.read_csv(tmp_path / "mobilenet_v2.all.per_layer.256.csv")
    assert list(table.columns) == ["layer", "error", "top-1", "top-5", "loss"]
    assert list(table["layer"]) == ["features.1.conv.1"] * 3 + ["features.18.0"] * 3
    model = load_model("mobilenet_v2", "mobilenet_v2.mnist.pth", settings)
    data = model_input("mobilenet_v2", load_dataset(None, "test", settings, limit=100))
    baseline = evaluate_model(model, data, progress=False)
    unchanged = table[table["error"] == 0]
    assert (unchanged["top-1"] == baseline.accuracy[1]).all()
    assert (unchanged["loss"] == baseline.loss).all()
    assert (table[table["error"] == 2]["loss"] != baseline.loss).all()
