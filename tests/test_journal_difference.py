"""Where two shapes of a handler first differ (`journal.difference`): what `rea diff` names when
the old code has too many ways through it to replay, and, as None, what proves a change safe
without replaying (`compare.same_shape`)."""

from __future__ import annotations

import pytest

from rea_lint.journal.difference import first_difference

from .test_journal_compare import RUN_A, RUN_B, module, shapes_of_source, verdict

STEPS = f"{RUN_A}\nawait ctx.sleep(timedelta(seconds=1))\nif req['x']:\n    {RUN_B}\nelse:\n    return 'no'"


def shape(body: str):
    return shapes_of_source(module(body), "app.py")[("svc", "h")].shape


# (id, new body, the difference as rea words it, its line in the new code)
CASES = [
    ("an operation's field", STEPS.replace('"b"', '"c"'), "`ctx.run('c', lambda: 1)` (name 'b' != 'c')", 35),
    ("an operation added", STEPS.replace(RUN_A, f"{RUN_A}\nawait ctx.run('x', lambda: 2)"), "the new code adds `ctx.run('x', lambda: 2)`", 33),
    ("an operation gone", STEPS.replace("await ctx.sleep(timedelta(seconds=1))\n", ""),
     "after app.py:32: the new code no longer has `ctx.sleep(timedelta(seconds=1))` (app.py:33)", None),
    ("another operation in its place", STEPS.replace("await ctx.sleep(timedelta(seconds=1))", "await ctx.get('k')"),
     "`ctx.get('k')` (command type sleep != get state)", 33),
    ("a condition computed otherwise", STEPS.replace("req['x']", "req['y']"),
     "`req['y']`, which decides this branch, is computed otherwise (it, or a value it reads)", 34),
    ("a return where the old code goes on", STEPS.replace("    return 'no'", f"    {RUN_A}"),
     "`ctx.run('a', lambda: 1)`, where the old code has `return`", 37),
]


@pytest.mark.parametrize("body,says,line", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_the_first_difference_is_named_where_the_new_code_has_it(body, says, line):
    found = first_difference(shape(STEPS), shape(body))
    assert found is not None and found.endswith(says), found
    if line is not None:
        assert found.startswith(f"app.py:{line}: "), found


def test_the_cases_cover_each_kind_of_difference():
    assert len(CASES) == 6


def test_lines_moved_are_no_difference():
    assert first_difference(shape(STEPS), shape("x = 1\n\n" + STEPS)) is None


def test_too_many_ways_through_the_old_code_names_where_the_new_code_differs():
    """More ways than `rea diff` replays: the verdict stays unknown, and says where to look."""
    branches = "\n".join(f'if req["k{i}"]:\n    await ctx.run("r{i}", lambda: {i})' for i in range(13))
    d = verdict(branches, branches.replace('"r12"', '"s12"'))
    assert d.verdict.value == "unknown", d.reason
    assert "differs (first at app.py:57: `ctx.run('s12', lambda: 12)` (name 'r12' != 's12')); rea does not compare" in d.reason, d.reason


def test_a_field_that_reads_the_same_but_is_computed_otherwise_says_so():
    """The same text on both sides (`v`, `key(req['a'])`), another computation behind it: the words
    say so, and name the code that changed, never `name v != v`."""
    def of(body: str, helpers: str = ""):
        return shapes_of_source(module(body, helpers), "app.py")[("svc", "h")].shape

    found = first_difference(of("v = req['a']\nawait ctx.run(v, lambda: 1)"), of("v = req['b']\nawait ctx.run(v, lambda: 1)"))
    assert found is not None and found.endswith("`ctx.run(v, lambda: 1)` (name v is computed otherwise (it, or a value it reads))"), found
    body = "await ctx.run(key(req['a']), lambda: 1)"
    found = first_difference(of(body, "def key(x):\n    return x\n"), of(body, "def key(x):\n    return x + '!'\n"))
    assert found is not None and "(name key(req['a']) is computed otherwise (it, or a value it reads: it reads code that changed, `key` (app.py:" in found, found
