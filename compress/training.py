"""Seeded training: the float loop, QAT fine-tuning and PTQ calibration.

Determinism: one seed fixes the weight initialisation (``torch.manual_seed``), the
train/validation split and the shuffling (their own ``torch.Generator``s), so two runs with the
same seed, data and thread count give the same model. Early stopping on validation loss keeps the
best epoch's weights (as the original's ``fit`` did, with an 80/20 split).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, Subset
from tqdm import tqdm

from compress.errors import CompressError
from compress.evaluation import evaluate_model, progress_enabled
from compress.models import quantized_lenet


@dataclass(frozen=True)
class TrainingConfig:
    """Hyper-parameters of one training run (SGD with momentum, early stopping).

    The defaults are the recipe of the committed float checkpoint (:data:`FLOAT_RECIPE`). The
    original used lr 0.001, batch 32, 15 epochs, patience 3 and a 20 % validation split; on the
    8,000-image bundled subset a larger, decaying step reaches about 98 % top-1 in a few epochs.
    """

    epochs: int = 20
    batch_size: int = 32
    lr: float = 0.02
    momentum: float = 0.9
    lr_decay: float = 0.85
    """Learning rate multiplied by this after every epoch (1.0 = constant)."""
    validation_ratio: float = 0.1
    patience: int = 5
    seed: int = 0


FLOAT_RECIPE = TrainingConfig()
"""Float LeNet-5 from scratch (``model:train``, ``make models``)."""

QAT_RECIPE = TrainingConfig(epochs=3, batch_size=64, lr=0.005, lr_decay=1.0, patience=3)
"""Quantization-aware fine-tuning of trained float weights (``model:quantize``)."""

MOBILENET_FLOAT_RECIPE = TrainingConfig(
    epochs=5, batch_size=64, lr=0.1, lr_decay=0.6, validation_ratio=0.1, patience=2
)
"""MobileNetV2 on the bundled MNIST subset (32 x 32 RGB digits), float from a random init
(``make models``; a MobileNetV2 training step costs ~100x a LeNet-5 step on CPU, so the recipe
is kept to a few epochs)."""

MOBILENET_QAT_RECIPE = TrainingConfig(
    epochs=1, batch_size=64, lr=0.005, lr_decay=1.0, validation_ratio=0.1, patience=1
)
"""Quantization-aware fine-tuning of the float MobileNetV2: one epoch over
:data:`MOBILENET_QAT_IMAGES` training images."""

MOBILENET_QAT_IMAGES = 4000

PTQ_CALIBRATION_IMAGES = 2000
"""Images of the training split used to calibrate the post-training quantized model."""


@dataclass
class TrainingHistory:
    """Per-epoch mean training loss and validation loss/accuracy, and the epoch kept."""

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    best_epoch: int = -1


def split_train_validation(
    dataset: Dataset, ratio: float, seed: int
) -> tuple[Dataset, Dataset | None]:
    """A seeded random split into (train, validation); ``ratio=0`` gives no validation set."""
    size = len(dataset)  # type: ignore[arg-type]
    n_val = int(round(size * ratio))
    if n_val <= 0:
        return dataset, None
    if n_val >= size:
        raise CompressError(f"validation ratio {ratio} leaves no training data")
    order = torch.randperm(size, generator=torch.Generator().manual_seed(seed)).tolist()
    return Subset(dataset, order[n_val:]), Subset(dataset, order[:n_val])


def train_model(
    model: nn.Module,
    dataset: Dataset,
    config: TrainingConfig,
    *,
    progress: bool = True,
    desc: str = "train",
) -> TrainingHistory:
    """Train ``model`` in place with SGD + momentum and early stopping on validation loss.

    The weights of the best validation epoch are restored at the end. Works for float models and
    for QAT-prepared models (fake-quantised) alike.
    """
    if config.epochs < 1:
        raise CompressError(f"--epochs must be at least 1, got {config.epochs}")
    if config.batch_size < 1:
        raise CompressError(f"--batch-size must be at least 1, got {config.batch_size}")
    if not config.lr > 0:
        raise CompressError(f"--lr must be positive, got {config.lr}")
    train_set, val_set = split_train_validation(dataset, config.validation_ratio, config.seed)
    loader = DataLoader(
        train_set,
        batch_size=config.batch_size,
        shuffle=True,
        generator=torch.Generator().manual_seed(config.seed + 1),
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum)
    schedule = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=config.lr_decay)
    loss_fn = nn.CrossEntropyLoss()
    history = TrainingHistory()
    best_loss = float("inf")
    best_state = copy.deepcopy(model.state_dict())
    stale = 0
    show = progress_enabled(progress)
    for epoch in range(config.epochs):
        model.train()
        total, count = 0.0, 0
        bar = tqdm(
            loader,
            desc=f"{desc} epoch {epoch + 1}/{config.epochs}",
            unit="batch",
            disable=not show,
            leave=False,
        )
        for images, labels in bar:
            optimizer.zero_grad()
            loss = loss_fn(model(images), labels)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(labels)
            count += len(labels)
            bar.set_postfix(loss=f"{total / count:.4f}", refresh=False)
        history.train_loss.append(total / count)
        schedule.step()
        if val_set is None:
            best_state = copy.deepcopy(model.state_dict())
            history.best_epoch = epoch
            continue
        result = evaluate_model(model, val_set, batch_size=1000, top=(1,), progress=False)
        assert result.loss is not None
        history.val_loss.append(result.loss)
        history.val_accuracy.append(result.top1)
        if show:
            tqdm.write(
                f"{desc} epoch {epoch + 1}: train loss {total / count:.4f}, "
                f"validation loss {result.loss:.4f}, validation top-1 {result.top1:.4f}"
            )
        if result.loss < best_loss:
            best_loss, stale = result.loss, 0
            best_state = copy.deepcopy(model.state_dict())
            history.best_epoch = epoch
        else:
            stale += 1
            if stale >= config.patience:
                break
    model.load_state_dict(best_state)
    model.eval()
    return history


def quantize_qat(
    model: nn.Module,
    dataset: Dataset,
    config: TrainingConfig,
    *,
    progress: bool = True,
    prepare: Callable[[nn.Module], nn.Module] = quantized_lenet.prepare_qat,
) -> nn.Module:
    """Fine-tune a float-initialised quantizable model with fake quantisation, then convert.

    ``prepare`` fuses the model's layers and inserts fake quantization (LeNet-5's by default).
    """
    torch.manual_seed(config.seed)
    prepare(model)
    train_model(model, dataset, config, progress=progress, desc="qat")
    return quantized_lenet.convert(model)


def calibrate_ptq(
    model: quantized_lenet.QuantizableLeNet5,
    dataset: Dataset,
    *,
    batch_size: int = 1000,
    max_images: int | None = None,
    progress: bool = True,
) -> nn.Module:
    """Observe activation ranges on ``dataset`` (no training), then convert to int8."""
    quantized_lenet.prepare_ptq(model)
    size = len(dataset)  # type: ignore[arg-type]
    if max_images is not None:
        dataset = Subset(dataset, range(min(size, max_images)))
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False)
    with torch.inference_mode():
        for images, _ in tqdm(
            loader, desc="calibrate", unit="batch", disable=not progress_enabled(progress)
        ):
            model(images)
    return quantized_lenet.convert(model)
