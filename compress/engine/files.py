"""The engine's data files: ``train.data``, weights files, statistics CSVs and result configs.

These formats are the compatibility contract with the original's experiment folders (engine spec
§3): ``train.data`` holds two lines per dataset item, inputs then outputs, each padded with ``x``
(don't care) up to the configured counts; statistics CSVs have a fixed header and may be zipped
by the cluster merge scripts; the last statistics row and the ``best_solution:`` line of a result
config carry a run's final chromosome.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from compress.atomic import write_text_atomic
from compress.engine.description import engine_description
from compress.errors import CompressError

CIRCUIT_COLUMNS = (
    "error",
    "quantized_energy",
    "energy",
    "area",
    "quantized_delay",
    "delay",
    "gate_count",
)
"""A circuit's figures in the engine's statistics (numeric; depth is left out, as the original's
model-metrics CSV leaves it out)."""

STATISTICS_COLUMNS = engine_description().statistics_columns
"""Header of every statistics CSV the engine writes (train and ``evaluate:chromosomes``)."""

DONT_CARE = "x"


@dataclass(frozen=True)
class TrainItem:
    """One dataset item: the circuit's input values and the outputs it must produce."""

    inputs: Sequence[int]
    outputs: Sequence[int]


@dataclass(frozen=True)
class TrainData:
    """A parsed ``train.data``: per item the meaningful inputs and outputs (padding removed)."""

    items: list[TrainItem]
    input_count: int
    output_count: int

    @property
    def meaningful_outputs(self) -> int:
        """N in the threshold formulas: outputs that count towards the error, over all items."""
        return sum(len(item.outputs) for item in self.items)


def format_train_data(items: Sequence[TrainItem], input_count: int, output_count: int) -> str:
    """The text of ``train.data``: inputs cut at ``input_count``, both lines padded with ``x``.

    Raises :class:`CompressError` when an item has more outputs than ``output_count`` or none at
    all (the engine refuses an item whose first output is don't-care).
    """
    lines = []
    for index, item in enumerate(items):
        inputs = [int(v) for v in item.inputs][:input_count]
        outputs = [int(v) for v in item.outputs]
        if not outputs:
            raise CompressError(f"dataset item {index} selects no output weights")
        if len(outputs) > output_count:
            raise CompressError(
                f"dataset item {index} has {len(outputs)} outputs but output_count is {output_count}"
            )
        for value in (*inputs, *outputs):
            if not -128 <= value <= 127:
                raise CompressError(f"dataset item {index} holds {value}, outside int8 -128..127")
        lines.append(_padded(inputs, input_count))
        lines.append(_padded(outputs, output_count))
    return "\n".join(lines) + "\n"


def _padded(values: Sequence[int], count: int) -> str:
    tokens = [str(v) for v in values] + [DONT_CARE] * (count - len(values))
    return " ".join(tokens)


def write_train_data(
    path: str | Path, items: Sequence[TrainItem], input_count: int, output_count: int
) -> None:
    """Write ``train.data`` atomically."""
    write_text_atomic(path, format_train_data(items, input_count, output_count))


def read_train_data(
    path: str | Path, input_count: int, output_count: int, dataset_size: int
) -> TrainData:
    """Read ``train.data`` back, dropping ``x`` padding (inputs: every ``x``; outputs: from the
    first ``x`` on, as the engine does)."""
    path = Path(path)
    if not path.is_file():
        raise CompressError(f"training data {path} does not exist; rerun the experiment's train")
    tokens = path.read_text(encoding="utf-8").split()
    needed = dataset_size * (input_count + output_count)
    if len(tokens) < needed:
        raise CompressError(
            f"{path} has {len(tokens)} values, the config needs {needed} "
            f"({dataset_size} items x ({input_count} inputs + {output_count} outputs))"
        )
    items = []
    position = 0
    for _ in range(dataset_size):
        raw_inputs = tokens[position : position + input_count]
        position += input_count
        raw_outputs = tokens[position : position + output_count]
        position += output_count
        inputs = [_int_token(t, path) for t in raw_inputs if t != DONT_CARE]
        outputs = []
        for token in raw_outputs:
            if token == DONT_CARE:
                break
            outputs.append(_int_token(token, path))
        items.append(TrainItem(inputs, outputs))
    return TrainData(items, input_count, output_count)


def _int_token(token: str, path: Path) -> int:
    try:
        return int(token)
    except ValueError:
        raise CompressError(f"{path}: {token!r} is neither an integer nor 'x'") from None


def read_weights(
    path: str | Path, dataset_size: int, output_count: int | None = None
) -> np.ndarray:
    """A weights file as an int array ``[dataset_size, output_count]`` (one line per item).

    Raises :class:`CompressError` for a missing file, too few lines, or non-integer values
    (old engines printed ``nan``).
    """
    path = Path(path)
    if not path.is_file():
        raise CompressError(f"weights file {path} does not exist")
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if len(lines) < dataset_size:
        raise CompressError(
            f"{path} has {len(lines)} lines, expected {dataset_size} (one per item)"
        )
    rows = []
    for number, line in enumerate(lines[:dataset_size], start=1):
        try:  # converted by numpy, not token by token: a MobileNetV2 layer has 409,600 weights
            row = np.array(line.split(), dtype=np.int64)
        except (ValueError, OverflowError):
            raise CompressError(
                f"{path}:{number}: weights must be integers (found {line[:40]!r}...)"
            ) from None
        if output_count is not None and len(row) < output_count:
            raise CompressError(f"{path}:{number}: {len(row)} weights, expected {output_count}")
        rows.append(row[:output_count] if output_count is not None else row)
    width = len(rows[0])
    if any(len(row) != width for row in rows):
        raise CompressError(f"{path}: lines have different numbers of weights")
    return np.asarray(rows, dtype=np.int64)


