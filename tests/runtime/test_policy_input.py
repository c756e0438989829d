"""A policy is checked where it is given: a bad one read first inside an invocation fails that
invocation, and Restate retries it forever. Wrongly typed arguments get a message naming the
argument, what was given and the shape it should have, not a traceback from rea's internals."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest
import restate

import rea_runtime
from rea_lint.config import ConfigError
from rea_runtime import policy
from rea_runtime.policy import ConfigWarning
from tests.conftest import REPO


# --- a bad policy fails the definition, not the invocations --------------------------------


def test_guarded_refuses_a_bad_policy_at_the_decorator() -> None:
    with pytest.raises(ConfigError, match=r"^rea_runtime.guarded: policy: 'loud' is not one of: strict, warn, disabled$"):
        rea_runtime.guarded(policy="loud")
    with pytest.raises(ConfigError, match=r"rea_runtime.guarded: rules.REA202: 'loud' is not one of"):
        rea_runtime.guarded(rules={"REA202": "loud"})


def test_a_drop_in_refuses_a_bad_policy_and_names_itself_even_without_validation() -> None:
    """`validate=False` skips the definition-time checks; the guards still read the policy."""
    with pytest.raises(ConfigError, match=r"^Service 'PolLoud': policy: 'loud' is not one of"):
        rea_runtime.Service("PolLoud", policy="loud", validate=False)
    with pytest.raises(ConfigError, match=r"^VirtualObject 'PolLoud': policy: 'STRICT' .*; did you mean 'strict'\?$"):
        rea_runtime.VirtualObject("PolLoud", policy="STRICT")  # no handler needed


PLAIN_APP = textwrap.dedent("""
    import restate
    import rea_runtime

    svc = restate.Service("PlainEnv")

    @svc.handler()
    @rea_runtime.guarded
    async def clock(ctx: restate.Context) -> str:
        return "ok"

    app = restate.app([svc])
    print("defined")
""")


def _import_plain_app(tmp_path: Path, spec: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "REA_POLICY")}
    env.update(REA_POLICY=spec, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-c", PLAIN_APP], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize(("spec", "message"), [
    ("warn,REA999=strict", "REA_POLICY: unknown rule code 'REA999'"),
    ("loud", "REA_POLICY: 'loud' is not one of: strict, warn, disabled"),
])
def test_a_bad_rea_policy_fails_the_import_of_a_plain_restate_app(tmp_path: Path, spec: str, message: str) -> None:
    """Plain `restate.app` + `@guarded` never resolves the policy at definition: the environment
    variable is read when rea_runtime's drop-ins are imported (and when a handler is guarded)."""
    proc = _import_plain_app(tmp_path, spec)
    assert proc.returncode == 1 and "defined" not in proc.stdout
    assert proc.stderr.strip().splitlines()[-1].startswith(f"rea_lint.config.ConfigError: {message}"), proc.stderr
    ok = _import_plain_app(tmp_path, "warn,REA202=strict")
    assert ok.returncode == 0 and ok.stdout.strip() == "defined", ok.stderr


def test_rea_policy_set_after_the_import_is_read_when_a_handler_is_guarded(clean_policy, monkeypatch) -> None:
    monkeypatch.setenv("REA_POLICY", "strict,REA2O2=warn")
    with pytest.raises(ConfigError, match="unknown rule code 'REA2O2'; did you mean 'REA202'"):
        @rea_runtime.guarded
        async def handler(ctx: restate.Context) -> None:
            return None


# --- wrongly typed arguments -----------------------------------------------------------------


BAD_RULES = [
    (["REA202"], "got the list ['REA202']; fix: rules={'REA202': 'strict'}"),
    ("REA202=strict", "got the str 'REA202=strict'; fix: rules={'REA202': 'strict'}"),
    ("warn,REA202=strict", "fix: policy='warn', rules={'REA202': 'strict'}"),
    ({202: "strict"}, "rule codes are strings, got the int 202; fix: rules={'REA202': 'strict'}"),
]


@pytest.mark.parametrize(("rules", "message"), BAD_RULES)
def test_rules_of_the_wrong_shape_name_the_argument_and_the_shape(clean_policy, rules: object, message: str) -> None:
    for make, where in [
        (lambda: rea_runtime.Service("PolRules", rules=rules), "Service 'PolRules': rules: "),
        (lambda: rea_runtime.guarded(rules=rules), "rea_runtime.guarded: rules: "),
        (lambda: rea_runtime.configure(rules=rules), "configure(rules=...): "),
    ]:
        with pytest.raises(TypeError) as err:
            make()
        assert str(err.value).startswith(where) and message in str(err.value)
    assert policy._code_level is None  # nothing half-set


@pytest.mark.parametrize(("value", "message"), [
    (42, "rea_runtime.guarded: expected an `async def` handler function, got the int 42; fix: put @rea_runtime.guarded directly on"),
    ("strict", "got the str 'strict'; fix: pass it by keyword: @rea_runtime.guarded(policy='strict')"),
])
def test_guarded_on_something_else_than_a_function(value: object, message: str) -> None:
    with pytest.raises(TypeError, match="^rea_runtime.guarded: expected an `async def` handler function") as err:
        rea_runtime.guarded(value)  # type: ignore[arg-type]
    assert message in str(err.value)


