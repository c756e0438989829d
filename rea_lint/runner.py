"""Check (and fix) files: read, decode, parse with `ast`, run the engine, apply fixes.

This is the one place a file becomes a `FileResult`, in-process or in a worker, so the cache,
`# noqa`, fixes and bad-input handling behave the same whatever `--jobs` says. Workers get
files in chunks (one task per chunk, not per file) and the configurations once, at start.
Every problem with a file (unreadable, undecodable, not Python) is one line in its result,
never a traceback.
"""

from __future__ import annotations

import ast
import io
import os
import sys
import tokenize
import warnings
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from rea_lint.cache import Index, ResultCache, digest, entry_name
from rea_lint.catalog import RULES, Fix
from rea_lint.config import ReaConfig
from rea_lint.findings import Finding, char_col
from rea_lint.memory import TRIM_ABOVE, release_free_memory
from rea_lint.noqa import NoqaLines
from rea_lint.reading import UnreadableFile, read_regular
from rea_lint.source_lines import source_lines

__all__ = ["Diagnostic", "FileResult", "Options", "check_file", "check_files", "check_source", "ANALYSES"]

ANALYSES = 0
"""How many files this process analysed (parsed and ran rules on): the cache test reads it."""

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
    summary: dict[str, Any] | None = None
    """The module's `rea_lint.project.ModuleSummary` (as a dict), for whole-project analysis."""
    noqa: dict[str, list[str]] = field(default_factory=dict)
    """Line (as text) -> the codes its `# noqa:` names ([]: all), for transitive findings."""
    cached: bool = False
    origin: "_Origin | None" = field(default=None, compare=False, repr=False)
    """Where the cache holds this result (None: not cached), for the project link's key."""


# --- one file ----------------------------------------------------------------------------------


def _salt(config: ReaConfig, options: Options) -> str:
    return f"{config.fingerprint()}|{sorted(config.enabled_codes())}|edits={options.edits}"


def check_file(path: str | os.PathLike[str], config: ReaConfig, options: Options = Options()) -> FileResult:
    """The result for one file: cached if unchanged, else analysed (and fixed if asked)."""
    return check_files([(path, config)], options)[0]  # type: ignore[list-item]


@dataclass(frozen=True)
class _Origin:
    index: Index
    name: str
    """The file's `entry_name` in the index."""
    key: str
    """The digest of the content the result is for."""
    has_summary: bool
    """The index holds the module's summary (read only if the project link needs it)."""


def _lookup(index: Index, path: str, name: str, config: ReaConfig, options: Options) -> FileResult | None:
    """The cached result for the file as it is now, or None (a miss: also for any broken entry)."""
    try:
        data = read_regular(path, config.max_file_size)
    except (UnreadableFile, OSError):
        return None  # analysing it says why
    key = digest(data)
    entry = index.get(name, key)
    if entry is None:
        return None
    try:
        result = _from_entry(path, entry[1])
        if options.fix and _applicable(result.diagnostics, options):
            return None
    except (TypeError, KeyError, ValueError, AttributeError):
        return None
    result.origin = _Origin(index, name, key, bool(entry[2]))
    return result


def _to_entry(result: FileResult) -> dict[str, Any]:
    """A result as the cache stores it: only what is not a default, diagnostics as rows."""
    out: dict[str, Any] = {}
    if result.diagnostics:
        out["d"] = [[d.line, d.col, d.end_line, d.end_col, d.code, d.message, d.severity, d.fix, d.edit]
                    for d in result.diagnostics]
    if result.error is not None:
        out["e"] = [result.error, result.error_line, result.error_col]
    return out


_ROW_TYPES = (int, int, int, int, str, str, str, str)
"""A cached diagnostic's row (`_to_entry`) up to its edit: line, col, end line, end col, code,
message, severity, fix."""


