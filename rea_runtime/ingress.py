"""Call Restate from outside a handler, over the ingress HTTP API.

What it adds to the SDK's `restate.client`: one typed `call`/`send` for services, objects and
workflows (the handler tells which); every key, idempotency key and invocation id escaped into
its own path segment (the SDK client pastes them in raw: `user/1` becomes two segments,
`../../admin` walks up the path, `#` cuts it); delayed sends the server accepts (the SDK client
sends `?delay=<ms>`, which restate-server answers with HTTP 400); attach by idempotency key,
by invocation id and workflow attach/output (the SDK client lacks them), with rea's own typed
errors; and the idempotency policy: a send without a key to a target that is not idempotent is
warned, and a different key for the same send repeated soon after looks freshly generated per
retry (each retry would start a new invocation) and is flagged. From handler code it is REA205.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import sys
import threading
import time
from datetime import timedelta
from typing import Any, AsyncIterator, Iterable
from urllib.parse import quote

import httpx
import structlog
from restate.client import resolve_ingress
from restate.handler import handler_from_callable
from restate.serde import JsonSerde

from .guards import active, report

__all__ = [
    "Ingress", "connect", "IngressUsageError", "IngressError", "InvocationFailed", "InvocationNotFound",
    "path_segment",
]

_log = structlog.get_logger("rea_runtime.ingress")


class IngressUsageError(ValueError):
    """The ingress was asked for something the target cannot do; the message says what instead."""


class IngressError(Exception):
    """The ingress answered with an error; carries the status and, when known, the invocation id."""

    def __init__(self, target: str, status: int, message: str, invocation_id: str | None) -> None:
        self.target = target
        self.status = status
        self.message = message
        self.invocation_id = invocation_id
        where = f" (invocation {invocation_id})" if invocation_id else ""
        super().__init__(f"{target}: HTTP {status}: {message}{where}")


class InvocationFailed(IngressError):
    """The invocation ended with an error (a terminal error of the handler, or it was killed)."""


class InvocationNotFound(IngressError):
    """No such invocation (wrong id or idempotency key, or its retention has expired)."""


def _check_handler_code(subject: str) -> None:
    inv = active()
    if inv is not None:
        report(inv, "REA205", subject, sys._getframe(2))


def path_segment(value: str, what: str) -> str:
    """``value`` as one percent-escaped URL path segment (the server decodes it back), or refuse it."""
    if not isinstance(value, str):
        raise IngressUsageError(f"{what} must be a str, got {type(value).__name__}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise IngressUsageError(f"{what} {value!r} is not valid Unicode text (a lone surrogate): "
                                f"it has no UTF-8 form to send") from None
    escaped = quote(value, safe="")
    # `quote` leaves dots alone, and HTTP clients fold `.`/`..` segments away: escape those too.
    return escaped.replace(".", "%2E") if value in (".", "..") else escaped


_HEADER_VALUE = re.compile(r"[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?")
# The server matches the idempotency key of an attach path as written, without percent-decoding
# (seen on restate-server 1.7: `a b`, `a/b`, `a#b` sent escaped are "not found"), so only keys made
# of characters a path segment carries unescaped can be attached to.
_ATTACHABLE = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@]+")


def _header_value(value: str, what: str) -> str:
    if not isinstance(value, str) or not _HEADER_VALUE.fullmatch(value):
        raise IngressUsageError(
            f"{what} {value!r} cannot be sent as an HTTP header: use printable ASCII without "
            f"surrounding whitespace (e.g. rea_runtime.deterministic.idempotency_key(...))")
    return value


def _attachable_idempotency_key(value: str) -> str:
    _header_value(value, "idempotency key")
    if not _ATTACHABLE.fullmatch(value) or value in (".", ".."):
        raise IngressUsageError(
            f"idempotency key {value!r} cannot be attached to: restate-server matches the key in the "
            f"attach path without percent-decoding it, so only letters, digits and -._~!$&'()*+,;=:@ "
            f"work (and not '.' or '..'); attach by the invocation id that send() returned "
            f"(attach_invocation), or use keys like rea_runtime.deterministic.idempotency_key(...)")
    return value


def _delay_param(delay: timedelta | None) -> dict[str, str]:
    if delay is None:
        return {}
    if not isinstance(delay, timedelta):
        raise IngressUsageError(f"delay must be a datetime.timedelta, got {type(delay).__name__}")
    ms = delay // timedelta(milliseconds=1)
    if ms < 0:
        raise IngressUsageError(f"delay {delay} is negative")
    return {"delay": f"{ms}ms"}  # restate-server wants a unit (`?delay=5000` is HTTP 400)


def _invocation_id(resp: httpx.Response) -> str | None:
    found = resp.headers.get("x-restate-id")
    if found:
        return found
    try:
        body = resp.json()
    except ValueError:
        return None
    return body.get("invocationId") if isinstance(body, dict) and isinstance(body.get("invocationId"), str) else None


def _raise_for(resp: httpx.Response, target: str, invocation_id: str | None = None) -> None:
    if resp.status_code < 400:
        return
    try:
        body = resp.json()
        message = str(body.get("message", resp.text)) if isinstance(body, dict) else resp.text
    except ValueError:
        message = resp.text or resp.reason_phrase
    inv = invocation_id or _invocation_id(resp)
    if resp.status_code == 404:
        raise InvocationNotFound(target, resp.status_code, message, inv)
    if resp.status_code >= 500 or resp.status_code == 409:
        raise InvocationFailed(target, resp.status_code, message, inv)
    raise IngressError(target, resp.status_code, message, inv)


class Ingress:
    """Typed ingress calls with escaped paths and the idempotency policy, over an httpx client."""

    def __init__(self, client: httpx.AsyncClient, *, idempotent_targets: Iterable[str] = (),
                 retry_window: float = 60.0) -> None:
        self.client = client
        """The httpx client bound to the ingress URL (public: bring your own timeouts/transport)."""
        self.idempotent_targets = frozenset(idempotent_targets)
        """``"Service/handler"`` names whose sends need no idempotency key (workflow mains never do)."""
        self.retry_window = retry_window
        self._recent: dict[tuple[str, str | None, str], tuple[str, float]] = {}
        self._lock = threading.Lock()

    # -- policy -----------------------------------------------------------------------------------

    def _target(self, fn: Any, key: str | None) -> tuple[Any, str]:
        handler: Any = handler_from_callable(fn)
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

    # -- requests ---------------------------------------------------------------------------------

    @staticmethod
    def _path(handler: Any, key: str | None) -> str:
        parts = [path_segment(handler.service_tag.name, "service name")]
        if key is not None:
            parts.append(path_segment(key, f"{handler.service_tag.kind} key"))
        parts.append(path_segment(handler.name, "handler name"))
        return "/" + "/".join(parts)

    async def _post(self, handler: Any, target: str, path: str, arg: Any, idempotency_key: str | None,
                    headers: dict[str, str] | None, params: dict[str, str]) -> httpx.Response:
        io = handler.handler_io
        body = io.input_serde.serialize(arg)
        sent: dict[str, str] = {}
        for name, value in (headers or {}).items():
            sent[_header_value(name, "header name")] = _header_value(value, f"header {name!r}")
        if not (io.input_type is not None and io.input_type.is_void) and io.content_type:
            sent.setdefault("content-type", io.content_type)
        if idempotency_key is not None:
            sent["idempotency-key"] = _header_value(idempotency_key, "idempotency key")
        resp = await self.client.post(path, content=body, headers=sent, params=params)
        _raise_for(resp, target)
        return resp

    async def call(self, fn: Any, arg: Any = None, *, key: str | None = None, idempotency_key: str | None = None,
                   headers: dict[str, str] | None = None) -> Any:
        """Call a service/object/workflow handler and wait for its typed result."""
        _check_handler_code("ingress.call(...)")
        handler, target = self._target(fn, key)
        resp = await self._post(handler, target, self._path(handler, key), arg, idempotency_key, headers, {})
        return self._output(handler, resp)

    async def send(self, fn: Any, arg: Any = None, *, key: str | None = None, idempotency_key: str | None = None,
                   delay: timedelta | None = None, headers: dict[str, str] | None = None) -> str:
        """Start an invocation without waiting (after ``delay``, if given); returns its invocation id."""
        _check_handler_code("ingress.send(...)")
        handler, target = self._target(fn, key)
        params = _delay_param(delay)
        self._check_key(handler, target, key, arg, idempotency_key)
        resp = await self._post(handler, target, self._path(handler, key) + "/send", arg, idempotency_key,
                                headers, params)
        invocation_id = _invocation_id(resp)
        if invocation_id is None:
            raise IngressError(target, resp.status_code, f"the send was answered without an invocation id: "
                               f"{resp.text[:200]}", None)
        return invocation_id

    async def attach(self, fn: Any, idempotency_key: str, *, key: str | None = None) -> Any:
        """Wait for (and return) the result of the invocation sent with ``idempotency_key``."""
        _check_handler_code("ingress.attach(...)")
        handler, target = self._target(fn, key)
        ik = _attachable_idempotency_key(idempotency_key)
        parts = ["/restate/invocation", path_segment(handler.service_tag.name, "service name")]
        if key is not None:
            parts.append(path_segment(key, f"{handler.service_tag.kind} key"))
        parts += [path_segment(handler.name, "handler name"), ik, "attach"]
        return await self._get("/".join(parts), handler, f"{target} (idempotency key {ik!r})")

    async def attach_invocation(self, fn: Any, invocation_id: str) -> Any:
        """Wait for (and return) the result of invocation ``invocation_id`` (what `send` returned)."""
        _check_handler_code("ingress.attach_invocation(...)")
        handler: Any = handler_from_callable(fn)
        target = f"{handler.service_tag.name}/{handler.name}"
        path = f"/restate/invocation/{path_segment(invocation_id, 'invocation id')}/attach"
        return await self._get(path, handler, target, invocation_id)

    async def submit_workflow(self, main: Any, key: str, arg: Any = None, *,
                              delay: timedelta | None = None) -> str:
        """Start workflow ``key`` (at most once per key); returns the invocation id."""
        self._workflow(main)
        return await self.send(main, arg, key=key, delay=delay)

    async def workflow_attach(self, main: Any, key: str) -> Any:
        """Wait for workflow ``key`` to finish and return its result."""
        _check_handler_code("ingress.workflow_attach(...)")
        handler, name = self._workflow(main)
        path = f"/restate/workflow/{path_segment(name, 'workflow name')}/{path_segment(key, 'workflow key')}/attach"
        return await self._get(path, handler, f"workflow {name}/{key}")

    async def workflow_output(self, main: Any, key: str) -> tuple[bool, Any]:
        """``(True, result)`` if workflow ``key`` finished, ``(False, None)`` if it is still running."""
        _check_handler_code("ingress.workflow_output(...)")
        handler, name = self._workflow(main)
        path = f"/restate/workflow/{path_segment(name, 'workflow name')}/{path_segment(key, 'workflow key')}/output"
        resp = await self.client.get(path)
        if resp.status_code == 470:  # Restate: not ready yet
            return False, None
        _raise_for(resp, f"workflow {name}/{key}")
        return True, self._output(handler, resp)

    def _workflow(self, main: Any) -> tuple[Any, str]:
        handler: Any = handler_from_callable(main)
        if handler.service_tag.kind != "workflow" or handler.kind != "workflow":
            raise IngressUsageError(
                f"{handler.service_tag.name}/{handler.name} is not a workflow's main handler: pass the "
                f"function decorated with @workflow.main()")
        return handler, handler.service_tag.name

    async def _get(self, path: str, handler: Any, target: str, invocation_id: str | None = None) -> Any:
        resp = await self.client.get(path)
        _raise_for(resp, target, invocation_id)
        return self._output(handler, resp)

    @staticmethod
    def _output(handler: Any, resp: httpx.Response) -> Any:
        serde = handler.handler_io.output_serde or JsonSerde()
        return serde.deserialize(resp.content)


@contextlib.asynccontextmanager
async def connect(ingress: str | None = None, headers: dict[str, str] | None = None, *,
                  timeout: float | None = None, **options: Any) -> AsyncIterator[Ingress]:
    """An :class:`Ingress` on ``ingress`` (URL and key resolved as `restate.client.create_client` does)."""
    _check_handler_code("rea_runtime.ingress.connect(...)")
    url, resolved_headers = resolve_ingress(ingress, headers)
    async with httpx.AsyncClient(base_url=url, headers=resolved_headers, timeout=timeout) as client:
        yield Ingress(client, **options)
