"""The `rea` command: `rea check [PATHS]`, `rea diff`, `rea explain`, `rea rule CODE`, `rea rules`.

Exit codes are a contract for CI and pre-commit: 0 clean, 1 findings (or a file that could
not be checked), 2 usage or configuration error. A usage or configuration problem is one
line on stderr, never a traceback. Configuration is `[tool.rea]` of the nearest
pyproject.toml above each file (the same lookup the flake8 plugin does), or `--config`.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Sequence

from rea_lint import __version__
from rea_lint.catalog import RULES, Fix, by_code
from rea_lint.config import ConfigError, ReaConfig, config_for_file, has_rea_table

__all__ = ["main"]

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class _UsageError(Exception):
    """A one-line usage problem: exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _codes(value: str) -> list[str]:
    items = [v.strip().upper() for v in value.split(",") if v.strip()]
    if not items:  # (`--select ""` must not quietly mean "the default rules")
        raise argparse.ArgumentTypeError(f"{value!r} names no rule: give codes or prefixes, comma-separated (REA101,REA2)")
    for item in items:
        if not item.startswith("REA") or not any(code.startswith(item) for code in RULES):
            named = next((rule.code for rule in RULES.values() if rule.name.upper() == item), None)
            if named is not None:
                raise argparse.ArgumentTypeError(f"{item.lower()!r} is a rule's name; select it by its code, {named}")
            raise argparse.ArgumentTypeError(f"{item!r} matches no rule code (codes look like REA101; prefixes like REA1 work)")
    return items


