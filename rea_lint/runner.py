"""Check (and fix) files: read, decode, parse with `ast`, run the engine, apply fixes.

This is the one place a file becomes a `FileResult`, in-process or in a worker, so the cache,
`# noqa`, fixes and bad-input handling behave the same whatever `--jobs` says. Workers get
files in chunks (one task per chunk, not per file) and the configurations once, at start.
Every problem with a file (unreadable, undecodable, not Python) is one line in its result,
never a traceback.
"""

from __future__ import annotations

import ast
import difflib
import io
import multiprocessing
import os
import re
import tokenize
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from rea_lint.cache import ResultCache
from rea_lint.catalog import RULES, Fix
from rea_lint.config import ReaConfig
from rea_lint.engine import check_tree, mentions_restate
from rea_lint.findings import Finding

__all__ = ["Diagnostic", "FileResult", "Options", "check_file", "check_files", "ANALYSES"]

ANALYSES = 0
"""How many files this process analysed (parsed and ran rules on): the cache test reads it."""

_NOQA = re.compile(r"#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]*(?:[,\s]+[A-Z]+[0-9]*)*))?", re.IGNORECASE)
_SPLIT_CODES = re.compile(r"[,\s]+")
_MAX_FIX_PASSES = 4


@dataclass(frozen=True)
class Options:
    fix: bool = False
    unsafe_fixes: bool = False
    diff: bool = False
    """With fix: compute the fixed text and show it as a diff; write nothing."""
    edits: bool = False
    """Compute each fixable finding's replacement (for SARIF/JSON `fixes`)."""
    cache_dir: str | None = ".rea_cache"


@dataclass
class Diagnostic:
    path: str
    line: int
    col: int
    """0-based, in characters (not bytes)."""
    end_line: int
    end_col: int
    code: str
    message: str
    severity: str
    fix: str = "none"
    """`safe` / `unsafe`: a fix exists here (known only when edits were computed)."""
    edit: dict[str, Any] | None = None
    """{line, col, end_line, end_col, text} of the fix, when computed."""


@dataclass
class FileResult:
    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    error: str | None = None
    """One line: why the file could not be checked."""
    error_line: int = 1
    error_col: int = 0
    fixed: dict[str, int] = field(default_factory=dict)
    """Code -> how many findings were fixed (or would be, with --diff)."""
    diff: str = ""
    cached: bool = False

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("cached")
        return d

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "FileResult":
        diags = [Diagnostic(**d) for d in data.pop("diagnostics")]
        return cls(diagnostics=diags, cached=True, **data)


# --- one file ----------------------------------------------------------------------------------


def _salt(config: ReaConfig, options: Options) -> str:
    return f"{config.fingerprint()}|{sorted(config.enabled_codes())}|edits={options.edits}"


def check_file(path: str | os.PathLike[str], config: ReaConfig, options: Options = Options()) -> FileResult:
    """The result for one file: cached if unchanged, else analysed (and fixed if asked)."""
    path = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        return FileResult(path, error=f"cannot read: {err.strerror or err}")
    cache = ResultCache(options.cache_dir) if options.cache_dir else None
    key = cache.key(path, data, _salt(config, options)) if cache else ""
    if cache is not None:
        raw = cache.load(key)
        if raw is not None:
            try:
                cached = FileResult.from_json(raw)
            except (TypeError, KeyError):
                cached = None
            if cached is not None and cached.path == path and not (options.fix and _applicable(cached.diagnostics, options)):
                return cached
    result = _analyse(path, data, config, options)
    if cache is not None and not result.fixed and not (options.fix and result.error):
        cache.store(key, result.to_json())  # a fixed file has new content: its old key is moot
    return result


def _applicable(diags: Iterable[Diagnostic], options: Options) -> bool:
    """Could --fix change this file? (by rule: whether a rewrite is correct needs libcst)."""
    return any(_fixable(d.code, options) for d in diags)


def _fixable(code: str, options: Options) -> bool:
    kind = RULES[code].fix
    return kind is Fix.SAFE or (options.unsafe_fixes and kind is Fix.UNSAFE)


