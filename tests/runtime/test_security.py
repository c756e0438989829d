"""Request identity and the security middleware: unit checks, then a real signing restate-server."""

from __future__ import annotations

import time

import httpx
import pytest
import restate
import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from rea_runtime.security import (
    IdentityKeyError, SecurityConfigError, SecurityMiddleware, judge_signature, parse_identity_key,
    public_key_string, secure_app, sign_request,
)

KEY = Ed25519PrivateKey.generate()
PUB = public_key_string(KEY)


# --- keys --------------------------------------------------------------------------------------


def test_key_round_trip() -> None:
    parsed = parse_identity_key(PUB)
    assert parsed.text == PUB
    assert public_key_string(parsed.public_key) == PUB


@pytest.mark.parametrize(("key", "needle"), [
    ("publickey_abc", "does not start with 'publickeyv1_'"),
    ("-----BEGIN PUBLIC KEY-----", "does not start with"),
    (PUB[:-1] + "0", "character '0' at position"),
    (PUB[:20] + "l" + PUB[21:], "base58 has no 0, O, I or l"),
    (PUB[:-6], "decodes to"),
    (PUB + "zz", "decodes to"),
    (" " + PUB, "whitespace"),
])
def test_bad_keys_say_what_is_wrong(key: str, needle: str) -> None:
    with pytest.raises(IdentityKeyError, match=None) as err:
        parse_identity_key(key)
    assert needle in str(err.value)
    assert "publickeyv1_" in str(err.value)


def test_strict_without_keys_is_a_start_up_error() -> None:
    with pytest.raises(SecurityConfigError, match="strict mode needs at least one identity key"):
        secure_app([], mode="strict")
    with pytest.raises(SecurityConfigError, match="not one of"):
        secure_app([], mode="lenient")
    with pytest.raises(IdentityKeyError):
        secure_app([], identity_keys=["publickeyv1_0"], mode="disabled")


# --- token judgement ---------------------------------------------------------------------------

KEYS = [parse_identity_key(PUB)]


def test_judge_signature_cases() -> None:
    path = "/invoke/S/h"
    assert judge_signature(sign_request(KEY, path), path, KEYS) is None
    assert "unsigned" in judge_signature({}, path, KEYS)
    forged = sign_request(Ed25519PrivateKey.generate(), path)
    assert "does not match any configured identity key" in judge_signature(forged, path, KEYS)
    assert "not this request's path" in judge_signature(sign_request(KEY, "/invoke/S/other"), path, KEYS)
    old = sign_request(KEY, path, now=time.time() - 3600)
    assert "expired" in judge_signature(old, path, KEYS)
    tampered = dict(sign_request(KEY, path))
    tampered["x-restate-jwt-v1"] = tampered["x-restate-jwt-v1"][:-4] + "AAAA"
    assert judge_signature(tampered, path, KEYS) is not None
    assert "malformed" in judge_signature({"x-restate-signature-scheme": "v1", "x-restate-jwt-v1": "a.b"}, path, KEYS)


# --- middleware in process ---------------------------------------------------------------------


