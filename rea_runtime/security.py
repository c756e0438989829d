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
import math
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
_SIGNED_PREFIXES = ("/invoke/", "/discover/")
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


_B58_MAX_KEY_CHARS = 44
"""The longest base58 text of 32 bytes; anything longer cannot be an Ed25519 public key."""


def _b58decode(text: str, shown: str) -> bytes:
    """Decode a key's base58 text; linear in its length (long texts are refused before decoding)."""
    for pos, ch in enumerate(text):
        if ch not in _B58_INDEX:
            extra = " (base58 has no 0, O, I or l)" if ch in "0OIl" else ""
            raise IdentityKeyError(
                f"identity key {shown}: character {ch!r} at position {len(KEY_PREFIX) + pos} is not "
                f"base58{extra}; the key was probably mistyped or truncated: {_KEY_HINT}"
            )
    if len(text) > _B58_MAX_KEY_CHARS:
        # Big-integer base conversion is quadratic: never run it on text that cannot be a key.
        raise IdentityKeyError(
            f"identity key {shown} has {len(text)} base58 characters, an Ed25519 public key has at "
            f"most {_B58_MAX_KEY_CHARS} (it decodes to more than 32 bytes); the key has extra "
            f"characters: {_KEY_HINT}"
        )
    n = 0
    for ch in text:
        n = n * 58 + _B58_INDEX[ch]
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


# Ed25519 encodes a point as its y coordinate (255 bits, little endian) and the sign of x (top
# bit). libsodium refuses, as keys and as a signature's R, encodings whose y is not reduced
# (y >= p: "non-canonical") and the points of small order (the identity and the other 8-torsion
# points): with such a key every signature equation degenerates and forgeries verify. These are
# libsodium's checks (ge25519_is_canonical, ge25519_has_small_order), done on the encoding; no
# curve arithmetic beyond "is there an x for this y" (a Legendre symbol).
_P = 2**255 - 19
_D = (-121665 * pow(121666, _P - 2, _P)) % _P
_SMALL_ORDER_Y = {
    0: "a point of order 4",
    1: "the identity point (order 1)",
    _P - 1: "a point of order 2",
    # the two y coordinates of the order-8 points (libsodium's blocklist)
    2707385501144840649318225287225658788936804267575313519463743609750303402022: "a point of order 8",
    55188659117513257062467267217118295137698188065244968500265048394206261417927: "a point of order 8",
}