def decode(data: bytes) -> str:
    """Source bytes -> text, honouring a PEP 263 coding cookie and a BOM (like the compiler)."""
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    text = data.decode(encoding)
    return text[1:] if text.startswith("\ufeff") else text


def _analyse(path: str, data: bytes, config: ReaConfig, options: Options) -> FileResult:
    global ANALYSES
    ANALYSES += 1
    try:
        source = decode(data)
    except (SyntaxError, UnicodeDecodeError, LookupError) as err:
        return FileResult(path, error=f"cannot decode: {_one_line(err)}")
    lines = source.splitlines()
    if not mentions_restate(lines, config):
        return FileResult(path)
    try:
        tree = _parse(source, path)
    except SyntaxError as err:
        return FileResult(
            path,
            error=f"syntax error: {err.msg}",
            error_line=err.lineno or 1,
            error_col=max((err.offset or 1) - 1, 0),
        )
    except (ValueError, RecursionError, MemoryError) as err:
        return FileResult(path, error=f"cannot parse: {_one_line(err)}")
    findings = _findings(tree, source, config)
    result = FileResult(path)
    if options.fix and findings:
        source, tree, findings = _fix(result, source, tree, findings, config, options)
        if options.diff and result.fixed:
            original = decode(data)
            result.diff = "".join(
                difflib.unified_diff(
                    original.splitlines(keepends=True), source.splitlines(keepends=True), f"a/{path}", f"b/{path}"
                )
            )
        elif result.fixed:
            _write(path, data, source)
    edits: dict[Finding, dict[str, Any]] = {}
    exact: dict[Finding, str] | None = None
    if options.edits and any(RULES[f.code].fix is not Fix.NONE for f in findings):
        exact, edits = _edits(source, tree, findings, config)
    src_lines = source.splitlines()
    for f in findings:
        kind = exact.get(f, "none") if exact is not None else "none"
        result.diagnostics.append(_diagnostic(path, f, src_lines, config, kind, edits.get(f)))
    return result


def _parse(source: str, path: str) -> ast.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarning for invalid escapes is not ours to report
        return ast.parse(source, filename=path)


def _findings(tree: ast.Module, source: str, config: ReaConfig) -> list[Finding]:
    findings = check_tree(tree, config)
    if not findings or "noqa" not in source.lower():
        return findings
    lines = source.splitlines()
    return [f for f in findings if not _suppressed(f, lines)]


def _suppressed(f: Finding, lines: Sequence[str]) -> bool:
    """flake8's `# noqa` / `# noqa: REA101,REA102` on the finding's line."""
    if not 0 < f.line <= len(lines):
        return False
    m = _NOQA.search(lines[f.line - 1])
    if m is None:
        return False
    codes = m.group("codes")
    if not codes:
        return True
    return any(f.code.startswith(c.upper()) for c in _SPLIT_CODES.split(codes.strip()) if c)


def _fix(
    result: FileResult, source: str, tree: ast.Module, findings: list[Finding], config: ReaConfig, options: Options
) -> tuple[str, ast.Module, list[Finding]]:
    """Apply fixes until none applies (a fix can expose another): the fixed text and findings."""
    from rea_lint.autofix import fix_source  # libcst only when fixing

    for _ in range(_MAX_FIX_PASSES):
        if not any(_fixable(f.code, options) for f in findings):
            break
        try:
            new_source, applied = fix_source(source, findings, config, options.unsafe_fixes, tree)
        except Exception as err:  # libcst cannot parse what ast could: report, keep the file
            result.error = f"autofix skipped: libcst cannot parse this file ({_one_line(err)})"
            break
        if not applied or new_source == source:
            break
        try:
            new_tree = _parse(new_source, result.path)
        except SyntaxError as err:  # never write a file that does not parse
            result.error = f"autofix skipped: the fixed code would not parse ({err.msg}); please report this"
            break
        for plan in applied:
            code = plan.finding.code
            result.fixed[code] = result.fixed.get(code, 0) + 1
        source, tree = new_source, new_tree
        findings = _findings(tree, source, config)
    return source, tree, findings


