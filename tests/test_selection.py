"""Selectors, flattening order and in-memory injection into the real QAT LeNet-5."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from experiment_support import MODEL_NAME, model_path, settings

from compress.errors import CompressError
from compress.selection import (
    FilterSelector,
    Values,
    conv2d_core,
    conv2d_outer,
    conv2d_selector,
    flat_positions,
    inject_weights,
    injected_layers,
    item_values,
    restore_weights,
)


def test_outer_ring_is_position_group_major():
    shape = (2, 2, 5, 5)
    numbers = np.arange(100).reshape(shape)
    order = np.concatenate(
        [flat_positions(shape, s) for s in conv2d_outer((slice(None), slice(None)))]
    )
    # first group: row 0 of every (filter, channel) kernel, 5 columns each
    expected_first = [numbers[f, c, 0, k] for f in range(2) for c in range(2) for k in range(5)]
    assert order[:20].tolist() == expected_first
    # then row 1, column 0 of every kernel
    assert order[20:24].tolist() == [numbers[f, c, 1, 0] for f in range(2) for c in range(2)]
    assert len(order) == 4 * 16 and len(set(order.tolist())) == 64
    core = flat_positions(shape, conv2d_core((1, 0))[0])
    assert core.tolist() == [numbers[1, 0, r, k] for r in range(1, 4) for k in range(1, 4)]


def test_core_and_outer_partition_the_kernel():
    shape = (1, 1, 7, 7)
    inner = flat_positions(shape, conv2d_core((0, 0), 7, 3)[0])
    ring = np.concatenate([flat_positions(shape, s) for s in conv2d_outer((0, 0), 7, 3)])
    assert sorted([*inner.tolist(), *ring.tolist()]) == list(range(49))
    with pytest.raises(CompressError):
        conv2d_core((0, 0), 5, 2)


def test_item_values_concatenate_in_selector_order():
    weights = {
        "a": torch.arange(24, dtype=torch.int8).reshape(2, 3, 2, 2),
        "b": torch.zeros(1, 1, 1, 2),
    }
    combination = [
        FilterSelector("a", inp=[(1, 2), Values([7, 8])], out=[(0, slice(0, 2), 1)]),
        FilterSelector("b", inp=[Values([-1])], out=[()]),
    ]
    inputs, outputs = item_values(combination, weights)
    assert inputs == [20, 21, 22, 23, 7, 8, -1]
    assert outputs == [2, 3, 6, 7, 0, 0]
    with pytest.raises(CompressError):
        item_values([FilterSelector("a", inp=[(5,)])], weights)


def test_injection_writes_only_the_selected_positions():
    base = {"w": torch.zeros(2, 2, 5, 5, dtype=torch.int8)}
    combination = [conv2d_selector("w", (1, 0))]
    row = np.arange(1, 17)
    layers = injected_layers(np.array([row]), [combination], base)
    w = layers["w"]
    assert int(w.abs().sum()) == int(row.sum())
    assert w[1, 0, 0].tolist() == [1, 2, 3, 4, 5]  # first group: row 0
    assert (w[1, 0, 1, 0], w[1, 0, 1, 4]) == (6, 7)
    assert w[1, 0, 4].tolist() == [12, 13, 14, 15, 16]
    assert torch.count_nonzero(base["w"]) == 0  # base untouched
    with pytest.raises(CompressError):
        injected_layers(np.array([row[:5]]), [combination], base)


@pytest.fixture(scope="module")
def model():
    from compress.models import load_model

    return load_model(MODEL_NAME, model_path(), settings())


def test_injection_into_the_real_model_and_restore(model):
    from compress.data import load_dataset
    from compress.evaluation import evaluate_model
    from compress.weights import get_int8_weights

    dataset = torch.utils.data.Subset(load_dataset(None, None, settings()), range(300))
    original = {name: get_int8_weights(model, name).contiguous() for name in ("conv1", "conv2")}
    before = evaluate_model(model, dataset, progress=False, include_loss=False)
    combination = [FilterSelector("conv1", inp=[()]), FilterSelector("conv2", out=[()])]
    rng = np.random.default_rng(3)
    values = rng.integers(-128, 128, size=(1, 2400))
    inject_weights(model, values, [combination], original)
    injected = get_int8_weights(model, "conv2")
    assert injected.reshape(-1).tolist() == values[0].tolist()
    assert torch.equal(get_int8_weights(model, "conv1"), original["conv1"])
    scrambled = evaluate_model(model, dataset, progress=False, include_loss=False)
    assert not torch.equal(scrambled.predictions, before.predictions)
    restore_weights(model, original)
    assert torch.equal(get_int8_weights(model, "conv2"), original["conv2"])
    # injecting the original values is a no-op on every prediction
    inject_weights(model, original["conv2"].reshape(1, -1).numpy(), [combination], original)
    again = evaluate_model(model, dataset, progress=False, include_loss=False)
    assert torch.equal(again.predictions, before.predictions)
