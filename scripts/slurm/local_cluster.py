#!/usr/bin/env python3
"""A one-node Slurm cluster on loopback, for tests and for trying the job scripts locally.

Why a real scheduler: the generated sbatch scripts, their ``--signal`` handling and job arrays
are only proven by running them under Slurm itself. Everything lives under one state directory
(munge key and socket, slurm.conf, spool, logs, pid files), the daemons listen on free loopback
ports, and nothing touches /etc, so it can run next to anything else on the machine.

Usage::

    python3 scripts/slurm/local_cluster.py start /tmp/slurm   # prints `export SLURM_CONF=...`
    SLURM_CONF=/tmp/slurm/slurm.conf sbatch job.sbatch
    python3 scripts/slurm/local_cluster.py stop /tmp/slurm

Needs root (slurmd runs jobs as the submitting user) and the Debian packages slurmctld, slurmd,
slurm-client and munge (``scripts/slurm/install_deps.sh``). Stdlib only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

NODE_NAME = "localnode"
PARTITION = "debug"


class ClusterError(RuntimeError):
    """A daemon did not start; the message carries the tail of its log."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _tool(name: str) -> str:
    found = shutil.which(name) or (
        f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists() else None
    )
    if found is None:
        raise ClusterError(f"{name} not found; run scripts/slurm/install_deps.sh (as root)")
    return found


def _node_hardware() -> str:
    """The node line's hardware part as slurmd itself detects it, so the node is never drained
    for reporting fewer CPUs or less memory than configured."""
    output = subprocess.run([_tool("slurmd"), "-C"], capture_output=True, text=True, check=True)
    first = output.stdout.splitlines()[0].split()
    fields = dict(item.split("=", 1) for item in first if "=" in item)
    keep = ["CPUs", "Boards", "SocketsPerBoard", "CoresPerSocket", "ThreadsPerCore"]
    parts = [f"{key}={fields[key]}" for key in keep if key in fields]
    # Leave a little memory unclaimed: slurmd drains a node whose RealMemory exceeds what it sees.
    memory = int(fields.get("RealMemory", "1024"))
    parts.append(f"RealMemory={max(memory - 256, 256)}")
    return " ".join(parts)


def _tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return f"({path} does not exist)"
    text = path.read_text(errors="replace").splitlines()
    return "\n".join(text[-lines:])


