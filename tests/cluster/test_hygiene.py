"""Hygiene of every command, through the real CLI: modes, progress, refusals, all-or-nothing.

Each case starts from an experiment environment holding an earlier result (a finished local
``train``); a refused command must exit non-zero with one line naming the problem, and the
sha256 of every file of the environment must be as before (nothing half-written, nothing lost).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import pty
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import termios
from pathlib import Path

import pytest

from compress.cli import main

REPO = Path(__file__).resolve().parents[2]
COMPRESS = REPO / "cmd" / "compress" / "compress.py"
MODEL = ["qat_quantized_lenet", "qat.quantized_lenet.pth"]
GRID = ["--rows", "5", "--cols", "5", "--mse-thresholds", "0", "--population-max", "4"]
SMALL = [*GRID, "--patience", "2000", "--threads", "1"]
EARLIER = "mse_0.0_5_5"


def tree_digest(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root`` by relative path (new, lost or changed files show)."""
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def earlier_env(tmp_path_factory, engine) -> Path:
    """An environment with one finished local ``train`` (2 runs) of layer_bypass 5 x 5."""
    env = tmp_path_factory.mktemp("earlier") / "env"
    code = main(
        ["layer_bypass:train", *MODEL, *SMALL, "--number-of-runs", "2", "--experiment-env",
         str(env), "--cgp", str(engine)]
    )  # fmt: skip
    assert code == 0
    assert (env / "layer_bypass" / EARLIER / "cgp_configs" / "cgp.2.config").is_file()
    return env


@pytest.fixture
def env(earlier_env, tmp_path) -> Path:
    """A private copy of the earlier environment."""
    copy = tmp_path / "env"
    shutil.copytree(earlier_env, copy)
    return copy


def refused(argv: list[str], capsys) -> str:
    """Run the CLI expecting a refusal: exit code 2 and one line on stderr; return the line."""
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse refuses bad values itself
        code = exit_.code
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1 and "error:" in err, err
    return err


# -- file modes ------------------------------------------------------------------------------
def test_results_and_scripts_get_the_umask_modes(env, engine):
    """Under umask 027 every new file is rw-r----- (0640), folders and job scripts rwxr-x---;
    before, results were created 0600 whatever the umask."""
    before = tree_digest(env / "layer_bypass" / EARLIER)
    previous = os.umask(0o027)
    try:
        assert main(["layer_bypass:train", *MODEL, *SMALL, "--number-of-runs", "1", "--suffix",
                     "_modes", "--experiment-env", str(env), "--cgp", str(engine)]) == 0  # fmt: skip
        assert main(["layer_bypass:train-pbs", *MODEL, *GRID, "--suffix", "_pbs", "--cpu", "1",
                     "--time-limit", "1:00:00", "--experiment-env", str(env)]) == 0  # fmt: skip
    finally:
        os.umask(previous)
    trained = env / "layer_bypass" / f"{EARLIER}_modes"
    prepared = env / "layer_bypass" / f"{EARLIER}_pbs"
    modes = {}
    for folder in (trained, prepared):
        for path in [folder, *folder.rglob("*")]:
            modes[path.relative_to(env).as_posix()] = stat.S_IMODE(path.stat().st_mode)
    assert modes[f"layer_bypass/{EARLIER}_pbs/train.pbs.sh"] == 0o750
    expected_files = {
        name: 0o640 for name in modes if (env / name).is_file() and not name.endswith(".sh")
    }
    assert f"layer_bypass/{EARLIER}_modes/cgp_configs/cgp.1.config" in expected_files
    assert f"layer_bypass/{EARLIER}_modes/weights/weights.1.txt" in expected_files
    assert f"layer_bypass/{EARLIER}_pbs/train_cgp.config" in expected_files
    assert {name: modes[name] for name in expected_files} == expected_files
    assert {modes[name] for name in modes if (env / name).is_dir()} == {0o750}
    assert tree_digest(env / "layer_bypass" / EARLIER) == before