def read_statistics(path: str | Path) -> pd.DataFrame:
    """A statistics CSV (plain or ``.zip``) with the standard columns.

    A file whose header lacks ``error`` (the merge scripts' chromosome-only extracts) gets the
    standard column names, as the original did. The chromosome column is text, empty as ``""``.
    """
    path = Path(path)
    if not path.is_file():
        raise CompressError(f"statistics file {path} does not exist")
    try:
        text = _read_maybe_zipped(path)
    except (zipfile.BadZipFile, OSError, UnicodeDecodeError) as error:
        raise CompressError(f"cannot read statistics file {path}: {error}") from None
    if ',"~' in text:
        text = "\n".join(resolve_chromosome_deltas(text.split("\n"), str(path)))
    first_line = text.split("\n", 1)[0]
    header = "infer" if "error" in first_line.split(",") else None
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            header=0 if header == "infer" else None,
            names=None if header == "infer" else list(STATISTICS_COLUMNS),
            dtype={"chromosome": str, "timestamp": str},
            keep_default_na=False,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as error:
        raise CompressError(f"statistics file {path} is not a valid CSV: {error}") from None
    if "chromosome" not in frame.columns:
        raise CompressError(f"statistics file {path} has no 'chromosome' column")
    frame["chromosome"] = frame["chromosome"].fillna("").astype(str).str.strip()
    for column in ("run", "generation"):
        if column in frame.columns:
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
    for column in (*CIRCUIT_COLUMNS, "depth"):
        if column in frame.columns:
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return frame


_NODE = re.compile(r"\((?:\[(\d+)\])?([^()]*)\)")
_LAST_QUOTED = re.compile(r',"([^"]*)"\s*$')


class _Chromosome:
    """A chromosome as a reader rebuilds it: header, node genes by index, output genes."""

    def __init__(self, text: str, where: str):
        header, brace, body = text.partition("}")
        groups = _NODE.findall(body)
        if not brace or not groups:
            raise CompressError(f"{where}: malformed chromosome {text[:60]!r}...")
        self.header = header + "}"
        self.inputs = int(header.lstrip("{").split(",")[0])
        self.nodes = [genes for _, genes in groups[:-1]]
        self.outputs = groups[-1][1].split(",")

    def apply(self, delta: str, where: str) -> None:
        groups = _NODE.findall(delta[1:])
        if not groups:
            raise CompressError(f"{where}: malformed chromosome delta {delta[:60]!r}")
        try:
            for pin, genes in groups[:-1]:
                self.nodes[int(pin) - self.inputs] = genes
            for change in filter(None, groups[-1][1].split(",")):
                index, _, pin = change.partition(":")
                self.outputs[int(index)] = pin
        except (ValueError, IndexError):
            raise CompressError(f"{where}: chromosome delta does not fit the chromosome") from None

    def text(self) -> str:
        nodes = "".join(f"([{i + self.inputs}]{genes})" for i, genes in enumerate(self.nodes))
        return f"{self.header}{nodes}({','.join(self.outputs)})"


def resolve_chromosome_deltas(lines: list[str], source: str) -> list[str]:
    """Statistics CSV lines with every delta chromosome (``~...``, the engine's
    ``statistics_chromosomes: delta``) replaced by the full chromosome it stands for.

    A delta applies to the previous chromosome row of the same run (column ``run``); full rows,
    and files the original wrote, pass through unchanged.
    """
    current: dict[str, _Chromosome] = {}
    out = []
    for number, line in enumerate(lines, start=1):
        match = _LAST_QUOTED.search(line)
        chromosome = match.group(1) if match else ""
        if not chromosome:
            out.append(line)
            continue
        run = line.split(",", 1)[0]
        where = f"{source}:{number}"
        if chromosome.startswith("~"):
            if run not in current:
                raise CompressError(
                    f"{where}: a chromosome delta without an earlier full chromosome of run "
                    f"{run} (the file was cut; use the whole statistics file)"
                )
            current[run].apply(chromosome, where)
            assert match is not None
            line = f'{line[: match.start()]},"{current[run].text()}"'
        elif chromosome.startswith("{"):
            current[run] = _Chromosome(chromosome, where)
        out.append(line)
    return out


def _read_maybe_zipped(path: Path) -> str:
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if not n.endswith("/")]
            if not names:
                raise CompressError(f"zip file {path} is empty")
            return archive.read(names[0]).decode("utf-8")
    return path.read_text(encoding="utf-8")


def select_chromosome_rows(frame: pd.DataFrame, top: int | None = None) -> pd.DataFrame:
    """Rows worth re-evaluating: the last ``top`` rows (all if ``None``), duplicates of a later
    row dropped, rows without a chromosome dropped; original order kept."""
    if top is not None:
        frame = frame.tail(top)
    metric_columns = [
        c for c in frame.columns if c not in ("run", "generation", "timestamp", "depth")
    ]
    frame = frame.drop_duplicates(subset=metric_columns, keep="last")
    return frame[frame["chromosome"].str.len() > 0]


_BEST_SOLUTION = re.compile(r"chromosome:(?P<chromosome>\S*)")


def result_chromosome(config_path: str | Path) -> str | None:
    """The final chromosome from a result config's ``best_solution:`` line, if any."""
    path = Path(config_path)
    if not path.is_file():
        return None
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("best_solution:"):
            match = _BEST_SOLUTION.search(line)
            if match and match.group("chromosome") not in ("", "null"):
                return match.group("chromosome")
    return None


def write_csv_atomic(frame: pd.DataFrame, path: str | Path) -> None:
    """Write a DataFrame as CSV via a temp file and rename: never a half-written result."""
    write_text_atomic(path, frame.to_csv(index=False))
