"""``model:train``, ``model:evaluate``, ``model:quantize``, ``model:sensitivity``.

The options follow the original (workflow spec §1.2) with its defects fixed: ``model:evaluate``
takes the checkpoint as a positional or ``-m``; ``model:quantize`` works for both QAT and PTQ;
``model:sensitivity`` names its CSVs after the model and error type. Checkpoints given by a bare
name resolve in ``$datastore/models``; every output is written atomically and an existing
checkpoint is only replaced with ``--force``.
"""

from __future__ import annotations

import argparse
import copy
import csv
import dataclasses
import io
from pathlib import Path

import torch
from tqdm import tqdm

from compress.atomic import write_text_atomic
from compress.errors import CompressError
from compress.evaluation import EvaluationResult, evaluate_model, progress_enabled
from compress.models import MODEL_REGISTRY, create_model, get_model_spec, load_model
from compress.models.checkpoints import save_state_dict
from compress.models.quantized_lenet import QuantizableLeNet5
from compress.settings import Settings
from compress.training import (
    FLOAT_RECIPE,
    PTQ_CALIBRATION_IMAGES,
    QAT_RECIPE,
    calibrate_ptq,
    quantize_qat,
    train_model,
)

ERROR_TYPES = ("inner", "outter", "outer", "all")
QUANTIZED_NAMES = tuple(name for name, spec in MODEL_REGISTRY.items() if spec.quantized)
LENET_QUANTIZED_NAMES = tuple(name for name in QUANTIZED_NAMES if name.endswith("_lenet"))


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``model:*`` sub-commands."""
    _register_train(subparsers)
    _register_evaluate(subparsers)
    _register_quantize(subparsers)
    _register_sensitivity(subparsers)


# --------------------------------------------------------------------------- shared options


def _model_name_argument(parser: argparse.ArgumentParser, names: tuple[str, ...]) -> None:
    parser.add_argument(
        "model_name", metavar="model_name", help=f"registered model: {', '.join(names)}"
    )


def _dataset_arguments(parser: argparse.ArgumentParser, *, split_help: str) -> None:
    parser.add_argument(
        "--dataset",
        default=None,
        help="default (bundled MNIST subset), mnist, qmnist, fashion-mnist, emnist or imagenet "
        "(ImageNet-1k: a local val/<wnid>/*.JPEG folder under --data-dir, or the Hugging Face "
        "Hub when online) (default: the bundled subset)",
    )
    parser.add_argument("--split", default=None, help=split_help)
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="root of the datasets (default: $datastore/datasets)",
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        help="never download a dataset; fail if it is not on disk",
    )
    parser.add_argument(
        "--limit",
        type=int,
        default=None,
        metavar="N",
        help="use a fixed subset of N images drawn with --seed (default: every image)",
    )
    parser.add_argument(
        "--num-proc",
        type=int,
        default=None,
        metavar="N",
        help="processes Hugging Face datasets prepares ImageNet with (default: one)",
    )


def _evaluation_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--batch-size",
        type=int,
        default=1000,
        help="images per batch; 0 = the whole dataset in one batch (default: 1000)",
    )
    parser.add_argument(
        "--top",
        type=int,
        nargs="+",
        default=[1, 5],
        help="top-k accuracies to report (default: 1 5)",
    )
    parser.add_argument(
        "-l",
        "--include-loss",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also report the mean cross-entropy loss (default: yes)",
    )
    parser.add_argument(
        "--num-workers", type=int, default=0, help="DataLoader worker processes (default: 0)"
    )


def _threads_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch CPU threads (default: 1, the setting the committed checkpoints were made "
        "with; results can differ in the last bits between thread counts)",
    )


def _set_threads(threads: int) -> None:
    if threads < 1:
        raise CompressError(f"--threads must be at least 1, got {threads}")
    torch.set_num_threads(threads)


def _load_data(args: argparse.Namespace, settings: Settings, *, train: bool):
    """The dataset the options name, in the input format of ``args.model_name``."""
    from compress.data import load_dataset
    from compress.models import model_input

    dataset = load_dataset(
        args.dataset,
        args.split,
        settings,
        train=train,
        data_dir=args.data_dir,
        download=not args.offline,
        limit=getattr(args, "limit", None),
        seed=getattr(args, "seed", 0) or 0,
        num_proc=getattr(args, "num_proc", None),
    )
    return model_input(args.model_name, dataset)


def _check_output(path: Path, force: bool) -> None:
    """Fail before any work if the output exists (so a long run cannot end in a refusal)."""
    if path.exists() and not force:
        raise CompressError(f"{path} already exists; pass --force to overwrite it")
    if path.exists() and path.is_dir():
        raise CompressError(f"{path} is a directory; give a file name")


# --------------------------------------------------------------------------- model:train


def _register_train(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "model:train",
        help="train a model on a dataset (int8 models: QAT from scratch, or PTQ after training)",
        description="Train a registered model with SGD and early stopping, seeded and "
        "deterministic. lenet trains float32; qat_quantized_lenet trains with fake quantization "
        "and saves the int8 model; ptq_quantized_lenet trains float32, calibrates and saves int8.",
    )
    _model_name_argument(parser, tuple(MODEL_REGISTRY))
    parser.add_argument(
        "-m", "--model-path", required=True, type=Path, help="where to save the checkpoint"
    )
    parser.add_argument(
        "-b", "--base", default=None, help="float checkpoint to start from (default: random init)"
    )
    parser.add_argument(
        "--epochs",
        type=int,
        default=FLOAT_RECIPE.epochs,
        help="maximum epochs (default: %(default)s)",
    )
    parser.add_argument(
        "--batch-size", type=int, default=FLOAT_RECIPE.batch_size, help="default: %(default)s"
    )
    parser.add_argument(
        "--lr", type=float, default=FLOAT_RECIPE.lr, help="SGD learning rate (default: %(default)s)"
    )
    parser.add_argument(
        "--lr-decay",
        type=float,
        default=FLOAT_RECIPE.lr_decay,
        help="learning rate factor applied after every epoch (default: %(default)s)",
    )
    parser.add_argument(
        "--patience",
        type=int,
        default=FLOAT_RECIPE.patience,
        help="stop after this many epochs without a better validation loss (default: %(default)s)",
    )
    parser.add_argument(
        "--validation-ratio",
        type=float,
        default=FLOAT_RECIPE.validation_ratio,
        help="share of the training split held out for early stopping (default: %(default)s)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of init, split and shuffling (default: 0)"
    )
    _threads_argument(parser)
    parser.add_argument("--force", action="store_true", help="overwrite an existing checkpoint")
    _dataset_arguments(parser, split_help="training split (default: the dataset's training split)")
    parser.set_defaults(handler=run_train)


def _training_config(args: argparse.Namespace):
    if not 0 <= args.validation_ratio < 1:
        raise CompressError(f"--validation-ratio must be in [0, 1), got {args.validation_ratio}")
    return dataclasses.replace(
        FLOAT_RECIPE,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        lr_decay=args.lr_decay,
        validation_ratio=args.validation_ratio,
        patience=args.patience,
        seed=args.seed,
    )


def _float_start(name: str, base: str | None, settings: Settings, seed: int) -> torch.nn.Module:
    """A fresh model for ``name`` (seeded init), with float weights from ``base`` if given."""
    torch.manual_seed(seed)
    model = create_model(name)
    if base is not None:
        if not name.endswith("lenet"):
            raise CompressError(
                f"-b/--base takes float LeNet-5 weights; {name} trains from scratch"
            )
        float_model = load_model("lenet", base, settings)
        model.load_state_dict(float_model.state_dict())
    return model


def run_train(args: argparse.Namespace, settings: Settings) -> int:
    spec = get_model_spec(args.model_name)
    _check_output(args.model_path, args.force)
    config = _training_config(args)
    _set_threads(args.threads)
    dataset = _load_data(args, settings, train=True)
    model = _float_start(spec.name, args.base, settings, args.seed)
    if spec.quantization == "qat":
        prepare = {} if spec.prepare_qat is None else {"prepare": spec.prepare_qat}
        model = quantize_qat(model, dataset, config, **prepare)
    else:
        train_model(model, dataset, config)
        if spec.quantization == "ptq":
            model = calibrate_ptq(model, dataset, max_images=PTQ_CALIBRATION_IMAGES)
    path = save_state_dict(model, args.model_path, force=args.force)
    print(f"saved {spec.name} to {path}")
    return 0


# --------------------------------------------------------------------------- model:evaluate


def _register_evaluate(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "model:evaluate",
        help="top-k accuracy and loss of a checkpoint",
        description="Evaluate a checkpoint on a dataset split and print top-k accuracies and the "
        "mean cross-entropy loss. A bare checkpoint name is looked up in $datastore/models.",
    )
    _model_name_argument(parser, tuple(MODEL_REGISTRY))
    parser.add_argument("model_path", nargs="?", default=None, help="checkpoint (.pth); same as -m")
    parser.add_argument(
        "-m",
        "--model-path",
        dest="model_path_option",
        metavar="MODEL_PATH",
        default=None,
        help="checkpoint (.pth)",
    )
    _evaluation_arguments(parser)
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the --limit subset (evaluation is deterministic)",
    )
    _dataset_arguments(parser, split_help="split to evaluate (default: the dataset's test split)")
    parser.set_defaults(handler=run_evaluate)


def _checkpoint_argument(args: argparse.Namespace) -> str:
    positional, option = args.model_path, args.model_path_option
    if positional and option and positional != option:
        raise CompressError("give the checkpoint once: either as model_path or as -m, not both")
    path = positional or option
    if not path:
        raise CompressError("no checkpoint given; pass it as model_path or with -m/--model-path")
    return path


def _batch_size(value: int | None) -> int | None:
    if value is None or value == 0:
        return None
    if value < 0:
        raise CompressError(f"--batch-size must be positive (0 = whole dataset), got {value}")
    return value


def _describe(args: argparse.Namespace) -> str:
    from compress.data import resolve_split

    name, split = resolve_split(args.dataset, args.split)
    return f"{name}/{split}"


def format_result(result: EvaluationResult) -> str:
    lines = [f"top-{k}: {accuracy:.4f}" for k, accuracy in sorted(result.accuracy.items())]
    if result.loss is not None:
        lines.append(f"loss: {result.loss:.4f}")
    return "\n".join(lines)


def run_evaluate(args: argparse.Namespace, settings: Settings) -> int:
    get_model_spec(args.model_name)
    checkpoint = _checkpoint_argument(args)
    torch.manual_seed(args.seed)
    model = load_model(args.model_name, checkpoint, settings)
    dataset = _load_data(args, settings, train=False)
    result = evaluate_model(
        model,
        dataset,
        batch_size=_batch_size(args.batch_size),
        top=args.top,
        include_loss=args.include_loss,
        num_workers=args.num_workers,
    )
    print(f"{args.model_name} {checkpoint}: {len(dataset)} images of {_describe(args)}")
    print(format_result(result))
    return 0


# --------------------------------------------------------------------------- model:quantize


def _register_quantize(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "model:quantize",
        help="int8 model from float weights (QAT fine-tune or PTQ calibration)",
        description="Load float LeNet-5 weights into an int8 model class and quantize: "
        "qat_quantized_lenet fine-tunes with fake quantization, ptq_quantized_lenet calibrates "
        "activation ranges on training images. Saves the converted int8 state dict.",
    )
    _model_name_argument(parser, LENET_QUANTIZED_NAMES)
    parser.add_argument(
        "-m", "--model-path", required=True, help="float checkpoint (e.g. lenet.pth)"
    )
    parser.add_argument("new_path", type=Path, help="where to save the int8 checkpoint")
    parser.add_argument(
        "--epochs", type=int, default=QAT_RECIPE.epochs, help="QAT epochs (default: %(default)s)"
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=QAT_RECIPE.batch_size,
        help="QAT batch size (default: %(default)s)",
    )
    parser.add_argument(
        "--lr", type=float, default=QAT_RECIPE.lr, help="QAT learning rate (default: %(default)s)"
    )
    parser.add_argument(
        "--calibration-images",
        type=int,
        default=PTQ_CALIBRATION_IMAGES,
        help="PTQ: training images used for calibration (default: %(default)s)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the QAT split and shuffling (default: 0)"
    )
    _threads_argument(parser)
    parser.add_argument("--force", action="store_true", help="overwrite an existing checkpoint")
    _dataset_arguments(parser, split_help="training split (default: the dataset's training split)")
    parser.set_defaults(handler=run_quantize)


def run_quantize(args: argparse.Namespace, settings: Settings) -> int:
    spec = get_model_spec(args.model_name)
    if not spec.quantized or spec.name not in LENET_QUANTIZED_NAMES:
        raise CompressError(
            f"model:quantize needs an int8 LeNet-5 name ({', '.join(LENET_QUANTIZED_NAMES)}), "
            f"got {spec.name!r} (mobilenet_v2 is quantized while training: model:train)"
        )
    _check_output(args.new_path, args.force)
    _set_threads(args.threads)
    model = _float_start(spec.name, args.model_path, settings, args.seed)
    assert isinstance(model, QuantizableLeNet5)
    dataset = _load_data(args, settings, train=True)
    if spec.quantization == "qat":
        config = dataclasses.replace(
            QAT_RECIPE, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed
        )
        model = quantize_qat(model, dataset, config)
    else:
        if args.calibration_images < 1:
            raise CompressError("--calibration-images must be at least 1")
        model = calibrate_ptq(model, dataset, max_images=args.calibration_images)
    path = save_state_dict(model, args.new_path, force=args.force)
    print(f"saved {spec.name} to {path}")
    return 0


# --------------------------------------------------------------------------- model:sensitivity


def _register_sensitivity(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "model:sensitivity",
        help="accuracy when a constant is added to the int8 conv weights",
        description="For every offset e, add e to the int8 weights of every conv layer (the "
        "centre of each kernel without its border, the border ring, or all), saturating at "
        "-128..127, evaluate, and write error,top-k...,loss rows to "
        "<output-dir>/<model>.<error_type>.256.csv; with --per-layer one layer at a time.",
    )
    _model_name_argument(parser, QUANTIZED_NAMES)
    parser.add_argument(
        "-e",
        "--error-type",
        nargs="+",
        default=["inner", "outter", "all"],
        choices=ERROR_TYPES,
        help="weights to disturb: inner (3x3 core), outter/outer (ring), all (default: inner outter all)",
    )
    parser.add_argument("-m", "--model-path", required=True, help="int8 checkpoint")
    parser.add_argument(
        "-o", "--output-dir", type=Path, default=Path("."), help="folder of the CSVs (default: .)"
    )
    parser.add_argument(
        "--offsets",
        type=int,
        nargs=2,
        metavar=("FIRST", "LAST"),
        default=[-128, 127],
        help="inclusive range of offsets (default: -128 127)",
    )
    parser.add_argument(
        "--per-layer",
        action="store_true",
        help="disturb one conv layer at a time (rows layer,error,...) and write "
        "<model>.<error_type>.per_layer.256.csv; the layers before it run once per batch",
    )
    parser.add_argument(
        "--layers",
        nargs="+",
        default=None,
        metavar="LAYER",
        help="only these conv layers (module names or aliases; default: every conv layer)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the --limit subset (default: 0)"
    )
    parser.add_argument("--force", action="store_true", help="overwrite existing CSVs")
    _evaluation_arguments(parser)
    _dataset_arguments(parser, split_help="split to evaluate (default: the dataset's test split)")
    parser.set_defaults(handler=run_sensitivity)


def kernel_mask(shape: torch.Size, error_type: str) -> torch.Tensor:
    """Boolean mask over a conv weight: the 3x3 core, the ring around it, or everything."""
    mask = torch.zeros(shape, dtype=torch.bool)
    rows, cols = shape[-2], shape[-1]
    if error_type == "all":
        mask[...] = True
        return mask
    core = torch.zeros(rows, cols, dtype=torch.bool)
    core[1 : rows - 1, 1 : cols - 1] = True
    mask[...] = core if error_type == "inner" else ~core
    return mask


def _write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    write_text_atomic(path, buffer.getvalue(), mode=0o644)


def _disturbed(weight: torch.Tensor, error_type: str, offset: int) -> torch.Tensor:
    """``weight`` plus ``offset`` on the masked positions, saturated to int8."""
    mask = kernel_mask(weight.shape, error_type)
    return (weight.to(torch.int16) + mask.to(torch.int16) * offset).clamp(-128, 127)


def _per_layer_rows(args, model, dataset, originals, error_type, offsets, top) -> list[list]:
    """One row per (layer, offset): only that layer disturbed. Each layer's offsets are scored
    together with the layers before it run once per batch (compress/evaluation_prefix.py)."""
    from compress.evaluation_prefix import evaluate_variants
    from compress.models import model_stages

    rows: list[list[object]] = []
    stages = model_stages(args.model_name, model)
    for layer in tqdm(
        originals,
        desc=f"sensitivity {error_type}",
        unit="layer",
        disable=not progress_enabled(True),
    ):
        variants = [
            {layer: _disturbed(originals[layer], error_type, offset).to(torch.int8)}
            for offset in offsets
        ]
        results = evaluate_variants(
            model,
            stages,
            dataset,
            variants,
            batch_size=_batch_size(args.batch_size),
            top=top,
            include_loss=args.include_loss,
            num_workers=args.num_workers,
        )
        for offset, result in zip(offsets, results, strict=True):
            loss = "" if result.loss is None else result.loss
            rows.append([layer, offset, *(result.accuracy[k] for k in top), loss])
    return rows


def run_sensitivity(args: argparse.Namespace, settings: Settings) -> int:
    from compress.weights import get_int8_weights, set_int8_weights, weight_layer_names

    spec = get_model_spec(args.model_name)
    if not spec.quantized:
        raise CompressError(
            f"model:sensitivity needs an int8 model ({', '.join(QUANTIZED_NAMES)}), got {spec.name!r}"
        )
    first, last = args.offsets
    if not -255 <= first <= last <= 255:
        raise CompressError(
            f"--offsets must satisfy -255 <= FIRST <= LAST <= 255, got {first} {last}"
        )
    types = list(dict.fromkeys("outter" if t == "outer" else t for t in args.error_type))
    kind = ".per_layer" if args.per_layer else ""
    outputs = {t: args.output_dir / f"{spec.name}.{t}{kind}.256.csv" for t in types}
    for path in outputs.values():
        _check_output(path, args.force)
    model = load_model(spec.name, args.model_path, settings)
    dataset = _load_data(args, settings, train=False)
    convs = [name for name in weight_layer_names(model) if get_int8_weights(model, name).ndim == 4]
    if args.layers:
        from compress.models import canonical_layer

        chosen = [canonical_layer(spec.name, layer) for layer in args.layers]
        unknown = [layer for layer in chosen if layer not in convs]
        if unknown:
            raise CompressError(f"--layers: {unknown[0]} is not a conv layer of {spec.name}")
        convs = [layer for layer in convs if layer in chosen]
    originals = {name: get_int8_weights(model, name) for name in convs}
    top = sorted({1, *args.top})
    header = ["error", *(f"top-{k}" for k in top), "loss"]
    offsets = range(first, last + 1)
    show = progress_enabled(True)
    if args.per_layer:
        for error_type, path in outputs.items():
            _write_csv(
                path,
                ["layer", *header],
                _per_layer_rows(args, model, dataset, originals, error_type, offsets, top),
            )
            print(f"wrote {path}")
        return 0
    for error_type, path in outputs.items():
        patched = copy.deepcopy(model)
        rows: list[list[object]] = []
        for offset in tqdm(
            offsets, desc=f"sensitivity {error_type}", unit="offset", disable=not show
        ):
            for name, weight in originals.items():
                set_int8_weights(patched, name, _disturbed(weight, error_type, offset))
            result = evaluate_model(
                patched,
                dataset,
                batch_size=_batch_size(args.batch_size),
                top=top,
                include_loss=args.include_loss,
                num_workers=args.num_workers,
                progress=False,
            )
            loss = "" if result.loss is None else result.loss
            rows.append([offset, *(result.accuracy[k] for k in top), loss])
        _write_csv(path, header, rows)
        print(f"wrote {path}")
    return 0
