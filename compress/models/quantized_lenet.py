"""Int8 LeNet-5 with PyTorch eager-mode quantization (QAT and PTQ share this module).

The float model is wrapped between a ``QuantStub`` and a ``DeQuantStub``; conv+ReLU and fc+ReLU
pairs are fused so each fused layer has one int8 weight tensor and one requantisation step. The
qconfig is the CPU engine's default: per-channel *symmetric* int8 weights (every zero point 0),
which is what the CGP experiments assume when they treat a weight as a plain signed byte.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator

import torch
from torch import nn
from torch.ao import quantization as tq

from compress.models.lenet import LeNet5

QUANTIZED_ENGINE = "fbgemm" if "fbgemm" in torch.backends.quantized.supported_engines else "x86"
"""The one CPU quantized engine used everywhere models are built, calibrated or loaded."""

# Known, harmless warnings of torch.ao eager quantization, silenced so that a user error stays one
# line on stderr: skeletons converted without calibration (their qparams are overwritten by the
# checkpoint), the reduce_range notice of the default qconfig, and the notice that quantized
# tensor dtypes and torch.ao.quantization are deprecated upstream in favour of torchao (still
# the eager-mode API of the pinned torch 2.14, which has no replacement for these models).
_KNOWN_WARNINGS = (
    r"must run observer before calling calculate_qparams",
    r"Please use quant_min and quant_max to specify the range for observers",
    r"torch\.quantize_per_tensor, torch\.quantize_per_channel and other quantized tensor",
    r"TypedStorage is deprecated",
    r"torch\.ao\.quantization is deprecated",
)


@contextlib.contextmanager
def quiet_quantization_warnings() -> Iterator[None]:
    """Suppress :data:`_KNOWN_WARNINGS` (and only those) inside the block."""
    with warnings.catch_warnings():
        for message in _KNOWN_WARNINGS:
            warnings.filterwarnings("ignore", message=message)
        yield


FUSED_PAIRS = [["conv1", "relu1"], ["conv2", "relu2"], ["fc1", "relu3"], ["fc2", "relu4"]]


def use_quantized_engine(engine: str = QUANTIZED_ENGINE) -> None:
    """Select ``engine`` (default :data:`QUANTIZED_ENGINE`); kernels packed under one engine must
    run under the same."""
    if torch.backends.quantized.engine != engine:
        torch.backends.quantized.engine = engine


def engine_of(model: nn.Module) -> str:
    """The quantized engine a loaded model's weights were packed for (``quantized_engine``,
    set by :func:`compress.models.load_model`; LeNet-5 models use :data:`QUANTIZED_ENGINE`)."""
    return getattr(model, "quantized_engine", QUANTIZED_ENGINE)


class QuantizableLeNet5(LeNet5):
    """LeNet-5 with quant/dequant stubs; same attribute names, so float weights load unchanged."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__(num_classes)
        self.quant = tq.QuantStub()
        self.dequant = tq.DeQuantStub()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dequant(self.classifier(self.features(self.quant(x))))


def prepare_qat(model: QuantizableLeNet5) -> QuantizableLeNet5:
    """Fuse and insert fake-quantisation for quantization-aware training (in place, train mode)."""
    use_quantized_engine()
    model.train()
    with quiet_quantization_warnings():
        tq.fuse_modules_qat(model, FUSED_PAIRS, inplace=True)
        model.qconfig = tq.get_default_qat_qconfig(QUANTIZED_ENGINE)
        return tq.prepare_qat(model, inplace=True)


def prepare_ptq(model: QuantizableLeNet5) -> QuantizableLeNet5:
    """Fuse and insert observers for post-training calibration (in place, eval mode)."""
    use_quantized_engine()
    model.eval()
    with quiet_quantization_warnings():
        tq.fuse_modules(model, FUSED_PAIRS, inplace=True)
        model.qconfig = tq.get_default_qconfig(QUANTIZED_ENGINE)
        return tq.prepare(model, inplace=True)


def convert(model: nn.Module) -> nn.Module:
    """Turn a prepared (observed or fake-quantized) model into the int8 model, in eval mode."""
    use_quantized_engine()
    model.eval()
    with quiet_quantization_warnings():
        return tq.convert(model, inplace=True)


def empty_quantized_lenet(qat: bool) -> nn.Module:
    """An int8 LeNet-5 skeleton whose state dict matches a converted checkpoint.

    Loading a quantized state dict needs the converted module structure first; QAT and PTQ
    give the same structure, the flag only picks the matching preparation path.
    """
    model = QuantizableLeNet5()
    if qat:
        prepare_qat(model)
    else:
        prepare_ptq(model)
    return convert(model)
