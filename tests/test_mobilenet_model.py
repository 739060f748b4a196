"""MobileNetV2 in the registry: the bundled MNIST checkpoint, its 52 conv layers by name and alias,
int8 round trips on every layer, torchvision's weights path, and prefix-sharing evaluation."""

from __future__ import annotations

import copy

import pytest
import torch
from torch.utils.data import Subset

from compress.errors import CompressError
from compress.models import load_model, model_input, model_stages
from compress.models import mobilenet as mb
from compress.weights import get_int8_weights, set_int8_weights

CHECKPOINT = "mobilenet_v2.mnist.pth"


@pytest.fixture(scope="module")
def mobilenet(settings):
    return load_model(mb.NAME, CHECKPOINT, settings)


@pytest.fixture(scope="module")
def digits(settings, bundled_test_set):
    return model_input(mb.NAME, Subset(bundled_test_set, range(64)))


def test_table_has_52_layers_and_the_originals_total():
    assert len(mb.CONV_LAYERS) == 52
    assert mb.EXPECTED_WEIGHT_COUNTS["features.1.conv.0.0"] == 288
    assert mb.EXPECTED_WEIGHT_COUNTS["features.18.0"] == 409_600
    assert sum(mb.EXPECTED_WEIGHT_COUNTS.values()) == 2_189_760


def test_bundled_checkpoint_loads_with_every_count_and_its_engine(mobilenet):
    assert mobilenet.quantized_engine == mb.QUANTIZED_ENGINE  # per-channel weights: x86 engine
    for layer, count in mb.EXPECTED_WEIGHT_COUNTS.items():
        weights = get_int8_weights(mobilenet, layer)
        assert weights.numel() == count, layer
        assert weights.dtype == torch.int8
    assert mobilenet.features[0][0].weight().qscheme() == torch.per_channel_affine


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("features_0_0", "features.0.0"),
        ("features_18_0", "features.18.0"),
        ("features_1_conv_0_0", "features.1.conv.0.0"),  # depthwise of the t=1 block
        ("features_1_1_0", "features.1.conv.1"),  # its pointwise
        ("features_2_conv_0_0", "features.2.conv.0.0"),  # expander
        ("features_2_conv_0_1", "features.2.conv.1.0"),  # depthwise
        ("features_2_1_0", "features.2.conv.2"),  # pointwise
        ("features_17_conv_1_0", "features.17.conv.1.0"),  # dots written as underscores
        ("features.5.conv.2", "features.5.conv.2"),
    ],
)
def test_legacy_aliases_resolve_to_module_names(alias, name):
    assert mb.canonical_layer(alias) == name


@pytest.mark.parametrize("bad", ["conv1", "features.1.conv.2", "classifier.1", "features_19_0"])
def test_unknown_layers_are_one_line_errors(bad):
    with pytest.raises(CompressError, match="unknown MobileNetV2 layer") as error:
        mb.canonical_layer(bad)
    assert "\n" not in str(error.value)


def _layer_output(model, layer: str, block_input: torch.Tensor) -> torch.Tensor:
    """The int8 output of ``layer`` (after its fused ReLU), running only its ``features`` block."""
    captured = {}
    handle = model.get_submodule(layer).register_forward_hook(
        lambda module, inputs, output: captured.update(output=output.int_repr().clone())
    )
    try:
        with torch.inference_mode():
            model.features[mb.block_of(layer)](block_input)
    finally:
        handle.remove()
    return captured["output"]


def test_round_trip_on_all_52_layers(mobilenet, digits):
    """Values written read back unchanged; the layer's output changes exactly when its weights
    change (the most active output channel's kernel flipped to the opposite extremes, so that
    neither a dead input channel, the ReLU nor requantisation can hide the change)."""
    model = copy.deepcopy(mobilenet)
    images = torch.stack([digits[i][0] for i in range(4)])
    block_inputs = []
    with torch.inference_mode():
        logits = model(images)
        activation = model.quant(images)
        for block in model.features:  # a layer's change never reaches its own block's input
            block_inputs.append(activation)
            activation = block(activation)
    for layer in mb.CONV_LAYERS:
        block_input = block_inputs[mb.block_of(layer)]
        original = get_int8_weights(model, layer)
        reference = _layer_output(model, layer, block_input)
        set_int8_weights(model, layer, original)
        assert torch.equal(get_int8_weights(model, layer), original), layer
        assert torch.equal(_layer_output(model, layer, block_input), reference), layer
        channel = int(reference.to(torch.float32).sum(dim=(0, 2, 3)).argmax())
        changed = original.clone()
        kernel = changed[channel]
        changed[channel] = torch.where(kernel > 0, -128, 127).to(torch.int8)
        set_int8_weights(model, layer, changed)
        assert torch.equal(get_int8_weights(model, layer), changed), layer
        moved = _layer_output(model, layer, block_input)
        assert not torch.equal(moved, reference), f"{layer}: changed weights left the output"
        set_int8_weights(model, layer, original)
    with torch.inference_mode():
        assert torch.equal(model(images), logits)


