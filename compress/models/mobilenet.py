"""Int8 MobileNetV2: torchvision's quantizable network, its 52 conv layers by name, its weights.

The architecture is torchvision's ``QuantizableMobileNetV2`` (width 1.0, ReLU6 replaced by ReLU,
conv+BN(+ReLU) fused) so that torchvision's published quantized ImageNet state dict loads into
it unchanged. The conv layers keep the module names of that network (``features.0.0``,
``features.1.conv.0.0`` ... ``features.18.0``; workflow spec §2.2) and the original's legacy
underscore aliases; :data:`EXPECTED_WEIGHT_COUNTS` is the original's table, checked against
every loaded checkpoint so an experiment never silently reads a different network.

Two kinds of checkpoint load: torchvision's ImageNet weights (per-tensor int8 weights, made for
the QNNPACK engine, 1000 classes) and the bundled MNIST model (per-channel int8 weights, the
x86/fbgemm engine, 10 classes). The engine and the class count are read from the checkpoint.
"""

from __future__ import annotations

import re
import sys
import urllib.error
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn
from torch.ao import quantization as tq
from torch.utils.data import Dataset

from compress.atomic import atomic_path
from compress.errors import CompressError
from compress.models.quantized_lenet import (
    QUANTIZED_ENGINE,
    quiet_quantization_warnings,
    use_quantized_engine,
)
from compress.settings import Settings

NAME = "mobilenet_v2"

TORCHVISION_ENGINE = "qnnpack"
"""The engine torchvision's quantized MobileNetV2 weights were made for (per-tensor weights)."""

# t (expansion) of the 17 inverted-residual blocks features.1 .. features.17 (torchvision's
# setting, one block per row); t == 1 blocks have no expander conv.
_EXPANSIONS = (1, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6)

EXPECTED_WEIGHT_COUNTS: dict[str, int] = {
    "features.0.0": 864,
    "features.1.conv.0.0": 288,
    "features.1.conv.1": 512,
    "features.2.conv.0.0": 1536,
    "features.2.conv.1.0": 864,
    "features.2.conv.2": 2304,
    "features.3.conv.0.0": 3456,
    "features.3.conv.1.0": 1296,
    "features.3.conv.2": 3456,
    "features.4.conv.0.0": 3456,
    "features.4.conv.1.0": 1296,
    "features.4.conv.2": 4608,
    "features.5.conv.0.0": 6144,
    "features.5.conv.1.0": 1728,
    "features.5.conv.2": 6144,
    "features.6.conv.0.0": 6144,
    "features.6.conv.1.0": 1728,
    "features.6.conv.2": 6144,
    "features.7.conv.0.0": 6144,
    "features.7.conv.1.0": 1728,
    "features.7.conv.2": 12288,
    "features.8.conv.0.0": 24576,
    "features.8.conv.1.0": 3456,
    "features.8.conv.2": 24576,
    "features.9.conv.0.0": 24576,
    "features.9.conv.1.0": 3456,
    "features.9.conv.2": 24576,
    "features.10.conv.0.0": 24576,
    "features.10.conv.1.0": 3456,
    "features.10.conv.2": 24576,
    "features.11.conv.0.0": 24576,
    "features.11.conv.1.0": 3456,
    "features.11.conv.2": 36864,
    "features.12.conv.0.0": 55296,
    "features.12.conv.1.0": 5184,
    "features.12.conv.2": 55296,
    "features.13.conv.0.0": 55296,
    "features.13.conv.1.0": 5184,
    "features.13.conv.2": 55296,
    "features.14.conv.0.0": 55296,
    "features.14.conv.1.0": 5184,
    "features.14.conv.2": 92160,
    "features.15.conv.0.0": 153600,
    "features.15.conv.1.0": 8640,
    "features.15.conv.2": 153600,
    "features.16.conv.0.0": 153600,
    "features.16.conv.1.0": 8640,
    "features.16.conv.2": 153600,
    "features.17.conv.0.0": 153600,
    "features.17.conv.1.0": 8640,
    "features.17.conv.2": 307200,
    "features.18.0": 409600,
}
"""int8 weights of each of the 52 conv layers, in network order (the original's table; the
classifier, ``classifier.1``, is not an experiment layer and its size depends on the classes)."""

CONV_LAYERS: tuple[str, ...] = tuple(EXPECTED_WEIGHT_COUNTS)


def _legacy_aliases() -> dict[str, str]:
    """The original's underscore names -> module names.

    Plain blocks ``features_{i}_0``; in a block without expander ``features_{i}_conv_0_0`` is the
    depthwise and ``features_{i}_1_0`` the pointwise conv; with an expander ``features_{i}_conv_0_0``
    is the expander, ``features_{i}_conv_0_1`` the depthwise, ``features_{i}_1_0`` the pointwise.
    Every module name with ``.`` written as ``_`` is accepted too.
    """
    aliases = {name.replace(".", "_"): name for name in CONV_LAYERS}
    aliases["features_0_0"] = "features.0.0"
    aliases["features_18_0"] = "features.18.0"
    for block, expansion in enumerate(_EXPANSIONS, start=1):
        if expansion == 1:
            aliases[f"features_{block}_conv_0_0"] = f"features.{block}.conv.0.0"
            aliases[f"features_{block}_1_0"] = f"features.{block}.conv.1"
        else:
            aliases[f"features_{block}_conv_0_0"] = f"features.{block}.conv.0.0"
            aliases[f"features_{block}_conv_0_1"] = f"features.{block}.conv.1.0"
            aliases[f"features_{block}_1_0"] = f"features.{block}.conv.2"
    return aliases


