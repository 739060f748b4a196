"""Int8 weight access by layer name on the committed QAT LeNet-5: read, quant params, write back."""

from __future__ import annotations

import copy

import pytest
import torch

from compress.errors import CompressError
from compress.models import create_model
from compress.weights import (
    get_int8_weights,
    get_quant_params,
    set_int8_weights,
    weight_layer_names,
)

LAYERS = ["conv1", "conv2", "fc1", "fc2", "fc3"]


@pytest.fixture
def model(qat_model):
    """A private copy: these tests change weights."""
    return copy.deepcopy(qat_model)


@pytest.fixture(scope="module")
def images(bundled_test_set):
    return torch.stack([bundled_test_set[i][0] for i in range(64)])


def _output(model, images):
    with torch.inference_mode():
        return model(images)


def test_layer_names_in_module_order(model):
    assert weight_layer_names(model) == LAYERS


@pytest.mark.parametrize("layer", LAYERS)
def test_int8_values_and_quant_params(model, layer):
    weights = get_int8_weights(model, layer)
    quantized = model.get_submodule(layer).weight()
    assert weights.dtype == torch.int8
    assert weights.shape == quantized.shape
    assert weights.is_contiguous()
    assert torch.equal(weights, quantized.int_repr())
    params = get_quant_params(model, layer)
    assert params.per_channel and params.axis == 0
    assert torch.equal(params.scales, quantized.q_per_channel_scales())
    assert torch.all(params.zero_points == 0)


@pytest.mark.parametrize("layer", LAYERS)
def test_writing_the_same_values_changes_nothing(model, images, layer):
    before = _output(model, images)
    bias = model.get_submodule(layer).bias().clone()
    set_int8_weights(model, layer, get_int8_weights(model, layer))
    assert torch.equal(_output(model, images), before)
    assert torch.equal(model.get_submodule(layer).bias(), bias)


@pytest.mark.parametrize("layer", LAYERS)
def test_random_values_round_trip_with_the_same_scales(model, layer):
    params = get_quant_params(model, layer)
    shape = get_int8_weights(model, layer).shape
    values = torch.randint(-128, 128, shape, generator=torch.Generator().manual_seed(7))
    values.view(-1)[:2] = torch.tensor([-128, 127])  # both ends of the range
    set_int8_weights(model, layer, values)
    assert torch.equal(get_int8_weights(model, layer), values.to(torch.int8))
    after = get_quant_params(model, layer)
    assert torch.equal(after.scales, params.scales)
    assert torch.equal(after.zero_points, params.zero_points)


@pytest.mark.parametrize("layer", ["conv1", "conv2"])
def test_output_changes_exactly_when_a_weight_changes(model, images, layer):
    original = get_int8_weights(model, layer)
    baseline = _output(model, images)
    generator = torch.Generator().manual_seed(11)
    for _ in range(5):
        changed = original.clone()
        flat = changed.view(-1)
        index = int(torch.randint(flat.numel(), (1,), generator=generator))
        # a large step, so requantisation cannot round the change away
        flat[index] = -100 if int(flat[index]) >= 0 else 100
        set_int8_weights(model, layer, changed)
        assert not torch.equal(_output(model, images), baseline)
        set_int8_weights(model, layer, original)
        assert torch.equal(_output(model, images), baseline)


def test_write_is_in_memory_only(model, qat_model, settings):
    from compress.models import load_model

    set_int8_weights(model, "conv1", torch.zeros(6, 1, 5, 5, dtype=torch.int8))
    assert torch.count_nonzero(get_int8_weights(model, "conv1")) == 0
    assert torch.count_nonzero(get_int8_weights(qat_model, "conv1")) > 0
    fresh = load_model("qat_quantized_lenet", "qat.quantized_lenet.pth", settings)
    assert torch.equal(get_int8_weights(fresh, "conv1"), get_int8_weights(qat_model, "conv1"))


def test_bad_layer_and_values(model):
    with pytest.raises(CompressError, match="valid layers: conv1, conv2, fc1, fc2, fc3"):
        get_int8_weights(model, "conv3")
    with pytest.raises(CompressError, match="valid layers"):
        set_int8_weights(model, "features.0", torch.zeros(1))
    with pytest.raises(CompressError, match=r"shape \(6, 1, 5, 5\)"):
        set_int8_weights(model, "conv1", torch.zeros(6, 1, 3, 3))
    with pytest.raises(CompressError, match="-128..127"):
        set_int8_weights(model, "conv1", torch.full((6, 1, 5, 5), 128))
    with pytest.raises(CompressError, match="whole numbers"):
        set_int8_weights(model, "conv1", torch.full((6, 1, 5, 5), 0.5))


def test_float_model_is_not_int8():
    with pytest.raises(CompressError, match="not quantized"):
        get_int8_weights(create_model("lenet"), "conv1")
    assert weight_layer_names(create_model("lenet")) == LAYERS