class LocalSlurm:
    """Start and stop munged, slurmctld and slurmd with their state under ``root``."""

    def __init__(self, root: Path):
        self.root = Path(root).resolve()
        self.conf = self.root / "slurm.conf"
        self.logs = self.root / "log"

    # -- paths --------------------------------------------------------------------------------
    @property
    def env(self) -> dict[str, str]:
        """Environment for client commands (sbatch, squeue, scancel, sinfo)."""
        return {**os.environ, "SLURM_CONF": str(self.conf)}

    def _pid_file(self, daemon: str) -> Path:
        return self.root / "run" / f"{daemon}.pid"

    # -- start --------------------------------------------------------------------------------
    def start(self, timeout: float = 60.0) -> None:
        """Bring the cluster up and wait until the node is idle; raise ClusterError with logs."""
        if os.geteuid() != 0:
            raise ClusterError("the local Slurm cluster must be started as root")
        for sub in ("munge", "run", "log", "state", "spool"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(self.root / "munge", 0o700)
        self._start_munge()
        self._write_conf()
        self._spawn("slurmctld", [_tool("slurmctld"), "-D", "-f", str(self.conf)])
        self._spawn("slurmd", [_tool("slurmd"), "-D", "-f", str(self.conf), "-N", NODE_NAME])
        self._wait_idle(timeout)

    def _start_munge(self) -> None:
        munge_dir = self.root / "munge"
        key = munge_dir / "munge.key"
        if not key.exists():
            subprocess.run([_tool("mungekey"), "-c", "-k", str(key)], check=True)
        os.chmod(key, 0o600)
        log = self.logs / "munged.log"
        command = [
            _tool("munged"),
            "--foreground",
            "--force",
            f"--key-file={key}",
            f"--socket={self.munge_socket}",
            f"--pid-file={self._pid_file('munged')}",
            f"--log-file={log}",
            f"--seed-file={munge_dir / 'munged.seed'}",
        ]
        self._spawn("munged", command, log=log)
        deadline = time.monotonic() + 20
        while not Path(self.munge_socket).exists():
            if time.monotonic() > deadline or not self._alive("munged"):
                raise ClusterError(f"munged did not start; its log:\n{_tail(log)}")
            time.sleep(0.1)

    @property
    def munge_socket(self) -> str:
        return str(self.root / "munge" / "munge.socket")

    def _write_conf(self) -> None:
        ctld_port, slurmd_port = _free_port(), _free_port()
        user = os.environ.get("USER") or "root"
        lines = [
            "ClusterName=localtest",
            "SlurmctldHost=localhost(127.0.0.1)",
            f"SlurmctldPort={ctld_port}",
            f"SlurmdPort={slurmd_port}",
            f"SlurmUser={user}",
            f"SlurmdUser={user}",
            "AuthType=auth/munge",
            "CredType=cred/munge",
            f"AuthInfo=socket={self.munge_socket}",
            f"StateSaveLocation={self.root / 'state'}",
            f"SlurmdSpoolDir={self.root / 'spool'}",
            f"SlurmctldPidFile={self._pid_file('slurmctld')}",
            f"SlurmdPidFile={self._pid_file('slurmd')}",
            f"SlurmctldLogFile={self.logs / 'slurmctld.log'}",
            f"SlurmdLogFile={self.logs / 'slurmd.log'}",
            "SlurmctldDebug=info",
            "SlurmdDebug=info",
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "JobAcctGatherType=jobacct_gather/none",
            "AccountingStorageType=accounting_storage/none",
            "JobCompType=jobcomp/none",
            "MpiDefault=none",
            "SwitchType=switch/none",
            "SchedulerType=sched/backfill",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_Core_Memory",
            "ReturnToService=2",
            "MinJobAge=600",
            "KillWait=10",
            "SchedulerParameters=sched_interval=2",
            "SlurmctldTimeout=30",
            "SlurmdTimeout=60",
            "InactiveLimit=0",
            f"NodeName={NODE_NAME} NodeAddr=127.0.0.1 NodeHostname={NODE_NAME} "
            f"{_node_hardware()} State=UNKNOWN",
            f"PartitionName={PARTITION} Nodes={NODE_NAME} Default=YES MaxTime=INFINITE State=UP",
        ]
        self.conf.write_text("\n".join(lines) + "\n")

    def _spawn(self, daemon: str, command: list[str], log: Path | None = None) -> None:
        out = open(self.logs / f"{daemon}.out", "ab")  # noqa: SIM115 - stays open with the daemon
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, env=self.env
        )
        self._pid_file(daemon).with_suffix(".launcher").write_text(str(process.pid))
        time.sleep(0.3)
        if process.poll() is not None:
            log_text = _tail(log or self.logs / f"{daemon}.log")
            raise ClusterError(
                f"{daemon} exited with {process.returncode}; output:\n"
                f"{_tail(self.logs / f'{daemon}.out')}\nlog:\n{log_text}"
            )

    def _alive(self, daemon: str) -> bool:
        pid = self._launcher_pid(daemon)
        if pid is None:
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True

    def _launcher_pid(self, daemon: str) -> int | None:
        path = self._pid_file(daemon).with_suffix(".launcher")
        try:
            return int(path.read_text().strip())
        except (OSError, ValueError):
            return None

    def _wait_idle(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            for daemon in ("slurmctld", "slurmd"):
                if not self._alive(daemon):
                    raise ClusterError(f"{daemon} died during start-up:\n{self.diagnostics()}")
            result = subprocess.run(
                ["sinfo", "-h", "-N", "-o", "%T"], capture_output=True, text=True, env=self.env
            )
            last = (result.stdout + result.stderr).strip()
            if result.returncode == 0 and last.startswith("idle"):
                return
            time.sleep(0.5)
        raise ClusterError(
            f"node not idle after {timeout:.0f} s (sinfo: {last!r}):\n{self.diagnostics()}"
        )

    def diagnostics(self) -> str:
        """Tails of every daemon log, for a failure message."""
        parts = []
        for name in ("munged.log", "slurmctld.out", "slurmctld.log", "slurmd.out", "slurmd.log"):
            parts.append(f"--- {name}\n{_tail(self.logs / name)}")
        return "\n".join(parts)

    # -- stop ---------------------------------------------------------------------------------
    def stop(self) -> None:
        """Cancel every job, then stop slurmd, slurmctld and munged (only the ones we started)."""
        if self._alive("slurmctld"):
            subprocess.run(
                ["scancel", "--full", "-u", os.environ.get("USER") or "root"],
                capture_output=True,
                env=self.env,
                timeout=30,
            )
            time.sleep(1)
        for daemon in ("slurmd", "slurmctld", "munged"):
            pid = self._launcher_pid(daemon)
            if pid is None:
                continue
            for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    break
                deadline = time.monotonic() + wait
                while time.monotonic() < deadline:
                    try:
                        waited, _ = os.waitpid(pid, os.WNOHANG)
                    except ChildProcessError:
                        waited = 0
                        try:
                            os.kill(pid, 0)
                        except ProcessLookupError:
                            waited = pid
                    if waited == pid:
                        break
                    time.sleep(0.1)
                else:
                    continue
                break
            self._pid_file(daemon).with_suffix(".launcher").unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Start or stop a one-node Slurm cluster on loopback."
    )
    parser.add_argument("action", choices=["start", "stop"], help="what to do")
    parser.add_argument("state_dir", type=Path, help="directory for keys, config, spool and logs")
    args = parser.parse_args(argv)
    cluster = LocalSlurm(args.state_dir)
    try:
        if args.action == "start":
            cluster.start()
            print(f"export SLURM_CONF={cluster.conf}")
        else:
            cluster.stop()
    except ClusterError as error:
        print(f"local_cluster.py: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
