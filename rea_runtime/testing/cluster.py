"""A 3-node restate-server cluster on loopback, for fault tests: nodes can be killed and restarted.

Configured as Restate documents a distributed deployment (docs: "Cluster deployment"): one
cluster name, unique node names and advertised addresses, `auto-provision` on the first node
only, the replicated metadata server and the replicated Bifrost log provider on every node, and
`default-replication = 2` (so the cluster keeps accepting writes with one node down). A killed
node restarts on the same ports and data directory, as a real node would.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from .server import ServerError, _die_with_parent, find_server_binary, free_port

__all__ = ["Cluster", "ClusterNode"]


@dataclass(eq=False)
class ClusterNode:
    name: str
    base_dir: str
    node_port: int
    admin_port: int
    ingress_port: int
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def ingress_url(self) -> str:
        return f"http://127.0.0.1:{self.ingress_port}"

    @property
    def admin_url(self) -> str:
        return f"http://127.0.0.1:{self.admin_port}"

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, binary: Path) -> None:
        self.starts += 1
        log = open(os.path.join(self.base_dir, f"server-{self.starts}.log"), "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [str(binary), "--no-logo"], env=self.env, cwd=self.base_dir, stdout=log,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent,
        )
        log.close()

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush (what a crashed machine does)."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=10)

    def log_tail(self, n: int = 3000) -> str:
        try:
            return Path(self.base_dir, f"server-{self.starts}.log").read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def last_leadership(self) -> str | None:
        """Timestamp of this run's last "won metadata leadership"/"controller to leader" log line."""
        try:
            text = _ANSI.sub("", Path(self.base_dir, f"server-{self.starts}.log").read_text(errors="replace"))
        except OSError:
            return None
        stamp, found = None, None
        for line in text.splitlines():
            m = _STAMP.match(line)
            if m:
                stamp = m.group(0)
            elif any(marker in line for marker in _LEADER_MARKERS):
                found = stamp
        return found


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z")
_LEADER_MARKERS = ("Won metadata cluster leadership", "Cluster controller switching to leader mode")


@dataclass(eq=False)
class Cluster:
    size: int = 3
    replication: int = 2
    extra_env: dict[str, str] = field(default_factory=dict)
    nodes: list[ClusterNode] = field(default_factory=list)
    root: str = ""
    binary: Path | None = None

    def start(self, timeout: float = 90.0) -> "Cluster":
        self.binary = self.binary or find_server_binary()
        self.root = tempfile.mkdtemp(prefix="rea-cluster-")
        ports = [(free_port(), free_port(), free_port()) for _ in range(self.size)]
        addresses = json.dumps([f"http://127.0.0.1:{p[0]}" for p in ports])
        base = {k: v for k, v in os.environ.items() if not k.startswith("RESTATE_")}
        for i, (node_port, admin_port, ingress_port) in enumerate(ports, start=1):
            base_dir = os.path.join(self.root, f"n{i}")
            os.makedirs(base_dir)
            env = dict(base)
            env.update(
                RESTATE_CLUSTER_NAME="rea-fault-cluster",
                RESTATE_NODE_NAME=f"n{i}",
                RESTATE_BASE_DIR=base_dir,
                TMPDIR=base_dir,  # the invoker's scratch directories, removed with the cluster (see server.py)
                RESTATE_AUTO_PROVISION="true" if i == 1 else "false",
                RESTATE_DEFAULT_REPLICATION=str(self.replication),
                RESTATE_METADATA_SERVER__TYPE="replicated",
                RESTATE_BIFROST__DEFAULT_PROVIDER="replicated",
                RESTATE_METADATA_CLIENT__ADDRESSES=addresses,
                RESTATE_LISTEN_MODE="tcp",
                RESTATE_BIND_ADDRESS=f"127.0.0.1:{node_port}",
                RESTATE_ADVERTISED_ADDRESS=f"http://127.0.0.1:{node_port}",
                RESTATE_ADMIN__BIND_ADDRESS=f"127.0.0.1:{admin_port}",
                RESTATE_INGRESS__BIND_ADDRESS=f"127.0.0.1:{ingress_port}",
                RESTATE_INGRESS__ADVERTISED_INGRESS_ENDPOINT=f"http://127.0.0.1:{ingress_port}",
                RESTATE_DEFAULT_NUM_PARTITIONS="4",
                RESTATE_DISABLE_TELEMETRY="true",
                RESTATE_ROCKSDB_TOTAL_MEMORY_SIZE="256MiB",
                RESTATE_LOG_FILTER="warn,restate_metadata_server=info,restate_admin=info",
            )
            env.update(self.extra_env)
            self.nodes.append(ClusterNode(f"n{i}", base_dir, node_port, admin_port, ingress_port, env))
        for node in self.nodes:
            node.start(self.binary)
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 60.0, nodes: list[ClusterNode] | None = None) -> None:
        """Until every live node's admin and ingress answer their health checks."""
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2.0) as client:
            for node in nodes or [n for n in self.nodes if n.proc is not None]:
                while True:
                    if node.proc is not None and node.proc.poll() is not None:
                        raise ServerError(f"node {node.name} exited with {node.proc.returncode}:\n{node.log_tail()}")
                    try:
                        if (client.get(f"{node.admin_url}/health").status_code == 200
                                and client.get(f"{node.ingress_url}/restate/health").status_code == 200):
                            break
                    except httpx.TransportError:
                        pass
                    if time.monotonic() > deadline:
                        raise ServerError(f"node {node.name} not ready after {timeout}s:\n{node.log_tail()}")
                    time.sleep(0.1)

    def restart(self, node: ClusterNode, timeout: float = 60.0) -> None:
        node.kill()
        assert self.binary is not None
        node.start(self.binary)
        self.wait_ready(timeout, [node])

    def leader(self) -> str | None:
        """The live node that most recently won metadata-cluster leadership (from the info logs)."""
        won = [(stamp, node.name) for node in self.live() if (stamp := node.last_leadership())]
        return max(won)[1] if won else None

    def live(self) -> list[ClusterNode]:
        return [n for n in self.nodes if n.alive]

    def admin(self) -> ClusterNode:
        return self.live()[0]

    def register(self, uri: str, timeout: float = 60.0) -> dict:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            try:
                with httpx.Client(timeout=20) as client:
                    resp = client.post(f"{self.admin().admin_url}/deployments", json={"uri": uri, "force": True})
                if resp.status_code < 300:
                    return resp.json()
                last = f"{resp.status_code} {resp.text}"
            except httpx.TransportError as err:
                last = repr(err)
            time.sleep(0.5)
        raise ServerError(f"registering {uri} on the cluster failed: {last}")

    def query(self, sql: str) -> list[dict]:
        last = ""
        for _ in range(40):
            for node in self.live():
                try:
                    with httpx.Client(timeout=30.0) as client:
                        resp = client.post(f"{node.admin_url}/query", json={"query": sql},
                                           headers={"accept": "application/json"})
                    if resp.status_code < 300:
                        return resp.json().get("rows", [])
                    last = f"{node.name}: {resp.status_code} {resp.text[:300]}"
                except httpx.TransportError as err:
                    last = f"{node.name} ({node.admin_url}): {err!r}"
            time.sleep(0.5)
        raise ServerError(f"cluster query failed: {last}; live: {[n.name for n in self.live()]}\n"
                          + "\n".join(f"{n.name}: {n.log_tail(800)}" for n in self.nodes))

    def stop(self) -> None:
        for node in self.nodes:
            node.kill()
        if self.root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "Cluster":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
