"""A real restate-server for tests, without Docker.

Restate's own harness needs testcontainers; many CI machines have no Docker. This module finds
(or installs from npm, once, into a cache directory) the native `restate-server` binary, runs
it on free loopback ports in its own temp base dir and process group, and guarantees it dies
with the test process (PDEATHSIG, atexit, process-group kill).
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

__all__ = ["RESTATE_SERVER_VERSION", "ServerError", "RestateServer", "find_server_binary", "free_port"]

RESTATE_SERVER_VERSION = "1.7.12"
_NPM_PACKAGE = "@restatedev/restate-server"


class ServerError(RuntimeError):
    """The server could not be found, installed or started; the message says what to do."""


def free_port() -> int:
    """A currently free loopback TCP port (the kernel picks; a tiny race is accepted)."""
    return free_ports(1)[0]


def free_ports(n: int) -> list[int]:
    """``n`` distinct free loopback ports: the sockets are held open together, so the kernel
    cannot hand the same port out twice (one server once got admin and node on one port)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            socks.append(s)
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


SERVER_CACHE_ENV = "REA_SERVER_CACHE_DIR"
"""Where the restate-server download lives. Not `REA_CACHE_DIR`, which is the linter's result
cache: one variable for both meant setting it for one broke the other."""


def cache_dir() -> Path:
    """`$REA_SERVER_CACHE_DIR/restate-server-<version>`, else `$XDG_CACHE_HOME/rea/...`,
    else `~/.cache/rea/...`."""
    explicit = os.environ.get(SERVER_CACHE_ENV)
    if explicit:
        return Path(explicit) / f"restate-server-{RESTATE_SERVER_VERSION}"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rea" / f"restate-server-{RESTATE_SERVER_VERSION}"


def _npm_binary(root: Path) -> Path | None:
    # The npm package ships the binary in a platform-specific optional dependency:
    # node_modules/@restatedev/restate-server-<os>-<arch>/bin/restate-server
    scope = root / "node_modules" / "@restatedev"
    if not scope.is_dir():
        return None
    for pkg in sorted(scope.glob("restate-server-*")):
        candidate = pkg / "bin" / "restate-server"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def find_server_binary(install: bool = True) -> Path:
    """`$RESTATE_SERVER_BIN`, then `PATH`, then the npm cache (installed on first use)."""
    explicit = os.environ.get("RESTATE_SERVER_BIN")
    if explicit:
        path = Path(explicit)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise ServerError(f"RESTATE_SERVER_BIN={explicit} is not an executable file")
        return path
    on_path = shutil.which("restate-server")
    if on_path:
        return Path(on_path)
    root = cache_dir()
    found = _npm_binary(root)
    if found or not install:
        if found:
            return found
        raise ServerError("restate-server not found (set RESTATE_SERVER_BIN or put it on PATH)")
    npm = shutil.which("npm")
    if npm is None:
        raise ServerError(
            "restate-server not found and npm is missing: install Node.js/npm, or set RESTATE_SERVER_BIN"
        )
    root.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--no-save", "--prefix", str(root),
         f"{_NPM_PACKAGE}@{RESTATE_SERVER_VERSION}"],
        capture_output=True, text=True, timeout=600,
    )
    found = _npm_binary(root)
    if proc.returncode != 0 or found is None:
        raise ServerError(
            f"`npm install {_NPM_PACKAGE}@{RESTATE_SERVER_VERSION}` into {root} failed "
            f"(exit {proc.returncode}): {proc.stderr.strip()[-2000:]}"
        )
    return found


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    os.setsid()
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: killed if pytest is killed


_LIVE: "set[RestateServer]" = set()


@atexit.register
def _kill_all() -> None:
    for server in list(_LIVE):
        server.stop()


