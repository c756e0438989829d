"""Deploy an app onto a real restate-server and talk to it through the ingress.

One server per option set per session (servers are the slow part); one hypercorn per app.
Tests stay independent by using their own services or unique keys.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import tempfile
import time
import uuid
from typing import Any, AsyncIterator, Iterator

import httpx

from .serve import AppServer
from .server import RestateServer, ServerError

__all__ = ["Deployment", "Harness", "SigningIdentity"]


class Deployment:
    """An app registered on a server; the test's handle on the ingress and admin APIs."""

    def __init__(self, server: RestateServer, app_server: AppServer, registration: dict) -> None:
        self.server = server
        self.app_server = app_server
        self.registration = registration

    @property
    def ingress_url(self) -> str:
        return self.server.ingress_url

    @property
    def admin_url(self) -> str:
        return self.server.admin_url

    def client(self, timeout: float = 30.0) -> httpx.AsyncClient:
        """A raw HTTP client on the ingress (status codes and failure messages visible)."""
        return httpx.AsyncClient(base_url=self.ingress_url, timeout=timeout)

    @contextlib.asynccontextmanager
    async def ingress(self) -> AsyncIterator[Any]:
        """The SDK's typed ingress client (`restate.client`), bound to this server."""
        from restate.client import create_client

        async with create_client(self.ingress_url) as client:
            yield client

    async def call(
        self,
        service: str,
        handler: str,
        arg: Any = None,
        key: str | None = None,
        *,
        client: httpx.AsyncClient | None = None,
        idempotency_key: str | None = None,
    ) -> httpx.Response:
        """POST to `/<service>[/<key>]/<handler>` and return the response (no raise on 4xx/5xx)."""
        path = f"/{service}/{key}/{handler}" if key is not None else f"/{service}/{handler}"
        headers = {"content-type": "application/json"}
        if idempotency_key:
            headers["idempotency-key"] = idempotency_key
        body = json.dumps(arg).encode() if arg is not None else b""
        if not body:
            headers.pop("content-type")
        own = client is None
        client = client or self.client()
        try:
            deadline = time.monotonic() + 10
            while True:
                resp = await client.post(path, content=body, headers=headers)
                # The ingress can lag the admin API briefly after a registration.
                if resp.status_code == 404 and "not found" in resp.text.lower() and time.monotonic() < deadline:
                    await asyncio.sleep(0.1)
                    continue
                return resp
        finally:
            if own:
                await client.aclose()

    async def send(self, service: str, handler: str, arg: Any = None, key: str | None = None) -> str:
        """Fire-and-forget through `/send`; returns the invocation id."""
        resp = await self.call(service, f"{handler}/send", arg, key)
        if resp.status_code >= 300:
            raise ServerError(f"send failed: {resp.status_code} {resp.text}")
        return resp.json()["invocationId"]

    def query(self, sql: str) -> list[dict]:
        return self.server.query(sql)

    def invocation(self, invocation_id: str) -> dict | None:
        rows = self.query(f"SELECT * FROM sys_invocation WHERE id = '{invocation_id}'")
        return rows[0] if rows else None

    async def wait_for(self, invocation_id: str, predicate, timeout: float = 20.0) -> dict:
        """Poll `sys_invocation` until ``predicate(row)`` holds (e.g. it failed or is backing off)."""
        deadline = time.monotonic() + timeout
        row: dict | None = None
        while time.monotonic() < deadline:
            row = await asyncio.to_thread(self.invocation, invocation_id)
            if row is not None and predicate(row):
                return row
            await asyncio.sleep(0.1)
        raise AssertionError(f"invocation {invocation_id} never matched; last row: {row}")

    def kill(self, invocation_id: str) -> None:
        self.server.kill_invocation(invocation_id)

    @staticmethod
    def unique(prefix: str = "k") -> str:
        """A unique object/workflow key, so tests sharing a server never collide."""
        return f"{prefix}-{uuid.uuid4().hex[:12]}"


class SigningIdentity:
    """A session's request-identity key pair: the server signs with it, apps verify with it."""

    ENV = "RESTATE_WORKER__INVOKER__REQUEST_IDENTITY_PRIVATE_KEY_PEM_FILE"

    def __init__(self) -> None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        from rea_runtime.security import public_key_string

        self.private_key = Ed25519PrivateKey.generate()
        self.public_key = public_key_string(self.private_key)
        """The `publickeyv1_...` text to pass as `identity_keys`."""
        self._dir = tempfile.mkdtemp(prefix="rea-identity-")
        self.pem_path = os.path.join(self._dir, "private.pem")
        with open(self.pem_path, "wb") as f:
            f.write(self.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                   serialization.NoEncryption()))

    def close(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)


class Harness:
    """Servers keyed by options, started on first use and stopped on close.

    ``signing=True`` selects a server that signs its requests with the session's
    :attr:`identity` (one key pair and one signing server per session).
    """

    def __init__(self) -> None:
        self._servers: dict[tuple[bool, bool, bool], RestateServer] = {}
        self._apps: list[AppServer] = []
        self._identity: SigningIdentity | None = None

    @property
    def identity(self) -> SigningIdentity:
        if self._identity is None:
            self._identity = SigningIdentity()
        return self._identity

    def server(self, always_replay: bool = False, disable_retries: bool = False,
               signing: bool = False) -> RestateServer:
        key = (always_replay, disable_retries, signing)
        if key not in self._servers:
            env = {SigningIdentity.ENV: self.identity.pem_path} if signing else {}
            self._servers[key] = RestateServer(always_replay=always_replay, disable_retries=disable_retries,
                                               extra_env=env).start()
        return self._servers[key]

    @contextlib.contextmanager
    def deploy(self, app: Any, *, always_replay: bool = False, disable_retries: bool = False,
               signing: bool = False) -> Iterator[Deployment]:
        """Serve ``app`` (any ASGI app: `restate.app([...])`, or one wrapped in middleware) and register it."""
        server = self.server(always_replay, disable_retries, signing)
        app_server = AppServer(app).start()
        self._apps.append(app_server)
        try:
            registration = server.register(app_server.url)
            yield Deployment(server, app_server, registration)
        finally:
            app_server.stop()
            self._apps.remove(app_server)

    def close(self) -> None:
        for app in list(self._apps):
            app.stop()
        self._apps.clear()
        for server in self._servers.values():
            server.stop()
        self._servers.clear()
        if self._identity is not None:
            self._identity.close()
            self._identity = None

    def __enter__(self) -> "Harness":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
