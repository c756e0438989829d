"""Serve an ASGI app with hypercorn on a free loopback port, in a background thread.

A thread (with its own event loop) keeps the app independent of pytest-asyncio's per-test
loops, so one deployment can serve every test of a module.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from .server import ServerError, free_port

__all__ = ["AppServer"]


class AppServer:
    """``certfile``/``keyfile``: serve HTTPS (HTTP/2 by ALPN), as a TLS-terminating deployment does."""

    def __init__(self, app: Any, *, certfile: str | None = None, keyfile: str | None = None) -> None:
        self.app = app
        self.certfile = certfile
        self.keyfile = keyfile
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.certfile else 'http'}://127.0.0.1:{self.port}"

    def start(self, timeout: float = 15.0) -> "AppServer":
        from hypercorn.asyncio import serve
        from hypercorn.config import Config

        self.port = free_port()
        config = Config()
        config.bind = [f"127.0.0.1:{self.port}"]
        config.accesslog = None
        config.errorlog = None
        config.graceful_timeout = 1.0
        if self.certfile:
            config.certfile = self.certfile
            config.keyfile = self.keyfile
        ready = threading.Event()

        async def main() -> None:
            self._stop = asyncio.Event()
            self._loop = asyncio.get_running_loop()
            ready.set()
            await serve(self.app, config, shutdown_trigger=self._stop.wait, mode="asgi")

        def run() -> None:
            try:
                asyncio.run(main())
            except BaseException as err:  # noqa: BLE001 - reported by start()/stop()
                self._error = err
                ready.set()

        self._thread = threading.Thread(target=run, name=f"rea-hypercorn-{self.port}", daemon=True)
        self._thread.start()
        if not ready.wait(timeout) or self._error is not None:
            raise ServerError(f"hypercorn did not start: {self._error!r}")
        # Wait until the socket accepts connections.
        import socket
        import time

        deadline = time.monotonic() + timeout
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                if time.monotonic() > deadline or self._error is not None:
                    raise ServerError(f"hypercorn not listening on {self.port}: {self._error!r}") from None
                time.sleep(0.02)

    def stop(self, timeout: float = 10.0) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(stop.set)
            except RuntimeError:
                pass
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None