@dataclass(eq=False)
class RestateServer:
    """One restate-server process on free ports with its own base dir.

    ``always_replay`` sets the invoker's inactivity timeout to 0 so the server suspends the
    invocation at every await and replays it (catches code that only works on the first run);
    ``disable_retries`` makes the default retry policy kill the invocation after one attempt.
    """

    always_replay: bool = False
    disable_retries: bool = False
    binary: Path | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    ingress_port: int = 0
    admin_port: int = 0
    node_port: int = 0
    base_dir: str = ""
    proc: subprocess.Popen[bytes] | None = None

    def env(self) -> dict[str, str]:
        """The server's environment: only `RESTATE_*` names that `--dump-config` confirms."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("RESTATE_")}
        env.update(
            RESTATE_BASE_DIR=self.base_dir,
            # its invoker makes a scratch directory per partition (`invoker-<id>`) in the
            # temporary directory and never removes it: here, it goes when `stop` removes base_dir
            TMPDIR=self.base_dir,
            RESTATE_NODE_NAME="rea-test",
            RESTATE_LISTEN_MODE="tcp",
            RESTATE_BIND_ADDRESS=f"127.0.0.1:{self.node_port}",
            RESTATE_ADVERTISED_ADDRESS=f"http://127.0.0.1:{self.node_port}",
            RESTATE_ADMIN__BIND_ADDRESS=f"127.0.0.1:{self.admin_port}",
            RESTATE_INGRESS__BIND_ADDRESS=f"127.0.0.1:{self.ingress_port}",
            RESTATE_DEFAULT_NUM_PARTITIONS="2",
            RESTATE_DISABLE_TELEMETRY="true",
            RESTATE_ROCKSDB_TOTAL_MEMORY_SIZE="256MiB",
            RESTATE_LOG_FILTER="warn",
        )
        if self.always_replay:
            env["RESTATE_WORKER__INVOKER__INACTIVITY_TIMEOUT"] = "0s"
        if self.disable_retries:
            env["RESTATE_DEFAULT_RETRY_POLICY__MAX_ATTEMPTS"] = "1"
            env["RESTATE_DEFAULT_RETRY_POLICY__ON_MAX_ATTEMPTS"] = "kill"
        env.update(self.extra_env)
        return env

    def dump_config(self) -> str:
        """What the server would run with; misspelled RESTATE_* variables are silently ignored."""
        binary = self.binary or find_server_binary()
        out = subprocess.run([str(binary), "--dump-config"], env=self.env(), capture_output=True,
                             text=True, timeout=60, cwd=self.base_dir or None)
        if out.returncode != 0:
            raise ServerError(f"restate-server --dump-config failed: {out.stderr[-2000:]}")
        return out.stdout

    @property
    def ingress_url(self) -> str:
        return f"http://127.0.0.1:{self.ingress_port}"

    @property
    def admin_url(self) -> str:
        return f"http://127.0.0.1:{self.admin_port}"

    def start(self, timeout: float = 60.0) -> "RestateServer":
        self.binary = self.binary or find_server_binary()
        self.base_dir = tempfile.mkdtemp(prefix="rea-restate-")
        self.ingress_port, self.admin_port, self.node_port = free_ports(3)
        log = open(os.path.join(self.base_dir, "server.log"), "wb")  # noqa: SIM115 - lives with proc
        self.proc = subprocess.Popen(
            [str(self.binary), "--no-logo"], env=self.env(), cwd=self.base_dir,
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent,
        )
        log.close()
        _LIVE.add(self)
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2.0) as client:
            while True:
                if self.proc.poll() is not None:
                    returncode = self.proc.returncode
                    self.stop(remove=False)
                    raise ServerError(f"restate-server exited with {returncode}:\n{self.log_tail()}")
                try:
                    if (client.get(f"{self.admin_url}/health").status_code == 200
                            and client.get(f"{self.ingress_url}/restate/health").status_code == 200):
                        return self
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    tail = self.log_tail()
                    self.stop()
                    raise ServerError(f"restate-server not ready after {timeout}s:\n{tail}")
                time.sleep(0.05)

    def log_tail(self, n: int = 4000) -> str:
        try:
            return Path(self.base_dir, "server.log").read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def stop(self, remove: bool = True) -> None:
        """Kill the whole process group; never leaves a server behind."""
        proc, self.proc = self.proc, None
        _LIVE.discard(self)
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=10)
        if remove and self.base_dir:
            shutil.rmtree(self.base_dir, ignore_errors=True)

    # --- admin API -----------------------------------------------------------------------

    def register(self, uri: str, timeout: float = 30.0) -> dict:
        """Register a deployment (forcing over an earlier one at the same URI)."""
        with httpx.Client(timeout=timeout) as client:
            resp = client.post(f"{self.admin_url}/deployments", json={"uri": uri, "force": True})
            if resp.status_code >= 300:
                raise ServerError(f"registering {uri} failed: {resp.status_code} {resp.text}")
            return resp.json()

    def query(self, sql: str) -> list[dict]:
        """Rows of the admin SQL query API (`sys_invocation`, `sys_journal`, ...)."""
        with httpx.Client(timeout=30.0) as client:
            resp = client.post(f"{self.admin_url}/query", json={"query": sql},
                               headers={"accept": "application/json"})
            if resp.status_code >= 300:
                raise ServerError(f"query failed: {resp.status_code} {resp.text}")
            return resp.json().get("rows", [])

    def kill_invocation(self, invocation_id: str) -> None:
        with httpx.Client(timeout=30.0) as client:
            client.patch(f"{self.admin_url}/invocations/{invocation_id}/kill")
