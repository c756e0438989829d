"""Hostile request-identity input: every header answers 401/403 (never an exception or a 500),
degenerate keys are refused as libsodium refuses them, and key decoding stays linear.

The reproducers of issue 17 are the named tests; the hypothesis tests fuzz the rest
(their case counts are asserted, so a silently shrunk run fails).
"""

from __future__ import annotations

import base64
import json
import math
import time

import pytest
import restate
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from rea_runtime.security import (
    IdentityKey, IdentityKeyError, KEY_PREFIX, SecurityConfigError, SecurityMiddleware, _b58encode,
    judge_signature, parse_identity_key, public_key_string, secure_app,
)

KEY = Ed25519PrivateKey.generate()
PUB = public_key_string(KEY)
KEYS = [parse_identity_key(PUB)]
PATH = "/invoke/S/h"
P = 2**255 - 19


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(header: object, claims: object, *, key: Ed25519PrivateKey | None = KEY, raw: bool = False) -> dict[str, str]:
    """Headers carrying a JWT with these parts, signed by ``key`` (a str part when ``raw`` is sent as is)."""
    h = header if raw and isinstance(header, str) else json.dumps(header)
    c = claims if raw and isinstance(claims, str) else json.dumps(claims)
    signing_input = f"{b64(h.encode())}.{b64(c.encode())}"  # type: ignore[union-attr]
    sig = key.sign(signing_input.encode()) if key is not None else bytes(64)
    return {"x-restate-signature-scheme": "v1", "x-restate-jwt-v1": f"{signing_input}.{b64(sig)}"}


def claims(**extra: object) -> dict:
    now = int(time.time())
    return {"aud": PATH, "iat": now, "nbf": now - 1, "exp": now + 60, **extra}


# --- the reproducers ---------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["header", "claims"])
def test_deeply_nested_json_is_malformed_not_recursion_error(where: str) -> None:
    nested = "[" * 100_000 + "]" * 100_000
    ok = json.dumps({"alg": "EdDSA"})
    headers = token(nested, ok, raw=True, key=None) if where == "header" else token(ok, nested, raw=True)
    assert judge_signature(headers, PATH, KEYS).startswith("malformed JWT")


@pytest.mark.parametrize("value", ["1e309", "-1e309", "1" + "0" * 309, "NaN", "Infinity", "-Infinity"])
@pytest.mark.parametrize("claim", ["exp", "nbf"])
def test_out_of_range_and_non_finite_time_claims_are_refused(claim: str, value: str) -> None:
    body = json.dumps(claims()).replace(f'"{claim}": ', f'"{claim}": {value}, "was_{claim}": ')
    reason = judge_signature(token({"alg": "EdDSA"}, body, raw=True), PATH, KEYS)
    assert reason is not None  # validly signed, yet refused
    assert "malformed" in reason or "out of range" in reason


@pytest.mark.parametrize("leeway", [math.nan, math.inf, -1.0])
def test_leeway_must_be_finite(leeway: float) -> None:
    expired = token({"alg": "EdDSA"}, claims(exp=1, nbf=0))
    with pytest.raises(SecurityConfigError, match="finite number of seconds"):
        judge_signature(expired, PATH, KEYS, leeway=leeway)
    with pytest.raises(SecurityConfigError, match="finite number of seconds"):
        SecurityMiddleware(lambda *a: None, mode="strict", leeway=leeway)


def _key_text(raw: bytes) -> str:
    return KEY_PREFIX + _b58encode(raw)


ORDER8 = 2707385501144840649318225287225658788936804267575313519463743609750303402022

DEGENERATE = {
    "all zeros": (bytes(32), "all zero bytes"),
    "identity point": ((1).to_bytes(32, "little"), "identity point"),
    "identity, x sign bit set": ((1 | 1 << 255).to_bytes(32, "little"), "identity point"),
    "order 2": ((P - 1).to_bytes(32, "little"), "order 2"),
    "order 4, sign bit set": ((1 << 255).to_bytes(32, "little"), "order 4"),
    "order 8": (ORDER8.to_bytes(32, "little"), "order 8"),
    "order 8 (other y)": ((P - ORDER8).to_bytes(32, "little"), "order 8"),
    "non-canonical y = p": (P.to_bytes(32, "little"), "non-canonical"),
    "non-canonical y = p + 1 (the identity again)": ((P + 1).to_bytes(32, "little"), "non-canonical"),
    "non-canonical y = 2^255 - 1": ((2**255 - 1).to_bytes(32, "little"), "non-canonical"),
    "not on the curve": ((2).to_bytes(32, "little"), "not a point on the Ed25519 curve"),
}


