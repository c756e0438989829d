"""The rule pages `docs/rules/REAnnn.md`, generated from the catalog and each rule's examples.

The catalog says what a rule catches, why it breaks replay, what to write instead and how
its fix behaves; the rule's `Checker` contributes its `invalid` / `valid` snippets, which
the test suite also runs, so every example on a page is known to behave as shown. A test
compares the files on disk with this generator: a rule without a page, or a page that
drifted from the catalog, fails CI. `rea rule REA101` prints the same text.

    python -m rea_lint.docs            # rewrite docs/rules/
    python -m rea_lint.docs --check    # exit 1 if a page is missing or stale
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rea_lint.catalog import RULES, Fix, Rule, Severity

__all__ = ["render", "render_index", "expected_pages", "write_pages", "stale_pages"]

# Config keys that change what a rule reports, beyond select/ignore/severity.
_CALL_RULES = ("REA101", "REA102", "REA103", "REA105", "REA106", "REA108", "REA109", "REA110")
_TRANSITIVE = ("REA101", "REA102", "REA103", "REA105", "REA108", "REA109", "REA110")
_OPTIONS: dict[str, list[str]] = {}
for _code in _CALL_RULES:
    _OPTIONS.setdefault(_code, []).append(
        f'`extra-calls = {{ {_code} = ["myapp.module.function"] }}`: more callables this rule forbids.'
    )
for _code in _TRANSITIVE:
    _OPTIONS.setdefault(_code, []).append(
        "`allow = [\"myapp.clock.*\"]`: functions transitive analysis trusts (calls into them are not followed)."
    )
_OPTIONS.setdefault("REA206", []).append(
    "`min-sleep-seconds = 1.0` (default 0): literal sleeps shorter than this are not reported, nor, for REA207, a "
    "`restate.select` such a sleep bounds; a literal sleep of zero or less never is."
)
_OPTIONS.setdefault("REA207", []).append(
    "`min-sleep-seconds` (REA206's): a `restate.select` that a literal `ctx.sleep` shorter than it (or of zero, a poll) "
    "bounds is not reported: the first to finish wins, so the lock is held no longer than that sleep."
)

_FIX_TEXT = {
    Fix.NONE: "No autofix: the right rewrite depends on what the code means.",
    Fix.SAFE: "Autofix: **safe** (`rea check --fix`).",
    Fix.UNSAFE: "Autofix: **unsafe** for in-flight invocations; applied only with `rea check --fix --unsafe-fixes`.",
}

# What each fixable rule rewrites, when a rewrite is correct (see rea_lint/autofix.py).
_FIX_DETAIL = {
    "REA101": (
        "`time.time()` becomes `await ctx.time()`, and `datetime.datetime.now(tz)` / `utcnow()` / "
        "`today()` / `datetime.date.today()` become `....fromtimestamp(await ctx.time(), ...)`, "
        "only inside an `async def` (never in a lambda or generator expression). Other clocks "
        "(`monotonic`, `perf_counter`, `time_ns`) are left for you."
    ),
    "REA102": "`random.<fn>(...)` becomes `ctx.random().<fn>(...)`, with the enclosing handler's context name.",
    "REA103": "`uuid.uuid4()` / `uuid.uuid1()` (no arguments) become `ctx.uuid()`.",
    "REA104": (
        "The set is wrapped in `sorted(...)` (the iterable of a loop, the set a journaled value is "
        "built from), only where its elements are known to be of one orderable type: literals of "
        "one type, `str(...)` or f-string elements, a parameter annotated `set[str]`, `list[int]` .... "
        "Elsewhere (`{1, \"a\"}` would make `sorted` raise TypeError) the finding has no fix."
    ),
    "REA203": "The annotation is rewritten to the context type the decorator implies.",
    "REA204": (
        "`await` is added in front of the statement, or of the call a never-used local is bound to "
        "(`f = ctx.get(\"k\")` becomes `f = await ctx.get(\"k\")`), inside an `async def` only; "
        "not for an awakeable's unpacked pair or a promise handle."
    ),
    "REA209": (
        "Each loop variable the callable reads late is bound as a default argument: "
        "`lambda: undo(sub)` becomes `lambda sub=sub: undo(sub)`, `def undo():` becomes "
        "`def undo(sub=sub):` (keyword-only after `*args`)."
    ),
    "REA301": "The `idempotency_key=` argument is removed.",
}


def _examples(code: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    from rea_lint.rules import all_checkers

    checker = all_checkers().get(code)
    if checker is None:
        return (), ()
    return tuple(checker.invalid), tuple(checker.valid)


def _block(snippet: str) -> str:
    return f"```python\n{snippet.rstrip()}\n```"


def render(rule: Rule) -> str:
    """The markdown page of one rule."""
    invalid, valid = _examples(rule.code)
    status = "on" if rule.enabled_by_default else "off (opt in with `select`)"
    sev = "warning" if rule.severity is Severity.WARNING else "error"
    out = [
        f"# {rule.code} {rule.name}",
        "",
        f"Severity: {sev} · enabled by default: {status} · autofix: {rule.fix.value}",
        "",
        "## What it does",
        "",
        rule.summary,
        "",
        "The diagnostic reads:",
        "",
        f"> {rule.render(subject='<expression>')}",
        "",
        "## Why it is bad under replay",
        "",
        rule.why,
        "",
        "## Example",
        "",
    ]
    if invalid:
        out += ["\n\n".join(_block(s) for s in invalid), ""]
    else:
        out += ["_No example yet: this rule's checker is not implemented in this version._", ""]
    out += ["## Use instead", "", f"{rule.fix_hint[:1].upper()}{rule.fix_hint[1:]}.", ""]
    if valid:
        out += ["Code like this is not reported:", "", "\n\n".join(_block(s) for s in valid), ""]
    out += [
        "## Options",
        "",
        "- `select` / `ignore` / `extend-select` in `[tool.rea]` (or `--select` / `--ignore`) turn it on or off.",
        f'- `severity = {{ {rule.code} = "warning" }}` changes its severity.',
        f"- `# noqa: {rule.code}` silences one line.",
    ]
    out += [f"- {opt}" for opt in _OPTIONS.get(rule.code, [])]
    out += ["", "## Fix", "", _FIX_TEXT[rule.fix]]
    if rule.code in _FIX_DETAIL and rule.fix is not Fix.NONE:
        out += ["", _FIX_DETAIL[rule.code]]
    if rule.fix_note:
        out += ["", f"Why it is {rule.fix.value}: {rule.fix_note}."]
    return "\n".join(out).rstrip() + "\n"


def render_index() -> str:
    lines = [
        "# rea rules",
        "",
        "Generated from `rea_lint/catalog.py` by `python -m rea_lint.docs`; do not edit by hand.",
        "",
        "| code | name | severity | default | autofix |",
        "|---|---|---|---|---|",
    ]
    for rule in RULES.values():
        lines.append(
            f"| [{rule.code}]({rule.code}.md) | {rule.name} | {rule.severity.value} | "
            f"{'on' if rule.enabled_by_default else 'off'} | {rule.fix.value} |"
        )
    return "\n".join(lines) + "\n"


def expected_pages() -> dict[str, str]:
    """File name under docs/rules/ -> its content."""
    pages = {f"{rule.code}.md": render(rule) for rule in RULES.values()}
    pages["README.md"] = render_index()
    return pages


def stale_pages(directory: Path) -> list[str]:
    """Pages missing, different from the generator, or left over for a rule that is gone."""
    expected = expected_pages()
    problems = []
    for name, text in expected.items():
        path = directory / name
        if not path.is_file():
            problems.append(f"{path}: missing")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"{path}: stale")
    if directory.is_dir():
        for path in sorted(directory.glob("*.md")):
            if path.name not in expected:
                problems.append(f"{path}: no such rule in the catalog")
    return problems


def write_pages(directory: Path) -> list[str]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in expected_pages().items():
        path = directory / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(str(path))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rea_lint.docs", description="Generate docs/rules/ from the catalog.")
    parser.add_argument("--check", action="store_true", help="exit 1 if a page is missing or stale; write nothing")
    parser.add_argument("--dir", default="docs/rules", help="the output directory (default: docs/rules)")
    args = parser.parse_args(argv)
    directory = Path(args.dir)
    if args.check:
        problems = stale_pages(directory)
        for p in problems:
            print(p)
        if problems:
            print("run `python -m rea_lint.docs` to regenerate")
        return 1 if problems else 0
    for path in write_pages(directory):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
