"""`[tool.rea]` in pyproject.toml: one loader for the linter, the mypy plugin and the runtime.

Stdlib only (tomllib, or tomli before 3.11), so that every part of rea can read it. A bad
key or value raises `ConfigError` with a one-line message naming the key: callers turn it
into exit code 2 (CLI), an error line (flake8, mypy) or an exception at import (runtime).

Every front end imports this module at start-up (flake8 in every run), so what only some
runs need is imported or compiled on first use: the TOML parser (a pyproject.toml that
mentions rea), difflib and json (error messages), the size and nesting patterns.
"""

from __future__ import annotations

import errno
import fnmatch
import functools
import os
import re
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from rea_lint.catalog import RULES, Severity
from rea_lint.reading import DEFAULT_MAX_FILE_SIZE

__all__ = [
    "ConfigError", "ReaConfig", "config_for_file", "find_pyproject", "load_config", "load_file", "forget", "did_you_mean",
    "DEFAULT",
]

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
    per_file_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Glob (relative to the pyproject.toml's directory) -> codes not reported in those files."""
    src: tuple[str, ...] = ()
    """First-party import roots, relative to the pyproject.toml's directory (like ruff's `src`)."""
    policy: str | None = None
    policy_overrides: Mapping[str, str] = field(default_factory=dict)
    disable_noqa: bool = False
    """`rea check --disable-noqa`: report what `# noqa` comments silence (not a `[tool.rea]`
    key: a suppression audit is a run's choice, not a project's)."""
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
        """Every code `is_enabled` accepts (worked out once per configuration: every file asks)."""
        codes = self.__dict__.get("_enabled_codes")
        if codes is None:
            codes = frozenset(c for c in RULES if self.is_enabled(c))
            object.__setattr__(self, "_enabled_codes", codes)
        return codes

    def severity_of(self, code: str) -> Severity:
        return self.severity.get(code, RULES[code].severity)

    def is_excluded(self, path: str | os.PathLike[str]) -> bool:
        """Does an `exclude` glob match ``path`` (or its tail after any `/`)?"""
        matcher = self.__dict__.get("_exclude_matcher")
        if matcher is None:  # compiled once per configuration: 100,000 globs stay cheap
            matcher = ExcludeMatcher(self.exclude)
            object.__setattr__(self, "_exclude_matcher", matcher)
        return matcher.matches(Path(path).as_posix())

    def relative(self, path: str | os.PathLike[str]) -> Path:
        """``path`` relative to the directory of the pyproject.toml this came from (else cwd):
        what `exclude` and `per-file-ignores` globs match, in `rea check` and flake8 alike."""
        rel = self._inside(path)
        return rel if rel is not None else Path(os.path.normpath(path))

    def _inside(self, path: str | os.PathLike[str]) -> Path | None:
        """``path`` relative to that directory; None for a path outside it."""
        root = self.__dict__.get("_home")
        if root is None:
            if self.source is None:
                root = Path.cwd().resolve()  # (not kept: the current directory may change)
            else:
                root = Path(self.source).resolve().parent
                object.__setattr__(self, "_home", root)
        try:
            return Path(os.path.abspath(path)).relative_to(root)
        except ValueError:
            try:
                return Path(path).resolve().relative_to(root)
            except (ValueError, OSError, RuntimeError):  # (RuntimeError: a symlink loop)
                return None

    def _excludes_relative(self, rel: Path) -> bool:
        return any(self.is_excluded(p) for p in (rel, *rel.parents) if str(p) != ".")

    def excludes(self, path: str | os.PathLike[str]) -> bool:
        """Whether `exclude` matches ``path`` or one of its parent directories."""
        if not self.exclude:
            return False
        return self._excludes_relative(self.relative(path))

    def excludes_own(self, path: str | os.PathLike[str]) -> bool:
        """`excludes` for a path under the directory of the pyproject.toml this came from; one
        outside it is left in. `rea check` reads the nearest pyproject.toml above each file, so
        this configuration's globs never apply to a file outside its directory. `rea diff` and
        `rea explain` ask this of each file's nearest configuration (`journal.revisions.Excluded`),
        where a file of a revision may be gone from the work tree it is looked up in."""
        if not self.exclude or self.source is None:
            return False
        rel = self._inside(path)
        return rel is not None and self._excludes_relative(rel)

    def ignored_in(self, path: str | os.PathLike[str]) -> tuple[str, ...]:
        """The code prefixes `per-file-ignores` turns off for ``path``."""
        if not self.per_file_ignores:
            return ()
        rel = self.relative(path)
        candidates = [p.as_posix() for p in (rel, *rel.parents) if str(p) != "."]
        out: list[str] = []
        for glob, codes in self.per_file_ignores.items():
            if any(fnmatch.fnmatch(c, glob) or fnmatch.fnmatch(c, f"*/{glob}") for c in candidates):
                out.extend(codes)
        return tuple(out)

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


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`; did you mean 'select'?` when one known name is close to ``word``, else ``""``."""
    import difflib

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _codes(source: str, key: str, value: Any) -> tuple[str, ...]:
    items = _strings(source, key, value)
    for item in items:
        if not item.startswith("REA") or not any(c.startswith(item) for c in RULES):
            hint = did_you_mean(item.upper(), RULES) if item.upper().startswith("REA") else ""
            hint = hint or " (codes look like REA101; prefixes like REA1 work; `rea rules` lists them)"
            raise _fail(source, key, f"{item!r} matches no rule code{hint}")
    if key == "select" and not items:
        raise _fail(source, key, 'an empty list would turn every rule off; delete the key for the default rules, or name some (select = ["REA"])')
    return items


def _strings(source: str, key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        import json

        raise _fail(source, key, f'expected a list of strings, got the string {value!r}; write {key} = [{json.dumps(value)}]')
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(source, key, f"expected a list of strings, got {_short(value)}")
    return tuple(value)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _rule_table(source: str, key: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(source, key, f"expected a table of rule codes, got {_short(value)}")
    for code in value:
        if code not in RULES:
            raise _fail(source, f"{key}.{code}", f"unknown rule code{did_you_mean(str(code).upper(), RULES)} (known: REA101 .. {max(RULES)}; `rea rules` lists them)")
    return value


def _severity(source: str, value: Any) -> dict[str, Severity]:
    out = {}
    for code, sev in _rule_table(source, "severity", value).items():
        try:
            out[code] = Severity(sev)
        except ValueError:
            raise _fail(source, f"severity.{code}", f"{sev!r} is not one of: error, warning") from None
    return out


def _names(source: str, key: str, value: Any) -> tuple[str, ...]:
    """Qualified Python names (`myapp.clock.now`): anything else could never match a call,
    a decorator or a module, and would turn the setting off without a word."""
    items = _strings(source, key, value)
    for item in items:
        if not all(part.isidentifier() for part in item.split(".")):
            raise _fail(source, key, f"{item!r} is not a qualified Python name; write it as code names it, dotted (myapp.clock.now)")
    return items


def _context_types(source: str, value: Any) -> dict[str, str]:
    if isinstance(value, list):
        return {name: "Context" for name in _names(source, "context-types", value)}
    if not isinstance(value, dict):
        raise _fail(source, "context-types", "expected a list of qualified names, or a table name -> Restate context type")
    _names(source, "context-types", list(value))
    for name, base in value.items():
        if base not in CONTEXT_BASES:
            raise _fail(source, f"context-types.{name}", f"{base!r} is not one of: {', '.join(CONTEXT_BASES)}")
    return dict(value)


def _extra_calls(source: str, value: Any) -> dict[str, tuple[str, ...]]:
    return {code: _names(source, f"extra-calls.{code}", v) for code, v in _rule_table(source, "extra-calls", value).items()}


def _policy(source: str, key: str, value: Any) -> str:
    if value not in POLICIES:
        raise _fail(source, key, f"{_short(value)} is not one of: {', '.join(POLICIES)}{did_you_mean(str(value), POLICIES)}")
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
            raise _fail(source, f"runtime.{key}", f"unknown key{did_you_mean(key, ('policy', 'rules'))} (known: policy, rules)")
    return out


def _number(source: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0 or value == float("inf"):
        raise _fail(source, key, f"expected a non-negative number, got {value!r}")
    return float(value)


_SIZE = r"(?i)\s*([0-9]+(?:\.[0-9]+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB)?\s*"
"""A size with an optional unit (compiled on first use, by `re`'s own cache)."""
_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30}


def _size(source: str, key: str, value: Any) -> int:
    """Bytes, as an integer or a string with a unit (`"64 MiB"`, `"500KB"`)."""
    size: float | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        size = value
    elif isinstance(value, str):
        m = re.fullmatch(_SIZE, value)
        if m:
            size = float(m.group(1)) * _UNITS[(m.group(2) or "b").lower()]
    if size is None or size < 1:
        raise _fail(source, key, f'expected a positive number of bytes or a size like "64 MiB", got {value!r}')
    return int(size)


def _per_file_ignores(source: str, value: Any) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise _fail(source, "per-file-ignores", f'expected a table glob -> codes (per-file-ignores = {{"tests/*" = ["REA101"]}}), got {_short(value)}')
    return {glob: _codes(source, f"per-file-ignores.{glob}", codes) for glob, codes in value.items()}


_PARSERS = {
    "select": ("select", _codes),
    "extend-select": ("extend_select", _codes),
    "ignore": ("ignore", _codes),
    "severity": ("severity", lambda s, k, v: _severity(s, v)),
    "exclude": ("exclude", _strings),
    "restate-modules": ("restate_modules", _names),
    "context-types": ("context_types", lambda s, k, v: _context_types(s, v)),
    "handler-decorators": ("handler_decorators", _names),
    "extra-calls": ("extra_calls", lambda s, k, v: _extra_calls(s, v)),
    "allow": ("allow", _strings),
    "min-sleep-seconds": ("min_sleep_seconds", _number),
    "max-file-size": ("max_file_size", _size),
    "per-file-ignores": ("per_file_ignores", lambda s, k, v: _per_file_ignores(s, v)),
    "src": ("src", _strings),
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
            known = [*_PARSERS, "runtime"]
            raise _fail(source, key, f"unknown key{did_you_mean(key, known)} (known keys: {', '.join(known)})") from None
        kwargs[attr] = parse(source, key, value)
    return ReaConfig(**kwargs)


def find_pyproject(start: str | os.PathLike[str]) -> Path | None:
    """The nearest pyproject.toml at or above ``start`` that has a `[tool.rea]` table.

    Each candidate is parsed (a text search would miss `tool.rea.ignore = ...` and other
    dotted keys); a candidate that cannot be read or parsed is a ConfigError, never skipped.
    """
    here = os.path.realpath(start)
    try:
        mode: int | None = os.stat(here).st_mode
    except OSError as err:
        if err.errno == errno.ELOOP:  # a symlink loop: the directory it sits in decides
            return _find_from_dir(os.path.dirname(os.path.abspath(start)))
        if err.errno not in _MISSING:
            raise
        mode = None
    if mode is None or stat.S_ISREG(mode):
        here = os.path.dirname(here)
    return _find_from_dir(here)


_MISSING = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP})
"""What `pathlib` takes as "no such file" (any other error, EACCES say, propagates)."""


