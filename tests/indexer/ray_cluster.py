"""A real two-node Ray cluster on loopback, private to one test module.

Each node is a ``ray start --block`` in its own session, so teardown kills exactly this
cluster's processes (never another cluster on the machine); every port is picked free and
the auth token lives in the test's temporary folder.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from contextlib import ExitStack, suppress
from pathlib import Path

RAY = Path(sys.executable).with_name("ray")


def _free_ports(n: int) -> list[int]:
    with ExitStack() as stack:
        ports = []
        for _ in range(n):
            sock = stack.enter_context(socket.socket())
            sock.bind(("127.0.0.1", 0))
            ports.append(sock.getsockname()[1])
        return ports


def _node_ports() -> list[str]:
    p = _free_ports(7)
    # worker ports below the ephemeral range (32768+), where the ports above were picked
    base = 20_000 + secrets.randbelow(120) * 100
    return [
        f"--node-manager-port={p[0]}",
        f"--object-manager-port={p[1]}",
        f"--dashboard-agent-listen-port={p[2]}",
        f"--dashboard-agent-grpc-port={p[3]}",
        f"--metrics-export-port={p[4]}",
        f"--runtime-env-agent-port={p[5]}",
        f"--min-worker-port={base}",
        f"--max-worker-port={base + 99}",
    ]


class RayCluster:
    def __init__(self, folder: Path, nodes: int = 2, cpus_per_node: int = 1) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        token = folder / "token"
        token.write_text(secrets.token_hex(32))
        self.env = dict(os.environ, RAY_AUTH_MODE="token", RAY_AUTH_TOKEN_PATH=str(token))
        self._folder = folder
        self._nodes = nodes
        self._cpus = cpus_per_node
        self._procs: list[subprocess.Popen[bytes]] = []
        port, dashboard = _free_ports(2)
        self.address = f"127.0.0.1:{port}"
        self._head_args = [
            "--head",
            f"--port={port}",
            f"--dashboard-port={dashboard}",
            "--include-dashboard=false",
            f"--temp-dir={folder / 'tmp'}",
        ]

    def _start(self, args: list[str], log: str) -> None:
        cmd = [str(RAY), "start", "--block", "--disable-usage-stats", f"--num-cpus={self._cpus}"]
        with (self._folder / log).open("wb") as out:
            self._procs.append(
                subprocess.Popen(
                    cmd + args + _node_ports(),
                    env=self.env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )

    def start(self, timeout: float = 120) -> RayCluster:
        self._start(self._head_args, "head.log")
        self._wait_nodes(1, timeout)
        for i in range(1, self._nodes):
            self._start([f"--address={self.address}"], f"node{i}.log")
        self._wait_nodes(self._nodes, timeout)
        return self

    def _wait_nodes(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in self._procs):
                raise RuntimeError(f"a Ray node exited; see the logs in {self._folder}")
            status = subprocess.run(
                [str(RAY), "status", f"--address={self.address}"],
                env=self.env,
                capture_output=True,
                text=True,
            )
            if status.stdout.count(" node_") >= count:
                return
            time.sleep(1)
        raise RuntimeError(f"the Ray cluster did not reach {count} nodes in {timeout}s")

    def pids(self, title: str) -> list[int]:
        """Processes of this cluster whose command line contains ``title``."""
        sessions = {p.pid for p in self._procs}  # each node leads its own session
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                pid = int(entry.name)
                if title in cmdline and os.getsid(pid) in sessions:
                    found.append(pid)
            except (OSError, ProcessLookupError):
                continue
        return found

    def stop(self) -> None:
        for proc in self._procs:
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
