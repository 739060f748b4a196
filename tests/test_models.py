"""LeNet-5 family: architecture, registry, QAT/PTQ conversion, checkpoint loading and saving."""

from __future__ import annotations

import copy

import pytest
import torch
from torch.utils.data import Subset

from compress.errors import CompressError
from compress.evaluation import evaluate_model
from compress.models import (
    MODEL_REGISTRY,
    QUANTIZED_ENGINE,
    create_model,
    load_model,
    resolve_checkpoint,
)
from compress.models.checkpoints import save_state_dict
from compress.training import TrainingConfig, calibrate_ptq, quantize_qat, train_model
from compress.weights import get_int8_weights, get_quant_params, weight_layer_names

LAYERS = ["conv1", "conv2", "fc1", "fc2", "fc3"]


def test_lenet_has_the_original_shape():
    model = create_model("lenet")
    assert sum(p.numel() for p in model.parameters()) == 44_426
    assert [name for name, _ in model.named_children() if name in LAYERS] == LAYERS
    assert model(torch.zeros(3, 1, 28, 28)).shape == (3, 10)


def test_registry_names_and_unknown_model():
    assert {"lenet", "qat_quantized_lenet", "ptq_quantized_lenet"} <= set(MODEL_REGISTRY)
    with pytest.raises(CompressError, match="valid models: lenet, qat_quantized_lenet"):
        create_model("lenet6")


def _assert_int8_per_channel(model):
    assert torch.backends.quantized.engine == QUANTIZED_ENGINE
    assert weight_layer_names(model) == LAYERS
    for layer in ("conv1", "conv2"):
        weight = model.get_submodule(layer).weight()
        assert weight.dtype == torch.qint8
        assert weight.element_size() == 1
        assert get_int8_weights(model, layer).dtype == torch.int8
        params = get_quant_params(model, layer)
        assert params.axis == 0
        assert len(params.scales) == weight.shape[0]
        assert torch.all(params.scales > 0)
        assert torch.all(params.zero_points == 0)
    # fused conv+ReLU: one quantized module per conv layer, the ReLU folded away
    assert type(model.conv1).__name__ == "ConvReLU2d"
    assert isinstance(model.relu1, torch.nn.Identity)


def test_qat_conversion_gives_per_channel_symmetric_int8(bundled_train_set):
    torch.manual_seed(0)
    model = create_model("qat_quantized_lenet")
    data = Subset(bundled_train_set, range(256))
    config = TrainingConfig(epochs=1, batch_size=64, lr=0.01, validation_ratio=0.0, seed=0)
    converted = quantize_qat(model, data, config, progress=False)
    _assert_int8_per_channel(converted)


def test_ptq_calibration_gives_per_channel_symmetric_int8(bundled_train_set, bundled_test_set):
    float_model = load_model("lenet", "lenet.pth", _settings())
    model = create_model("ptq_quantized_lenet")
    model.load_state_dict(float_model.state_dict(), strict=False)
    converted = calibrate_ptq(model, Subset(bundled_train_set, range(500)), progress=False)
    _assert_int8_per_channel(converted)
    # calibration on real data keeps the float accuracy within a percent
    subset = Subset(bundled_test_set, range(500))
    float_top1 = evaluate_model(float_model, subset, progress=False).top1
    int8_top1 = evaluate_model(converted, subset, progress=False).top1
    assert int8_top1 >= float_top1 - 0.01


def _settings():
    from compress.settings import load_settings

    return load_settings()


@pytest.mark.parametrize(
    ("name", "file"),
    [
        ("lenet", "lenet.pth"),
        ("qat_quantized_lenet", "qat.quantized_lenet.pth"),
        ("ptq_quantized_lenet", "ptq.quantized_lenet.pth"),
    ],
)
def test_committed_checkpoints_reach_97_percent(settings, bundled_test_set, name, file):
    model = load_model(name, file, settings)
    assert not model.training
    result = evaluate_model(model, bundled_test_set, progress=False)
    assert result.top1 >= 0.97
    assert result.predictions.shape == (len(bundled_test_set),)


def test_checkpoint_resolves_in_the_datastore(settings, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resolve_checkpoint("qat.quantized_lenet.pth", settings) == (
        settings.models_dir / "qat.quantized_lenet.pth"
    )
    local = tmp_path / "qat.quantized_lenet.pth"
    local.write_bytes(b"x")
    assert resolve_checkpoint("qat.quantized_lenet.pth", settings) == local.relative_to(tmp_path)


def test_bad_checkpoints_are_one_line_errors(settings, tmp_path):
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"not a checkpoint at all")
    truncated = tmp_path / "truncated.pth"
    truncated.write_bytes((settings.models_dir / "lenet.pth").read_bytes()[:2000])
    random_dict = tmp_path / "random.pth"
    torch.save({"conv1.weight": torch.randn(6, 1, 5, 5)}, random_dict)
    cases = [
        ("lenet", tmp_path / "missing.pth", "not found"),
        ("lenet", garbage, "cannot read checkpoint"),
        ("lenet", truncated, "cannot read checkpoint"),
        ("lenet", random_dict, "does not fit"),
        ("qat_quantized_lenet", "lenet.pth", "does not fit"),
        ("lenet", "qat.quantized_lenet.pth", "does not fit"),
    ]
    for name, path, message in cases:
        with pytest.raises(CompressError, match=message) as caught:
            load_model(name, path, settings)
        assert "\n" not in str(caught.value)


def test_wrong_weight_shape_with_the_right_keys_is_rejected(settings, tmp_path):
    state = torch.load(settings.models_dir / "qat.quantized_lenet.pth", weights_only=True)
    state["conv1.weight"] = torch.quantize_per_channel(
        torch.randn(6, 1, 3, 3),
        torch.ones(6, dtype=torch.float64),
        torch.zeros(6, dtype=torch.long),
        0,
        torch.qint8,
    )
    path = tmp_path / "shape.pth"
    torch.save(state, path)
    with pytest.raises(CompressError, match=r"conv1 has weights of shape \(6, 1, 3, 3\)"):
        load_model("qat_quantized_lenet", path, settings)


def test_save_is_atomic_and_refuses_to_overwrite(qat_model, settings, tmp_path):
    path = tmp_path / "out" / "model.pth"
    save_state_dict(qat_model, path)
    with pytest.raises(CompressError, match="--force"):
        save_state_dict(qat_model, path)
    save_state_dict(qat_model, path, force=True)
    assert [p.name for p in path.parent.iterdir()] == ["model.pth"]  # no temporary left
    reloaded = load_model("qat_quantized_lenet", path, settings)
    for layer in LAYERS:
        assert torch.equal(get_int8_weights(reloaded, layer), get_int8_weights(qat_model, layer))


def test_training_is_deterministic_for_a_seed(bundled_train_set):
    data = Subset(bundled_train_set, range(600))

    def run(seed):
        torch.manual_seed(seed)
        model = create_model("lenet")
        config = TrainingConfig(epochs=2, batch_size=50, lr=0.02, validation_ratio=0.2, seed=seed)
        history = train_model(model, data, config, progress=False)
        return model.state_dict(), history

    first, history = run(3)
    second, _ = run(3)
    other, _ = run(4)
    assert len(history.train_loss) == 2 and len(history.val_loss) == 2
    assert all(torch.equal(first[k], second[k]) for k in first)
    assert not all(torch.equal(first[k], other[k]) for k in first)


def test_deepcopy_gives_an_independent_int8_model(qat_model):
    clone = copy.deepcopy(qat_model)
    assert torch.equal(get_int8_weights(clone, "conv2"), get_int8_weights(qat_model, "conv2"))
