"""Accept requests only from your own Restate server: key parsing and an ASGI middleware.

The SDK verifies request signatures itself (`restate.app(..., identity_keys=[...])`); rea keeps
that and adds what it lacks: keys validated at start-up with errors that say what is wrong,
HTTPS enforcement, a host/origin allow-list, and a `permissive` mode that logs what strict mode
would refuse without refusing it (rea then judges the signature itself, with `cryptography`,
because the SDK can only reject).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Iterable, Literal, Mapping, Sequence

import structlog
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = [
    "KEY_PREFIX", "SecurityMode", "IdentityKeyError", "SecurityConfigError", "IdentityKey",
    "parse_identity_key", "public_key_string", "sign_request", "judge_signature",
    "SecurityMiddleware", "secure_app",
]

KEY_PREFIX = "publickeyv1_"
SCHEME_HEADER = "x-restate-signature-scheme"
JWT_HEADER = "x-restate-jwt-v1"
SecurityMode = Literal["strict", "permissive", "disabled"]
MODES: tuple[str, ...] = ("strict", "permissive", "disabled")

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}
_KEY_HINT = (
    "use the `publickeyv1_...` key that matches the server's request-identity private key "
    "(restate-server logs it at start-up; Restate Cloud shows it in the environment settings)"
)

_log = structlog.get_logger("rea_runtime.security")


class IdentityKeyError(ValueError):
    """A request-identity public key is malformed; the message says where and how to fix it."""


class SecurityConfigError(ValueError):
    """The security settings contradict each other; the message says which and what to do."""


# --- keys ------------------------------------------------------------------------------------


def _b58decode(text: str, shown: str) -> bytes:
    n = 0
    for pos, ch in enumerate(text):
        digit = _B58_INDEX.get(ch)
        if digit is None:
            extra = " (base58 has no 0, O, I or l)" if ch in "0OIl" else ""
            raise IdentityKeyError(
                f"identity key {shown}: character {ch!r} at position {len(KEY_PREFIX) + pos} is not "
                f"base58{extra}; the key was probably mistyped or truncated: {_KEY_HINT}"
            )
        n = n * 58 + digit
    zeros = len(text) - len(text.lstrip("1"))
    return b"\0" * zeros + n.to_bytes((n.bit_length() + 7) // 8, "big")


def _b58encode(data: bytes) -> str:
    n = int.from_bytes(data, "big")
    out = []
    while n:
        n, r = divmod(n, 58)
        out.append(_B58[r])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(out))


@dataclass(frozen=True)
class IdentityKey:
    """A parsed `publickeyv1_...` key: the text the SDK wants and the key `cryptography` uses."""

    text: str
    public_key: Ed25519PublicKey


def parse_identity_key(key: str) -> IdentityKey:
    """Validate one `publickeyv1_<base58 of 32 raw Ed25519 bytes>` key, or say what is wrong."""
    if not isinstance(key, str):
        raise IdentityKeyError(f"identity key must be a str, got {type(key).__name__}: {_KEY_HINT}")
    stripped = key.strip()
    shown = repr(stripped[:24] + ("..." if len(stripped) > 24 else ""))
    if stripped != key:
        raise IdentityKeyError(f"identity key {shown} has surrounding whitespace; strip it (e.g. from the env file)")
    if not key.startswith(KEY_PREFIX):
        got = key.split("_", 1)[0] + "_" if "_" in key else key[:12]
        raise IdentityKeyError(
            f"identity key {shown} does not start with {KEY_PREFIX!r} (got {got!r}); "
            f"a PEM file or raw base64 is not accepted: {_KEY_HINT}"
        )
    raw = _b58decode(key[len(KEY_PREFIX):], shown)
    if len(raw) != 32:
        raise IdentityKeyError(
            f"identity key {shown} decodes to {len(raw)} bytes, an Ed25519 public key has 32; "
            f"the key is truncated or has extra characters: {_KEY_HINT}"
        )
    return IdentityKey(key, Ed25519PublicKey.from_public_bytes(raw))


def public_key_string(key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """The `publickeyv1_...` text for a key (the public half of a private key)."""
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return KEY_PREFIX + _b58encode(raw)


# --- tokens ----------------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_request(private_key: Ed25519PrivateKey, path: str, *, ttl: float = 60.0,
                 now: float | None = None) -> dict[str, str]:
    """Headers the way restate-server signs a request to ``path`` (tests, custom proxies)."""
    now = time.time() if now is None else now
    header = {"alg": "EdDSA", "typ": "JWT"}
    claims = {"aud": path, "iat": int(now), "nbf": int(now) - 1, "exp": int(now + ttl)}
    signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
    sig = private_key.sign(signing_input.encode())
    return {SCHEME_HEADER: "v1", JWT_HEADER: f"{signing_input}.{_b64url(sig)}"}


def judge_signature(headers: Mapping[str, str], path: str, keys: Sequence[IdentityKey], *,
                    leeway: float = 60.0, now: float | None = None) -> str | None:
    """Why the SDK would refuse this request (None if it would accept it). Never raises."""
    scheme = headers.get(SCHEME_HEADER)
    if scheme is None:
        return f"unsigned request: no {SCHEME_HEADER} header (not sent by a Restate server with a signing key)"
    if scheme != "v1":
        return f"signature scheme {scheme!r} is not 'v1' (the server has no request-identity private key?)"
    token = headers.get(JWT_HEADER)
    if not token:
        return f"no {JWT_HEADER} header"
    parts = token.split(".")
    if len(parts) != 3:
        return "malformed JWT: expected three dot-separated parts"
    try:
        header = json.loads(_unb64url(parts[0]))
        claims = json.loads(_unb64url(parts[1]))
        sig = _unb64url(parts[2])
    except (ValueError, binascii.Error):
        return "malformed JWT: a part is not base64url JSON"
    if not isinstance(header, dict) or header.get("alg") != "EdDSA":
        return f"JWT alg {header.get('alg') if isinstance(header, dict) else None!r} is not EdDSA"
    signing_input = f"{parts[0]}.{parts[1]}".encode()
    for key in keys:
        try:
            key.public_key.verify(sig, signing_input)
            break
        except InvalidSignature:
            continue
    else:
        return "signature does not match any configured identity key (forged, or signed by another server)"
    if not isinstance(claims, dict):
        return "malformed JWT: claims are not an object"
    if claims.get("aud") != path:
        return f"token is for {claims.get('aud')!r}, not this request's path {path!r}"
    now = time.time() if now is None else now
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if not isinstance(exp, (int, float)):
        return "token has no exp claim"
    if now > exp + leeway:
        return f"token expired {int(now - exp)}s ago"
    if isinstance(nbf, (int, float)) and now + leeway < nbf:
        return f"token not valid for another {int(nbf - now)}s"
    return None


# --- middleware ------------------------------------------------------------------------------

ASGIApp = Callable[[dict, Callable[[], Awaitable[dict]], Callable[[dict], Awaitable[None]]], Awaitable[None]]


def _mode(mode: str | None) -> SecurityMode:
    value = mode if mode is not None else os.environ.get("REA_SECURITY", "strict")
    if value not in MODES:
        source = "mode=" if mode is not None else "REA_SECURITY="
        raise SecurityConfigError(f"{source}{value!r} is not one of: {', '.join(MODES)}")
    return value  # type: ignore[return-value]


def _host_allowed(host: str, allowed: Sequence[str]) -> bool:
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    for pattern in allowed:
        if pattern == "*" or pattern == host or pattern == name:
            return True
        if pattern.startswith("*.") and name.endswith(pattern[1:]):
            return True
    return False


class SecurityMiddleware:
    """ASGI middleware: HTTPS, host and origin checks; request identity in permissive mode.

    ``strict``: refuse (403 for transport/host/origin; signatures are the SDK's 401, logged here).
    ``permissive``: log what strict would refuse, including bad signatures, and pass the request.
    ``disabled``: pass everything (local development against an unsigned server).
    """

    def __init__(self, app: ASGIApp, *, mode: str | None = None, identity_keys: Iterable[str] = (),
                 require_https: bool = False, trust_forwarded_proto: bool = False,
                 allowed_hosts: Sequence[str] = (), allowed_origins: Sequence[str] = (),
                 unsigned_paths: Sequence[str] = ("/health", "/metrics"), leeway: float = 60.0) -> None:
        self.app = app
        self.mode = _mode(mode)
        self.keys = [parse_identity_key(k) for k in identity_keys]
        self.require_https = require_https
        self.trust_forwarded_proto = trust_forwarded_proto
        self.allowed_hosts = tuple(allowed_hosts)
        self.allowed_origins = tuple(o.rstrip("/") for o in allowed_origins)
        self.unsigned_paths = tuple(unsigned_paths)
        self.leeway = leeway
        if self.mode == "permissive" and not self.keys:
            raise SecurityConfigError(
                "permissive mode judges request signatures but no identity_keys were given; "
                "pass identity_keys=['publickeyv1_...'], or use mode='disabled'"
            )

    def _scheme(self, scope: dict, headers: Mapping[str, str]) -> str:
        if self.trust_forwarded_proto and "x-forwarded-proto" in headers:
            return headers["x-forwarded-proto"].split(",")[0].strip().lower()
        return str(scope.get("scheme", "http"))

    def judge(self, scope: dict) -> tuple[int, str] | None:
        """(status, reason) strict mode would answer with, or None to let the request through."""
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", ())}
        if self.require_https and self._scheme(scope, headers) != "https":
            hint = "" if self.trust_forwarded_proto else " (behind a TLS proxy? set trust_forwarded_proto=True)"
            return 403, f"HTTPS required, got {self._scheme(scope, headers)}{hint}"
        if self.allowed_hosts:
            host = headers.get("host", "")
            if not _host_allowed(host, self.allowed_hosts):
                return 403, f"host {host!r} is not in allowed_hosts"
        origin = headers.get("origin")
        if origin is not None and self.allowed_origins and origin.rstrip("/") not in self.allowed_origins:
            return 403, f"origin {origin!r} is not in allowed_origins"
        path = scope.get("path", "")
        if self.mode == "permissive" and not path.endswith(self.unsigned_paths):
            reason = judge_signature(headers, path, self.keys, leeway=self.leeway)
            if reason is not None:
                return 401, reason
        return None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope.get("type") != "http" or self.mode == "disabled":
            await self.app(scope, receive, send)
            return
        verdict = self.judge(scope)
        path = scope.get("path", "")
        if verdict is not None:
            status, reason = verdict
            _record_refusal(self.mode, status)
            if self.mode == "strict":
                _log.warning("request refused", status=status, reason=reason, path=path, mode=self.mode)
                body = reason.encode()
                await send({"type": "http.response.start", "status": status,
                            "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                        (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
            _log.warning("request would be refused in strict mode; passed (permissive)",
                         status=status, reason=reason, path=path, mode=self.mode)
            await self.app(scope, receive, send)
            return

        async def watch(message: dict) -> None:
            if message.get("type") == "http.response.start" and message.get("status") == 401:
                _record_refusal(self.mode, 401)
                _log.warning("request refused: the SDK rejected its request identity", status=401,
                             path=path, mode=self.mode)
            await send(message)

        await self.app(scope, receive, watch if self.keys else send)


def _record_refusal(mode: str, status: int) -> None:
    from . import events

    events.emit("security_refusal", mode=mode, status=status)


def secure_app(services: Iterable[Any], *, identity_keys: Iterable[str] = (), mode: str | None = None,
               **options: Any) -> SecurityMiddleware:
    """`restate.app(services)` behind :class:`SecurityMiddleware`, with the keys where they belong.

    strict: the SDK verifies signatures (it gets ``identity_keys``); permissive: rea judges them
    and the SDK does not (it could only reject); disabled: nobody does. ``mode`` defaults to
    ``$REA_SECURITY`` or ``strict``. Keys are validated here, at start-up, in every mode.
    """
    import restate

    keys = [parse_identity_key(k).text for k in identity_keys]
    resolved = _mode(mode)
    if resolved == "strict" and not keys:
        raise SecurityConfigError(
            "strict mode needs at least one identity key, or anyone who can reach the service can "
            "invoke it; pass identity_keys=['publickeyv1_...'], or mode='disabled' for local development"
        )
    app = restate.app(list(services), identity_keys=keys if resolved == "strict" else None)
    return SecurityMiddleware(app, mode=resolved, identity_keys=keys, **options)
