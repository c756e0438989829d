"""What a runtime violation does: `strict` fails the invocation, `warn` logs, `disabled` ignores.

Resolution, most specific first: a service's own `policy=`/`rules=` (drop-in argument), then
`configure(...)` in code, then `REA_POLICY` (``warn`` or ``warn,REA202=strict``), then
`[tool.rea.runtime]`, then `strict` when ``CI=true``, else `warn`. Per-rule overrides apply at
each level. Resolved once and cached: the guards consult it on every violation, not every call.
"""

from __future__ import annotations

import os
import re
import threading
import warnings
from dataclasses import dataclass, field
from typing import Any, Literal, Mapping, cast

from rea_lint.catalog import RULES
from rea_lint.config import DEFAULT, POLICIES, ConfigError, ReaConfig, did_you_mean, load_config

__all__ = ["PolicyName", "Policy", "configure", "current_policy", "parse_policy_spec", "reset"]

PolicyName = Literal["strict", "warn", "disabled"]


def _check(value: Any, where: str) -> PolicyName:
    if value not in POLICIES:
        hint = did_you_mean(value.lower(), POLICIES) if isinstance(value, str) else ""
        raise ConfigError(f"{where}: {value!r} is not one of: {', '.join(POLICIES)}{hint}")
    return cast(PolicyName, value)


_EXAMPLE = "{'REA202': 'strict'}"


def given(value: Any) -> str:
    """What a caller passed, for a message: ``the list ['REA202']``, ``the int 202``, ``None``."""
    text = repr(value)
    text = text if len(text) <= 60 else text[:57] + "..."
    return text if value is None or isinstance(value, bool) else f"the {type(value).__name__} {text}"


def _unknown_code(code: str, where: str) -> ConfigError:
    hint = did_you_mean(code, RULES) or f" (known: {min(RULES)} .. {max(RULES)}; `rea rules` lists them)"
    return ConfigError(f"{where}: unknown rule code {code!r}{hint}")


def _check_rules(rules: Any, where: str) -> dict[str, PolicyName]:
    """``rules`` as given to `configure`, a drop-in or `guarded`: a mapping of rule code to
    level. Anything else is refused here, with the shape it should have, not deep inside."""
    if not isinstance(rules, Mapping):
        fix = f"rules={_EXAMPLE}"
        if isinstance(rules, str):  # a REA_POLICY-style spec: say it as the arguments it means
            try:
                default, parsed = parse_policy_spec(rules, where)
            except ConfigError:
                default, parsed = None, {}
            said = ([f"policy={default!r}"] if default else []) + ([f"rules={parsed!r}"] if parsed else [])
            fix = ", ".join(said) or fix
        raise TypeError(f"{where}: expected a dict of rule code to policy, got {given(rules)}; fix: {fix}")
    out: dict[str, PolicyName] = {}
    for code, value in rules.items():
        if not isinstance(code, str):
            example = f"REA{code}" if f"REA{code}" in RULES else "REA202"
            raise TypeError(f"{where}: rule codes are strings, got {given(code)}; fix: rules={{{example!r}: {value!r}}}")
        code = code.upper()
        if code not in RULES:
            raise _unknown_code(code, where)
        out[code] = _check(value, f"{where}.{code}")
    return out


def check_local(where: str, policy: Any, rules: Any) -> tuple[PolicyName | None, dict[str, PolicyName]] | None:
    """A service's or handler's own ``policy=``/``rules=``, checked where they are given (a bad
    one would otherwise fail every invocation, retried forever); None when neither is set."""
    checked = _check(policy, f"{where}: policy") if policy is not None else None
    local = _check_rules(rules, f"{where}: rules") if rules is not None else {}
    return (checked, local) if (checked is not None or local) else None


@dataclass(frozen=True)
class Policy:
    default: PolicyName = "warn"
    rules: Mapping[str, PolicyName] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # public: a Policy("loud") would answer "loud" for every rule, which no guard understands
        _check(self.default, "Policy(default=...)")
        object.__setattr__(self, "rules", _check_rules(self.rules, "Policy(rules=...)"))

    def for_rule(self, code: str) -> PolicyName:
        return self.rules.get(code, self.default)

    def override(self, policy: str | None = None, rules: Mapping[str, str] | None = None) -> "Policy":
        """This policy with a more specific level applied on top."""
        merged = dict(self.rules)
        default = self.default
        if policy is not None:
            default = _check(policy, "policy")
            merged = {}  # a more specific default replaces the less specific per-rule settings
        if rules:
            merged.update(_check_rules(rules, "rules"))
        return Policy(default, merged)


def parse_policy_spec(spec: str, where: str = "REA_POLICY") -> tuple[PolicyName | None, dict[str, PolicyName]]:
    """``"warn"``, ``"REA202=strict"`` or ``"warn,REA202=strict,REA105=disabled"``: entries
    separated by commas, at most one default and one level per rule (a second one is refused,
    not silently the winner)."""
    if not isinstance(spec, str):
        raise TypeError(f"{where}: expected a string such as 'warn' or 'warn,REA202=strict', got {given(spec)}")
    default: PolicyName | None = None
    rules: dict[str, PolicyName] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        code, eq, value = (s.strip() for s in part.partition("="))
        if ":" in code or ":" in value:
            raise ConfigError(f"{where}: {part!r}: a rule and its level are joined by '='; fix: {part.replace(':', '=')}")
        if re.search(r"[;|\s]", code + value):
            commas = ",".join(filter(None, re.split(r"[\s;|,]+", re.sub(r"\s*=\s*", "=", spec))))
            raise ConfigError(f"{where}: {part!r} is not one entry; fix: separate entries with commas: {commas!r}")
        if not eq:
            level = _check(code, where)
            if default is not None:
                raise ConfigError(f"{where}: two defaults, {default!r} and {level!r}; fix: keep one")
            default = level
            continue
        if not code:
            raise ConfigError(f"{where}: {part!r} names no rule before '='; fix: {value or 'strict'} alone sets the "
                              f"default, REA202={value or 'strict'} sets one rule")
        code = code.upper()
        if code not in RULES:
            if code.lower() in POLICIES and value.upper() in RULES:
                raise ConfigError(f"{where}: {part!r} is the wrong way round; fix: {value.upper()}={code.lower()}")
            raise _unknown_code(code, where)
        level = _check(value, f"{where}.{code}")
        if code in rules:
            raise ConfigError(f"{where}: {code} is given twice ({rules[code]!r}, then {level!r}); fix: keep one")
        rules[code] = level
    return default, rules