def _from_entry(path: str, data: dict[str, Any]) -> FileResult:
    """A cached result, checked field by field: an entry edited or damaged on disk is a
    ValueError (a miss, analysed afresh), never a finding the reporters cannot print."""
    rows = data.get("d", ())
    for row in rows:
        if (
            type(row) is not list
            or len(row) != 9
            or any(type(v) is not t for v, t in zip(row, _ROW_TYPES))
            or row[4] not in RULES
            or (row[8] is not None and type(row[8]) is not dict)
        ):
            raise ValueError(f"a damaged cache row: {row!r}")
    result = FileResult(path, [Diagnostic(path, *row) for row in rows], cached=True)
    error = data.get("e")
    if error is not None:
        message, line, col = error
        if type(message) is not str or type(line) is not int or type(col) is not int:
            raise ValueError(f"a damaged cache error: {error!r}")
        result.error, result.error_line, result.error_col = message, line, col
    return result


def _check_one(path: str, config: ReaConfig, options: Options) -> tuple[FileResult, str | None]:
    """Read and analyse one file (in this process or a worker): its result and the digest of
    the content analysed (None: not read, or no cache to store it in). Every problem is
    one line in the result, never an exception."""
    try:
        data = read_regular(path, config.max_file_size)
    except UnreadableFile as err:  # a FIFO, a device, a file over max-file-size: named, skipped
        return FileResult(path, error=str(err)), None
    except OSError as err:
        return FileResult(path, error=f"cannot read: {err.strerror or err}"), None
    from rea_lint.engine import tree_mode

    try:
        with tree_mode():
            result = _analyse(path, data, config, options)
    except RecursionError:
        return FileResult(path, error="cannot check: the file nests too deeply"), None
    except Exception as err:  # a rea bug must not hide the other files' results
        return FileResult(path, error=f"internal error ({type(err).__name__}: {_one_line(err)}); please report this"), None
    return result, (digest(data) if options.cache_dir else None)


def _applicable(diags: Iterable[Diagnostic], options: Options) -> bool:
    """Could --fix change this file? (by rule: whether a rewrite is correct needs libcst)."""
    return any(_fixable(d.code, options) for d in diags)


def _fixable(code: str, options: Options) -> bool:
    kind = RULES[code].fix
    return kind is Fix.SAFE or (options.unsafe_fixes and kind is Fix.UNSAFE)


def decode(data: bytes) -> str:
    """Source bytes -> text, honouring a PEP 263 coding cookie and a BOM (like the compiler)."""
    if not data.startswith(b"\xef\xbb\xbf"):
        second = data.find(b"\n", data.find(b"\n") + 1)
        if b"coding" not in (data if second < 0 else data[:second]):  # no cookie: UTF-8, as detect_encoding says
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                pass  # detect_encoding's error, word for word
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    text = data.decode(encoding)
    return text[1:] if text.startswith("\ufeff") else text


def check_source(name: str, data: bytes, config: ReaConfig, options: Options = Options()) -> tuple[FileResult, str | None]:
    """One file's bytes that are not on disk (stdin): its result, and with --fix its fixed
    text (None: unchanged or not decodable). Nothing is written and nothing cached."""
    sink: list[str] = []
    try:
        result = _analyse(name, data, config, options, sink)
    except RecursionError:
        result = FileResult(name, error="cannot check: the file nests too deeply")
    return result, (sink[0] if sink else None)