LEGACY_ALIASES: dict[str, str] = _legacy_aliases()


def canonical_layer(name: str) -> str:
    """The module name of a conv layer given by module name or legacy alias; else an error."""
    if name in EXPECTED_WEIGHT_COUNTS:
        return name
    if name in LEGACY_ALIASES:
        return LEGACY_ALIASES[name]
    raise CompressError(
        f"unknown MobileNetV2 layer {name!r}; conv layers are {CONV_LAYERS[0]}, "
        f"{CONV_LAYERS[1]}, ... {CONV_LAYERS[-1]} (52 in all; underscore aliases such as "
        "features_2_conv_0_1 also work)"
    )


def block_of(layer: str) -> int:
    """Index ``i`` of the ``features.i`` block holding conv ``layer``."""
    match = re.match(r"features\.(\d+)\.", canonical_layer(layer) + ".")
    assert match is not None
    return int(match.group(1))


# -- building -------------------------------------------------------------------------------------
def quantizable_mobilenet_v2(num_classes: int = 10) -> nn.Module:
    """Float torchvision ``QuantizableMobileNetV2`` (random init, stubs, not fused)."""
    from torchvision.models.quantization import mobilenet_v2

    return mobilenet_v2(weights=None, quantize=False, num_classes=num_classes)


def prepare_qat(model: nn.Module) -> nn.Module:
    """Fuse and insert fake quantization for QAT (x86/fbgemm qconfig: per-channel symmetric int8
    weights, as the LeNet models); in place, train mode."""
    use_quantized_engine(QUANTIZED_ENGINE)
    model.train()
    with quiet_quantization_warnings():
        model.fuse_model(is_qat=True)
        model.qconfig = tq.get_default_qat_qconfig(QUANTIZED_ENGINE)
        return tq.prepare_qat(model, inplace=True)


def empty_quantized_mobilenet_v2(num_classes: int, engine: str) -> nn.Module:
    """A converted int8 skeleton whose state dict has the keys of a checkpoint for ``engine``
    (its values are overwritten when the checkpoint is loaded)."""
    use_quantized_engine(engine)
    model = quantizable_mobilenet_v2(num_classes)
    model.eval()
    with quiet_quantization_warnings():
        model.fuse_model(is_qat=False)
        model.qconfig = tq.get_default_qconfig(engine)
        tq.prepare(model, inplace=True)
        return tq.convert(model, inplace=True)


def checkpoint_engine(state_dict: Mapping[str, object]) -> str:
    """The quantized engine that fits a checkpoint: QNNPACK for per-tensor weights (torchvision's
    ImageNet weights), the x86/fbgemm engine for per-channel weights (the bundled model)."""
    weight = state_dict.get("features.0.0.weight")
    if isinstance(weight, torch.Tensor) and weight.is_quantized:
        if weight.qscheme() in (torch.per_tensor_affine, torch.per_tensor_symmetric):
            return TORCHVISION_ENGINE
    return QUANTIZED_ENGINE


def checkpoint_classes(state_dict: Mapping[str, object]) -> int:
    """Number of classes of a converted checkpoint (from the classifier's packed weight)."""
    packed = state_dict.get("classifier.1._packed_params._packed_params")
    if isinstance(packed, tuple | list) and packed and isinstance(packed[0], torch.Tensor):
        return int(packed[0].shape[0])
    raise CompressError(
        "checkpoint is not an int8 MobileNetV2 (no classifier.1 packed weights); pass a "
        "quantized MobileNetV2 state dict such as mobilenet_v2.mnist.pth"
    )


def skeleton_for(state_dict: Mapping[str, object]) -> nn.Module:
    """The int8 skeleton a checkpoint loads into: its class count, its engine."""
    engine = checkpoint_engine(state_dict)
    model = empty_quantized_mobilenet_v2(checkpoint_classes(state_dict), engine)
    model.quantized_engine = engine
    return model


def check_weight_counts(model: nn.Module) -> None:
    """Every conv layer of the original's table exists and has its expected weight count."""
    for layer, expected in EXPECTED_WEIGHT_COUNTS.items():
        try:
            module = model.get_submodule(layer)
            weight = module.weight()
        except (AttributeError, TypeError):
            raise CompressError(f"the model has no int8 conv layer {layer}") from None
        if weight.numel() != expected:
            raise CompressError(
                f"layer {layer} has {weight.numel()} weights, MobileNetV2 (width 1.0) has "
                f"{expected}; pass a width-1.0 MobileNetV2 checkpoint"
            )