_FOUND: dict[str, Path | None] = {}
"""Directory (resolved) -> the pyproject.toml that configures it, for every directory walked:
the directories of a tree share their parents, so each is looked at once per process."""


def _find_from_dir(directory: str) -> Path | None:
    walked: list[str] = []
    d = directory
    while True:
        if d in _FOUND:
            found = _FOUND[d]
            break
        walked.append(d)
        candidate = os.path.join(d, "pyproject.toml")
        if _is_file(candidate) and _rea_table(candidate) is not None:
            found = Path(candidate)
            break
        parent = os.path.dirname(d)
        if parent == d:
            found = None
            break
        d = parent
    if len(_FOUND) + len(walked) > 4096:  # bounded, as the other caches here are
        _FOUND.clear()
    for d in walked:  # (an error above caches nothing: the file is read again next time)
        _FOUND[d] = found
    return found


_REAL: dict[str, str] = {}
"""Directory (absolute, as given) -> its `os.path.realpath`, for every directory resolved."""


def _real_dir(directory: str) -> str:
    """`os.path.realpath(directory)`, memoised with its parents: a directory that is not a
    symlink resolves to its parent's answer plus its name, so each directory of a tree costs
    one `lstat` per process instead of one per component of its path."""
    real = _REAL.get(directory)
    if real is not None:
        return real
    parent, name = os.path.split(directory)
    if name in ("", ".", "..") or not parent or parent == directory:
        real = os.path.realpath(directory)  # (`..` after a symlink is not lexical)
    else:
        try:
            link = stat.S_ISLNK(os.lstat(directory).st_mode)
        except (OSError, ValueError):
            link = True  # missing or unreadable: realpath's own walk decides
        real = os.path.realpath(directory) if link else os.path.join(_real_dir(parent), name)
    if len(_REAL) >= 4096:  # bounded, as the other caches here are
        _REAL.clear()
    _REAL[directory] = real
    return real