def _analyse(path: str, data: bytes, config: ReaConfig, options: Options, sink: list[str] | None = None) -> FileResult:
    global ANALYSES
    ANALYSES += 1
    try:
        source = decode(data)
    except (SyntaxError, UnicodeDecodeError, LookupError) as err:
        return _undecodable(path, data, err)
    from rea_lint.engine import mentions_restate

    project = wants_project(config)
    if not project and not mentions_restate((source,), config):  # (no line list: it would live through the parse)
        return FileResult(path)  # (with the project analysis on, any module may be a link)
    try:
        tree = _parse(source, path)
    except SyntaxError as err:
        from rea_lint.syntax import explain_syntax_error

        if err.lineno is None and "\0" in source:  # (the parser names no line for a NUL)
            return _nul(path, source)
        return FileResult(
            path,
            error=f"syntax error: {explain_syntax_error(err)}",
            error_line=err.lineno or 1,
            error_col=max((err.offset or 1) - 1, 0),
        )
    except (ValueError, RecursionError, MemoryError) as err:
        if "\0" in source:  # (a ValueError before Python 3.12)
            return _nul(path, source)
        return FileResult(path, error=f"cannot parse: {_one_line(err)}")
    if len(source) > TRIM_ABOVE:
        release_free_memory()  # the parser's scratch arena: else the model is allocated on top of it
    where = _Where(path, project, config)
    findings, model = _findings(tree, source, config, where)
    result = FileResult(path)
    if options.fix and findings:
        before = source, tree, findings, model
        source, tree, findings, fixed_model = _fix(result, source, tree, findings, config, options, where)
        model = fixed_model if fixed_model is not None else model
        if options.diff and result.fixed:
            import difflib  # (only --diff shows one)

            original = decode(data)
            result.diff = "".join(
                difflib.unified_diff(
                    source_lines(original, keepends=True), source_lines(source, keepends=True), f"a/{path}", f"b/{path}"
                )
            )
        elif result.fixed and sink is not None:
            sink.append(source)
        elif result.fixed:
            try:
                _write(path, data, source)
            except OSError as err:  # the file stays as it was: so do its findings
                source, tree, findings, model = before
                result.fixed.clear()
                result.error = f"cannot write the fixes: {err.strerror or err}; the findings below are the file's as it stands (make it writable and run --fix again)"
    edits: dict[Finding, dict[str, Any]] = {}
    exact: dict[Finding, str] | None = None
    if options.edits and any(RULES[f.code].fix is not Fix.NONE for f in findings):
        exact, edits = _edits(source, tree, findings, config)
    src_lines = _lines_to_read(source)
    for f in findings:
        kind = exact.get(f, "none") if exact is not None else "none"
        result.diagnostics.append(_diagnostic(path, f, src_lines, config, kind, edits.get(f)))
    if project:
        _summarize(result, tree, model, config, where, src_lines, source)
    return result


def _nul(path: str, source: str) -> FileResult:
    """A NUL character, which Python source cannot hold: where the first one is."""
    at = source.index("\0")
    return FileResult(
        path,
        error="syntax error: a NUL character (\\x00), which Python source cannot contain; is this a binary file named .py?",
        error_line=source.count("\n", 0, at) + 1,
        error_col=at - (source.rfind("\n", 0, at) + 1),
    )


def _undecodable(path: str, data: bytes, err: Exception) -> FileResult:
    message, line, col = undecodable(data, err)
    return FileResult(path, error=message, error_line=line, error_col=col)


def undecodable(data: bytes, err: Exception) -> tuple[str, int, int]:
    """Why bytes that `decode` refused are not text in their encoding, and how to mend the
    file, with the line and (0-based) column of the first bad byte: `rea check`'s words, which
    `rea diff` and `rea explain` use too."""
    if isinstance(err, SyntaxError) and "invalid or missing encoding declaration" in str(err):
        try:  # (tokenize's words for a first line that is not UTF-8: find the byte)
            data.decode("utf-8")
        except UnicodeDecodeError as bad:
            err = bad
    if isinstance(err, UnicodeDecodeError):
        start = err.start if err.object is data or len(err.object) == len(data) else 0
        line = data.count(b"\n", 0, start) + 1
        col = start - (data.rfind(b"\n", 0, start) + 1)
        return (
            f"cannot decode: byte {data[start:start + 1]!r} is not {err.encoding} ({err.reason}); "
            "save the file as UTF-8, or declare its encoding on line 1 or 2 (# -*- coding: latin-1 -*-)",
            line,
            col,
        )
    if isinstance(err, SyntaxError) and data.startswith(b"\xef\xbb\xbf") and "encoding problem" in str(err):
        return "cannot decode: the file starts with a UTF-8 BOM but its coding cookie names another encoding; drop the BOM or the cookie", 1, 0
    if isinstance(err, LookupError) or "unknown encoding" in str(err):
        return f"cannot decode: {_one_line(err)}; its coding cookie must name an encoding Python knows (utf-8, latin-1, cp1252)", 1, 0
    return f"cannot decode: {_one_line(err)}", 1, 0


def _lines_to_read(source: str) -> Sequence[str]:
    """The source lines, for what reads them after the analysis: a finding's or a summary
    site's column in characters (`char_col`: only a non-ASCII line differs). In an ASCII text
    there is nothing to read, and splitting every file into lines cost more than checking that
    (in project mode every file's summary asks)."""
    if source.isascii():
        return ()
    return source_lines(source)