# -- progress --------------------------------------------------------------------------------
def test_progress_is_plain_lines_in_logs(env, engine, capsys, monkeypatch):
    """stderr not a terminal (a cluster log): train and model-metrics both print plain progress
    lines (no carriage-return bar); before, train printed nothing there and model-metrics
    wrote a redrawn bar."""
    monkeypatch.setenv("COMPRESS_PROGRESS_INTERVAL", "0")
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    before = tree_digest(env / "layer_bypass" / EARLIER)
    assert main(["layer_bypass:train", *MODEL, *SMALL, "--number-of-runs", "2", "--suffix", "_log",
                 "--experiment-env", str(env), "--cgp", str(engine)]) == 0  # fmt: skip
    err = capsys.readouterr().err
    assert "\r" not in err
    assert f"{EARLIER}_log: started, 0/2 runs done" in err
    assert f"{EARLIER}_log: run finished, 1/2 runs done" in err
    assert f"{EARLIER}_log: run finished, 2/2 runs done" in err

    assert main(["layer_bypass:model-metrics", *MODEL, "--experiment-env", str(env), "--suffix",
                 "_log", "--top", "1", "--cgp", str(engine)]) == 0  # fmt: skip
    err = capsys.readouterr().err
    assert "\r" not in err
    assert "model-metrics: run finished, 1/2 runs done" in err
    assert "model-metrics: run finished, 2/2 runs done" in err
    assert tree_digest(env / "layer_bypass" / EARLIER) == before


