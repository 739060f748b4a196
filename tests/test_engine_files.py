"""Engine file formats on the Python side: config model, train.data, weights, statistics, thresholds."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

from compress.engine.config import CGPConfig
from compress.engine.files import (
    STATISTICS_COLUMNS,
    TrainItem,
    format_train_data,
    read_statistics,
    read_train_data,
    read_weights,
    result_chromosome,
    select_chromosome_rows,
)
from compress.errors import CompressError
from compress.experiments.thresholds import engine_threshold, per_weight_error

ORIGINAL_DUMP = """function_input_arity: 2
output_count: 16
mutation_max: 0.15
input_file: C:\\Users\\x\\train.data
stdout: train_stdout.txt
best_solution: error:0 quantized_energy:12 energy:0.5 chromosome:{9,16,5,5,2,5,1}([9]0,1,2)(9,9)
evolution_steps_made: 1234
"""


def test_config_round_trip_keeps_order_and_unknown_keys(tmp_path):
    config = CGPConfig.parse(ORIGINAL_DUMP)
    assert list(config) == [
        "function_input_arity",
        "output_count",
        "mutation_max",
        "input_file",
        "stdout",
        "best_solution",
        "evolution_steps_made",
    ]
    assert config["mutation_max"] == 0.15 and config["output_count"] == 16
    assert config["best_solution"].startswith("error:0 quantized_energy:12")
    path = config.save(tmp_path / "a.config")
    again = CGPConfig.load(path)
    assert list(again.items()) == [
        (k, v if k != "input_file" else "C:/Users/x/train.data") for k, v in config.items()
    ]


def test_config_cli_only_keys_are_flags_not_lines(tmp_path):
    config = CGPConfig({"number_of_runs": 4, "patience": 10})
    config["start_run"] = 2
    config["mse_threshold"] = 600
    text = config.dumps()
    assert "start_run" not in text and "mse_threshold: 600" in text
    assert config.to_args(["patience", "stdout"]) == ["--patience", "10", "--start-run", "2"]
    assert config.get("start_run") == 2
    config.update({"patience": None, "population_max": 8})
    assert config["patience"] == 10 and config["population_max"] == 8


def test_config_errors_name_file_and_line(tmp_path):
    bad = tmp_path / "bad.config"
    bad.write_text("row_count: 5\n\n# comment\nno colon here\n")
    with pytest.raises(CompressError, match=r"bad.config:4"):
        CGPConfig.load(bad)
    with pytest.raises(CompressError, match="does not exist"):
        CGPConfig.load(tmp_path / "missing.config")


def test_train_data_pads_with_dont_care_and_reads_back(tmp_path):
    items = [TrainItem([1, 2, 3], [4, -5]), TrainItem([7], [8, 9, 10])]
    text = format_train_data(items, input_count=3, output_count=3)
    assert text.splitlines() == ["1 2 3", "4 -5 x", "7 x x", "8 9 10"]
    (tmp_path / "train.data").write_text(text)
    data = read_train_data(tmp_path / "train.data", 3, 3, 2)
    assert [list(i.inputs) for i in data.items] == [[1, 2, 3], [7]]
    assert [list(i.outputs) for i in data.items] == [[4, -5], [8, 9, 10]]
    assert data.meaningful_outputs == 5
    # inputs beyond input_count are cut, like the original
    assert format_train_data([TrainItem([0, 0], [1])], 1, 1).splitlines() == ["0", "1"]
    with pytest.raises(CompressError, match="outside int8"):
        format_train_data([TrainItem([300], [1])], 1, 1)
    with pytest.raises(CompressError, match="selects no output"):
        format_train_data([TrainItem([1], [])], 1, 1)


def test_weights_reader(tmp_path):
    path = tmp_path / "w.txt"
    path.write_text("1 2 3\n-4 5 6\n")
    assert read_weights(path, 2, 3).tolist() == [[1, 2, 3], [-4, 5, 6]]
    assert read_weights(path, 1, 2).tolist() == [[1, 2]]
    with pytest.raises(CompressError, match="expected 3"):
        read_weights(path, 3)
    path.write_text("1 nan 3\n")
    with pytest.raises(CompressError, match="integers"):
        read_weights(path, 1)


def write_statistics(path, rows):
    lines = [",".join(STATISTICS_COLUMNS)]
    for run, gen, error, chromosome in rows:
        lines.append(f'{run},{gen},"0.5",{error},inf,inf,inf,inf,inf,nan,nan,"{chromosome}"')
    path.write_text("\n".join(lines) + "\n")


def test_statistics_plain_zipped_and_chromosome_rows(tmp_path):
    plain = tmp_path / "statistics.1.csv"
    write_statistics(
        plain,
        [
            (1, 1, 900, ""),
            (1, 5, 40, "{c,1}(1,2,3)"),
            (1, 9, 0, "{c,2}(1,2)"),
            (1, 9, 0, "{c,2}(1,2)"),
        ],
    )
    zipped = tmp_path / "statistics.1.csv.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.write(plain, "statistics.1.csv")
    for path in (plain, zipped):
        frame = read_statistics(path)
        assert list(frame.columns) == list(STATISTICS_COLUMNS)
        assert np.isinf(frame["energy"].iloc[0])
        rows = select_chromosome_rows(frame)
        assert rows["chromosome"].tolist() == ["{c,1}(1,2,3)", "{c,2}(1,2)"]
        assert select_chromosome_rows(frame, top=1)["generation"].tolist() == [9]
    headerless = tmp_path / "statistics.2.csv"
    headerless.write_text('1,3,"0.1",5,1,0.2,3,4,0.5,2,7,"{x}(1)"\n')
    assert read_statistics(headerless)["chromosome"].tolist() == ["{x}(1)"]


def test_result_chromosome(tmp_path):
    path = tmp_path / "cgp.1.config"
    path.write_text(ORIGINAL_DUMP)
    assert result_chromosome(path) == "{9,16,5,5,2,5,1}([9]0,1,2)(9,9)"
    path.write_text("best_solution: error:inf chromosome:null\n")
    assert result_chromosome(path) is None
    assert result_chromosome(tmp_path / "none") is None


@pytest.mark.parametrize(
    ("metric", "error", "outputs", "items", "expected"),
    [
        ("SE", 0.5, 2400, 1, 600),
        ("SE", 0, 2400, 1, 0),
        ("MSE", 2, 1632, 2, 8),
        ("AE", 3, 16, 1, 48),
        ("SE", 0.1, 3, 1, 0),
    ],
)
def test_one_threshold_conversion(metric, error, outputs, items, expected):
    assert engine_threshold(error, metric, outputs=outputs, items=items) == expected
    if expected:
        back = per_weight_error(expected, metric, outputs=outputs, items=items)
        assert back == pytest.approx(error)


def test_threshold_rejects_nonsense():
    with pytest.raises(CompressError):
        engine_threshold(-1, "SE", outputs=1, items=1)
    with pytest.raises(CompressError):
        engine_threshold(1, "XE", outputs=1, items=1)