def test_stages_compute_the_forward_pass(mobilenet, digits):
    images = torch.stack([digits[i][0] for i in range(8)])
    with torch.inference_mode():
        activation = images
        for stage in model_stages(mb.NAME, mobilenet):
            activation = stage.run(activation)
        assert torch.equal(activation, mobilenet(images))


def test_prefix_sharing_gives_the_accuracies_of_evaluating_each_circuit_alone(mobilenet, digits):
    from compress.evaluation import evaluate_model
    from compress.evaluation_prefix import evaluate_variants

    model = copy.deepcopy(mobilenet)
    generator = torch.Generator().manual_seed(0)
    variants = []
    for layer in ("features.18.0", "features.9.conv.2", "features.18.0"):
        values = get_int8_weights(model, layer)
        noise = torch.randint(-40, 41, values.shape, generator=generator, dtype=torch.int16)
        variants.append({layer: (values.to(torch.int16) + noise).clamp(-128, 127).to(torch.int8)})
    variants.append({})  # the unchanged model among them
    before = {
        layer: get_int8_weights(model, layer) for layer in ("features.18.0", "features.9.conv.2")
    }
    shared = evaluate_variants(
        model, model_stages(mb.NAME, model), digits, variants, batch_size=16, top=(1, 5)
    )
    for layer, values in before.items():
        assert torch.equal(get_int8_weights(model, layer), values), "model not restored"
    alone = []
    for variant in variants:
        single = copy.deepcopy(mobilenet)
        for layer, values in variant.items():
            set_int8_weights(single, layer, values)
        alone.append(evaluate_model(single, digits, batch_size=16, progress=False))
    for together, separately in zip(shared, alone, strict=True):
        assert together.accuracy == separately.accuracy
        assert together.loss == separately.loss
        assert torch.equal(together.predictions, separately.predictions)
    assert shared[0].loss != shared[3].loss  # the noise did change the network


def _torchvision_like_state_dict() -> dict:
    """What torchvision's ImageNet file holds: a QNNPACK-converted 1000-class network."""
    model = mb.empty_quantized_mobilenet_v2(1000, mb.TORCHVISION_ENGINE)
    return model.state_dict()


def test_torchvision_weights_name_uses_the_datastore_copy(tmp_path, settings):
    import dataclasses

    local = dataclasses.replace(settings, datastore=tmp_path)
    target = mb.torchvision_weights_path("IMAGENET1K_QNNPACK_V1", local)
    assert target.name == "mobilenet_v2_qnnpack_37f702c5.pth"
    target.parent.mkdir(parents=True)
    torch.save(_torchvision_like_state_dict(), target)
    model = load_model(mb.NAME, "IMAGENET1K_QNNPACK_V1", local)
    assert model.quantized_engine == "qnnpack"
    assert model.classifier[1].weight().shape == (1000, 1280)
    assert model.features[0][0].weight().qscheme() == torch.per_tensor_affine
    with torch.inference_mode():
        assert model(torch.zeros(1, 3, 224, 224)).shape == (1, 1000)
    torch.backends.quantized.engine = mb.QUANTIZED_ENGINE


def test_torchvision_weights_offline_is_one_line_naming_the_file(tmp_path, settings):
    import dataclasses

    local = dataclasses.replace(settings, datastore=tmp_path)
    with pytest.raises(CompressError) as error:
        mb.fetch_torchvision_weights("IMAGENET1K_QNNPACK_V1", local, download=False)
    message = str(error.value)
    assert "\n" not in message
    assert (
        str(tmp_path / "models" / "mobilenet_v2" / "mobilenet_v2_qnnpack_37f702c5.pth") in message
    )
    assert "download.pytorch.org" in message