_lock = threading.Lock()
_cached: Policy | None = None
_code_level: tuple[PolicyName | None, dict[str, PolicyName]] | None = None


class ConfigWarning(UserWarning):
    """The runtime goes on, but not as configured: `[tool.rea]` is broken under `warn` (the
    defaults apply), or a `configure(...)` call dropped what an earlier one set."""


_warned_config: str | None = None


def _project_config() -> ReaConfig:
    """`[tool.rea]` of the working directory. A broken one never passes silently: under
    `strict` (from `REA_POLICY`, `configure(...)` or `CI=true`) it raises ConfigError, under
    `warn` it is one warning per process and the defaults apply."""
    global _warned_config
    try:
        return load_config(os.getcwd())
    except ConfigError as err:
        policy = Policy("strict" if os.environ.get("CI", "").lower() == "true" else "warn")
        spec = os.environ.get("REA_POLICY")
        if spec:
            policy = policy.override(*parse_policy_spec(spec))
        if _code_level is not None:
            policy = policy.override(*_code_level)
        if policy.default == "strict":
            raise ConfigError(f"{err} (rea_runtime refuses to start under the strict policy)") from None
        if policy.default == "warn" and _warned_config != str(err):
            _warned_config = str(err)
            warnings.warn(f"{err} (rea_runtime goes on with the default configuration)", ConfigWarning, stacklevel=3)
        return DEFAULT


def project_config() -> ReaConfig:
    """`[tool.rea]` as the runtime reads it, for the guards' thresholds (rea_runtime's own: not in `__all__`)."""
    return _project_config()


def check_configuration() -> None:
    """Run at import of the drop-ins: a broken `[tool.rea]` fails (strict) or warns (warn) now,
    not at the first violation; so does a broken `REA_POLICY`."""
    check_environment()
    _project_config()


_checked_spec: str | None = None


def check_environment() -> None:
    """`REA_POLICY` parsed now (at import, and again when a guarded handler is defined): a bad
    one read first inside an invocation fails it, and Restate retries that forever."""
    global _checked_spec
    spec = os.environ.get("REA_POLICY")
    if spec and spec != _checked_spec:
        parse_policy_spec(spec)
        _checked_spec = spec


def _resolve() -> Policy:
    policy = Policy("strict" if os.environ.get("CI", "").lower() == "true" else "warn")
    cfg = _project_config()
    if cfg.policy is not None or cfg.policy_overrides:
        policy = policy.override(cfg.policy, cfg.policy_overrides)
    spec = os.environ.get("REA_POLICY")
    if spec:
        default, rules = parse_policy_spec(spec)
        policy = policy.override(default, rules)
    if _code_level is not None:
        policy = policy.override(*_code_level)
    return policy


def current_policy() -> Policy:
    global _cached
    policy = _cached
    if policy is None:
        with _lock:
            policy = _cached = _resolve()
    return policy


def configure(policy: str | None = None, rules: Mapping[str, str] | None = None) -> Policy:
    """Set the process-wide policy in code (overrides env and pyproject).

    Each call sets the whole code level: a later call replaces an earlier one, as a new
    `REA_POLICY` would. A setting the earlier call made that this one leaves out is dropped
    with a `ConfigWarning` naming it, never silently."""
    global _code_level, _cached
    checked = _check(policy, "configure(policy=...)") if policy is not None else None
    new_rules = _check_rules(rules if rules is not None else {}, "configure(rules=...)")
    with _lock:
        previous, _code_level = _code_level, (checked, new_rules)
        _cached = None
    if previous is not None:
        old_policy, old_rules = previous
        dropped = [f"policy={old_policy!r}"] if old_policy is not None and checked is None else []
        dropped += [f"{code}={level!r}" for code, level in old_rules.items() if code not in new_rules]
        if dropped:
            keep = _call(checked if checked is not None else old_policy, {**old_rules, **new_rules})
            warnings.warn(
                f"{_call(checked, new_rules)} replaces the earlier {_call(old_policy, old_rules)} and drops "
                f"{', '.join(dropped)}; fix: pass everything in one call, {keep}, or call "
                f"rea_runtime.policy.reset() first to start over",
                ConfigWarning, stacklevel=2,
            )
    return current_policy()


def _call(policy: str | None, rules: Mapping[str, str]) -> str:
    args = ([f"policy={policy!r}"] if policy is not None else []) + ([f"rules={dict(rules)!r}"] if rules else [])
    return f"configure({', '.join(args)})"


def reset() -> None:
    """Forget code-level settings and re-read env/pyproject on next use (tests)."""
    global _code_level, _cached
    with _lock:
        _code_level = None
        _cached = None