async def _ok(scope, receive, send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


async def _get(app, url: str = "http://svc.internal/invoke/S/h", **headers: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:
        return await client.post(url, headers=headers)


async def test_https_enforced_and_forwarded_proto_opt_in() -> None:
    app = SecurityMiddleware(_ok, mode="strict", require_https=True)
    resp = await _get(app)
    assert resp.status_code == 403 and "HTTPS required" in resp.text and "trust_forwarded_proto" in resp.text
    assert (await _get(app, **{"x-forwarded-proto": "https"})).status_code == 403  # not trusted by default
    assert (await _get(app, "https://svc.internal/invoke/S/h")).status_code == 200
    trusting = SecurityMiddleware(_ok, mode="strict", require_https=True, trust_forwarded_proto=True)
    assert (await _get(trusting, **{"x-forwarded-proto": "https"})).status_code == 200


async def test_host_and_origin_allow_list() -> None:
    app = SecurityMiddleware(_ok, mode="strict", allowed_hosts=["*.internal"], allowed_origins=["https://ok.example"])
    assert (await _get(app)).status_code == 200
    resp = await _get(app, "http://evil.example/invoke/S/h")
    assert resp.status_code == 403 and "allowed_hosts" in resp.text
    assert (await _get(app, origin="https://evil.example")).status_code == 403
    assert (await _get(app, origin="https://ok.example")).status_code == 200


@pytest.mark.parametrize("option", ["allowed_hosts", "allowed_origins", "unsigned_paths", "identity_keys"])
def test_a_single_string_for_a_list_option_is_refused(option: str) -> None:
    """A str is iterable: allowed_hosts="example.com" silently allowed the hosts 'e', 'x', 'a', ..."""
    with pytest.raises(TypeError) as err:
        SecurityMiddleware(_ok, mode="strict", **{option: "example.com"})
    assert str(err.value) == (f"{option} must be a list of strings, got the single string 'example.com' (it "
                              f"would be read one character at a time); fix: {option}=['example.com']")
    with pytest.raises(TypeError, match=f"{option} entries must be strings, got 5"):
        SecurityMiddleware(_ok, mode="strict", **{option: [5]})


def test_secure_app_refuses_a_single_key_string() -> None:
    with pytest.raises(TypeError, match=r"fix: identity_keys=\['publickeyv1_"):
        secure_app([], identity_keys=PUB, mode="strict")
    with pytest.raises(TypeError, match="identity_keys must be a list of strings, got NoneType"):
        secure_app([], identity_keys=None, mode="strict")  # type: ignore[arg-type]


async def test_a_one_host_list_allows_that_host_only() -> None:
    app = SecurityMiddleware(_ok, mode="strict", allowed_hosts=["svc.internal"])
    assert (await _get(app)).status_code == 200
    assert (await _get(app, "http://e/invoke/S/h")).status_code == 403


async def test_permissive_logs_and_passes_disabled_ignores() -> None:
    permissive = SecurityMiddleware(_ok, mode="permissive", identity_keys=[PUB], require_https=True)
    with structlog.testing.capture_logs() as logs:
        assert (await _get(permissive)).status_code == 200
    reasons = [e["reason"] for e in logs if "permissive" in e["event"]]
    assert len(reasons) == 1 and "HTTPS required" in reasons[0]
    with structlog.testing.capture_logs() as logs:
        assert (await _get(permissive, "https://x/invoke/S/h", **sign_request(KEY, "/invoke/S/h"))).status_code == 200
    assert logs == []
    disabled = SecurityMiddleware(_ok, mode="disabled", require_https=True)
    assert (await _get(disabled)).status_code == 200
    with pytest.raises(SecurityConfigError, match="no identity_keys"):
        SecurityMiddleware(_ok, mode="permissive")


# --- end to end: a restate-server that signs its requests -------------------------------------

strict_svc = restate.Service("SecStrict")
permissive_svc = restate.Service("SecPermissive")


@strict_svc.handler()
async def hello(ctx: restate.Context, name: str) -> str:
    return f"hi {name}"


@permissive_svc.handler(name="hello")
async def hello_p(ctx: restate.Context, name: str) -> str:
    return f"hi {name}"


# Handlers named like the unsigned paths: they are checked like every other handler.
@strict_svc.handler(name="health")
async def health_s(ctx: restate.Context) -> str:
    return "handler health"


@permissive_svc.handler(name="metrics")
async def metrics_p(ctx: restate.Context) -> str:
    return "handler metrics"


@pytest.fixture(scope="module")
def strict_env(restate_harness):
    app = secure_app([strict_svc], identity_keys=[restate_harness.identity.public_key], mode="strict")
    with restate_harness.deploy(app, signing=True) as env:
        yield env


@pytest.fixture(scope="module")
def permissive_env(restate_harness):
    app = secure_app([permissive_svc], identity_keys=[restate_harness.identity.public_key], mode="permissive")
    with restate_harness.deploy(app, signing=True) as env:
        yield env


def _bad_requests(identity, path: str) -> dict[str, dict[str, str]]:
    return {
        "unsigned": {},
        "forged": sign_request(Ed25519PrivateKey.generate(), path),
        "other path": sign_request(identity.private_key, "/invoke/SecStrict/other"),
        "expired": sign_request(identity.private_key, path, now=time.time() - 3600),
    }


async def _direct(env, path: str, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient(base_url=env.app_server.url, timeout=10) as client:
        return await client.post(path, headers={"content-type": "application/vnd.restate.invocation.v5", **headers})


async def test_strict_accepts_signed_calls_and_rejects_the_rest(strict_env, restate_harness) -> None:
    # Registration (a signed discovery request) already succeeded; a signed invocation does too.
    resp = await strict_env.call("SecStrict", "hello", "ada")
    assert resp.status_code == 200 and resp.json() == "hi ada"
    path = "/invoke/SecStrict/hello"
    for what, headers in _bad_requests(restate_harness.identity, path).items():
        with structlog.testing.capture_logs() as logs:
            resp = await _direct(strict_env, path, headers)
        assert resp.status_code == 401, what
        assert any("rejected its request identity" in e["event"] for e in logs), what


async def test_permissive_logs_and_passes_what_strict_rejects(permissive_env, restate_harness) -> None:
    with structlog.testing.capture_logs() as logs:
        resp = await permissive_env.call("SecPermissive", "hello", "bob")
    assert resp.status_code == 200 and resp.json() == "hi bob"
    assert [e for e in logs if e.get("mode") == "permissive"] == []  # the server's real tokens pass
    path = "/invoke/SecPermissive/hello"
    expected = {"unsigned": "unsigned", "forged": "does not match", "other path": "not this request's path",
                "expired": "expired"}
    for what, headers in _bad_requests(restate_harness.identity, path).items():
        with structlog.testing.capture_logs() as logs:
            try:
                resp = await _direct(permissive_env, path, headers)
                assert resp.status_code not in (401, 403), what
            except httpx.RemoteProtocolError:
                pass  # passed to the SDK, which fails on our empty (non-protocol) body: not refused
        reasons = [e["reason"] for e in logs if e.get("mode") == "permissive"]
        assert len(reasons) == 1 and expected[what] in reasons[0], (what, reasons)


async def test_a_handler_named_health_or_metrics_is_checked_in_every_mode(strict_env, permissive_env) -> None:
    """Only the exact paths /health and /metrics are unsigned; /invoke/<svc>/health is an invocation."""
    assert (await strict_env.call("SecStrict", "health")).json() == "handler health"  # signed: served
    assert (await permissive_env.call("SecPermissive", "metrics")).json() == "handler metrics"
    with structlog.testing.capture_logs() as logs:
        resp = await _direct(strict_env, "/invoke/SecStrict/health", {})
    assert resp.status_code == 401 and any("rejected its request identity" in e["event"] for e in logs)
    with structlog.testing.capture_logs() as logs:
        try:
            resp = await _direct(permissive_env, "/invoke/SecPermissive/metrics", {})
            assert resp.status_code not in (401, 403)
        except httpx.RemoteProtocolError:
            pass  # passed on to the SDK, which fails on the empty body: not refused
    reasons = [e["reason"] for e in logs if e.get("mode") == "permissive"]
    assert len(reasons) == 1 and "unsigned" in reasons[0], logs
    async with httpx.AsyncClient(base_url=strict_env.app_server.url, timeout=10) as client:
        assert (await client.get("/health")).status_code == 200  # the exact path needs no signature