def _is_file(path: str) -> bool:
    """`Path.is_file`: False for a missing path, an error for one that cannot be looked at."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError as err:
        if err.errno not in _MISSING:
            raise
        return False
    except ValueError:
        return False


@functools.lru_cache(maxsize=256)
def _rea_table(path: str) -> dict[str, Any] | None:
    """The `[tool.rea]` table of a pyproject.toml (None: it has none); ConfigError if malformed."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as err:
        raise ConfigError(f"{path}: cannot read: {err.strerror or err}") from None
    if b"rea" not in raw:  # no table can be named without these bytes: skip the parse
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: not UTF-8 (byte {err.start}: {raw[err.start:err.start + 1]!r}); TOML files must be UTF-8, re-save it as UTF-8") from None
    depth = _nesting(text)
    if depth > MAX_NESTING:
        raise ConfigError(f"{path}: not readable TOML: values are nested too deeply ({depth} levels; rea reads up to {MAX_NESTING}); flatten the nesting")
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {str(err).splitlines()[0]}") from None
    except RecursionError:
        raise ConfigError(f"{path}: not readable TOML: values are nested too deeply; flatten the nesting") from None
    tool = data.get("tool")
    if tool is None:
        return None
    if not isinstance(tool, dict):
        raise ConfigError(f"{path}: `tool` must be a table, got {_short(tool)}; write [tool.rea] tables under it")
    table = tool.get("rea")
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: `tool.rea` must be a table, got {_short(table)}; write [tool.rea] and keys below it")
    return table