def point_defect(raw: bytes) -> str | None:
    """Why the 32-byte encoding ``raw`` is no acceptable Ed25519 point (None if it is one)."""
    if len(raw) != 32:
        return f"{len(raw)} bytes, not 32"
    y = int.from_bytes(raw, "little") & ((1 << 255) - 1)
    if raw == bytes(32):
        return "all zero bytes (a point of order 4; a placeholder, not a key)"
    if y >= _P:
        return "a non-canonical encoding (its y coordinate is not reduced modulo 2^255-19)"
    if y in _SMALL_ORDER_Y:
        return f"{_SMALL_ORDER_Y[y]}, which verifies forged signatures"
    y2 = y * y % _P
    x2 = (y2 - 1) * pow(_D * y2 + 1, _P - 2, _P) % _P
    if x2 != 0 and pow(x2, (_P - 1) // 2, _P) != 1:
        return "not a point on the Ed25519 curve"
    return None


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
    defect = point_defect(raw)
    if defect is not None:
        raise IdentityKeyError(
            f"identity key {shown} is {defect}; libsodium refuses such a public key: {_KEY_HINT}"
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


MAX_TOKEN_CHARS = 8192
"""Longer request-identity tokens are refused unread (Restate's are about 300 characters)."""


def check_leeway(leeway: float) -> float:
    """``leeway`` as a finite, non-negative number of seconds, or a :class:`SecurityConfigError`."""
    if isinstance(leeway, bool) or not isinstance(leeway, (int, float)) or not math.isfinite(leeway) \
            or leeway < 0:
        raise SecurityConfigError(
            f"leeway={leeway!r} must be a finite number of seconds >= 0 (NaN or infinity would "
            f"switch the token expiry check off)"
        )
    return float(leeway)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


def _json(part: str) -> Any:
    """Parse one JWT part; any defect (bad base64, bad JSON, NaN, 1e999, nesting) is a ValueError."""
    try:
        return json.loads(_unb64url(part), parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def _shown(value: Any) -> str:
    """A claim value for a message: strings (shortened) as they are, anything else by its type."""
    if isinstance(value, str):
        return repr(value if len(value) <= 80 else value[:80] + "...")
    return "None" if value is None else f"a {type(value).__name__}"


def _time_claim(claims: dict, name: str) -> tuple[float | None, str | None]:
    """(seconds, None), (None, None) when absent, or (None, why it is unusable)."""
    value = claims.get(name)
    if value is None:
        return None, None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None, f"token's {name} claim is {_shown(value)}, not a number"
    try:
        seconds = float(value)
    except OverflowError:
        return None, f"token's {name} claim is out of range"
    if not math.isfinite(seconds) or abs(seconds) > 1e12:
        return None, f"token's {name} claim is out of range"
    return seconds, None


def judge_signature(headers: Mapping[str, str], path: str, keys: Sequence[IdentityKey], *,
                    leeway: float = 60.0, now: float | None = None) -> str | None:
    """Why the SDK would refuse this request (None if it would accept it).

    Never raises on request content, whatever the headers hold; a bad ``leeway`` (NaN,
    infinite, negative) is a :class:`SecurityConfigError`, since it would disable the expiry check.
    """
    leeway = check_leeway(leeway)
    scheme = headers.get(SCHEME_HEADER)
    if scheme is None:
        return f"unsigned request: no {SCHEME_HEADER} header (not sent by a Restate server with a signing key)"
    if scheme != "v1":
        return f"signature scheme {_shown(scheme)} is not 'v1' (the server has no request-identity private key?)"
    token = headers.get(JWT_HEADER)
    if not token:
        return f"no {JWT_HEADER} header"
    if len(token) > MAX_TOKEN_CHARS:
        return f"malformed JWT: {len(token)} characters, more than the {MAX_TOKEN_CHARS} a Restate token can have"
    parts = token.split(".")
    if len(parts) != 3:
        return "malformed JWT: expected three dot-separated parts"
    try:
        header = _json(parts[0])
        claims = _json(parts[1])
        sig = _unb64url(parts[2])
    except (ValueError, binascii.Error) as exc:
        return f"malformed JWT: a part is not base64url JSON ({str(exc)[:80]})"
    if not isinstance(header, dict) or header.get("alg") != "EdDSA":
        return f"JWT alg {_shown(header.get('alg') if isinstance(header, dict) else None)} is not EdDSA"
    if len(sig) != 64:
        return f"malformed JWT: the signature has {len(sig)} bytes, an Ed25519 signature has 64"
    r_defect = point_defect(sig[:32])
    if r_defect is not None:
        return f"signature refused: its R is {r_defect}"
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
        return f"token is for {_shown(claims.get('aud'))}, not this request's path {_shown(path)}"
    now = time.time() if now is None else now
    exp, problem = _time_claim(claims, "exp")
    if problem is not None:
        return problem
    if exp is None:
        return "token has no exp claim"
    nbf, problem = _time_claim(claims, "nbf")
    if problem is not None:
        return problem
    if not now <= exp + leeway:
        return f"token expired {int(now - exp)}s ago"
    if nbf is not None and now + leeway < nbf:
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


def _strings(name: str, value: Any, example: str) -> tuple[str, ...]:
    """A list-of-strings option as a tuple; a single string is refused, not split into characters
    (``allowed_hosts="example.com"`` would otherwise allow the hosts 'e', 'x', 'a', ...)."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a list of strings, got the single string {value!r} (it would be read "
                        f"one character at a time); fix: {name}=[{value!r}]")
    try:
        items = tuple(value)
    except TypeError:
        raise TypeError(f"{name} must be a list of strings, got {type(value).__name__}; "
                        f"fix: {name}=[{example!r}]") from None
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"{name} entries must be strings, got {item!r}; fix: {name}=[{example!r}]")
    return items


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

    ``identity_keys``, ``allowed_hosts``, ``allowed_origins``, ``unsigned_paths`` are lists of
    strings; a single string is refused with a TypeError (``allowed_hosts=["example.com"]``).

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
        self.keys = [parse_identity_key(k) for k in _strings("identity_keys", identity_keys, "publickeyv1_...")]
        self.require_https = require_https
        self.trust_forwarded_proto = trust_forwarded_proto
        self.allowed_hosts = _strings("allowed_hosts", allowed_hosts, "*.internal")
        self.allowed_origins = tuple(o.rstrip("/") for o in _strings("allowed_origins", allowed_origins,
                                                                     "https://admin.example.com"))
        self.unsigned_paths = _strings("unsigned_paths", unsigned_paths, "/health")
        for unsigned in self.unsigned_paths:
            if not unsigned.startswith("/") or unsigned.startswith(_SIGNED_PREFIXES) or unsigned == "/discover":
                raise SecurityConfigError(
                    f"unsigned_paths entry {unsigned!r} must be an absolute path outside /invoke/ and "
                    f"/discover (those carry Restate's request signature)")
        self.leeway = check_leeway(leeway)
        if self.mode == "permissive" and not self.keys:
            raise SecurityConfigError(
                "permissive mode judges request signatures but no identity_keys were given; "
                "pass identity_keys=['publickeyv1_...'], or use mode='disabled'"
            )

    def _scheme(self, scope: dict, headers: Mapping[str, str]) -> str:
        if self.trust_forwarded_proto and "x-forwarded-proto" in headers:
            return headers["x-forwarded-proto"].split(",")[0].strip().lower()
        return str(scope.get("scheme", "http"))

    def is_unsigned_path(self, path: str) -> bool:
        """Whether ``path`` is one of :attr:`unsigned_paths`, exactly (a handler's name never is)."""
        return path in self.unsigned_paths and not path.startswith(_SIGNED_PREFIXES)

    def judge(self, scope: dict) -> tuple[int, str] | None:
        """(status, reason) strict mode would answer with, or None to let the request through."""
        headers = _decoded_headers(scope)
        if headers is None:
            return 403, _NOT_UTF8
        if self.require_https and self._scheme(scope, headers) != "https":
            hint = "" if self.trust_forwarded_proto else " (behind a TLS proxy? set trust_forwarded_proto=True)"
            return 403, f"HTTPS required, got {_shown(self._scheme(scope, headers))}{hint}"
        if self.allowed_hosts:
            host = headers.get("host", "")
            if not _host_allowed(host, self.allowed_hosts):
                return 403, f"host {_shown(host)} is not in allowed_hosts"
        # No Origin header: not a browser (restate-server sends none), so nothing to check.
        origin = headers.get("origin")
        if origin is not None and self.allowed_origins and origin.rstrip("/") not in self.allowed_origins:
            return 403, f"origin {_shown(origin)} is not in allowed_origins"
        path = scope.get("path", "")
        if self.mode == "permissive" and not self.is_unsigned_path(path):
            reason = judge_signature(headers, path, self.keys, leeway=self.leeway)
            if reason is not None:
                return 401, reason
        return None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        if self.mode == "disabled":
            # Nothing is checked, but headers the SDK cannot decode would be its 500: refuse them.
            if _decoded_headers(scope) is None:
                await _refuse(send, 403, _NOT_UTF8)
                return
            await self.app(scope, receive, send)
            return
        verdict = self.judge(scope)
        path = scope.get("path", "")
        if verdict is not None:
            status, reason = verdict
            _record_refusal(self.mode, status)
            if self.mode == "strict" or reason == _NOT_UTF8:
                _log.warning("request refused", status=status, reason=reason, path=path, mode=self.mode)
                await _refuse(send, status, reason)
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


_NOT_UTF8 = "a request header is not UTF-8 (the SDK cannot decode it; Restate never sends one)"


def _decoded_headers(scope: dict) -> dict[str, str] | None:
    """The request's headers as text, lower-cased names; None if one is not UTF-8."""
    try:
        return {k.decode("utf-8").lower(): v.decode("utf-8") for k, v in scope.get("headers", ())}
    except UnicodeDecodeError:
        return None


async def _refuse(send: Any, status: int, reason: str) -> None:
    body = reason.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


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

    keys = [parse_identity_key(k).text for k in _strings("identity_keys", identity_keys, "publickeyv1_...")]
    resolved = _mode(mode)
    if resolved == "strict" and not keys:
        raise SecurityConfigError(
            "strict mode needs at least one identity key, or anyone who can reach the service can "
            "invoke it; pass identity_keys=['publickeyv1_...'], or mode='disabled' for local development"
        )
    app = restate.app(list(services), identity_keys=keys if resolved == "strict" else None)
    return SecurityMiddleware(app, mode=resolved, identity_keys=keys, **options)
