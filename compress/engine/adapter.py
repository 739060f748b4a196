"""Running ``bin/cgp`` as a subprocess, with a progress bar fed by its ``PROGRESS`` lines.

The engine writes results to files named in its config; its stdout (human log) goes to a log file
and its stderr is read line by line here: ``PROGRESS {json}`` lines drive the progress display, everything
else is kept in the stderr log. A non-zero exit becomes one line naming the exit code, the
engine's last message and the log file (:class:`EngineError`); exit 33 means the engine stopped
on a signal after writing its checkpoint, so rerunning resumes (:class:`EngineInterrupted`).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

from compress.engine.description import engine_description
from compress.errors import CompressError, EngineError, EngineInterrupted
from compress.progress import Progress

INTERRUPTED_EXIT_CODE = engine_description().exit_codes["interrupted"]
PROGRESS_PREFIX = "PROGRESS "

EXIT_CODE_MEANINGS = engine_description().exit_meanings
"""What each engine exit code means, as the engine describes it."""

ProgressCallback = Callable[[dict], None]


def check_binary(binary: Path) -> Path:
    """The engine path if it is an executable file; a one-line fix otherwise."""
    binary = Path(binary)
    if not binary.is_file() or not os.access(binary, os.X_OK):
        raise CompressError(
            f"CGP engine {binary} not found or not executable; build it with `make build` "
            "or point --cgp (or cgp= in .env) at the binary"
        )
    return binary


def run_engine(
    binary: Path,
    command: str,
    config_path: Path,
    *,
    positionals: Sequence[str] = (),
    args: Sequence[str] = (),
    stdout_path: Path,
    stderr_path: Path,
    on_progress: ProgressCallback | None = None,
    append_logs: bool = False,
    cwd: Path | None = None,
) -> None:
    """Run ``binary command config [positionals] [args] --progress`` to completion.

    ``stdout_path``/``stderr_path`` receive the engine's human log and its non-progress stderr
    lines (appended when ``append_logs``, e.g. when a run resumes). Raises
    :class:`EngineInterrupted` for exit 33 (and when the user presses Ctrl-C: the engine gets the
    signal, checkpoints and stops), :class:`EngineError` for any other non-zero exit.
    """
    binary = check_binary(binary)
    argv = [str(binary), command, str(config_path), *positionals, *args]
    if on_progress is not None:
        argv.append("--progress")
    stdout_path.parent.mkdir(parents=True, exist_ok=True)
    mode = "a" if append_logs else "w"
    last_message = ""
    with (
        open(stdout_path, mode, encoding="utf-8") as out,
        open(stderr_path, mode, encoding="utf-8") as err,
    ):
        process = subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            errors="replace",
            cwd=cwd,
        )
        try:
            assert process.stderr is not None
            for line in process.stderr:
                if line.startswith(PROGRESS_PREFIX):
                    if on_progress is not None:
                        try:
                            on_progress(json.loads(line[len(PROGRESS_PREFIX) :]))
                        except json.JSONDecodeError:
                            err.write(line)
                    continue
                err.write(line)
                if line.strip():
                    last_message = line.strip()
            code = process.wait()
        except KeyboardInterrupt:
            # The engine shares our process group and got the SIGINT too; give it time to
            # write its checkpoint, then report the interruption like a signal stop.
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            raise EngineInterrupted(
                f"interrupted; the engine checkpointed (log {stderr_path}); rerun the same command to resume"
            ) from None
    if code == INTERRUPTED_EXIT_CODE:
        raise EngineInterrupted(
            f"cgp {command} stopped by a signal (exit {code}) after writing its checkpoint; "
            f"rerun the same command to resume (log {stderr_path})"
        )
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        raise EngineError(f"cgp {command} was killed by {name} (log {stderr_path})")
    if code != 0:
        meaning = EXIT_CODE_MEANINGS.get(code, "failed")
        detail = f": {last_message[:300]}" if last_message else ""
        raise EngineError(
            f"cgp {command} exited with code {code} ({meaning}){detail} (log {stderr_path})"
        )


class RunProgress:
    """Progress over a training's runs, with the current run's generation, error and energy.

    Use as the ``on_progress`` callback of :func:`run_engine`: a bar on a terminal, plain
    periodic lines in logs (:class:`compress.progress.Progress`); a run counts on its
    ``run_finished`` event.
    """

    def __init__(self, total_runs: int, description: str, *, initial: int = 0):
        self.progress = Progress(total_runs, description, unit="run", initial=initial)

    @property
    def finished(self) -> int:
        return self.progress.done

    def __call__(self, event: dict) -> None:
        if event.get("event") == "run_finished":
            self.progress.update(1)
            return
        status = {}
        for key, label in (
            ("run", "run"),
            ("generation", "gen"),
            ("error", "error"),
            ("energy", "energy"),
            ("evaluations_per_second", "eval/s"),
        ):
            if key in event and event[key] is not None:
                value = event[key]
                status[label] = f"{value:.4g}" if isinstance(value, float) else value
        self.progress.set_status(status)

    def close(self) -> None:
        self.progress.close()

    def __enter__(self) -> RunProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