class _Where:
    """Where a file sits in the project: its module name and the package relative imports
    start from (so `from . import x` resolves), and whether the project analysis is on."""

    def __init__(self, path: str, project: bool, config: ReaConfig | None = None) -> None:
        self.project = project
        self.ignored = config.ignored_in(path) if config is not None else ()
        """Code prefixes `per-file-ignores` turns off here."""
        if _NAMES is not None:
            self.module, self.package = _NAMES.of(path)
        else:
            from rea_lint.project import module_name, package_of

            self.module = module_name(path)
            self.package = package_of(self.module, path)


_NAMES: Any = None
"""The run's `project.ModuleNames` while `one_run()` is on (else each file resolves alone)."""


@contextmanager
def one_run() -> Iterator[None]:
    """While this is on, the files' directories are taken to stay as they are: their module
    names are resolved once per directory (`project.ModuleNames`), not once per file.
    Workers forked meanwhile inherit it."""
    global _NAMES
    from rea_lint.project import ModuleNames

    outer, _NAMES = _NAMES, ModuleNames()
    try:
        yield
    finally:
        _NAMES = outer


def wants_project(config: ReaConfig) -> bool:
    """Is any rule that the whole-project analysis reports enabled (transitive findings, REA208, REA210)?"""
    from rea_lint.project import PROJECT_CODES

    return not config.enabled_codes().isdisjoint(PROJECT_CODES)


def _summarize(
    result: FileResult, tree: ast.Module, model: Any, config: ReaConfig, where: _Where, lines: Sequence[str], source: str
) -> None:
    """The file's summary for the project link, with its sites' columns in characters and
    the `# noqa` lines of its sites. Which functions give no callable is left for the link
    to ask of the file (`summary_data`'s ``text``), unless fixes made a text the file may
    not hold (--diff, stdin)."""
    from rea_lint.model import build_model
    from rea_lint.names import ImportMap
    from rea_lint.project import summary_data

    try:
        if model is None:  # not Restate code, but its functions may be links of a chain
            model = build_model(tree, config, ImportMap.from_tree(tree, where.package))
        if result.fixed:  # (and the model may be of the text before the fixes)
            summary = summary_data(model, where.module, result.path)
        else:
            summary = summary_data(model, where.module, result.path, text=source)
    except RecursionError:
        return
    sites = [*summary["handler_calls"], *(site for _method, site in summary["kind_calls"]), *summary["action_calls"]]
    n = len(lines)
    for site in sites:  # reported positions: characters, like findings (`char_col`, for non-ASCII lines only)
        line = site[2]
        if 0 < line <= n and not lines[line - 1].isascii():
            site[3] = char_col(lines, line, site[3])
        end = site[4]
        if end is not None and site[5] is not None and 0 < end <= n and not lines[end - 1].isascii():
            site[5] = char_col(lines, end, site[5])
    result.summary = summary
    if sites and not config.disable_noqa and "noqa" in source.lower():
        noqa = NoqaLines(source, tree)
        for site in sites:
            codes = noqa.codes(site[2])
            if codes is not None:
                result.noqa[str(site[2])] = codes


def _parse(source: str, path: str) -> ast.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarning for invalid escapes is not ours to report
        return ast.parse(source, filename=path)


def _findings(tree: ast.Module, source: str, config: ReaConfig, where: _Where) -> tuple[list[Finding], Any]:
    """The rules' findings (same-module transitive ones too unless the project analysis
    does it for the whole run), `# noqa` applied, and the model they were found on."""
    from rea_lint.engine import analyse

    findings, model = analyse(tree, config, package=where.package, transitive=not where.project, module=where.module, text=source)
    if findings and where.ignored:
        findings = [f for f in findings if not f.code.startswith(where.ignored)]
    if not findings or config.disable_noqa or "noqa" not in source.lower():
        return findings, model
    noqa = NoqaLines(source, tree)
    return [f for f in findings if not noqa.silences(f.code, f.line)], model