@pytest.mark.parametrize("name", sorted(DEGENERATE))
def test_degenerate_keys_are_refused_with_the_reason(name: str) -> None:
    raw, needle = DEGENERATE[name]
    with pytest.raises(IdentityKeyError) as err:
        parse_identity_key(_key_text(raw))
    assert needle in str(err.value) and "libsodium refuses" in str(err.value)


def test_forged_token_for_the_identity_point_key_does_not_pass() -> None:
    identity = _key_text((1).to_bytes(32, "little"))
    with pytest.raises(IdentityKeyError, match="identity point"):
        secure_app([], identity_keys=[identity], mode="strict")
    # Even a key object built around the parser: R = identity, S = 0 is refused for its R.
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    raw = (1).to_bytes(32, "little")
    sneaked = [IdentityKey(identity, Ed25519PublicKey.from_public_bytes(raw))]
    signing_input = f"{b64(json.dumps({'alg': 'EdDSA'}).encode())}.{b64(json.dumps(claims()).encode())}"
    forged = {"x-restate-signature-scheme": "v1",
              "x-restate-jwt-v1": f"{signing_input}.{b64(raw + bytes(32))}"}
    reason = judge_signature(forged, PATH, sneaked)
    assert reason is not None and "identity point" in reason


def test_huge_base58_key_is_refused_before_decoding() -> None:
    # 300,000 characters took 31 s (quadratic big-int conversion); refused by length now.
    with pytest.raises(IdentityKeyError, match="300000 base58 characters.*at most 44"):
        parse_identity_key(KEY_PREFIX + "z" * 300_000)


def test_real_keys_still_parse() -> None:
    for _ in range(200):
        text = public_key_string(Ed25519PrivateKey.generate())
        assert parse_identity_key(text).text == text


# --- fuzz: judge_signature -----------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=8,
)
NUMBER_TEXT = st.sampled_from(["NaN", "Infinity", "-Infinity", "1e309", "-1e309", "1" + "0" * 400, "1e-400",
                               "true", "null", '"soon"', "[]", "{}", "0", "-1", "4102444800"])


@st.composite
def nested_text(draw: st.DrawFn) -> str:
    depth = draw(st.sampled_from([0, 1, 2, 50, 500, 998, 999, 1000, 1001, 1500, 3000]))
    opener = draw(st.sampled_from(["[", '{"a":', '{"alg":']))
    closer = {"[": "]", '{"a":': "}", '{"alg":': "}"}[opener]
    return opener * depth + draw(st.sampled_from(["1", '"EdDSA"', "NaN", "[]"])) + closer * depth


SIGNERS = [KEY, None, Ed25519PrivateKey.generate()]  # the configured key, unsigned, another key


@st.composite
def hostile_headers(draw: st.DrawFn) -> dict[str, str]:
    """Every layer of the token: scheme, part count, base64, JSON shape, numbers, nesting, signer."""
    choice = draw(st.integers(0, 5))
    signer = draw(st.sampled_from(SIGNERS))
    if choice == 0:
        return draw(st.dictionaries(st.sampled_from(["x-restate-signature-scheme", "x-restate-jwt-v1", "other"]),
                                    st.text(max_size=40)))
    if choice == 1:
        return token(draw(nested_text()), json.dumps(claims()), raw=True, key=signer)
    if choice == 2:
        return token({"alg": "EdDSA"}, draw(nested_text()), raw=True, key=signer)
    if choice == 3:
        body = json.dumps(claims()).replace('"exp": ', f'"exp": {draw(NUMBER_TEXT)}, "x": ')
        body = body.replace('"nbf": ', f'"nbf": {draw(NUMBER_TEXT)}, "y": ')
        return token({"alg": "EdDSA"}, body, raw=True, key=signer)
    if choice == 4:
        return token(draw(JSON), draw(JSON), key=signer)
    parts = draw(st.lists(st.text(alphabet="ABCabc019-_=.+/ \x00é", max_size=60), min_size=1, max_size=5))
    return {"x-restate-signature-scheme": "v1", "x-restate-jwt-v1": ".".join(parts)}


FUZZ_COUNTS: dict[str, int] = {}


@settings(max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
          database=None, phases=[Phase.explicit, Phase.generate])
@given(hostile_headers())
def test_fuzz_judge_signature_never_raises(headers: dict[str, str]) -> None:
    FUZZ_COUNTS["judge"] = FUZZ_COUNTS.get("judge", 0) + 1
    reason = judge_signature(headers, PATH, KEYS)
    # A token signed by KEY with well-formed, current claims is the only thing that passes.
    if reason is None:
        assert headers["x-restate-jwt-v1"].count(".") == 2