def test_progress_is_a_bar_on_a_terminal(env, engine):
    """stderr a terminal (a pseudo-terminal here): a redrawn tqdm bar, no plain lines."""
    before = tree_digest(env / "layer_bypass" / EARLIER)
    leader, follower = pty.openpty()
    # A terminal window of 24 x 120 (a bare pseudo-terminal reports 0 columns).
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    process = subprocess.Popen(
        [sys.executable, str(COMPRESS), "layer_bypass:train", *MODEL, *SMALL, "--number-of-runs",
         "2", "--suffix", "_tty", "--experiment-env", str(env), "--cgp", str(engine)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=follower,
        env={k: v for k, v in os.environ.items() if k != "TQDM_DISABLE"},
    )  # fmt: skip
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: the process has exited
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert process.wait(timeout=300) == 0
    terminal = b"".join(chunks).decode(errors="replace")
    assert "\r" in terminal and f"{EARLIER}_tty:" in terminal and "2/2" in terminal
    assert "runs done" not in terminal
    assert tree_digest(env / "layer_bypass" / EARLIER) == before


# -- refusals: nothing written, nothing changed ----------------------------------------------
@pytest.mark.parametrize("action", ["train", "train-pbs", "train-slurm"])
def test_experiment_env_that_is_a_file_is_one_line(env, action, capsys, tmp_path):
    not_a_folder = tmp_path / "notes.txt"
    not_a_folder.write_text("not an experiment environment\n")
    before = tree_digest(tmp_path)
    argv = [f"layer_bypass:{action}", *MODEL, *GRID, "--experiment-env", str(not_a_folder)]
    line = refused(argv + ([] if action == "train" else ["--time-limit", "1:00:00"]), capsys)
    assert "--experiment-env" in line and "is not a folder" in line
    assert tree_digest(tmp_path) == before


def _as_unprivileged(argv: list[str], home: Path) -> subprocess.CompletedProcess:
    """Run the CLI as a user the file permissions apply to (root ignores them: then ``nobody``)."""
    command = [sys.executable, str(COMPRESS), *argv]
    if os.geteuid() == 0:
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    environment = {**os.environ, "HOME": str(home), "TQDM_DISABLE": "1"}
    return subprocess.run(
        command, capture_output=True, text=True, env=environment, cwd=home, timeout=300
    )


def test_read_only_experiment_env_is_one_line(earlier_env, engine):
    """A read-only environment (another user's results): train and model-metrics each refuse
    in one line before any work, without a traceback; nothing there changes."""
    base = Path(tempfile.mkdtemp(prefix="readonly_env_"))
    try:
        base.chmod(0o755)
        home = base / "home"
        home.mkdir(mode=0o777)
        home.chmod(0o777)
        env = base / "env"
        shutil.copytree(earlier_env, env)
        engine_copy = base / "cgp"
        shutil.copy2(engine, engine_copy)
        engine_copy.chmod(0o755)
        for path in [env, *env.rglob("*")]:
            path.chmod(0o555 if path.is_dir() else 0o444)
        before = tree_digest(env)
        commands = {
            "train": ["layer_bypass:train", *MODEL, *SMALL, "--suffix", "_new"],
            "model-metrics": ["layer_bypass:model-metrics", *MODEL, "--top", "1"],
        }
        for name, argv in commands.items():
            result = _as_unprivileged(
                [*argv, "--experiment-env", str(env), "--cgp", str(engine_copy)], home
            )
            err = result.stderr.strip()
            assert result.returncode == 2, (name, err)
            assert len(err.splitlines()) == 1 and "Traceback" not in err, (name, err)
            assert "not writable" in err or "Permission denied" in err, (name, err)
        assert tree_digest(env) == before
    finally:
        for path in [base, *base.rglob("*")]:
            if path.is_dir():
                path.chmod(0o755)
        shutil.rmtree(base)


def test_failing_train_pbs_writes_nothing(env, capsys):
    """A bad --scratch-capacity found while the 30 job scripts are rendered: before, 30 folders
    were left without job scripts; now the environment is untouched."""
    before = tree_digest(env)
    folders_before = sorted(p.name for p in (env / "layer_bypass").iterdir())
    line = refused(
        ["layer_bypass:train-pbs", *MODEL, *GRID, "--number-of-runs", "30", "-b", "30",
         "--suffix", "_new", "--time-limit", "48:00:00", "--scratch-capacity", "lots",
         "--experiment-env", str(env)],
        capsys,
    )  # fmt: skip
    assert "memory 'lots'" in line
    assert sorted(p.name for p in (env / "layer_bypass").iterdir()) == folders_before
    assert tree_digest(env) == before


@pytest.mark.parametrize(
    ("action", "bad", "message"),
    [
        ("train-slurm", ["--mem", "plenty"], "memory 'plenty'"),
        ("train-pbs", ["--time-limit", "tomorrow"], "time limit 'tomorrow'"),
        ("train-pbs", ["--cpu", "2", "--threads", "3"], "--cpu 2 and --threads 3 disagree"),
    ],
)
def test_failing_generation_into_a_new_environment_leaves_no_folder(
    tmp_path, action, bad, message, capsys
):
    fresh = tmp_path / "fresh_env"
    options = {"--time-limit": "1:00:00", **dict(zip(bad[::2], bad[1::2], strict=True))}
    argv = [f"layer_bypass:{action}", *MODEL, *GRID, "-b", "2", "--number-of-runs", "2"]
    argv += [word for pair in options.items() for word in pair]
    line = refused([*argv, "--experiment-env", str(fresh)], capsys)
    assert message in line
    assert not fresh.exists()


def test_failing_model_metrics_pbs_writes_no_script(env, capsys):
    before = tree_digest(env)
    line = refused(
        ["layer_bypass:model-metrics-pbs", *MODEL, "--experiment-path", str(env / "layer_bypass"),
         "-s", "statistics.{run}.csv", "--scratch-capacity", "lots"],
        capsys,
    )  # fmt: skip
    assert "memory 'lots'" in line
    assert tree_digest(env) == before


@pytest.mark.parametrize("option", ["--prefix", "--suffix"])
@pytest.mark.parametrize("value", ["my run", "a/b", 'say"hi"', "$HOME"])
def test_prefix_and_suffix_that_job_scripts_cannot_carry_are_refused(env, option, value, capsys):
    """Before, a --prefix with a space produced job scripts that failed when run."""
    before = tree_digest(env)
    line = refused(
        ["layer_bypass:train-pbs", *MODEL, *GRID, option, value, "--time-limit", "1:00:00",
         "--experiment-env", str(env)],
        capsys,
    )  # fmt: skip
    assert f"argument {option}" in line and "letters, digits" in line
    assert tree_digest(env) == before


def test_prefix_with_allowed_punctuation_runs_under_pbs(tmp_path, engine):
    """The characters a prefix may hold survive the job script: it runs and finds its folder."""
    workspace = tmp_path / "ws"
    assert main(["layer_bypass:train-pbs", *MODEL, *SMALL, "--number-of-runs", "1", "--prefix",
                 "v1.2+lr=0,a@b-", "--cpu", "1", "--time-limit", "1:00:00", "--experiment-env",
                 str(workspace / "experiments_folder")]) == 0  # fmt: skip
    name = "v1.2+lr=0,a@b-mse_0.0_5_5"
    script = workspace / "experiments_folder" / "layer_bypass" / name / "train.pbs.sh"
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    result = subprocess.run(
        ["bash", str(script)],
        env={**os.environ, "SCRATCHDIR": str(scratch), "CGP_WORKSPACE": str(workspace),
             "CGP_BINARY": str(engine), "NCPUS": "1"},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (
        workspace / "results" / "layer_bypass" / name / "cgp_configs" / "cgp.1.config"
    ).is_file()


@pytest.mark.parametrize(
    "argv",
    [
        ["layer_bypass:train", *MODEL, *SMALL, "--number-of-runs", "0"],
        ["layer_bypass:train", *MODEL, *SMALL, "--number-of-runs", "-3"],
        ["layer_bypass:train-pbs", *MODEL, *GRID, "--number-of-runs", "0", "--time-limit", "1:00"],
        ["layer_bypass:train-pbs", *MODEL, *GRID, "-b", "0", "--time-limit", "1:00"],
        ["layer_bypass:model-metrics", *MODEL, "--top", "0"],
        ["layer_bypass:model-metrics", *MODEL, "--top", "-1"],
        ["layer_bypass:model-metrics", *MODEL, "--runs", "0"],
        ["layer_bypass:model-metrics-pbs", *MODEL, "--top", "0"],
        ["layer_bypass:merge", "--top", "0"],
    ],
    ids=lambda argv: " ".join(argv[:1] + argv[-2:]),
)
def test_counts_below_one_are_refused(env, argv, capsys):
    before = tree_digest(env)
    line = refused([*argv, "--experiment-env", str(env)], capsys)
    assert "at least 1" in line or "must be >= 1" in line  # count types / engine key ranges
    assert tree_digest(env) == before


# -- the job's CPUs are the engine's threads --------------------------------------------------
@pytest.mark.parametrize(
    ("flags", "cpus"),
    [([], 4), (["--threads", "3"], 3), (["--cpu", "2"], 2), (["--cpu", "2", "--threads", "2"], 2)],
)
def test_job_ncpus_is_the_engine_thread_count_stated_in_the_script(env, flags, cpus):
    """ncpus (population_max 4 by default, as the original) is the thread count the script
    states and passes to the engine; the engine never gets "all cores" on a shared node."""
    before = tree_digest(env / "layer_bypass" / EARLIER)
    common = [*MODEL, *GRID, *flags, "--suffix", "_cpu", "--time-limit", "1:00:00"]
    assert main(["layer_bypass:train-pbs", *common, "--experiment-env", str(env)]) == 0
    pbs = (env / "layer_bypass" / f"{EARLIER}_cpu" / "train.pbs.sh").read_text()
    assert f"#PBS -l select=1:ncpus={cpus}:mem=2gb:scratch_local=1gb\n" in pbs
    assert f"\nENGINE_THREADS={cpus}\n" in pbs
    assert 'train train_cgp.config --threads "$THREADS"' in pbs
    assert main(["layer_bypass:train-slurm", *common, "--experiment-env", str(env)]) == 0
    sbatch = (env / "layer_bypass" / "train.sbatch").read_text()
    assert f"#SBATCH --cpus-per-task={cpus}\n" in sbatch and f"\nENGINE_THREADS={cpus}\n" in sbatch
    assert tree_digest(env / "layer_bypass" / EARLIER) == before
