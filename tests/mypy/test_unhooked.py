"""The calls the plugin hands mypy no hook for (`mypy_plugin.inert`), seen from mypy's side.

A hook costs mypy work at every call even when the checks find nothing, so the plugin hands
out none once a module's pass has run for a callee no rule can judge. What matters is that
the skipping is exact: every call a rule judges keeps its hook, and the cases' findings stay
as they are (`test_cases`)."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

import mypy_plugin.hooks as hooks
from tests.mypy.conftest import CASES
from tests.mypy.harness import expected, run_mypy

CASE = "classes_unhooked.py"


@pytest.fixture(scope="module")
def hooked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Counter[str], set[tuple[str, int, str]]]:
    """The callees mypy called a hook for in the case module (name -> calls), and its findings
    (a cache of its own: the session's would hold this module under two paths)."""
    where = tmp_path_factory.mktemp("unhooked")
    shutil.copy(CASES / CASE, where / CASE)
    seen: Counter[str] = Counter()
    guard = hooks.ReaPlugin._guard

    def recording(self, ctx, fullname, mctx):  # type: ignore[no-untyped-def]
        if Path(ctx.api.path).name == CASE:
            seen[fullname] += 1
        return guard(self, ctx, fullname, mctx)

    hooks.ReaPlugin._guard = recording  # type: ignore[method-assign]
    try:
        result = run_mypy(where, cache_dir=str(tmp_path_factory.mktemp("unhooked-cache")))
    finally:
        hooks.ReaPlugin._guard = guard  # type: ignore[method-assign]
    assert result.internal == [] and "error:" not in result.stdout.replace("error: REA", ""), result.stdout
    return seen, result.findings


def test_classes_no_rule_judges_get_no_hook(hooked: tuple[Counter[str], set[tuple[str, int, str]]]) -> None:
    seen, _ = hooked
    skipped = {
        "restate.exceptions.TerminalError",  # a Restate class no rule looks at
        "restate.context.RunOptions",
        "datetime.timedelta",  # a library class
        "_hashlib.HASH.hexdigest",  # a library class's method
        "classes_unhooked.Repo",  # the module's own class, and its method
        "classes_unhooked.Repo.save",
        "typing.Iterator.__next__",  # `for x in it`
    }
    assert sorted(skipped & set(seen)) == []


def test_classes_a_rule_judges_keep_their_hooks(hooked: tuple[Counter[str], set[tuple[str, int, str]]]) -> None:
    seen, findings = hooked
    kept = {
        "restate.service.Service",  # the module's first hook: its pass runs there
        "restate.service.Service.handler",  # a decorator: it judges the handler
        "restate.context.Context.sleep",  # a context's method
        "random.Random", "random.Random.randint",  # a rule's target and a method under its prefix
        "classes_unhooked.Worker", "classes_unhooked.Worker.start",  # a subclass of `threading.Thread`
        "builtins.open", "_io.TextIOWrapper.readline",  # a file and its method
    }
    assert sorted(kept - set(seen)) == []
    want = {f for f in expected(CASES) if f[0] == CASE}
    assert len(want) == 4 and findings == want


def test_answers_are_the_modules_own(tmp_path: Path) -> None:
    """The plugin keeps its answer per callee name until the next module's pass
    (`Checks.function_answers`): a name no rule judges in one module is a decorator's in the
    next, and keeps its hook there."""
    (tmp_path / "helpers.py").write_text(
        "from typing import Any, Callable\n\n"
        "def tag() -> Callable[[Any], Any]:\n    return lambda f: f\n"
    )
    (tmp_path / "plain_use.py").write_text(
        "from restate import Context, Service\n\nimport helpers\n\nsvc = Service('a')\n\n"
        "@svc.handler()\nasync def run(ctx: Context) -> None:\n    helpers.tag()\n"
    )
    (tmp_path / "as_decorator.py").write_text(
        "from restate import Context, Service\n\nimport helpers\n\nsvc = Service('b')\n\n"
        "@helpers.tag()\n@svc.handler()\nasync def run(ctx: Context) -> None:\n    helpers.tag()\n"
    )
    seen: Counter[tuple[str, str]] = Counter()
    guard = hooks.ReaPlugin._guard

    def recording(self, ctx, fullname, mctx):  # type: ignore[no-untyped-def]
        seen[(Path(ctx.api.path).stem, fullname)] += 1
        return guard(self, ctx, fullname, mctx)

    hooks.ReaPlugin._guard = recording  # type: ignore[method-assign]
    try:
        result = run_mypy(tmp_path, cache_dir=str(tmp_path / "cache"))
    finally:
        hooks.ReaPlugin._guard = guard  # type: ignore[method-assign]
    assert result.internal == [] and "error:" not in result.stdout, result.stdout
    assert seen[("plain_use", "helpers.tag")] == 0  # a plain function, called in a judged module
    assert seen[("as_decorator", "helpers.tag")] == 2  # the decorator's call and the plain one after it
    assert seen[("plain_use", "restate.service.Service.handler")] == 1
