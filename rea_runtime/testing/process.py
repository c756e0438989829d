"""Serve an app in a child process that a test can SIGKILL and restart on the same port.

The in-thread `AppServer` dies only with pytest, so it cannot show what a crash does. Here the
app is named by import path (``"tests.runtime.crash_app:app"``), served by
``python -m rea_runtime.testing.process`` in its own process group, and registered once: the
server's retries reach the restarted process at the same URL. With ``supervise=True`` a
watchdog restarts the child whenever it dies (the app may SIGKILL itself at a chosen point),
and ``restarts`` counts how often that happened.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any, Iterator, Mapping

from .server import RestateServer, ServerError, _die_with_parent, free_port

__all__ = ["ProcessAppServer", "deploy_process"]


class ProcessAppServer:
    """``python -m rea_runtime.testing.process <module:attr> <port>``, killable and restartable."""

    def __init__(self, target: str, *, env: Mapping[str, str] | None = None, supervise: bool = False,
                 cwd: str | None = None) -> None:
        if ":" not in target:
            raise ValueError(f"ProcessAppServer({target!r}): name the app as 'package.module:attribute'")
        self.target = target
        self.env = dict(env or {})
        self.cwd = cwd or os.getcwd()
        self.supervise = supervise
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self._lock = threading.Lock()
        self._stopping = False
        self._watchdog: threading.Thread | None = None
        fd, self.log_path = tempfile.mkstemp(prefix=f"rea-app-{self.port}-", suffix=".log")
        os.close(fd)
        """The child's output across its restarts: its own file (a port is reused by later runs,
        whose old output must not read as this one's), removed by `stop`."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _spawn(self, timeout: float = 20.0) -> None:
        env = {**os.environ, **self.env}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [self.cwd, env.get("PYTHONPATH")]))
        log = open(self.log_path, "ab")  # noqa: SIM115 - lives with proc
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "rea_runtime.testing.process", self.target, str(self.port)],
            env=env, cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise ServerError(f"app process {self.target} exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise ServerError(f"app process not listening on {self.port}:\n{self.log_tail()}") from None
                time.sleep(0.02)

    def log_tail(self, n: int = 4000) -> str:
        try:
            with open(self.log_path, "rb") as fh:
                return fh.read().decode(errors="replace")[-n:]
        except OSError:
            return ""

    def start(self) -> "ProcessAppServer":
        with self._lock:
            self._spawn()
        if self.supervise:
            self._watchdog = threading.Thread(target=self._watch, name=f"rea-watchdog-{self.port}", daemon=True)
            self._watchdog.start()
        return self

    def _watch(self) -> None:
        while not self._stopping:
            proc = self.proc
            if proc is not None and proc.poll() is not None:
                with self._lock:
                    if self._stopping or self.proc is not proc:
                        continue
                    self.restarts += 1
                    self._spawn()
            time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL the app process (and its group): no cleanup, no graceful shutdown."""
        proc = self.proc
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def restart(self) -> None:
        """Kill (if alive) and start again on the same port (what a supervisor would do)."""
        with self._lock:
            self.kill()
            self.restarts += 1
            self._spawn()

    def stop(self) -> None:
        self._stopping = True
        if self._watchdog is not None:
            self._watchdog.join(5)
        self.kill()
        with contextlib.suppress(OSError):
            os.remove(self.log_path)


@contextlib.contextmanager
def deploy_process(server: RestateServer, target: str, *, env: Mapping[str, str] | None = None,
                   supervise: bool = True) -> Iterator[Any]:
    """Serve ``target`` in a child process, register it on ``server``, yield a `Deployment`.

    The deployment's ``app_server`` is the `ProcessAppServer` (``kill()``, ``restart()``,
    ``restarts``).
    """
    from .harness import Deployment

    app_server = ProcessAppServer(target, env=env, supervise=supervise).start()
    try:
        registration = server.register(app_server.url)
        yield Deployment(server, app_server, registration)  # type: ignore[arg-type]
    finally:
        app_server.stop()


def _main(argv: list[str]) -> None:  # pragma: no cover - runs in the child process
    import asyncio
    import importlib

    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    target, port = argv[0], int(argv[1])
    module, _, attr = target.partition(":")
    app = getattr(importlib.import_module(module), attr)
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    config.graceful_timeout = 0.5
    asyncio.run(serve(app, config, mode="asgi"))


if __name__ == "__main__":  # pragma: no cover
    _main(sys.argv[1:])