def _fix(
    result: FileResult,
    source: str,
    tree: ast.Module,
    findings: list[Finding],
    config: ReaConfig,
    options: Options,
    where: _Where,
) -> tuple[str, ast.Module, list[Finding], Any]:
    """Apply fixes until none applies (a fix can expose another): the fixed text, its
    findings and model (None: nothing changed)."""
    from rea_lint.autofix import fix_source  # libcst only when fixing

    model = None
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
        findings, model = _findings(tree, source, config, where)
    return source, tree, findings, model


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
    """Write the fixed ``source`` over the file, in its encoding and with its BOM, in place
    (the file keeps its inode: its hard links, owner and mode). A write that fails part way
    (a full disk, a file size limit) puts ``original`` back before the error goes on: a
    source file is never left cut short."""
    encoding, _ = tokenize.detect_encoding(io.BytesIO(original).readline)
    bom = original.startswith(b"\xef\xbb\xbf")
    if encoding == "utf-8-sig":
        encoding = "utf-8"
    data = (b"\xef\xbb\xbf" if bom else b"") + source.encode(encoding)
    fh = open(path, "r+b")  # (not "wb": if it cannot be opened for writing, it is not truncated either)
    try:
        with fh:
            fh.write(data)
            fh.truncate()
    except OSError:
        try:
            with open(path, "r+b") as back:
                back.write(original)
                back.truncate()
        except OSError:
            pass
        raise


def _diagnostic(
    path: str, f: Finding, lines: Sequence[str], config: ReaConfig, fix: str, edit: dict[str, Any] | None
) -> Diagnostic:
    end_line = f.end_line if f.end_line is not None else f.line
    end_col = f.end_col if f.end_col is not None else f.col
    return Diagnostic(
        path=path,
        line=f.line,
        col=char_col(lines, f.line, f.col),
        end_line=end_line,
        end_col=char_col(lines, end_line, end_col),
        code=f.code,
        message=f.message,
        severity=config.severity_of(f.code).value,
        fix=fix,
        edit=edit,
    )


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split()) or type(err).__name__


# --- many files ----------------------------------------------------------------------------------

MIN_FILES_PER_WORKER = 8
"""Fewer files to analyse than this per worker: analyse them in this process (starting
workers, each with rea's rules, costs more than a few files' analysis)."""

_WORKER: tuple[list[ReaConfig], Options] | None = None


def _init_worker(configs: list[ReaConfig], options: Options) -> None:
    global _WORKER
    _WORKER = (configs, options)


def _run_chunk(chunk: list[tuple[str, int]]) -> list[tuple[FileResult, str | None]]:
    assert _WORKER is not None
    configs, options = _WORKER
    with _between_files(options):
        return [_check_one(path, configs[i], options) for path, i in chunk]


def _between_files(options: Options) -> AbstractContextManager[None]:
    """A check runs its files, not just each file, with the cyclic collector off: analysing
    a file leaves no reference cycle behind (tests/test_no_cycles.py), so the collections each
    file's surviving summary set off would walk every summary kept so far again and again
    (about 1% of a cold run). Fixes and edits are made with libcst, whose helpers leave a
    few cycles a file: those runs collect between files as before."""
    from rea_lint.engine import tree_mode

    return nullcontext() if options.fix or options.edits else tree_mode()


