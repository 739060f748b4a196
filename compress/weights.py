"""Int8 weight access by layer name: read the int8 values, their quantization, write them back.

The CGP experiments treat a quantized layer's weights as signed bytes: they read ``int_repr()``,
evolve circuits that produce new bytes, and put those bytes back into the *same* per-channel
scales and zero points, so only the integers change. Writing is in memory (no reload from disk),
so a single loaded model can be patched many times.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from compress.errors import CompressError
from compress.models.quantized_lenet import (
    engine_of,
    quiet_quantization_warnings,
    use_quantized_engine,
)

INT8_MIN, INT8_MAX = -128, 127


@dataclass(frozen=True)
class QuantParams:
    """Quantization of one weight tensor.

    ``axis`` is the channel axis of per-channel quantization, ``None`` for per-tensor (then
    ``scales`` and ``zero_points`` have one element).
    """

    scales: torch.Tensor
    zero_points: torch.Tensor
    axis: int | None

    @property
    def per_channel(self) -> bool:
        return self.axis is not None


def _quantized_weight(module: nn.Module) -> torch.Tensor | None:
    """The module's quantized weight tensor, or ``None`` if it has none (float or no weight)."""
    weight = getattr(module, "weight", None)
    if callable(weight) and not isinstance(weight, torch.Tensor):
        try:
            weight = weight()
        except (RuntimeError, TypeError):
            return None
    if isinstance(weight, torch.Tensor) and weight.is_quantized:
        return weight
    return None


def weight_layer_names(model: nn.Module) -> list[str]:
    """Names of the layers with int8 weights, in module order (``conv1``, ``conv2``, ``fc1``...).

    For a float model (nothing quantized) the names of its conv/linear layers are returned, so
    error messages can still list them.
    """
    quantized = [
        name
        for name, module in model.named_modules()
        if name and _quantized_weight(module) is not None
    ]
    if quantized:
        return quantized
    return [
        name for name, module in model.named_modules() if isinstance(module, nn.Conv2d | nn.Linear)
    ]


def _layer_weight(model: nn.Module, layer: str) -> tuple[nn.Module, torch.Tensor]:
    names = weight_layer_names(model)
    if layer not in names:
        raise CompressError(f"unknown layer {layer!r}; valid layers: {', '.join(names)}")
    module = model.get_submodule(layer)
    weight = _quantized_weight(module)
    if weight is None:
        raise CompressError(
            f"layer {layer!r} is not quantized; use an int8 model such as qat_quantized_lenet"
        )
    return module, weight


def get_int8_weights(model: nn.Module, layer: str) -> torch.Tensor:
    """The layer's weights as a plain int8 tensor of the weight's shape (a contiguous copy)."""
    _, weight = _layer_weight(model, layer)
    # Packed conv weights come back channels-last; callers flatten with view(), so always
    # hand out the standard (row-major) layout.
    return weight.int_repr().clone(memory_format=torch.contiguous_format)


def get_quant_params(model: nn.Module, layer: str) -> QuantParams:
    """Per-channel (or per-tensor) scales and zero points of the layer's weights."""
    _, weight = _layer_weight(model, layer)
    return _params_of(weight)


def _params_of(weight: torch.Tensor) -> QuantParams:
    if weight.qscheme() in (torch.per_channel_affine, torch.per_channel_symmetric):
        return QuantParams(
            scales=weight.q_per_channel_scales().clone(),
            zero_points=weight.q_per_channel_zero_points().clone(),
            axis=int(weight.q_per_channel_axis()),
        )
    return QuantParams(
        scales=torch.tensor([weight.q_scale()], dtype=torch.float64),
        zero_points=torch.tensor([weight.q_zero_point()], dtype=torch.int64),
        axis=None,
    )


def set_int8_weights(model: nn.Module, layer: str, values: torch.Tensor) -> None:
    """Replace the layer's int8 weights in memory, keeping its scales, zero points and bias.

    ``values`` must have the weight's shape and hold integers in -128..127 (any integer dtype, or
    a float tensor of whole numbers).
    """
    module, weight = _layer_weight(model, layer)
    values = torch.as_tensor(values)
    if tuple(values.shape) != tuple(weight.shape):
        raise CompressError(
            f"layer {layer!r} needs weights of shape {tuple(weight.shape)}, got {tuple(values.shape)}"
        )
    if values.is_floating_point() and not torch.equal(values, values.round()):
        raise CompressError(f"weights for layer {layer!r} must be whole numbers")
    if values.numel() and (int(values.min()) < INT8_MIN or int(values.max()) > INT8_MAX):
        raise CompressError(
            f"weights for layer {layer!r} must be in {INT8_MIN}..{INT8_MAX}, "
            f"got {int(values.min())}..{int(values.max())}"
        )
    int8 = values.to(torch.int8).contiguous()
    params = _params_of(weight)
    with quiet_quantization_warnings():
        new_weight = _requantized(int8, params)
        use_quantized_engine(engine_of(model))
        module.set_weight_bias(new_weight, module.bias())


def _requantized(int8: torch.Tensor, params: QuantParams) -> torch.Tensor:
    """The quantized tensor with exactly these integers and these scales/zero points."""
    if params.axis is not None:
        new_weight = torch._make_per_channel_quantized_tensor(
            int8, params.scales, params.zero_points, params.axis
        )
    else:
        new_weight = torch._make_per_tensor_quantized_tensor(
            int8, float(params.scales[0]), int(params.zero_points[0])
        )
    return new_weight