# -- stages (prefix sharing in model-metrics) ---------------------------------------------------
class _Head(nn.Module):
    """What torchvision's MobileNetV2 does after ``features``: global average pool, classifier."""

    def __init__(self, classifier: nn.Module) -> None:
        super().__init__()
        self.classifier = classifier

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = nn.functional.adaptive_avg_pool2d(x, (1, 1))
        return self.classifier(torch.flatten(x, 1))


def stages(model: nn.Module) -> list:
    """The forward pass of a (quantized) torchvision MobileNetV2 as consecutive stages: quant
    stub, each ``features.i`` block, the pooled classifier head, dequant stub."""
    from compress.models.stages import Stage

    result = [Stage("quant", model.quant, ("quant",))]
    result += [
        Stage(f"features.{i}", block, (f"features.{i}",)) for i, block in enumerate(model.features)
    ]
    result.append(Stage("head", _Head(model.classifier), ("classifier",)))
    result.append(Stage("dequant", model.dequant, ("dequant",)))
    return result


# -- input -----------------------------------------------------------------------------------------
MNIST_INPUT_SIZE = 32
"""Side of the square the 28x28 digits are resized to for the MNIST MobileNetV2 (five stride-2
stages take 32 down to 1x1)."""


def adapt_input(dataset: Dataset) -> Dataset:
    """Grayscale digit datasets (1 x H x W) become 3 x 32 x 32 (resized, channel repeated), as
    the bundled model was trained; 3-channel datasets (ImageNet) pass unchanged."""
    from compress.data import RgbResized

    image, _ = dataset[0]
    if isinstance(image, torch.Tensor) and image.ndim == 3 and image.shape[0] == 1:
        return RgbResized(dataset, MNIST_INPUT_SIZE)
    return dataset


# -- torchvision's ImageNet weights ---------------------------------------------------------------
TORCHVISION_WEIGHTS = ("IMAGENET1K_QNNPACK_V1",)
"""Names of torchvision's quantized MobileNetV2 weights accepted in place of a checkpoint path."""


def torchvision_weights(name: str):
    """torchvision's ``MobileNet_V2_QuantizedWeights`` member called ``name`` (any case)."""
    from torchvision.models.quantization import MobileNet_V2_QuantizedWeights

    return MobileNet_V2_QuantizedWeights[name.upper()]


def is_torchvision_weights_name(path: str | Path) -> bool:
    return str(path).upper() in TORCHVISION_WEIGHTS


def torchvision_weights_path(name: str, settings: Settings) -> Path:
    """Where torchvision's weights ``name`` are kept: ``$datastore/models/mobilenet_v2/<file>``
    with the published file name."""
    url = torchvision_weights(name).url
    return settings.models_dir / NAME / url.rsplit("/", 1)[-1]


def fetch_torchvision_weights(name: str, settings: Settings, *, download: bool = True) -> Path:
    """The local copy of torchvision's quantized weights ``name``, downloaded once if missing.

    The download is written atomically (never a truncated file under the final name). Offline (or with ``download=False``), a missing file is a one-line error naming
    the file and where to put it.
    """
    weights = torchvision_weights(name)
    target = torchvision_weights_path(name, settings)
    if target.is_file():
        return target
    advice = (
        f"download {weights.url} and put it at {target}, or pass a local MobileNetV2 checkpoint "
        "such as mobilenet_v2.mnist.pth"
    )
    if not download:
        raise CompressError(f"torchvision weights {name} are not in {target}; {advice}")
    from torch.hub import download_url_to_file

    from compress.network import reachable

    if not reachable(weights.url):
        raise CompressError(
            f"cannot download torchvision weights {name} (no connection to "
            f"{weights.url.split('/')[2]}); {advice}"
        )
    print(f"downloading torchvision weights {name} to {target}", file=sys.stderr)
    try:
        with atomic_path(target, mode=0o644) as temporary:
            download_url_to_file(
                weights.url,
                str(temporary),
                hash_prefix=None,  # the name's "_37f702c5" is not torch.hub's "-<sha256>" form
                progress=sys.stderr.isatty(),
            )
    except (urllib.error.URLError, OSError, RuntimeError, ValueError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CompressError(
            f"cannot download torchvision weights {name} ({reason[:100]}); {advice}"
        ) from None
    return target


def resolve_checkpoint(path: str | Path, settings: Settings, *, download: bool = True) -> Path:
    """A MobileNetV2 checkpoint: a file (``path``, ``$datastore/models/<path>`` or
    ``$datastore/models/mobilenet_v2/<path>``), or torchvision's weights by name
    (``IMAGENET1K_QNNPACK_V1``), downloaded into the datastore once."""
    from compress.models.checkpoints import resolve_checkpoint as resolve_file

    if is_torchvision_weights_name(path) and not Path(path).is_file():
        return fetch_torchvision_weights(str(path), settings, download=download)
    nested = settings.models_dir / NAME / Path(path)
    if not Path(path).is_file() and not Path(path).is_absolute() and nested.is_file():
        return nested
    return resolve_file(path, settings)
