"""Which weights feed a circuit and which it must produce, in the original's order.

A *selector* picks weights of one layer's weight tensor ``[filter, channel, row, col]`` by an index
tuple of ints and slices, or supplies constant values. The flattening order is the original's
(workflow spec §1.5): selector-major, then filter, channel, row, col. Because of that, a kernel's
outer ring (eight selectors) is ordered by position group first and only then by filter/channel.
Old experiment folders were written in this order, so injection must use it too.

A :class:`FilterSelector` pairs input and output selectors of one layer; a *combination* (a list
of them) is one engine dataset item. :func:`inject_weights` writes an engine weights file back into
a loaded model in memory through :func:`compress.weights.set_int8_weights`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from compress.errors import CompressError

Index = tuple[int | slice, ...]


@dataclass(frozen=True)
class Values:
    """Constant values instead of weights (e.g. the single 0 input of ``le_selector``)."""

    values: tuple[int, ...]

    def __init__(self, values: Sequence[int]):
        object.__setattr__(self, "values", tuple(int(v) for v in values))


Selector = Index | Values


@dataclass(frozen=True)
class FilterSelector:
    """Input and output selectors over one layer's weights."""

    layer: str
    inp: tuple[Selector, ...] = ()
    out: tuple[Selector, ...] = ()

    def __init__(self, layer: str, inp: Sequence[Selector] = (), out: Sequence[Selector] = ()):
        object.__setattr__(self, "layer", layer)
        object.__setattr__(self, "inp", tuple(inp))
        object.__setattr__(self, "out", tuple(out))


Combination = Sequence[FilterSelector]
"""One dataset item: its selectors' inputs concatenated, and their outputs concatenated."""


@dataclass
class ItemPositions:
    """Where the outputs of one dataset item live: ``(layer, flat indices)`` chunks in order.

    ``None`` as layer marks constant outputs (nothing to inject, but they occupy output slots).
    """

    chunks: list[tuple[str | None, np.ndarray]] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(len(indices) for _, indices in self.chunks)


def _full_index(index: Index, ndim: int) -> tuple[slice, ...]:
    """Turn ints into length-1 slices and pad with ``:``, so indexing keeps every dimension and a
    C-order flatten gives filter, channel, row, col order."""
    if len(index) > ndim:
        raise CompressError(
            f"selector {index} has more indices than the weight's {ndim} dimensions"
        )
    parts = []
    for item in index:
        if isinstance(item, slice):
            parts.append(item)
        else:
            value = int(item)
            parts.append(slice(value, value + 1 if value != -1 else None))
    parts += [slice(None)] * (ndim - len(index))
    return tuple(parts)


def flat_positions(shape: Sequence[int], index: Index) -> np.ndarray:
    """Flat (C-order) positions in a tensor of ``shape`` selected by ``index``, in flatten order."""
    numbers = np.arange(int(np.prod(shape)), dtype=np.int64).reshape(tuple(shape))
    return numbers[_full_index(index, len(shape))].reshape(-1)


def _check_index(shape: Sequence[int], index: Index, layer: str) -> None:
    for axis, item in enumerate(index):
        if isinstance(item, int) and not -shape[axis] <= item < shape[axis]:
            raise CompressError(
                f"index {item} is out of range for dimension {axis} of layer {layer!r} "
                f"(size {shape[axis]})"
            )


def select_values(
    weights: torch.Tensor | np.ndarray, selector: Selector, layer: str = "?"
) -> list[int]:
    """The values ``selector`` picks from ``weights`` in flatten order (or its constants)."""
    if isinstance(selector, Values):
        return list(selector.values)
    array = weights.numpy() if isinstance(weights, torch.Tensor) else np.asarray(weights)
    _check_index(array.shape, selector, layer)
    return [int(v) for v in array.reshape(-1)[flat_positions(array.shape, selector)]]


def item_values(
    combination: Combination, weights: Mapping[str, torch.Tensor]
) -> tuple[list[int], list[int]]:
    """The (inputs, outputs) of one dataset item: every selector's values, concatenated in order."""
    inputs: list[int] = []
    outputs: list[int] = []
    for selector in combination:
        tensor = weights.get(selector.layer)
        for parts, target in ((selector.inp, inputs), (selector.out, outputs)):
            for part in parts:
                if tensor is None and not isinstance(part, Values):
                    raise CompressError(f"no weights loaded for layer {selector.layer!r}")
                target += select_values(tensor, part, selector.layer)
    return inputs, outputs


