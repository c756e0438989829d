"""`[tool.rea]` in pyproject.toml: one loader for the linter, the mypy plugin and the runtime.

Stdlib only (tomllib, or tomli before 3.11), so that every part of rea can read it. A bad
key or value raises `ConfigError` with a one-line message naming the key: callers turn it
into exit code 2 (CLI), an error line (flake8, mypy) or an exception at import (runtime).
"""

from __future__ import annotations

import fnmatch
import functools
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from rea_lint.catalog import RULES, Severity
from rea_lint.reading import DEFAULT_MAX_FILE_SIZE

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

__all__ = ["ConfigError", "ReaConfig", "find_pyproject", "load_config", "DEFAULT"]

POLICIES = ("strict", "warn", "disabled")
CONTEXT_BASES = (
    "Context",
    "ObjectContext",
    "ObjectSharedContext",
    "WorkflowContext",
    "WorkflowSharedContext",
)


class ConfigError(ValueError):
    """A `[tool.rea]` problem; `str(err)` is one line that names the file and the key."""


@dataclass(frozen=True)
class ReaConfig:
    select: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    restate_modules: tuple[str, ...] = ()
    """Extra modules whose import marks a file as Restate code (a team's SDK wrapper)."""
    context_types: Mapping[str, str] = field(default_factory=dict)
    """Extra context types, qualified name -> the Restate context type it stands for."""
    handler_decorators: tuple[str, ...] = ()
    """Qualified names of extra decorators that make a function a (service) handler."""
    extra_calls: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Rule code -> more qualified callables it forbids (`{REA101 = ["myapp.clock.now"]}`)."""
    allow: tuple[str, ...] = ()
    """Functions that transitive analysis trusts (qualified names or globs)."""
    min_sleep_seconds: float = 0.0
    """REA206 ignores literal sleeps shorter than this."""
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    """Bytes: `rea check` reports a bigger file as not checked instead of reading it."""
    policy: str | None = None
    policy_overrides: Mapping[str, str] = field(default_factory=dict)
    source: str | None = None
    """The file this came from, for messages (None: defaults)."""

    def is_enabled(self, code: str) -> bool:
        """Ruff/flake8 semantics: the longest matching prefix of select/ignore wins."""
        rule = RULES[code]
        selected = self.select or ()
        best_sel = _longest_prefix(code, (*selected, *self.extend_select))
        best_ign = _longest_prefix(code, self.ignore)
        if best_sel < 0 and best_ign < 0:
            return rule.enabled_by_default and not self.select
        if best_ign >= 0 and best_ign >= best_sel:
            return False
        if best_sel >= 0:
            # A bare prefix ("REA", "REA1") keeps opt-in rules off; naming the rule turns it on.
            return rule.enabled_by_default or best_sel == len(code)
        return rule.enabled_by_default

    def enabled_codes(self) -> frozenset[str]:
        return frozenset(c for c in RULES if self.is_enabled(c))

    def severity_of(self, code: str) -> Severity:
        return self.severity.get(code, RULES[code].severity)

    def is_excluded(self, path: str | os.PathLike[str]) -> bool:
        """Does an `exclude` glob match ``path`` (or its tail after any `/`)?"""
        matcher = self.__dict__.get("_exclude_matcher")
        if matcher is None:  # compiled once per configuration: 100,000 globs stay cheap
            matcher = ExcludeMatcher(self.exclude)
            object.__setattr__(self, "_exclude_matcher", matcher)
        return matcher.matches(Path(path).as_posix())

    def is_allowed(self, qualname: str) -> bool:
        return any(fnmatch.fnmatchcase(qualname, pat) for pat in self.allow)

    def fingerprint(self) -> str:
        """Stable text for caches (mypy's report_config_data, the CLI's result cache)."""
        return repr(sorted((k, repr(v)) for k, v in self.__dict__.items() if k != "source" and not k.startswith("_")))


class ExcludeMatcher:
    """`exclude` globs compiled once: `fnmatch` per glob and path recompiles every glob once
    its cache (32k entries) is full, which made 100,000 globs take 31 s on two files.

    A glob matches the whole path or the path's tail after a `/` (`gen/*.py` matches
    `src/gen/x.py`). Globs without wildcards are a set lookup per tail; the others are one
    alternation regex per chunk of globs (chunks keep `re` from choking on a huge pattern)."""

    _CHUNK = 2000

    def __init__(self, globs: Iterable[str]) -> None:
        literal: set[str] = set()
        wild: list[str] = []
        for glob in globs:
            glob = os.path.normcase(glob)
            if any(c in glob for c in "*?["):
                wild.append(glob)
            else:
                literal.add(glob)
        self.literal = frozenset(literal)
        # fnmatch(p, "*/" + g) == some tail of p after a "/" matches g, as "*" spans "/"
        self.regexes = [
            re.compile("|".join(f"(?:{fnmatch.translate(g)})" for g in wild[i : i + self._CHUNK]))
            for i in range(0, len(wild), self._CHUNK)
        ]

    def matches(self, path: str) -> bool:
        p = os.path.normcase(path)
        tails = [p]
        start = p.find("/")
        while start >= 0:
            tails.append(p[start + 1 :])
            start = p.find("/", start + 1)
        if self.literal and not self.literal.isdisjoint(tails):
            return True
        return any(regex.match(tail) for regex in self.regexes for tail in tails)


DEFAULT = ReaConfig()


def _longest_prefix(code: str, prefixes: Iterable[str]) -> int:
    best = -1
    for p in prefixes:
        if code.startswith(p) and len(p) > best:
            best = len(p)
    return best


# --- parsing -------------------------------------------------------------------------------


def _fail(source: str, key: str, problem: str) -> ConfigError:
    return ConfigError(f"{source}: [tool.rea] {key}: {problem}")


def _codes(source: str, key: str, value: Any) -> tuple[str, ...]:
    items = _strings(source, key, value)
    for item in items:
        if not item.startswith("REA") or not any(c.startswith(item) for c in RULES):
            raise _fail(source, key, f"{item!r} matches no rule code (codes look like REA101; prefixes like REA1 work)")
    return items


def _strings(source: str, key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(source, key, f"expected a list of strings, got {value!r}")
    return tuple(value)


def _rule_table(source: str, key: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(source, key, f"expected a table of rule codes, got {value!r}")
    for code in value:
        if code not in RULES:
            raise _fail(source, f"{key}.{code}", f"unknown rule code; known: REA101 .. {max(RULES)}")
    return value


def _severity(source: str, value: Any) -> dict[str, Severity]:
    out = {}
    for code, sev in _rule_table(source, "severity", value).items():
        try:
            out[code] = Severity(sev)
        except ValueError:
            raise _fail(source, f"severity.{code}", f"{sev!r} is not one of: error, warning") from None
    return out


def _context_types(source: str, value: Any) -> dict[str, str]:
    if isinstance(value, list):
        return {name: "Context" for name in _strings(source, "context-types", value)}
    if not isinstance(value, dict):
        raise _fail(source, "context-types", "expected a list of qualified names, or a table name -> Restate context type")
    for name, base in value.items():
        if base not in CONTEXT_BASES:
            raise _fail(source, f"context-types.{name}", f"{base!r} is not one of: {', '.join(CONTEXT_BASES)}")
    return dict(value)


def _extra_calls(source: str, value: Any) -> dict[str, tuple[str, ...]]:
    return {code: _strings(source, f"extra-calls.{code}", v) for code, v in _rule_table(source, "extra-calls", value).items()}


def _policy(source: str, key: str, value: Any) -> str:
    if value not in POLICIES:
        raise _fail(source, key, f"{value!r} is not one of: {', '.join(POLICIES)}")
    return value


def _runtime(source: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(source, "runtime", "expected a table")
    out: dict[str, Any] = {}
    for key, v in value.items():
        if key == "policy":
            out["policy"] = _policy(source, "runtime.policy", v)
        elif key == "rules":
            out["policy_overrides"] = {
                code: _policy(source, f"runtime.rules.{code}", p) for code, p in _rule_table(source, "runtime.rules", v).items()
            }
        else:
            raise _fail(source, f"runtime.{key}", "unknown key; known: policy, rules")
    return out


def _number(source: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise _fail(source, key, f"expected a non-negative number, got {value!r}")
    return float(value)


_SIZE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB)?\s*", re.IGNORECASE)
_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30}


def _size(source: str, key: str, value: Any) -> int:
    """Bytes, as an integer or a string with a unit (`"64 MiB"`, `"500KB"`)."""
    size: float | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        size = value
    elif isinstance(value, str):
        m = _SIZE.fullmatch(value)
        if m:
            size = float(m.group(1)) * _UNITS[(m.group(2) or "b").lower()]
    if size is None or size < 1:
        raise _fail(source, key, f'expected a positive number of bytes or a size like "64 MiB", got {value!r}')
    return int(size)


_PARSERS = {
    "select": ("select", _codes),
    "extend-select": ("extend_select", _codes),
    "ignore": ("ignore", _codes),
    "severity": ("severity", lambda s, k, v: _severity(s, v)),
    "exclude": ("exclude", _strings),
    "restate-modules": ("restate_modules", _strings),
    "context-types": ("context_types", lambda s, k, v: _context_types(s, v)),
    "handler-decorators": ("handler_decorators", _strings),
    "extra-calls": ("extra_calls", lambda s, k, v: _extra_calls(s, v)),
    "allow": ("allow", _strings),
    "min-sleep-seconds": ("min_sleep_seconds", _number),
    "max-file-size": ("max_file_size", _size),
}


def parse_table(table: Mapping[str, Any], source: str = "pyproject.toml") -> ReaConfig:
    """Validate a `[tool.rea]` table; every unknown key or bad value is a ConfigError."""
    kwargs: dict[str, Any] = {"source": source}
    for key, value in table.items():
        if key == "runtime":
            kwargs.update(_runtime(source, value))
            continue
        try:
            attr, parse = _PARSERS[key]
        except KeyError:
            known = ", ".join([*_PARSERS, "runtime"])
            raise _fail(source, key, f"unknown key; known keys: {known}") from None
        kwargs[attr] = parse(source, key, value)
    return ReaConfig(**kwargs)


def find_pyproject(start: str | os.PathLike[str]) -> Path | None:
    """The nearest pyproject.toml at or above ``start`` that has a `[tool.rea]` table."""
    try:
        here = Path(start).resolve()
    except (OSError, RuntimeError):  # a symlink loop: the directory it sits in decides
        here = Path(os.path.abspath(start)).parent
    if here.is_file() or not here.exists():
        here = here.parent
    return _find_from_dir(str(here))


@functools.lru_cache(maxsize=256)
def _find_from_dir(directory: str) -> Path | None:
    here = Path(directory)
    for d in (here, *here.parents):
        candidate = d / "pyproject.toml"
        if candidate.is_file():
            try:
                text = candidate.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            if "[tool.rea" in text:
                return candidate
    return None


def load_file(path: str | os.PathLike[str]) -> ReaConfig:
    path = Path(path)
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except OSError as err:
        raise ConfigError(f"{path}: cannot read: {err.strerror or err}") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from None
    table = data.get("tool", {}).get("rea", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.rea] must be a table")
    return parse_table(table, source=str(path))


@functools.lru_cache(maxsize=64)
def _load_cached(path: str) -> ReaConfig:
    return load_file(path)


def load_config(start: str | os.PathLike[str] = ".", explicit: str | os.PathLike[str] | None = None) -> ReaConfig:
    """The configuration that applies to ``start`` (a file or directory); defaults if none."""
    if explicit is not None:
        return _load_cached(str(Path(explicit).resolve()))
    found = find_pyproject(start)
    return _load_cached(str(found)) if found else DEFAULT