def test_app_needs_a_list_of_services() -> None:
    svc = restate.Service("PolAppOne")
    with pytest.raises(TypeError, match=r"rea_runtime.app: services\[1\] is the int 42, not a service; fix: pass restate.Service"):
        rea_runtime.app([svc, 42])
    with pytest.raises(TypeError, match=r"got the Service 'PolAppOne' alone; fix: put it in a list, rea_runtime.app\(\[svc\]\)"):
        rea_runtime.app(svc)
    with pytest.raises(TypeError, match="rea_runtime.app: expected a list of services, got None"):
        rea_runtime.app(None)  # type: ignore[arg-type]


def test_other_wrongly_typed_arguments() -> None:
    with pytest.raises(TypeError, match="REA_POLICY: expected a string such as 'warn' or 'warn,REA202=strict', got None"):
        policy.parse_policy_spec(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"Service 'PolPreset': preset is a preset name \(default, .*\) or a rea_runtime.Preset, got the int 5"):
        rea_runtime.Service("PolPreset", preset=5)  # type: ignore[arg-type]


# --- REA_POLICY: the mistake and the fix, no silent winner -----------------------------------


@pytest.mark.parametrize(("spec", "message"), [
    ("=strict", "'=strict' names no rule before '='; fix: strict alone sets the default, REA202=strict sets one rule"),
    ("warn;REA202=strict", "'warn;REA202=strict' is not one entry; fix: separate entries with commas: 'warn,REA202=strict'"),
    ("warn REA202 = strict", "'warn REA202 = strict' is not one entry; fix: separate entries with commas: 'warn,REA202=strict'"),
    ("REA202:strict", "'REA202:strict': a rule and its level are joined by '='; fix: REA202=strict"),
    ("strict=REA202", "'strict=REA202' is the wrong way round; fix: REA202=strict"),
    ("strict,warn", "two defaults, 'strict' and 'warn'; fix: keep one"),
    ("REA202=strict,REA202=warn", "REA202 is given twice ('strict', then 'warn'); fix: keep one"),
    ("STRICT", "'STRICT' is not one of: strict, warn, disabled; did you mean 'strict'?"),
    ("REA2O2=strict", "unknown rule code 'REA2O2'; did you mean 'REA202'?"),
])
def test_policy_spec_mistakes_name_the_fix(spec: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        policy.parse_policy_spec(spec)
    assert str(err.value) == f"REA_POLICY: {message}"


def test_policy_spec_still_reads_what_it_read() -> None:
    assert policy.parse_policy_spec(" , strict , ,rea202 = warn ") == ("strict", {"REA202": "warn"})
    assert policy.parse_policy_spec("") == (None, {})


def test_a_policy_object_is_checked_when_it_is_made() -> None:
    """`Policy` is public: `Policy("loud")` would answer "loud" for every rule."""
    with pytest.raises(ConfigError, match=r"^Policy\(default=...\): 'loud' is not one of"):
        policy.Policy("loud")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="unknown rule code 'REA999'"):
        policy.Policy("warn", {"REA999": "strict"})
    assert policy.Policy("warn", {"rea202": "strict"}).for_rule("REA202") == "strict"


# --- configure(): each call sets the whole code level, and says what it drops ----------------


def test_a_later_configure_replaces_the_earlier_one_and_warns_what_it_drops(clean_policy) -> None:
    policy.configure(rules={"REA202": "strict"})
    with pytest.warns(ConfigWarning) as caught:
        p = policy.configure(policy="warn")
    assert (p.default, dict(p.rules)) == ("warn", {})
    assert len(caught) == 1 and caught[0].filename == __file__  # points at the call
    assert str(caught[0].message) == (
        "configure(policy='warn') replaces the earlier configure(rules={'REA202': 'strict'}) and drops "
        "REA202='strict'; fix: pass everything in one call, configure(policy='warn', rules={'REA202': 'strict'}), "
        "or call rea_runtime.policy.reset() first to start over"
    )
    policy.configure(policy="strict")
    with pytest.warns(ConfigWarning, match=r"drops policy='strict'; fix: .* configure\(policy='strict', rules=\{'REA105': 'disabled'\}\)"):
        policy.configure(rules={"REA105": "disabled"})


def test_a_configure_that_drops_nothing_is_silent(clean_policy) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        policy.configure(policy="strict")
        policy.configure(policy="warn")  # the same setting, changed: nothing dropped
        policy.configure(policy="warn", rules={"REA202": "strict"})
        p = policy.configure(policy="warn", rules={"REA202": "strict", "REA105": "disabled"})
        policy.reset()
        policy.configure(rules={"REA101": "strict"})  # after reset(), nothing to drop
    assert (p.for_rule("REA202"), p.for_rule("REA105"), p.for_rule("REA101")) == ("strict", "disabled", "warn")
