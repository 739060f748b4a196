"""Fixtures of the cluster tests: the engine binary and a real one-node Slurm cluster.

The Slurm cluster (munged, slurmctld, slurmd on loopback; ``scripts/slurm/local_cluster.py``) is
started once per test session, only when a test asks for it, and stopped at the end, also when
tests fail. If a daemon cannot start the requesting tests fail with the daemons' logs: they are
never skipped silently, since the scheduler is the thing under test.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))


def _load_local_cluster():
    spec = importlib.util.spec_from_file_location(
        "local_cluster", REPO / "scripts" / "slurm" / "local_cluster.py"
    )
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def engine() -> Path:
    """``bin/cgp``, built if missing (``make test`` builds it before the tests);
    ``CLUSTER_TEST_ENGINE`` names another build to test the scripts against."""
    binary = Path(os.environ.get("CLUSTER_TEST_ENGINE") or REPO / "bin" / "cgp")
    if not binary.exists():
        subprocess.run(["make", "-C", str(REPO / "cgp"), "all"], check=True, capture_output=True)
    assert binary.exists(), "make -C cgp all did not produce bin/cgp"
    return binary


@pytest.fixture(scope="session")
def slurm_cluster(tmp_path_factory):
    """A running one-node Slurm cluster; yields the LocalSlurm (``.env`` for client commands)."""
    local_cluster = _load_local_cluster()
    install = REPO / "scripts" / "slurm" / "install_deps.sh"
    result = subprocess.run(["bash", str(install)], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.fail(f"cannot install Slurm/munge: {result.stderr.strip()}", pytrace=False)
    # A short path: munge's socket path must fit in a sockaddr_un.
    root = Path(tmp_path_factory.mktemp("slurm", numbered=True))
    cluster = local_cluster.LocalSlurm(root)
    try:
        cluster.start(timeout=90)
    except local_cluster.ClusterError as error:
        cluster.stop()
        pytest.fail(f"local Slurm cluster did not start: {error}", pytrace=False)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def slurm_env(slurm_cluster, tmp_path) -> dict[str, str]:
    """Environment for sbatch/squeue/scancel and for jobs: SLURM_CONF, and TMPDIR (the jobs'
    scratch, exported to them by sbatch) inside the test's temporary folder."""
    scratch = tmp_path / "node_scratch"
    scratch.mkdir()
    return {**os.environ, "SLURM_CONF": str(slurm_cluster.conf), "TMPDIR": str(scratch)}