def _jobs(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of processes, got {value!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return n


_COMMANDS = ("check", "diff", "explain", "rule", "rules")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole parser (None: for `rea --help` and the docs), or with only ``command``'s
    arguments: every `rea check` builds one, and the other commands' arguments cost a
    whole-project check of a few dozen files a few percent of its CPU."""
    parser = _Parser(prog="rea", description="Keep Restate handlers replay-safe: lint, fix, explain.")
    parser.add_argument("--version", action="version", version=f"rea {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="{check,diff,explain,rule,rules}", parser_class=_Parser)
    sub.required = True

    check = sub.add_parser("check", help="lint files and directories (default: .)")
    if command in (None, "check"):
        _check_arguments(check)
    if command == "check":
        return parser

    from rea_lint.journal.arguments import add_parser as add_diff

    add_diff(sub)

    from rea_lint.explain.arguments import add_parser as add_explain

    add_explain(sub)

    rule = sub.add_parser("rule", help="explain a rule (its documentation page)")
    rule.add_argument("code", nargs="?", help="a rule code (REA101) or name (time-in-handler)")
    rule.add_argument("--all", action="store_true", help="every rule")
    rule.add_argument("--format", choices=("text", "json"), default="text", help="text: the docs page(s); json: the catalog entries")

    rules = sub.add_parser("rules", help="list every rule")
    rules.add_argument("--format", choices=("text", "json"), default="text", help="text: one line per rule; json: the catalog entries")
    return parser


def _check_arguments(check: argparse.ArgumentParser) -> None:
    check.add_argument("paths", nargs="*", default=[], help="files or directories (directories are walked for *.py); `-` reads stdin")
    check.add_argument("--select", type=_codes, action="extend", metavar="CODES", help="only these rules (comma-separated codes or prefixes; replaces [tool.rea] select)")
    check.add_argument("--extend-select", type=_codes, action="extend", metavar="CODES", help="these rules in addition")
    check.add_argument("--ignore", type=_codes, action="extend", metavar="CODES", help="not these rules (added to [tool.rea] ignore)")
    check.add_argument("--fix", action="store_true", help="apply safe fixes in place")
    check.add_argument("--unsafe-fixes", action="store_true", help="with --fix: also apply fixes that change the journal of in-flight invocations")
    check.add_argument("--fix-only", action="store_true", help="apply fixes and report only what was fixed, not the findings left (implies --fix)")
    check.add_argument("--show-fixes", action="store_true", help="list the fixes applied (with --fix) or available, per file and rule")
    check.add_argument("--exit-non-zero-on-fix", action="store_true", help="with --fix: exit 1 when anything was fixed, even if nothing is left")
    check.add_argument("--diff", action="store_true", help="show the fixes as a diff; write nothing (implies --fix); exit 1 if there are changes")
    check.add_argument("--add-noqa", action="store_true", help="add `# noqa: REAxxx` to every line with a finding (keeps existing codes)")
    check.add_argument("--disable-noqa", "--ignore-noqa", dest="disable_noqa", action="store_true", help="report what `# noqa` comments (and `# flake8: noqa`) silence: a suppression audit")
    check.add_argument("--output-format", "--format", dest="format", choices=("full", "concise", "text", "json", "sarif", "github"), default=None, help="output format (default: full on a terminal, else concise; text = concise)")
    check.add_argument("--color", choices=("auto", "always", "never"), default="auto", help="color the text formats (auto: only on a terminal, and not with NO_COLOR)")
    check.add_argument("-o", "--output-file", metavar="FILE", help="write the report here instead of stdout")
    check.add_argument("-q", "--quiet", action="store_true", help="print the findings only: no summary, no fix counts")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    check.add_argument("-j", "--jobs", type=_jobs, default=None, metavar="N", help="processes to check files with (default: the number of CPUs)")
    check.add_argument("--statistics", action="store_true", help="print how many findings each rule has")
    check.add_argument("--config", metavar="PYPROJECT", help="use this pyproject.toml's [tool.rea] for every file")
    check.add_argument("--stdin-filename", metavar="PATH", help="the name of the file read from stdin (for messages, its config, exclude and per-file-ignores)")
    check.add_argument("--no-cache", action="store_true", help="analyse every file, even if unchanged since the last run")
    check.add_argument("--cache-dir", default=None, help="where results are cached (default: $REA_CACHE_DIR, else .rea_cache)")
    check.add_argument("--no-respect-gitignore", dest="gitignore", action="store_false", help="walk files .gitignore excludes too")


def _command_of(argv: Sequence[str] | None) -> str | None:
    """The command ``argv`` starts with (None: none, or an option first: build everything)."""
    args = sys.argv[1:] if argv is None else argv
    return args[0] if args and args[0] in _COMMANDS else None


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser(_command_of(argv)).parse_args(argv)
    except SystemExit as exit_:  # --help, --version, usage errors: return, so main() is callable in-process
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    real_stdout = sys.stdout
    sys.stdout = _Output(real_stdout)
    try:
        code = _run(args)
        sys.stdout.flush()  # a full disk shows at the last flush as often as at a write
        return code
    except _OutputFailed as err:
        _drop_output(real_stdout)
        print(f"rea: error: cannot write the report to standard output: {err}; free space there, or write it with -o FILE", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # `rea check | head`: the reader left; stop quietly, as a shell tool does
        _drop_output(real_stdout)
        return 141
    finally:
        sys.stdout = real_stdout


def _run(args: argparse.Namespace) -> int:
    try:
        if args.command == "rule":
            return _rule(args)
        if args.command == "rules":
            return _rules(args.format)
        if args.command == "diff":
            from rea_lint.journal.command import run as diff

            return diff(args)
        if args.command == "explain":
            from rea_lint.explain.command import run as explain

            return explain(args)
        return _check(args)
    except (ConfigError, _UsageError) as err:
        print(f"rea: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


class _OutputFailed(Exception):
    """Standard output refused a write (a full disk, a dead device): why, in one line."""


class _Output:
    """Standard output for one `rea` command: a write that fails (other than the reader
    leaving, a broken pipe) becomes `_OutputFailed`, one line on stderr and exit 2, not a
    traceback from whichever `print` hit it."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as err:
            raise _OutputFailed(err.strerror or str(err)) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as err:
            raise _OutputFailed(err.strerror or str(err)) from None
        except ValueError:  # closed by the caller
            pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _drop_output(stream: Any) -> None:
    """Point the real stdout at /dev/null: what is still buffered for it cannot be written,
    and the interpreter's final flush must not fail (and print a traceback) too."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
    except (OSError, ValueError, AttributeError):
        pass


# --- rule / rules ----------------------------------------------------------------------------------


def _rule_json(rule) -> dict[str, object]:
    from rea_lint.reporters import doc_url

    return {
        "code": rule.code,
        "name": rule.name,
        "summary": rule.summary,
        "message": rule.message,
        "fix_hint": rule.fix_hint,
        "why": rule.why,
        "severity": rule.severity.value,
        "enabled_by_default": rule.enabled_by_default,
        "fix": rule.fix.value,
        "fix_note": rule.fix_note,
        "doc": rule.doc_path,
        "url": doc_url(rule.code),
    }


def _rule(args: argparse.Namespace) -> int:
    import json

    from rea_lint.catalog import by_name
    from rea_lint.docs import render

    if args.all and args.code is not None:
        raise _UsageError(f"--all shows every rule; drop {args.code} (or drop --all for that one rule)")
    if not args.all and args.code is None:
        raise _UsageError("name one rule (rea rule REA101) or use --all")
    if args.all:
        rules = list(RULES.values())
    else:
        try:
            rules = [by_code(args.code)]
        except KeyError:
            try:
                rules = [by_name(args.code)]
            except KeyError:
                from rea_lint.config import did_you_mean

                hint = did_you_mean(args.code.upper(), RULES) or did_you_mean(args.code, [r.name for r in RULES.values()])
                raise _UsageError(f"unknown rule {args.code!r}{hint}; `rea rules` lists them") from None
    if args.format == "json":
        data = [_rule_json(r) for r in rules]
        sys.stdout.write(json.dumps(data if args.all else data[0], indent=2) + "\n")
    else:
        sys.stdout.write("\n".join(render(r) for r in rules))
    return EXIT_CLEAN


def _rules(fmt: str = "text") -> int:
    if fmt == "json":
        import json

        sys.stdout.write(json.dumps([_rule_json(r) for r in RULES.values()], indent=2) + "\n")
        return EXIT_CLEAN
    for rule in RULES.values():
        flags = [rule.severity.value]
        if not rule.enabled_by_default:
            flags.append("off by default")
        if rule.fix is not Fix.NONE:
            flags.append(f"{rule.fix.value} fix")
        print(f"{rule.code}  {rule.name:<34} {rule.summary}  [{', '.join(flags)}]")
    return EXIT_CLEAN


# --- check ---------------------------------------------------------------------------------------


def _configs(args: argparse.Namespace) -> Callable[[str | Path], ReaConfig]:
    """path -> its configuration with the command-line overrides applied (memoised)."""
    explicit = args.config
    if explicit is not None and not Path(explicit).is_file():
        problem = "is a directory; name its pyproject.toml" if Path(explicit).is_dir() else "no such file"
        raise _UsageError(f"--config {explicit}: {problem}")
    if explicit is not None and not has_rea_table(explicit):  # (the defaults would pass for its settings)
        raise _UsageError(f"--config {explicit}: has no [tool.rea] table; add one, or name the pyproject.toml that has it")
    overridden: dict[int, tuple[ReaConfig, ReaConfig]] = {}
    """id(loaded) -> (loaded, with the overrides): the loaded one is kept, so its id is not reused."""
    by_directory: dict[str, ReaConfig] = {}
    by_path: dict[str, ReaConfig] = {}
    """A path as given -> its answer: a run asks for each file three times (the early config
    check, `exclude` while discovering, the check), and each lookup stats the file."""

    def config_for(path: str | Path) -> ReaConfig:
        key = str(path)
        found = by_path.get(key)
        if found is None:
            found = by_path[key] = _overridden(config_for_file(path, by_directory, explicit))
        return found

    def _overridden(base: ReaConfig) -> ReaConfig:
        pair = overridden.get(id(base))
        if pair is None:
            changes: dict[str, Any] = {}
            if args.select:
                changes["select"] = tuple(args.select)
                changes["extend_select"] = ()
            if args.extend_select:
                changes["extend_select"] = (*changes.get("extend_select", base.extend_select), *args.extend_select)
            if args.ignore:
                changes["ignore"] = (*base.ignore, *args.ignore)
            if args.disable_noqa:
                changes["disable_noqa"] = True
            pair = overridden[id(base)] = (base, dataclasses.replace(base, **changes) if changes else base)
        return pair[1]

    return config_for


def _excluder(config_for: Callable[[Path], ReaConfig]) -> Callable[[Path], bool]:
    """`exclude` globs match paths relative to the directory of the pyproject.toml holding them
    (`ReaConfig.excludes`, which the flake8 plugin applies too)."""

    def excluded(path: Path) -> bool:
        return config_for(path).excludes(path)

    return excluded


def _forget_configs() -> None:
    """Each run reads pyproject.toml afresh (the loader memoises per process: tests, editors)."""
    from rea_lint.config import forget

    forget()


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def _output_target(raw: str | None) -> Path | None:
    """`-o FILE`, checked before anything runs: a usage error, not a traceback after the run."""
    if raw is None:
        return None
    path = Path(raw)
    if path.is_dir():
        raise _UsageError(f"-o {raw}: is a directory; name a file to write the report to")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise _UsageError(f"-o {raw}: directory {parent} does not exist; create it first, or write elsewhere")
    return path


def _refuse_no_rules(configs: Sequence[ReaConfig]) -> None:
    """Every file with every rule turned off (`--ignore REA`, `--select REA1 --ignore REA1`)
    would pass as replay-safe having been checked for nothing: a usage error, as `select = []` is."""
    if configs and not any(config.enabled_codes() for config in configs):
        raise _UsageError("no rule is on: --select/--ignore (with [tool.rea]) turn every rule off, so nothing would be checked; ignore fewer codes")


def _refuse_overwriting(out_path: Path, inputs: Sequence[str | Path], role: str) -> None:
    """`-o` naming a file the run reads (`rea check -o svc.py svc.py`) would replace the code
    with its report: a usage error before anything is written."""
    try:
        if not out_path.exists():
            return
        out = out_path.stat()
    except OSError:
        return
    for path in inputs:
        try:
            st = os.stat(path)
        except OSError:
            continue
        if (st.st_dev, st.st_ino) == (out.st_dev, out.st_ino):
            raise _UsageError(f"-o {out_path}: is one of the files {role}; writing the report there would replace its code. Name another file (rea.txt, rea.sarif)")


def _use_color(choice: str, stream) -> bool:
    if choice != "auto":
        return choice == "always"
    if stream is None:  # a report file (-o) is never colored unless asked with --color always
        return False
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _check(args: argparse.Namespace) -> int:
    from rea_lint import reporters
    from rea_lint.discovery import discover
    from rea_lint.runner import Options, check_files, link_project, one_run

    fix = args.fix or args.diff or args.fix_only
    if args.unsafe_fixes and not fix:
        raise _UsageError("--unsafe-fixes needs --fix (or --diff, --fix-only)")
    if args.add_noqa and fix:
        raise _UsageError("--add-noqa cannot be combined with --fix, --fix-only or --diff: run them one after the other")
    paths = list(args.paths)
    stdin = args.stdin_filename is not None or "-" in paths
    if stdin and [p for p in paths if p != "-"]:
        raise _UsageError("`-` (stdin) cannot be combined with other paths")
    if stdin and args.add_noqa:
        raise _UsageError("--add-noqa edits files; it cannot work on stdin")
    out_path = _output_target(args.output_file)
    to_terminal = out_path is None and not args.diff
    fmt = args.format or ("full" if to_terminal and _isatty(sys.stdout) else "concise")
    style = reporters.Style(fmt in ("full", "concise", "text") and _use_color(args.color, sys.stdout if out_path is None else None))
    _forget_configs()
    config_for = _configs(args)
    cache_dir = args.cache_dir or os.environ.get("REA_CACHE_DIR") or ".rea_cache"
    options = Options(
        fix=fix,
        unsafe_fixes=args.unsafe_fixes,
        diff=args.diff,
        edits=fmt in ("json", "sarif") or stdin,  # they publish each fix's edit; see _plan_fixes
        cache_dir=None if (args.no_cache or stdin) else cache_dir,
    )
    sources: dict[str, str] = {}
    fixed_stdin: str | None = None
    if stdin:
        results, configs, fixed_stdin = _check_stdin(args, config_for, options, sources)
    else:
        for raw in paths or ["."]:  # a broken config is reported before anything runs
            if os.path.exists(raw):  # (not `Path(raw).exists()`: pathlib costs more than the stat)
                config_for(raw)
        files, problems = discover(paths or ["."], _excluder(config_for), respect_gitignore=args.gitignore)
        if problems:
            raise _UsageError(problems[0])
        if out_path is not None:
            _refuse_overwriting(out_path, files, "checked")
        configs = [config_for(f) for f in files]
        _refuse_no_rules(configs)
        jobs = args.jobs if args.jobs is not None else (os.cpu_count() or 1)
        with one_run():
            results = check_files(list(zip(files, configs)), options, jobs)
            if args.show_fixes and not fix and not options.edits:
                _plan_fixes(results, files, configs, options, jobs)
    args.planned = fix or options.edits or args.show_fixes
    link_project(results, configs)

    if args.add_noqa:
        return _add_noqa(results, args)

    if args.diff:
        report = "".join(r.diff for r in results)
        _unchecked(results)  # a diff has no room for them
    elif args.fix_only:
        report = reporters.render(fmt, [_errors_only(r) for r in results], style, sources) if fmt not in ("json", "sarif") else reporters.render(fmt, results)
    else:
        report = reporters.render(fmt, results, style, sources)
    info = sys.stdout if fmt in ("full", "concise", "text") and not args.diff and out_path is None and fixed_stdin is None else sys.stderr
    if fixed_stdin is not None and not args.diff:  # ruff's convention: the fixed code on stdout, the report on stderr
        sys.stdout.write(fixed_stdin)
        sys.stderr.write(report)
    elif out_path is not None:
        try:
            out_path.write_text(report, encoding="utf-8")
        except OSError as err:
            raise _UsageError(f"-o {args.output_file}: cannot write: {err.strerror or err}") from None
    else:
        sys.stdout.write(report)
    if args.statistics:
        info.write(reporters.statistics(results))
    if args.show_fixes:
        info.write(_show_fixes(results, fix))
    if not args.quiet:
        if fix:
            _fix_summary(results, args, sys.stderr if args.diff else info, would=args.diff)
        if not args.diff and not args.fix_only:
            _summary(results, args, info, fmt)
    if not results and not args.quiet:
        sys.stderr.write("warning: no Python files to check (the paths given hold no *.py, or exclude/.gitignore remove them all)\n")

    nfixed = sum(sum(r.fixed.values()) for r in results)
    errors = any(r.error for r in results)
    if args.diff:
        dirty = errors or any(r.diff for r in results)
    elif args.fix_only:
        dirty = errors or (args.exit_non_zero_on_fix and nfixed > 0)
    else:
        dirty = errors or any(r.diagnostics for r in results) or (args.exit_non_zero_on_fix and nfixed > 0)
    return EXIT_FINDINGS if dirty and not args.exit_zero else EXIT_CLEAN


def _unchecked(results: Sequence) -> None:
    """Where the report is not the findings (`--diff`, `--add-noqa`), the files that could
    not be checked (or fixed) are still named, on stderr, with why."""
    for r in results:
        if r.error:
            sys.stderr.write(f"{r.path}:{r.error_line}:{r.error_col + 1}: error: {r.error}\n")


def _plan_fixes(results: list, files: Sequence[Path], configs: Sequence[ReaConfig], options, jobs: int) -> None:
    """`--show-fixes`: re-check the files with findings of a rule that has an autofix, planning
    each fix with libcst (cached too), so the list and the summary say exactly what `--fix`
    does. A plain `rea check` never pays for this: libcst costs more than the analysis."""
    from rea_lint.runner import check_files

    need = [i for i, r in enumerate(results) if any(RULES[d.code].fix is not Fix.NONE for d in r.diagnostics)]
    if not need:
        return
    exact = check_files([(files[i], configs[i]) for i in need], dataclasses.replace(options, edits=True), jobs)
    for i, r in zip(need, exact):
        results[i] = r


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _errors_only(result):
    """With --fix-only the report names files that could not be checked, not findings."""
    return dataclasses.replace(result, diagnostics=[])


def _check_stdin(args: argparse.Namespace, config_for: Callable[[Path], ReaConfig], options, sources: dict[str, str]):
    """`rea check -` / `--stdin-filename NAME`: one file from stdin, named NAME in messages,
    configured (and excluded, and per-file-ignored) as if it were at NAME."""
    from rea_lint.runner import check_source, decode

    name = args.stdin_filename or "-"
    if sys.stdin is None:
        raise _UsageError("standard input is closed: pipe the code in (`rea check - < svc.py`), or name the files to check")
    data = sys.stdin.buffer.read()
    where = Path(name) if args.stdin_filename else Path.cwd() / "-"
    config = config_for(where)
    try:
        sources[name] = decode(data)
    except (SyntaxError, UnicodeDecodeError, LookupError):
        pass
    if args.stdin_filename and config.excludes(where):
        original = sources.get(name)
        return [], [], (original if options.fix and not options.diff else None)
    result, fixed = check_source(name, data, config, options)
    out = None
    if options.fix and not options.diff:
        out = fixed if fixed is not None else sources.get(name, data.decode("utf-8", "replace"))
    return [result], [config], out


def _add_noqa(results: Sequence, args: argparse.Namespace) -> int:
    from rea_lint.noqa import add_noqa
    from rea_lint.runner import decode
    from rea_lint.runner import _write as write_source

    added, refused = 0, []
    for r in results:
        if not r.diagnostics:
            continue
        try:
            data = Path(r.path).read_bytes()
            source = decode(data)
        except (OSError, SyntaxError, UnicodeDecodeError, LookupError) as err:
            refused.append(f"{r.path}: cannot read: {err}")
            continue
        new, n, bad = add_noqa(source, [(d.line, d.code) for d in r.diagnostics])
        refused.extend(f"{r.path}:{line}: no `# noqa` added: Python's tokenize cannot read the file, so where a comment may go is unknown; add it by hand" for line in bad)
        if n:
            try:
                write_source(r.path, data, new)
            except OSError as err:
                refused.append(f"{r.path}: cannot write: {err.strerror or err}; no `# noqa` added to its {_plural(n, 'line')}")
                continue
            added += n
    for line in refused:
        sys.stderr.write(f"warning: {line}\n")
    _unchecked(results)  # nothing was added to them: say why, as the report would
    if not args.quiet:
        sys.stdout.write(f"Added {_plural(added, 'noqa directive')}.\n")
    errors = any(r.error for r in results)
    return EXIT_FINDINGS if (refused or errors) and not args.exit_zero else EXIT_CLEAN


def _show_fixes(results: Sequence, fixing: bool) -> str:
    """Per file, the fixes applied (or, without --fix, the ones --fix would apply)."""
    lines = []
    for r in results:
        if fixing:
            counts = Counter(r.fixed)
        else:
            counts = Counter(d.code for d in r.diagnostics if d.fix == Fix.SAFE.value)
        for code, n in sorted(counts.items()):
            lines.append(f"  {r.path}: {n} x {code} ({RULES[code].name})")
    if not lines:
        return "No fixes applied.\n" if fixing else "No fixes available.\n"
    head = "Fixed:" if fixing else "Fixable with `rea check --fix`:"
    return head + "\n" + "\n".join(lines) + "\n"


def _summary(results: Sequence, args: argparse.Namespace, out, fmt: str) -> None:
    diags = [d for r in results for d in r.diagnostics]
    n = len(diags)
    errors = sum(1 for r in results if r.error)
    if not results:
        return
    if not n and not errors:
        if fmt in ("full", "concise", "text"):
            out.write(f"All checked files are replay-safe ({_plural(len(results), 'file')}).\n")
        return
    files = sum(1 for r in results if r.diagnostics)
    warnings = sum(1 for d in diags if d.severity == "warning")
    kinds = [_plural(n - warnings, "error")] if n - warnings else []
    if warnings:
        kinds.append(_plural(warnings, "warning"))
    parts = [f"Found {' and '.join(kinds) or '0 findings'} in {_plural(files, 'file')}" if n else "Found no findings"]
    unfixed = sum(1 for r in results if r.error and r.diagnostics)  # checked, but the fixes failed
    if errors - unfixed:
        parts.append(f"{_plural(errors - unfixed, 'file')} could not be checked")
    if unfixed:
        parts.append(f"{_plural(unfixed, 'file')} could not be fixed")
    out.write("; ".join(parts) + ".\n")
    if args.fix or args.diff:
        return
    if not args.planned:
        _unplanned_fixes(diags, out)
        return
    from rea_lint.fix_limits import LIMITS

    safe = sum(1 for d in diags if d.fix == Fix.SAFE.value)
    unsafe = sum(1 for d in diags if d.fix == Fix.UNSAFE.value)
    if safe:
        out.write(f"{safe} fixable with `rea check --fix` (`--diff` previews).\n")
    if unsafe:
        out.write(
            f"{unsafe} more fixable only with `rea check --fix --unsafe-fixes`: "
            "those fixes change what in-flight invocations replay (`rea rule <code>` explains).\n"
        )
    stuck = Counter(d.code for d in diags if d.fix == Fix.NONE.value and RULES[d.code].fix is not Fix.NONE)
    for code, k in sorted(stuck.items()):
        out.write(f"{_plural(k, code + ' finding')} cannot be fixed automatically here: {LIMITS.get(code, 'no correct rewrite exists at that spot')}.\n")


def _unplanned_fixes(diags: Sequence, out) -> None:
    """Without planning each fix (libcst), what is known exactly: how many findings are of a
    rule with an autofix. Whether the rewrite is correct at each spot is `--diff`'s answer."""
    counts = Counter(d.code for d in diags if RULES[d.code].fix is not Fix.NONE)
    if not counts:
        return
    detail = ", ".join(f"{code} x{n}" for code, n in sorted(counts.items()))
    out.write(
        f"{_plural(sum(counts.values()), 'finding')} of rules with an autofix ({detail}): `rea check --diff` previews "
        "the rewrites `--fix` makes where one is correct; `--show-fixes` counts them.\n"
    )
    unsafe = [code for code in sorted(counts) if RULES[code].fix is Fix.UNSAFE]
    if unsafe:
        has = "has an unsafe fix" if len(unsafe) == 1 else "have unsafe fixes"
        out.write(
            f"{', '.join(unsafe)} {has}, applied only with `--unsafe-fixes`: it changes what in-flight "
            f"invocations replay (`rea rule {unsafe[0]}` explains).\n"
        )


def _fix_summary(results: Sequence, args: argparse.Namespace, out, would: bool) -> None:
    from rea_lint.fix_limits import LIMITS

    fixed: Counter[str] = Counter()
    for r in results:
        fixed.update(r.fixed)
    total = sum(fixed.values())
    verb = "Would fix" if would else "Fixed"
    if total:
        detail = ", ".join(f"{code} x{n}" for code, n in sorted(fixed.items()))
        files = sum(1 for r in results if r.fixed)
        out.write(f"{verb} {_plural(total, 'finding')} ({detail}) in {_plural(files, 'file')}.\n")
        for code in sorted(fixed):
            rule = RULES[code]
            if rule.fix is Fix.UNSAFE:
                out.write(f"  {code} is an unsafe fix, applied because of --unsafe-fixes: {rule.fix_note}.\n")
    elif not args.quiet:
        out.write(f"{'Nothing to fix' if not would else 'No fixes to make'}.\n")
    blocked: Counter[str] = Counter()
    """Fixes that were asked for, in a file whose error stopped them (libcst cannot parse it, it cannot be written)."""
    left: Counter[str] = Counter()
    for r in results:
        for d in r.diagnostics:
            kind = RULES[d.code].fix
            if kind is Fix.NONE:
                continue
            if r.error and (kind is Fix.SAFE or args.unsafe_fixes):
                blocked[d.code] += 1
            else:
                left[d.code] += 1
    for code, n in sorted(blocked.items()):
        out.write(f"  {n} x {code} not fixed: the file's error above stopped its fixes.\n")
    for code, n in sorted(left.items()):
        if RULES[code].fix is Fix.UNSAFE and not args.unsafe_fixes:
            out.write(
                f"  {n} x {code} not fixed: its fix is unsafe ({RULES[code].fix_note}); "
                "re-run with --unsafe-fixes to apply it (where a rewrite is correct).\n"
            )
        else:
            out.write(f"  {n} x {code} left that --fix cannot fix: {LIMITS.get(code, 'no correct rewrite exists at that spot')}.\n")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