def check_files(items: Sequence[tuple[Path, ReaConfig]], options: Options = Options(), jobs: int = 1) -> list[FileResult]:
    """Results in the order of ``items``. Cached results are looked up here, in one pass
    over one index per configuration; only the misses are analysed, spread over ``jobs``
    processes when there are enough of them. A warm run starts no worker."""
    cache = ResultCache(options.cache_dir) if options.cache_dir else None
    results: list[FileResult | None] = [None] * len(items)
    indexes: dict[int, Index] = {}
    names: list[str] = []
    todo: list[int] = []
    for i, (p, config) in enumerate(items):
        if cache is None:
            todo.append(i)
            continue
        index = indexes.get(id(config))
        if index is None:
            index = indexes[id(config)] = cache.index(_salt(config, options))
        path = str(p)
        names.append(entry_name(path))
        hit = _lookup(index, path, names[i], config, options)
        if hit is None:
            todo.append(i)
        else:
            results[i] = hit
    analysed = _analyse_all([(str(items[i][0]), items[i][1]) for i in todo], options, jobs)
    for i, (result, key) in zip(todo, analysed):
        results[i] = result
        if cache is None or key is None or result.fixed or result.diff or (options.fix and result.error):
            continue  # a fixed file has new content: its old key is moot
        index = indexes[id(items[i][1])]
        index.put(names[i], key, _to_entry(result), result.summary, result.noqa)
        result.origin = _Origin(index, names[i], key, result.summary is not None)
    if cache is not None and todo:
        cache.save(set(names))
        if cache.unwritable is not None:  # the results are right, only the next run is slower: a warning
            sys.stderr.write(
                f"warning: cannot write the cache in {options.cache_dir} ({cache.unwritable}): this run's results are not kept "
                "for the next; point --cache-dir (or REA_CACHE_DIR) at a writable directory, or pass --no-cache\n"
            )
    return results  # type: ignore[return-value]