def test_fuzz_judge_signature_ran_its_cases() -> None:
    assert FUZZ_COUNTS.get("judge", 0) >= 3000


# --- fuzz: the middleware in front of the real SDK app -------------------------------------------

RAW_HEADER = st.tuples(
    st.sampled_from([b"x-restate-signature-scheme", b"x-restate-jwt-v1", b"origin", b"host",
                     b"x-forwarded-proto", b"content-type"]) | st.binary(min_size=1, max_size=20),
    st.binary(max_size=60) | hostile_headers().map(lambda h: next(iter(h.values()), "").encode()),
)


async def _asgi(app, path: str, headers: list[tuple[bytes, bytes]]) -> int:
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": path, "raw_path": path.encode(), "scheme": "http",
             "headers": headers, "query_string": b"", "http_version": "1.1", "root_path": ""}
    await app(scope, receive, send)
    return next(m["status"] for m in sent if m["type"] == "http.response.start")


def _apps():
    svc = restate.Service("Fuzzed")

    @svc.handler()
    async def health(ctx: restate.Context) -> str:  # a handler named like an unsigned path
        return "reached"

    @svc.handler()
    async def h(ctx: restate.Context) -> str:
        return "reached"

    strict = secure_app([svc], identity_keys=[PUB], mode="strict", allowed_origins=["https://ok.example"])
    permissive = secure_app([svc], identity_keys=[PUB], mode="permissive", allowed_origins=["https://ok.example"])
    return strict, permissive


STRICT, PERMISSIVE = _apps()


@settings(max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
          database=None, phases=[Phase.explicit, Phase.generate])
@given(st.lists(RAW_HEADER, max_size=3), st.sampled_from(["/invoke/Fuzzed/h", "/invoke/Fuzzed/health", "/discover",
                                                          "/invoke/Fuzzed/metrics"]))
async def test_fuzz_middleware_answers_401_or_403(headers: list[tuple[bytes, bytes]], path: str) -> None:
    FUZZ_COUNTS["middleware"] = FUZZ_COUNTS.get("middleware", 0) + 1
    # strict: the whole stack (rea's checks, then the SDK's own verifier) refuses
    assert await _asgi(STRICT, path, headers) in (401, 403)
    # permissive: rea's verdict is a refusal (logged; the request then goes on, by design)
    verdict = PERMISSIVE.judge({"type": "http", "path": path, "headers": headers, "scheme": "http"})
    assert verdict is not None and verdict[0] in (401, 403)


def test_fuzz_middleware_ran_its_cases() -> None:
    assert FUZZ_COUNTS.get("middleware", 0) >= 2000


# --- no handler name bypasses the checks; undecodable headers are refused -------------------------


@pytest.mark.parametrize("path", ["/invoke/Fuzzed/health", "/invoke/Fuzzed/metrics", "/invoke/health/metrics",
                                  "/discover/health"])
def test_no_handler_name_skips_the_signature_check(path: str) -> None:
    verdict = PERMISSIVE.judge({"type": "http", "path": path, "headers": [], "scheme": "http"})
    assert verdict is not None and verdict[0] == 401 and "unsigned" in verdict[1]


def test_only_the_exact_unsigned_paths_skip_it() -> None:
    for path in ("/health", "/metrics"):
        assert PERMISSIVE.judge({"type": "http", "path": path, "headers": [], "scheme": "http"}) is None
    with pytest.raises(SecurityConfigError, match="outside /invoke/"):
        SecurityMiddleware(lambda *a: None, mode="strict", unsigned_paths=["/invoke/S/h"])
    with pytest.raises(SecurityConfigError, match="absolute path"):
        SecurityMiddleware(lambda *a: None, mode="strict", unsigned_paths=["health"])


@pytest.mark.parametrize("mode", ["strict", "permissive", "disabled"])
async def test_non_utf8_header_is_403_in_every_mode(mode: str) -> None:
    import restate

    svc = restate.Service(f"Latin{mode}")

    @svc.handler()
    async def h(ctx: restate.Context) -> str:
        return "reached"

    app = secure_app([svc], identity_keys=[PUB], mode=mode)
    headers = [(b"x-custom", "caf\u00e9".encode("latin-1")), *token({"alg": "EdDSA"}, claims()).items()]
    raw = [(k.encode() if isinstance(k, str) else k, v.encode() if isinstance(v, str) else v) for k, v in headers]
    assert await _asgi(app, "/invoke/Latin/h", raw) == 403  # the SDK alone answers 500 (UnicodeDecodeError)
