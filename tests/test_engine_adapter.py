"""The subprocess adapter against the real ``bin/cgp``: progress, failures, interruption."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
from experiment_support import engine

from compress.engine.adapter import RunProgress, check_binary, run_engine
from compress.engine.config import CGPConfig
from compress.engine.files import TrainItem, write_train_data
from compress.errors import CompressError, EngineError, EngineInterrupted


def small_environment(folder, *, patience=500, runs=1, extra=None):
    """A 9 -> 16 problem on a 5x5 grid with the bundled gate table."""
    from compress.energy import load_gate_table, write_gate_parameters
    from compress.settings import load_settings

    folder.mkdir(parents=True, exist_ok=True)
    write_train_data(
        folder / "train.data", [TrainItem(range(-4, 5), [3 * v for v in range(-8, 8)])], 9, 16
    )
    write_gate_parameters(
        load_gate_table(None, load_settings()),
        folder / "gate_parameters.txt",
        folder / "gate_parameters.csv",
        rows=5,
        cols=5,
    )
    config = CGPConfig(
        {
            "input_count": 9,
            "output_count": 16,
            "row_count": 5,
            "col_count": 5,
            "look_back_parameter": 5,
            "function_count": 27,
            "population_max": 8,
            "mutation_max": 0.15,
            "number_of_runs": runs,
            "patience": patience,
            "mse_threshold": 0,
            "dataset_size": 1,
            "seed": 5,
            "input_file": str(folder / "train.data"),
            "gate_parameters_file": str(folder / "gate_parameters.txt"),
            "cgp_statistics_file": str(folder / "statistics.{run}.csv"),
            "output_file": str(folder / "cgp.{run}.config"),
            "train_weights_file": str(folder / "weights.{run}.txt"),
            "checkpoint_file": str(folder / "checkpoint.{run}.ckpt"),
            **(extra or {}),
        }
    )
    return config.save(folder / "train_cgp.config")


def test_progress_events_drive_the_bar(tmp_path):
    binary = engine()
    config = small_environment(tmp_path, runs=2)
    events = []
    run_engine(
        binary,
        "train",
        config,
        stdout_path=tmp_path / "out.txt",
        stderr_path=tmp_path / "err.txt",
        on_progress=events.append,
    )
    finished = [e for e in events if e.get("event") == "run_finished"]
    assert [e["run"] for e in finished] == [1, 2]
    assert all("generation" in e for e in events if "event" not in e)
    assert "PROGRESS" not in (tmp_path / "err.txt").read_text()
    bar = RunProgress(2, "test")
    for event in events:
        bar(event)
    assert bar.finished == 2
    bar.close()


def test_invalid_input_is_one_line_engine_error(tmp_path):
    binary = engine()
    config = small_environment(tmp_path, extra={"look_back_parameter": 99})
    with pytest.raises(EngineError) as error:
        run_engine(
            binary, "train", config, stdout_path=tmp_path / "o.txt", stderr_path=tmp_path / "e.txt"
        )
    message = str(error.value)
    assert "\n" not in message and "code 44" in message and "e.txt" in message
    assert error.value.exit_code == 3


def test_unknown_command(tmp_path):
    binary = engine()
    config = small_environment(tmp_path)
    with pytest.raises(EngineError, match="code 13"):
        run_engine(
            binary,
            "evaluate",
            config,
            stdout_path=tmp_path / "o.txt",
            stderr_path=tmp_path / "e.txt",
        )


def test_sigterm_gives_engine_interrupted_and_rerun_resumes(tmp_path):
    binary = engine()
    config = small_environment(tmp_path, patience=10_000_000, extra={"time_budget": 6})
    # patience is huge: only the signal (or the 6 s budget after resuming) ends the run
    events = []

    def stop_when_running():
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any("generation" in e for e in events):
            time.sleep(0.05)
        time.sleep(0.5)
        for pid in os.popen(f"pgrep -f '{binary} train {config}'").read().split():
            os.kill(int(pid), signal.SIGTERM)

    thread = threading.Thread(target=stop_when_running)
    thread.start()
    with pytest.raises(EngineInterrupted) as interrupted:
        run_engine(
            binary,
            "train",
            config,
            stdout_path=tmp_path / "o.txt",
            stderr_path=tmp_path / "e.txt",
            on_progress=events.append,
        )
    thread.join()
    assert interrupted.value.exit_code == 33 and "rerun" in str(interrupted.value)
    assert (tmp_path / "checkpoint.1.ckpt").is_file()
    assert not (tmp_path / "cgp.1.config").exists()
    run_engine(
        binary,
        "train",
        config,
        stdout_path=tmp_path / "o.txt",
        stderr_path=tmp_path / "e.txt",
        append_logs=True,
    )
    assert "best_solution" in (tmp_path / "cgp.1.config").read_text()


def test_missing_binary(tmp_path):
    with pytest.raises(CompressError, match="make build"):
        check_binary(tmp_path / "cgp")
