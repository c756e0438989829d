"""Drive the linter with real and generated code and count every crash (docs/reliability.md).

    python -m benchmarks.robustness corpus                 # the stdlib and site-packages
    python -m benchmarks.robustness corpus --limit 500     # a quick look
    python -m benchmarks.robustness corpus --every 4       # every 4th file: the whole breadth, a quarter of the time
    python -m benchmarks.robustness corpus --as-handlers --every 40   # every function a handler
    python -m benchmarks.robustness generated -n 2000      # Restate-shaped generated handlers

`corpus`: every `*.py` of the interpreter's stdlib and of the environment's site-packages is
read as `rea check` reads it and linted as if it were Restate code (an `import restate` line
is prepended, so the model is built and every rule runs on it; with `--as-handlers` every
function is also decorated as a handler, so its code is judged as handler code); where a fix applies, the
unsafe fixes are applied too, and the result must parse, and fixing it again must change
nothing. `generated`: handlers assembled by hypothesis from Restate-shaped pieces (clock and
random reads, run actions, state, calls, nested defs, lambdas) go through the same steps.
Any exception is a failure, printed with the file or program; the exit code is the number
of failures (capped at 100).
"""

from __future__ import annotations

import argparse
import ast
import sys
import sysconfig
import time
import traceback
import warnings
from pathlib import Path
from typing import Iterator

from rea_lint.config import DEFAULT
from rea_lint.engine import check_tree

HEADER = "import restate\n"


def as_handlers(source: str) -> str:
    """The module with every function made a Restate handler (`@svc.handler()`), so the rules
    judge all of its code as handler code (its first parameter counts as the context)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tree = ast.parse(source)
    deco = ast.parse("svc.handler()", mode="eval").body
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            node.decorator_list.insert(0, deco)
    return HEADER + 'svc = restate.Service("svc")\n' + ast.unparse(tree) + "\n"


def lint_and_fix(source: str, name: str) -> tuple[int, int]:
    """(findings, fixes applied) for one module; raises on any rea failure."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tree = ast.parse(source, name)
    findings = check_tree(tree)
    if not findings:
        return 0, 0
    from rea_lint.autofix import fix_source

    try:
        fixed, applied = fix_source(source, findings, DEFAULT, True, tree)
    except Exception as err:  # libcst cannot parse everything ast can: rea reports it, no crash
        if type(err).__module__.startswith("libcst"):
            return len(findings), 0
        raise
    if not applied:
        return len(findings), 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        new_tree = ast.parse(fixed, name)  # a fix must never break the module
    again, more = fix_source(fixed, check_tree(new_tree), DEFAULT, True, new_tree)
    if more and again != fixed:
        # a fix can expose another one (the CLI loops up to 4 times): it must converge
        for _ in range(3):
            tree2 = ast.parse(again, name)
            again2, more = fix_source(again, check_tree(tree2), DEFAULT, True, tree2)
            if not more or again2 == again:
                break
            again = again2
        else:
            raise AssertionError("fixes did not reach a fixed point in 4 passes")
    return len(findings), len(applied)


def corpus_files() -> Iterator[Path]:
    seen: set[Path] = set()
    for key in ("stdlib", "purelib", "platlib"):
        root = Path(sysconfig.get_paths()[key])
        if root in seen:
            continue
        seen.add(root)
        yield from sorted(p for p in root.rglob("*.py") if p.is_file())


def run_corpus(limit: int | None, every: int = 1, handlers: bool = False) -> int:
    from rea_lint.runner import decode

    files = parsed = findings = fixes = 0
    failures: list[str] = []
    start = time.perf_counter()
    for i, path in enumerate(corpus_files()):
        if i % every:
            continue
        if limit is not None and files >= limit:
            break
        files += 1
        try:
            source = HEADER + decode(path.read_bytes())
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ast.parse(source)
            if handlers:
                source = as_handlers(source)
        except (SyntaxError, ValueError, UnicodeDecodeError, LookupError, RecursionError, MemoryError, OSError):
            continue  # rea reports these as one line; not what is being tested here
        parsed += 1
        try:
            n, k = lint_and_fix(source, str(path))
        except Exception:
            failures.append(f"{path}\n{traceback.format_exc()}")
            continue
        findings += n
        fixes += k
    seconds = time.perf_counter() - start
    mode = "with every function a handler" if handlers else "as Restate code"
    print(f"corpus: {files} files, {parsed} parsed and linted {mode}, {findings} findings, "
          f"{fixes} fixes applied (each re-parsed and re-fixed), {len(failures)} failures, {seconds:.0f} s")
    for f in failures[:20]:
        print(f)
    return min(len(failures), 100)


def run_generated(n: int, seed: int) -> int:
    from hypothesis import HealthCheck, given, seed as hseed, settings

    from tests.strategies import restate_modules  # the same generator the test suite uses

    stats = {"programs": 0, "findings": 0, "fixes": 0}
    failures: list[str] = []

    @hseed(seed)
    @settings(max_examples=n, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(restate_modules())
    def check(source: str) -> None:
        stats["programs"] += 1
        try:
            f, k = lint_and_fix(source, "<generated>")
        except Exception:
            failures.append(f"{source}\n{traceback.format_exc()}")
            return
        stats["findings"] += f
        stats["fixes"] += k

    start = time.perf_counter()
    check()
    seconds = time.perf_counter() - start
    print(f"generated: {stats['programs']} programs, {stats['findings']} findings, {stats['fixes']} fixes applied, "
          f"{len(failures)} failures, {seconds:.0f} s")
    for f in failures[:5]:
        print(f)
    return min(len(failures), 100)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.robustness", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="what", required=True)
    c = sub.add_parser("corpus", help="the stdlib and site-packages, linted and fixed as Restate code")
    c.add_argument("--limit", type=int, help="stop after this many files")
    c.add_argument("--every", type=int, default=1, help="take every k-th file (default: all)")
    c.add_argument("--as-handlers", action="store_true", help="make every function a handler, so every rule and fix has work")
    g = sub.add_parser("generated", help="hypothesis-generated Restate handlers")
    g.add_argument("-n", type=int, default=2000, help="programs (default 2000)")
    g.add_argument("--seed", type=int, default=17)
    args = p.parse_args(argv)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    if args.what == "corpus":
        return run_corpus(args.limit, args.every, args.as_handlers)
    return run_generated(args.n, args.seed)


if __name__ == "__main__":
    sys.exit(main())