def _analyse_all(tasks: Sequence[tuple[str, ReaConfig]], options: Options, jobs: int) -> list[tuple[FileResult, str | None]]:
    """Each file's result and analysed content digest, in order; chunks go to workers."""
    if not tasks:  # a warm run: nothing to analyse, nothing of the engine to import
        return []
    workers = min(jobs, len(tasks) // MIN_FILES_PER_WORKER)
    if workers <= 1:
        with _between_files(options):
            return [_check_one(path, config, options) for path, config in tasks]
    import multiprocessing

    from rea_lint.rules import all_checkers

    all_checkers()  # import every rule once, before forking, so workers inherit them
    configs: list[ReaConfig] = []
    index: dict[int, int] = {}
    chunked: list[tuple[str, int]] = []
    for path, config in tasks:
        i = index.get(id(config))
        if i is None:
            i = index[id(config)] = len(configs)
            configs.append(config)
        chunked.append((path, i))
    size = max(1, min(64, len(chunked) // (workers * 4)))
    chunks = [chunked[i : i + size] for i in range(0, len(chunked), size)]
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
    with ctx.Pool(workers, initializer=_init_worker, initargs=(configs, options)) as pool:
        return [r for chunk in pool.imap(_run_chunk, chunks) for r in chunk]


# --- the whole project ------------------------------------------------------------------------------


def link_project(results: Sequence[FileResult], configs: Sequence[ReaConfig]) -> None:
    """Add transitive findings: one call graph over every file's summary (per configuration),
    built once per run from the (possibly cached) summaries, so unchanged files are not
    analysed again while a change in a helper module still shows at its callers. When every
    member's result came from (or went into) the cache, the outcome is cached under a key
    of all of them: a run where no file changed reads it instead of linking."""
    groups: dict[int, tuple[ReaConfig, list[FileResult]]] = {}
    wanted: dict[int, bool] = {}
    for result, config in zip(results, configs):
        wants = wanted.get(id(config))
        if wants is None:
            wants = wanted[id(config)] = wants_project(config)
        origin = result.origin
        if wants and (result.summary is not None or (origin is not None and origin.has_summary)):
            groups.setdefault(id(config), (config, []))[1].append(result)
    if not groups:
        return
    key = _link_key(groups.values())
    cache = next(iter(groups.values()))[1][0].origin.index.cache if key is not None else None  # type: ignore[union-attr]
    if cache is not None and key is not None:
        stored = cache.load_link(key)
        if stored is not None and _apply_link(groups.values(), stored):
            return
    from rea_lint.engine import tree_mode

    with tree_mode():  # the link builds ~30,000 sites and frees none before it ends: no collector passes over them
        outcome, complete = _link(groups.values())
    if cache is not None and key is not None and complete:
        cache.store_link(key, outcome)


def _link_key(groups: Iterable[tuple[ReaConfig, list[FileResult]]]) -> str | None:
    """What the link's outcome depends on: each member's path and cached content (digest,
    index: configuration and rea's stamp), its group's configuration, and the working
    directory (relative paths, `src` roots). None: a member is not in the cache."""
    parts = [os.getcwd()]
    for g, (config, members) in enumerate(groups):
        parts.append(f"group {g} {config.fingerprint()} {os.path.abspath(config.source) if config.source else ''}")
        for result in members:
            origin = result.origin
            if origin is None:
                return None
            parts.append(f"{result.path}\0{origin.index.name}\0{origin.key}")
    return ResultCache.link_key(parts)


def _apply_link(groups: Iterable[tuple[ReaConfig, list[FileResult]]], stored: dict[str, Any]) -> bool:
    """Add a cached link outcome (`"group:member"` -> the diagnostics it added); False, with
    nothing changed, if the entry does not fit these members."""
    lists = [ms for _, ms in groups]
    added: list[tuple[FileResult, list[Diagnostic]]] = []
    try:
        for at, rows in stored.items():
            g, _, m = at.partition(":")
            if int(g) < 0:
                return False
            group = lists[int(g)]
            if not 0 <= int(m) < len(group) or not isinstance(rows, list):
                return False
            result = group[int(m)]
            added.append((result, [Diagnostic(result.path, *row) for row in rows]))
    except (ValueError, TypeError, IndexError):
        return False
    for result, diags in added:
        result.diagnostics.extend(diags)
        result.diagnostics.sort(key=lambda d: (d.line, d.col, d.code))
    return True


def _link(groups: Iterable[tuple[ReaConfig, list[FileResult]]]) -> tuple[dict[str, Any], bool]:
    """Link each group: (what it added per `"group:member"`, whether every summary came from
    where the key says: False if one had to be recomputed, so the outcome is not cached)."""
    from rea_lint.project import Linkable, ModuleSummary, Project

    outcome: dict[str, Any] = {}
    complete = True
    for g, (config, members) in enumerate(groups):
        loaded: list[tuple[int, FileResult]] = []
        linkable = Linkable()
        for m, result in enumerate(members):
            if result.summary is None and not _load_summary(result, config):
                complete = False
                if result.summary is None:
                    continue
            try:
                linkable.add(result.summary)  # type: ignore[arg-type]  # (a cached summary may be malformed: caught)
            except (KeyError, TypeError, AttributeError):
                continue  # (not a summary: `from_dict` would refuse it too)
            loaded.append((m, result))
        linked: list[tuple[int, FileResult, ModuleSummary]] = []
        for m, result in loaded:  # (without the sites that surely target no member: `Linkable`)
            try:
                linked.append((m, result, ModuleSummary.from_dict(result.summary, linkable)))  # type: ignore[arg-type]
            except (ValueError, KeyError, TypeError):
                continue
        project = Project([s for _, _, s in linked], config)
        codes = config.enabled_codes()
        ignored_in = config.ignored_in
        for m, result, summary in linked:
            found = project.findings_for(summary, codes)
            if not found:
                continue
            rows: list[list[Any]] = []
            seen = {(d.line, d.col, d.code) for d in result.diagnostics}
            ignored = ignored_in(result.path)
            for f in found:
                if ignored and f.code.startswith(ignored):
                    continue
                noqa = result.noqa.get(str(f.line))
                if noqa is not None and (not noqa or any(f.code.startswith(c) for c in noqa)):
                    continue
                if (f.line, f.col, f.code) in seen:
                    continue
                end_line = f.end_line if f.end_line is not None else f.line
                end_col = f.end_col if f.end_col is not None else f.col
                rows.append([f.line, f.col, end_line, end_col, f.code, f.message, config.severity_of(f.code).value])
            outcome[f"{g}:{m}"] = rows
            result.diagnostics.extend(Diagnostic(result.path, *row) for row in rows)
            result.diagnostics.sort(key=lambda d: (d.line, d.col, d.code))
    return outcome, complete


def _load_summary(result: FileResult, config: ReaConfig) -> bool:
    """Fill in a cached result's summary and `# noqa` lines from its index; if the index no
    longer has them, analyse the file again for them. False: they had to be recomputed."""
    origin = result.origin
    assert origin is not None
    stored = origin.index.summary(origin.name, origin.key)
    if stored is not None:
        result.summary, result.noqa = stored
        return True
    fresh, _ = _check_one(result.path, config, Options(cache_dir=None))
    result.summary, result.noqa = fresh.summary, fresh.noqa
    return False