def _edits(
    source: str, tree: ast.Module, findings: list[Finding], config: ReaConfig
) -> tuple[dict[Finding, str], dict[Finding, dict[str, Any]]]:
    from rea_lint.autofix import Fixer

    try:
        fixer = Fixer(source, config, tree)
        plans = fixer.plan(findings)
    except Exception:
        return {}, {}
    kinds: dict[Finding, str] = {}
    edits: dict[Finding, dict[str, Any]] = {}
    for f, plan in plans.items():
        kinds[f] = plan.applicability.value
        e = fixer.edit(plan)
        edits[f] = {"line": e.line, "col": e.col, "end_line": e.end_line, "end_col": e.end_col, "text": e.text}
    return kinds, edits


def _write(path: str, original: bytes, source: str) -> None:
    encoding, _ = tokenize.detect_encoding(io.BytesIO(original).readline)
    bom = original.startswith(b"\xef\xbb\xbf")
    if encoding == "utf-8-sig":
        encoding = "utf-8"
    data = source.encode(encoding)
    with open(path, "wb") as fh:
        fh.write((b"\xef\xbb\xbf" if bom else b"") + data)


def _char_col(lines: Sequence[str], line: int, col: int) -> int:
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    if text.isascii():
        return col
    return len(text.encode("utf-8")[:col].decode("utf-8", errors="ignore"))


def _diagnostic(
    path: str, f: Finding, lines: Sequence[str], config: ReaConfig, fix: str, edit: dict[str, Any] | None
) -> Diagnostic:
    end_line = f.end_line if f.end_line is not None else f.line
    end_col = f.end_col if f.end_col is not None else f.col
    return Diagnostic(
        path=path,
        line=f.line,
        col=_char_col(lines, f.line, f.col),
        end_line=end_line,
        end_col=_char_col(lines, end_line, end_col),
        code=f.code,
        message=f.message,
        severity=config.severity_of(f.code).value,
        fix=fix,
        edit=edit,
    )


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split()) or type(err).__name__


# --- many files ----------------------------------------------------------------------------------

_WORKER: tuple[list[ReaConfig], Options] | None = None


def _init_worker(configs: list[ReaConfig], options: Options) -> None:
    global _WORKER
    _WORKER = (configs, options)


def _run_chunk(chunk: list[tuple[str, int]]) -> list[FileResult]:
    assert _WORKER is not None
    configs, options = _WORKER
    return [_safe_check(path, configs[i], options) for path, i in chunk]


def _safe_check(path: str, config: ReaConfig, options: Options) -> FileResult:
    try:
        return check_file(path, config, options)
    except RecursionError:
        return FileResult(path, error="cannot check: the file nests too deeply")
    except Exception as err:  # a rea bug must not hide the other files' results
        return FileResult(path, error=f"internal error ({type(err).__name__}: {_one_line(err)}); please report this")


def check_files(items: Sequence[tuple[Path, ReaConfig]], options: Options = Options(), jobs: int = 1) -> list[FileResult]:
    """Results in the order of ``items``; ``jobs`` > 1 spreads chunks over processes."""
    if jobs <= 1 or len(items) < 2 * jobs:
        return [_safe_check(str(p), c, options) for p, c in items]
    from rea_lint.rules import all_checkers

    all_checkers()  # import every rule once, before forking, so workers inherit them
    configs: list[ReaConfig] = []
    index: dict[int, int] = {}
    tasks: list[tuple[str, int]] = []
    for path, config in items:
        i = index.get(id(config))
        if i is None:
            i = index[id(config)] = len(configs)
            configs.append(config)
        tasks.append((str(path), i))
    size = max(1, min(64, len(tasks) // (jobs * 4)))
    chunks = [tasks[i : i + size] for i in range(0, len(tasks), size)]
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
    with ctx.Pool(jobs, initializer=_init_worker, initargs=(configs, options)) as pool:
        results = [r for chunk in pool.imap(_run_chunk, chunks) for r in chunk]
    return results
