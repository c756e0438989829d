"""The `rea` command: `rea check [PATHS]`, `rea rule CODE`, `rea rules`.

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
from typing import Callable, Sequence

from rea_lint import __version__
from rea_lint.catalog import RULES, Fix, by_code
from rea_lint.config import ConfigError, ReaConfig, load_config

__all__ = ["main"]

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class _UsageError(Exception):
    """A one-line usage problem: exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _codes(value: str) -> list[str]:
    items = [v.strip().upper() for v in value.split(",") if v.strip()]
    for item in items:
        if not item.startswith("REA") or not any(code.startswith(item) for code in RULES):
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


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="rea", description="Keep Restate handlers replay-safe: lint, fix, explain.")
    parser.add_argument("--version", action="version", version=f"rea {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="{check,rule,rules}", parser_class=_Parser)
    sub.required = True

    check = sub.add_parser("check", help="lint files and directories (default: .)")
    check.add_argument("paths", nargs="*", default=["."], help="files or directories (directories are walked for *.py)")
    check.add_argument("--select", type=_codes, action="extend", metavar="CODES", help="only these rules (comma-separated codes or prefixes; replaces [tool.rea] select)")
    check.add_argument("--extend-select", type=_codes, action="extend", metavar="CODES", help="these rules in addition")
    check.add_argument("--ignore", type=_codes, action="extend", metavar="CODES", help="not these rules (added to [tool.rea] ignore)")
    check.add_argument("--fix", action="store_true", help="apply safe fixes in place")
    check.add_argument("--unsafe-fixes", action="store_true", help="with --fix: also apply fixes that change the journal of in-flight invocations")
    check.add_argument("--diff", action="store_true", help="show the fixes as a diff; write nothing (implies --fix)")
    check.add_argument("--format", choices=("text", "json", "sarif", "github"), default="text", help="output format (default: text)")
    check.add_argument("-o", "--output-file", metavar="FILE", help="write the report here instead of stdout")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    check.add_argument("-j", "--jobs", type=_jobs, default=None, metavar="N", help="processes to check files with (default: the number of CPUs)")
    check.add_argument("--statistics", action="store_true", help="print how many findings each rule has")
    check.add_argument("--config", metavar="PYPROJECT", help="use this pyproject.toml's [tool.rea] for every file")
    check.add_argument("--no-cache", action="store_true", help="analyse every file, even if unchanged since the last run")
    check.add_argument("--cache-dir", default=os.environ.get("REA_CACHE_DIR", ".rea_cache"), help="where results are cached (default: .rea_cache)")
    check.add_argument("--no-respect-gitignore", dest="gitignore", action="store_false", help="walk files .gitignore excludes too")

    rule = sub.add_parser("rule", help="explain a rule (its documentation page)")
    rule.add_argument("code", help="a rule code (REA101) or name (time-in-handler)")

    sub.add_parser("rules", help="list every rule")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # --help, --version, usage errors: return, so main() is callable in-process
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    try:
        if args.command == "rule":
            return _rule(args.code)
        if args.command == "rules":
            return _rules()
        return _check(args)
    except (ConfigError, _UsageError) as err:
        print(f"rea: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


# --- rule / rules ----------------------------------------------------------------------------------


def _rule(code: str) -> int:
    from rea_lint.catalog import by_name
    from rea_lint.docs import render

    try:
        rule = by_code(code)
    except KeyError:
        try:
            rule = by_name(code)
        except KeyError:
            raise _UsageError(f"unknown rule {code!r}; `rea rules` lists them") from None
    sys.stdout.write(render(rule))
    return EXIT_CLEAN


def _rules() -> int:
    for rule in RULES.values():
        flags = [rule.severity.value]
        if not rule.enabled_by_default:
            flags.append("off by default")
        if rule.fix is not Fix.NONE:
            flags.append(f"{rule.fix.value} fix")
        print(f"{rule.code}  {rule.name:<34} {rule.summary}  [{', '.join(flags)}]")
    return EXIT_CLEAN


# --- check ---------------------------------------------------------------------------------------


def _configs(args: argparse.Namespace) -> Callable[[Path], ReaConfig]:
    """path -> its configuration with the command-line overrides applied (memoised)."""
    explicit = args.config
    if explicit is not None and not Path(explicit).is_file():
        raise _UsageError(f"--config {explicit}: no such file")
    overridden: dict[int, ReaConfig] = {}

    def config_for(path: Path) -> ReaConfig:
        base = load_config(path, explicit=explicit)
        cfg = overridden.get(id(base))
        if cfg is None:
            changes: dict[str, object] = {}
            if args.select:
                changes["select"] = tuple(args.select)
                changes["extend_select"] = ()
            if args.extend_select:
                changes["extend_select"] = (*changes.get("extend_select", base.extend_select), *args.extend_select)  # type: ignore[misc]
            if args.ignore:
                changes["ignore"] = (*base.ignore, *args.ignore)
            cfg = overridden[id(base)] = dataclasses.replace(base, **changes) if changes else base
        return cfg

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


def _check(args: argparse.Namespace) -> int:
    from rea_lint import reporters
    from rea_lint.discovery import discover
    from rea_lint.runner import Options, check_files, link_project

    if args.unsafe_fixes and not (args.fix or args.diff):
        raise _UsageError("--unsafe-fixes needs --fix (or --diff)")
    _forget_configs()
    config_for = _configs(args)
    for raw in args.paths:  # a broken config is reported before anything runs
        if Path(raw).exists():
            config_for(Path(raw))
    files, problems = discover(args.paths, _excluder(config_for), respect_gitignore=args.gitignore)
    if problems:
        raise _UsageError(problems[0])
    items = [(f, config_for(f)) for f in files]
    fix = args.fix or args.diff
    options = Options(
        fix=fix,
        unsafe_fixes=args.unsafe_fixes,
        diff=args.diff,
        edits=args.format in ("json", "sarif") and not fix,
        cache_dir=None if args.no_cache else args.cache_dir,
    )
    jobs = args.jobs if args.jobs is not None else (os.cpu_count() or 1)
    results = check_files(items, options, jobs)
    link_project(results, [c for _, c in items])

    report = ""
    if args.diff:
        report = "".join(r.diff for r in results)
        _fix_summary(results, args, sys.stderr, would=True)
    else:
        report = reporters.render(args.format, results)
    if args.output_file:
        Path(args.output_file).write_text(report, encoding="utf-8")
    else:
        sys.stdout.write(report)
    info = sys.stdout if args.format == "text" and not args.diff and not args.output_file else sys.stderr
    if args.statistics:
        info.write(reporters.statistics(results))
    if not args.diff:
        if fix:
            _fix_summary(results, args, info, would=False)
        _summary(results, args, info)

    dirty = any(r.diagnostics or r.error for r in results) or (args.diff and any(r.diff for r in results))
    return EXIT_FINDINGS if dirty and not args.exit_zero else EXIT_CLEAN


def _summary(results: Sequence, args: argparse.Namespace, out) -> None:
    n = sum(len(r.diagnostics) for r in results)
    errors = sum(1 for r in results if r.error)
    if not n and not errors:
        if args.format == "text":
            out.write(f"All checked files are replay-safe ({len(results)} files).\n")
        return
    files = sum(1 for r in results if r.diagnostics)
    parts = [f"Found {n} finding{'s' * (n != 1)} in {files} file{'s' * (files != 1)}"]
    if errors:
        parts.append(f"{errors} file{'s' * (errors != 1)} could not be checked")
    out.write("; ".join(parts) + ".\n")
    if args.fix or args.diff:
        return
    safe = sum(1 for r in results for d in r.diagnostics if RULES[d.code].fix is Fix.SAFE)
    unsafe = sum(1 for r in results for d in r.diagnostics if RULES[d.code].fix is Fix.UNSAFE)
    if safe:
        out.write(f"{safe} of them may be fixable with `rea check --fix` (`--diff` previews).\n")
    if unsafe:
        out.write(
            f"{unsafe} of them may be fixable only with `rea check --fix --unsafe-fixes`: "
            "those fixes change what in-flight invocations replay (`rea rule <code>` explains).\n"
        )


def _fix_summary(results: Sequence, args: argparse.Namespace, out, would: bool) -> None:
    fixed: Counter[str] = Counter()
    for r in results:
        fixed.update(r.fixed)
    total = sum(fixed.values())
    if total:
        verb = "Would fix" if would else "Fixed"
        detail = ", ".join(f"{code} x{n}" for code, n in sorted(fixed.items()))
        out.write(f"{verb} {total} finding{'s' * (total != 1)} ({detail}).\n")
        for code in sorted(fixed):
            rule = RULES[code]
            if rule.fix is Fix.UNSAFE:
                out.write(f"  {code} is an unsafe fix, applied because of --unsafe-fixes: {rule.fix_note}.\n")
    if not args.unsafe_fixes:
        pending = Counter(d.code for r in results for d in r.diagnostics if RULES[d.code].fix is Fix.UNSAFE)
        for code, n in sorted(pending.items()):
            out.write(
                f"  {n} x {code} not fixed: its fix is unsafe ({RULES[code].fix_note}); "
                "re-run with --unsafe-fixes to apply it.\n"
            )


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
