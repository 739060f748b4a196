"""Model registry: names users type on the command line -> how to build and load the model.

A model is added by one :class:`ModelSpec` entry in :data:`MODEL_REGISTRY` (LeNet-5 in three
variants, int8 MobileNetV2); every command and experiment looks models up here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import Dataset

from compress.errors import CompressError
from compress.models import mobilenet
from compress.models.checkpoints import (
    check_state_dict_keys,
    load_state_dict_file,
    resolve_checkpoint,
)
from compress.models.lenet import LeNet5
from compress.models.quantized_lenet import (
    QUANTIZED_ENGINE,
    QuantizableLeNet5,
    empty_quantized_lenet,
    engine_of,
    use_quantized_engine,
)
from compress.models.stages import whole_model
from compress.settings import Settings


@dataclass(frozen=True)
class ModelSpec:
    """How one registered model is built.

    ``create`` gives a fresh trainable model (float, or float-with-stubs for the int8 variants);
    ``skeleton`` gives the eval-mode module a checkpoint's state dict is loaded into (for int8
    models the converted structure); ``skeleton_for`` instead builds it from the checkpoint
    itself (class count, quantized engine). ``quantization`` is ``None``, ``"qat"`` or ``"ptq"``.
    ``resolve`` finds a checkpoint (default: the path, else ``$datastore/models/<path>``);
    ``check`` validates a loaded model; ``prepare_qat`` fuses and fake-quantizes a fresh model
    for QAT; ``adapt_input`` turns a dataset into the model's input format (MNIST digits for
    MobileNetV2); ``canonical_layer`` maps a layer alias to its module name.
    """

    name: str
    description: str
    create: Callable[[], nn.Module]
    skeleton: Callable[[], nn.Module] | None = None
    quantization: str | None = None
    skeleton_for: Callable[[Mapping[str, object]], nn.Module] | None = None
    resolve: Callable[..., Path] | None = None
    check: Callable[[nn.Module], None] | None = None
    prepare_qat: Callable[[nn.Module], nn.Module] | None = None
    adapt_input: Callable[[Dataset], Dataset] | None = None
    canonical_layer: Callable[[str], str] | None = None
    stages: Callable[[nn.Module], list] | None = None
    """The forward pass as consecutive stages (``compress/evaluation_prefix.py``), so that
    model-metrics runs the unchanged stages before a measured layer once per batch."""

    @property
    def quantized(self) -> bool:
        return self.quantization is not None


MODEL_REGISTRY: dict[str, ModelSpec] = {
    "lenet": ModelSpec(
        name="lenet",
        description="LeNet-5 (28x28, no padding), float32",
        create=LeNet5,
        skeleton=LeNet5,
    ),
    "qat_quantized_lenet": ModelSpec(
        name="qat_quantized_lenet",
        description="LeNet-5, int8 by quantization-aware training (per-channel symmetric weights)",
        create=QuantizableLeNet5,
        skeleton=lambda: empty_quantized_lenet(qat=True),
        quantization="qat",
    ),
    "ptq_quantized_lenet": ModelSpec(
        name="ptq_quantized_lenet",
        description="LeNet-5, int8 by post-training calibration (per-channel symmetric weights)",
        create=QuantizableLeNet5,
        skeleton=lambda: empty_quantized_lenet(qat=False),
        quantization="ptq",
    ),
    mobilenet.NAME: ModelSpec(
        name=mobilenet.NAME,
        description="MobileNetV2 (torchvision, width 1.0), int8: the bundled MNIST model "
        "(per-channel weights, x86 engine) or torchvision's ImageNet weights (QNNPACK)",
        create=mobilenet.quantizable_mobilenet_v2,
        quantization="qat",
        skeleton_for=mobilenet.skeleton_for,
        resolve=mobilenet.resolve_checkpoint,
        check=mobilenet.check_weight_counts,
        prepare_qat=mobilenet.prepare_qat,
        adapt_input=mobilenet.adapt_input,
        canonical_layer=mobilenet.canonical_layer,
        stages=mobilenet.stages,
    ),
}


def get_model_spec(name: str) -> ModelSpec:
    """The registry entry for ``name``; a one-line error listing the valid names otherwise."""
    try:
        return MODEL_REGISTRY[name]
    except KeyError:
        valid = ", ".join(MODEL_REGISTRY)
        raise CompressError(f"unknown model {name!r}; valid models: {valid}") from None


def create_model(name: str) -> nn.Module:
    """A fresh, untrained model for training (quantized variants still float, with stubs)."""
    return get_model_spec(name).create()


def load_model(name: str, path: str | Path, settings: Settings) -> nn.Module:
    """Load checkpoint ``path`` (falling back to the datastore's ``models/``) into model ``name``.

    The result is in eval mode; int8 models are converted and use :data:`QUANTIZED_ENGINE`.
    Missing, corrupt and other-architecture checkpoints raise a one-line :class:`CompressError`.
    """
    spec = get_model_spec(name)
    checkpoint = (spec.resolve or resolve_checkpoint)(path, settings)
    state_dict = load_state_dict_file(checkpoint)
    if spec.skeleton_for is not None:
        model = spec.skeleton_for(state_dict)
    else:
        if spec.quantized:
            use_quantized_engine()
        assert spec.skeleton is not None
        model = spec.skeleton()
    use_quantized_engine(engine_of(model))
    expected_shapes = _weight_shapes(model)
    what = f"checkpoint {checkpoint} does not fit model {name!r} ({spec.description})"
    check_state_dict_keys(state_dict, model.state_dict(), what=what)
    try:
        incompatible = model.load_state_dict(state_dict, strict=True)
    except (RuntimeError, KeyError, ValueError, TypeError, AttributeError, IndexError) as error:
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        if len(lines) > 1 and lines[0].startswith("Error(s) in loading"):
            lines = lines[1:]  # the first line only names the class; the cause follows
        reason = lines[0] if lines else type(error).__name__
        raise CompressError(
            f"{what}: {reason[:160]}; pass the checkpoint made for this model"
        ) from None
    del incompatible
    # Quantized layers accept packed weights of any shape without complaint; check them here.
    loaded_shapes = _weight_shapes(model)
    if loaded_shapes != expected_shapes:
        wrong = next(n for n in expected_shapes if loaded_shapes.get(n) != expected_shapes[n])
        raise CompressError(
            f"{what}: layer {wrong} has weights of shape {loaded_shapes.get(wrong)}, "
            f"expected {expected_shapes[wrong]}"
        )
    if spec.check is not None:
        spec.check(model)
    return model.eval()


def model_input(name: str, dataset: Dataset) -> Dataset:
    """``dataset`` in the input format model ``name`` takes (unchanged for most models)."""
    spec = get_model_spec(name)
    return spec.adapt_input(dataset) if spec.adapt_input is not None else dataset


def model_stages(name: str, model: nn.Module) -> list:
    """The stages of ``model`` (registered as ``name``) for prefix sharing; one stage (the
    whole model) for models without a stage list."""
    spec = get_model_spec(name)
    return spec.stages(model) if spec.stages is not None else whole_model(model)


def canonical_layer(name: str, layer: str) -> str:
    """The module name of ``layer`` in model ``name`` (resolves aliases such as MobileNetV2's
    legacy ``features_2_conv_0_1``); names without aliases pass unchanged."""
    spec = get_model_spec(name)
    return spec.canonical_layer(layer) if spec.canonical_layer is not None else layer


def _weight_shapes(model: nn.Module) -> dict[str, tuple[int, ...]]:
    """Weight shape of every conv/linear layer, float or quantized (packed weights are methods)."""
    shapes = {}
    for layer, module in model.named_modules():
        weight = getattr(module, "weight", None)
        if callable(weight) and not isinstance(weight, torch.Tensor):
            weight = weight()
        if isinstance(weight, torch.Tensor):
            shapes[layer] = tuple(weight.shape)
    return shapes


__all__ = [
    "MODEL_REGISTRY",
    "QUANTIZED_ENGINE",
    "ModelSpec",
    "canonical_layer",
    "create_model",
    "get_model_spec",
    "load_model",
    "model_input",
    "model_stages",
    "resolve_checkpoint",
    "use_quantized_engine",
]