def has_rea_table(path: str | os.PathLike[str]) -> bool:
    """Does this pyproject.toml have a `[tool.rea]` table? (ConfigError if it is malformed.)"""
    return _rea_table(str(path)) is not None


MAX_NESTING = 100
"""Arrays and inline tables nested deeper than this are refused before parsing: tomllib
recurses per level, so whether a deep file parses would depend on the recursion limit."""

_TOKENS = (
    r"#[^\n]*"  # a comment
    r'|"""[\s\S]*?"""'  # a multi-line basic string
    r"|'''[\s\S]*?'''"  # a multi-line literal string
    r'|"(?:\\.|[^"\\\n])*"'  # a basic string
    r"|'[^'\n]*'"  # a literal string
    r"|[\[\]{}]"
)
"""What `_nesting` counts brackets between (compiled on first use, by `re`'s own cache)."""


def _nesting(text: str) -> int:
    """The deepest nesting of brackets and braces outside strings and comments."""
    depth = deepest = 0
    for m in re.finditer(_TOKENS, text):
        tok = m.group()
        if tok in ("[", "{"):
            depth += 1
            if depth > deepest:
                deepest = depth
        elif tok in ("]", "}"):
            depth -= 1
    return deepest


def load_file(path: str | os.PathLike[str]) -> ReaConfig:
    """The configuration in ``path`` (defaults if it has no `[tool.rea]`); ConfigError if malformed."""
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{path}: is a directory; name a pyproject.toml")
    table = _rea_table(str(path))
    return parse_table(table or {}, source=str(path))


@functools.lru_cache(maxsize=64)
def _load_cached(path: str) -> ReaConfig:
    return load_file(path)


def forget() -> None:
    """Read pyproject.toml files afresh from now on (the loader memoises per process)."""
    _FOUND.clear()
    _REAL.clear()
    for cached in (_rea_table, _load_cached):
        cached.cache_clear()


def load_config(start: str | os.PathLike[str] = ".", explicit: str | os.PathLike[str] | None = None) -> ReaConfig:
    """The configuration that applies to ``start`` (a file or directory); defaults if none."""
    if explicit is not None:
        return _load_cached(str(Path(explicit).resolve()))
    found = find_pyproject(start)
    return _load_cached(str(found)) if found else DEFAULT


MAX_DIRECTORIES = 4096
"""How many directories a `config_for_file` cache holds before it starts over (bounded, as the
loader's own caches are)."""


def config_for_file(
    path: str | os.PathLike[str], cache: dict[str, ReaConfig], explicit: str | os.PathLike[str] | None = None
) -> ReaConfig:
    """`load_config(path, explicit)` for one file of a run (the CLI's and the flake8 plugin's
    lookup), memoised in ``cache`` per directory: `load_config` resolves the file, then looks
    from its directory, so every regular file of a directory that is not a symlink itself has
    the same answer. A symlink (its target's directory decides) and anything that is not a
    regular file is looked up alone. The caller makes a cache per run: a directory that gains
    a pyproject.toml meanwhile is not seen."""
    try:
        mode = os.lstat(path).st_mode
    except (OSError, ValueError):
        mode = 0  # looked up alone: load_config names the problem, if there is one
    if not stat.S_ISREG(mode):
        return load_config(path, explicit=explicit)
    key = os.fspath(os.path.dirname(path))
    if not os.path.isabs(key):  # (not normalised: `link/..` is not the link's directory)
        key = os.path.join(os.getcwd(), key)
    found = cache.get(key)
    if found is None:
        if explicit is None:  # `find_pyproject(path)`: a regular file resolves to its directory's real path
            pyproject = _find_from_dir(_real_dir(key))  # (an error caches nothing)
            found = _load_cached(str(pyproject)) if pyproject else DEFAULT
        else:
            found = load_config(path, explicit=explicit)
        if len(cache) >= MAX_DIRECTORIES:
            cache.clear()
        cache[key] = found
    return found
