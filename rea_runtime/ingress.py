"""Call Restate from outside a handler: a thin layer over the SDK's own `restate.client`.

What it adds: one typed `call`/`send` for services, objects and workflows (the handler tells
which), attach by idempotency key and workflow attach/output (the SDK client lacks them), and
the idempotency policy: a send without a key to a target that is not idempotent is warned, and
a different key for the same send repeated soon after looks freshly generated per retry (each
retry would start a new invocation) and is flagged. From handler code it is REA205.
"""

from __future__ import annotations

import contextlib
import hashlib
import sys
import threading
import time
from datetime import timedelta
from typing import Any, AsyncIterator, Iterable

import structlog
from restate.client import create_client
from restate.client_types import RestateClient
from restate.handler import handler_from_callable
from restate.serde import JsonSerde

from .guards import active, report

__all__ = ["Ingress", "connect", "IngressUsageError"]

_log = structlog.get_logger("rea_runtime.ingress")


class IngressUsageError(ValueError):
    """The ingress was asked for something the target cannot do; the message says what instead."""


def _check_handler_code(subject: str) -> None:
    inv = active()
    if inv is not None:
        report(inv, "REA205", subject, sys._getframe(2))


class Ingress:
    """Typed ingress calls, with the idempotency policy; wraps a `restate.client` client."""

    def __init__(self, client: RestateClient, *, idempotent_targets: Iterable[str] = (),
                 retry_window: float = 60.0) -> None:
        self.client = client
        self.idempotent_targets = frozenset(idempotent_targets)
        """``"Service/handler"`` names whose sends need no idempotency key (workflow mains never do)."""
        self.retry_window = retry_window
        self._recent: dict[tuple[str, str | None, str], tuple[str, float]] = {}
        self._lock = threading.Lock()

    # -- policy -----------------------------------------------------------------------------------

    def _target(self, fn: Any, key: str | None) -> tuple[Any, str]:
        handler = handler_from_callable(fn)
        kind = handler.service_tag.kind
        if kind in ("object", "workflow") and key is None:
            raise IngressUsageError(f"{handler.service_tag.name}/{handler.name} is a {kind} handler: pass key=...")
        if kind == "service" and key is not None:
            raise IngressUsageError(f"{handler.service_tag.name}/{handler.name} is a service handler: it takes no key")
        return handler, f"{handler.service_tag.name}/{handler.name}"

    def _check_key(self, handler: Any, target: str, key: str | None, arg: Any,
                   idempotency_key: str | None) -> None:
        if idempotency_key is None:
            is_workflow_main = handler.service_tag.kind == "workflow" and handler.kind == "workflow"
            if not is_workflow_main and target not in self.idempotent_targets:
                _log.warning(
                    f"send to {target} without an idempotency key: if this send is retried (timeout, "
                    f"crash, redelivery) the handler runs twice; pass idempotency_key= derived from the "
                    f"request (rea_runtime.deterministic.idempotency_key(...)), or list {target!r} in "
                    f"idempotent_targets", target=target)
            return
        try:
            digest = hashlib.sha256(handler.handler_io.input_serde.serialize(arg)).hexdigest()
        except Exception:  # noqa: BLE001 - an unserializable arg fails in the SDK with its own error
            return
        now = time.monotonic()
        slot = (target, key, digest)
        with self._lock:
            previous = self._recent.get(slot)
            self._recent[slot] = (idempotency_key, now)
            if len(self._recent) > 10_000:
                self._recent.pop(next(iter(self._recent)))
        if previous is not None and previous[0] != idempotency_key and now - previous[1] < self.retry_window:
            _log.warning(
                f"idempotency key {idempotency_key!r} for {target} differs from {previous[0]!r} used "
                f"{now - previous[1]:.1f}s ago for the same request: it looks freshly generated per "
                f"retry, so each retry starts a new invocation; generate it once, before the retry "
                f"loop, or derive it from the request (rea_runtime.deterministic.idempotency_key(...))",
                target=target, idempotency_key=idempotency_key)

    # -- calls ------------------------------------------------------------------------------------

    async def call(self, fn: Any, arg: Any = None, *, key: str | None = None, idempotency_key: str | None = None,
                   headers: dict[str, str] | None = None) -> Any:
        """Call a service/object/workflow handler and wait for its typed result."""
        _check_handler_code("ingress.call(...)")
        self._target(fn, key)
        return await self.client.do_call(fn, arg, key, idempotency_key=idempotency_key, headers=headers)  # type: ignore[attr-defined]

    async def send(self, fn: Any, arg: Any = None, *, key: str | None = None, idempotency_key: str | None = None,
                   delay: timedelta | None = None, headers: dict[str, str] | None = None) -> str:
        """Start an invocation without waiting; returns its invocation id."""
        _check_handler_code("ingress.send(...)")
        handler, target = self._target(fn, key)
        self._check_key(handler, target, key, arg, idempotency_key)
        out = await self.client.do_call(fn, arg, key, send_delay=delay, send=True,  # type: ignore[attr-defined]
                                        idempotency_key=idempotency_key, headers=headers, force_json_output=True)
        return out["invocationId"]

    async def attach(self, fn: Any, idempotency_key: str, *, key: str | None = None) -> Any:
        """Wait for (and return) the result of the invocation sent with ``idempotency_key``."""
        _check_handler_code("ingress.attach(...)")
        handler, _ = self._target(fn, key)
        name = handler.service_tag.name
        path = f"/restate/invocation/{name}/{key}/{handler.name}/{idempotency_key}/attach" if key is not None \
            else f"/restate/invocation/{name}/{handler.name}/{idempotency_key}/attach"
        return await self._get(path, handler)

    async def submit_workflow(self, main: Any, key: str, arg: Any = None, *,
                              delay: timedelta | None = None) -> str:
        """Start workflow ``key`` (at most once per key); returns the invocation id."""
        return await self.send(main, arg, key=key, delay=delay)

    async def workflow_attach(self, main: Any, key: str) -> Any:
        """Wait for workflow ``key`` to finish and return its result."""
        _check_handler_code("ingress.workflow_attach(...)")
        handler, _ = self._workflow(main)
        return await self._get(f"/restate/workflow/{handler.service_tag.name}/{key}/attach", handler)

    async def workflow_output(self, main: Any, key: str) -> tuple[bool, Any]:
        """``(True, result)`` if workflow ``key`` finished, ``(False, None)`` if it is still running."""
        _check_handler_code("ingress.workflow_output(...)")
        handler, _ = self._workflow(main)
        resp = await self.client.client.get(  # type: ignore[attr-defined]
            f"/restate/workflow/{handler.service_tag.name}/{key}/output")
        if resp.status_code == 470:  # Restate: not ready yet
            return False, None
        resp.raise_for_status()
        return True, handler.handler_io.output_serde.deserialize(resp.content)

    def _workflow(self, main: Any) -> tuple[Any, str]:
        handler = handler_from_callable(main)
        if handler.service_tag.kind != "workflow" or handler.kind != "workflow":
            raise IngressUsageError(
                f"{handler.service_tag.name}/{handler.name} is not a workflow's main handler: pass the "
                f"function decorated with @workflow.main()")
        return handler, handler.service_tag.name

    async def _get(self, path: str, handler: Any) -> Any:
        resp = await self.client.client.get(path)  # type: ignore[attr-defined]
        resp.raise_for_status()
        serde = handler.handler_io.output_serde or JsonSerde()
        return serde.deserialize(resp.content)


@contextlib.asynccontextmanager
async def connect(ingress: str | None = None, headers: dict[str, str] | None = None,
                  **options: Any) -> AsyncIterator[Ingress]:
    """`restate.client.create_client(...)` wrapped in :class:`Ingress` (same URL/key resolution)."""
    _check_handler_code("rea_runtime.ingress.connect(...)")
    async with create_client(ingress, headers) as client:
        yield Ingress(client, **options)