def item_positions(combination: Combination, shapes: Mapping[str, Sequence[int]]) -> ItemPositions:
    """Where each output of one dataset item goes when injected (same order as the outputs)."""
    positions = ItemPositions()
    for selector in combination:
        for part in selector.out:
            if isinstance(part, Values):
                positions.chunks.append((None, np.arange(len(part.values))))
            else:
                shape = shapes[selector.layer]
                _check_index(shape, part, selector.layer)
                positions.chunks.append((selector.layer, flat_positions(shape, part)))
    return positions


# -- convolution kernel helpers (core = centre square, outer = the ring around it) ---------------
def _core_offset(kernel: int, core: int) -> int:
    if not 0 < core <= kernel or (kernel - core) % 2:
        raise CompressError(
            f"a {core}x{core} core does not sit centred in a {kernel}x{kernel} kernel"
        )
    return (kernel - core) // 2


def conv2d_core(filter_channel: Index, kernel: int = 5, core: int = 3) -> list[Index]:
    """The centre ``core x core`` square of the selected kernels: one selector."""
    offset = _core_offset(kernel, core)
    rows = slice(offset, offset + core)
    return [(*filter_channel, rows, rows)]


def conv2d_outer(filter_channel: Index, kernel: int = 5, core: int = 3) -> list[Index]:
    """The ring around the core, as the original's position groups: whole rows above and below
    the core, and the left and right parts of each core row (8 selectors for 5x5 / 3x3)."""
    offset = _core_offset(kernel, core)
    selectors: list[Index] = []
    for row in range(kernel):
        if row < offset or row >= offset + core:
            selectors.append((*filter_channel, row, slice(None)))
        else:
            selectors.append((*filter_channel, row, slice(0, offset)))
            selectors.append((*filter_channel, row, slice(offset + core, None)))
    return selectors


def conv2d_selector(
    layer: str, filter_channel: Index, kernel: int = 5, core: int = 3
) -> FilterSelector:
    """Core weights as inputs, outer-ring weights as outputs."""
    return FilterSelector(
        layer, conv2d_core(filter_channel, kernel, core), conv2d_outer(filter_channel, kernel, core)
    )


def outer_mask(
    shape: Sequence[int], filter_channel: Index, kernel: int = 5, core: int = 3
) -> np.ndarray:
    """Flat positions of the selected kernels' outer rings (used to zero them)."""
    return np.concatenate(
        [flat_positions(shape, s) for s in conv2d_outer(filter_channel, kernel, core)]
    )


# -- injection -----------------------------------------------------------------------------------
def injected_layers(
    weights_rows: np.ndarray,
    combinations: Sequence[Combination],
    base: Mapping[str, torch.Tensor],
) -> dict[str, torch.Tensor]:
    """New int8 tensors for every layer the outputs touch: ``base`` with the weights file's values
    written at the selected positions. ``weights_rows[i]`` is the i-th item's line.

    Raises :class:`CompressError` when the weights file is shorter than the selection.
    """
    shapes = {name: tuple(tensor.shape) for name, tensor in base.items()}
    result: dict[str, torch.Tensor] = {}
    if len(weights_rows) < len(combinations):
        raise CompressError(
            f"weights have {len(weights_rows)} lines, the experiment needs {len(combinations)}"
        )
    for item, combination in enumerate(combinations):
        positions = item_positions(combination, shapes)
        row = np.asarray(weights_rows[item])
        if len(row) < positions.size:
            raise CompressError(
                f"weights line {item + 1} has {len(row)} values, the selection needs {positions.size}"
            )
        offset = 0
        for layer, indices in positions.chunks:
            values = row[offset : offset + len(indices)]
            offset += len(indices)
            if layer is None:
                continue
            if layer not in result:
                result[layer] = base[layer].contiguous().clone()
            flat = result[layer].view(-1)
            flat[torch.from_numpy(indices)] = torch.from_numpy(values.astype(np.int64)).to(
                flat.dtype
            )
    return result


def inject_weights(
    model: torch.nn.Module,
    weights_rows: np.ndarray,
    combinations: Sequence[Combination],
    base: Mapping[str, torch.Tensor],
) -> dict[str, torch.Tensor]:
    """Write the engine's weights into ``model`` in memory, starting from ``base`` int8 values.

    Layers not touched by the outputs are left as they are; call :func:`restore_weights` with
    ``base`` before the next injection so one loaded model serves every chromosome.
    Returns the injected int8 tensors by layer.
    """
    from compress.weights import set_int8_weights

    new_layers = injected_layers(weights_rows, combinations, base)
    for layer, tensor in new_layers.items():
        set_int8_weights(model, layer, tensor)
    return new_layers


def restore_weights(model: torch.nn.Module, base: Mapping[str, torch.Tensor]) -> None:
    """Put the ``base`` int8 values back (undo an injection)."""
    from compress.weights import set_int8_weights

    for layer, tensor in base.items():
        set_int8_weights(model, layer, tensor)
