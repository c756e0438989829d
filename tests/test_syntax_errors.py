"""A valid module written for a newer Python than rea runs on is named as such, not as broken code."""

from __future__ import annotations

import ast
import sys

import pytest

from rea_lint.cli import main
from rea_lint.journal.shape import shapes_of_sources
from rea_lint.syntax import explain_syntax_error

NEWER = [
    # (source, the first Python that parses it, what the message calls it)
    ("class Box[T]:\n    pass\n", (3, 12), "a type parameter list"),
    ("def first[T](xs: list[T]) -> T:\n    return xs[0]\n", (3, 12), "a type parameter list"),
    ("async def first[T](xs: list[T]) -> T:\n    return xs[0]\n", (3, 12), "a type parameter list"),
    ("type Pair = tuple[int, int]\n", (3, 12), "a `type` statement"),
    ("type Pair[T] = tuple[T, T]\n", (3, 12), "a `type` statement"),
    ("try:\n    pass\nexcept* ValueError:\n    pass\n", (3, 11), "`except*`"),
    ("try:\n    pass\nexcept ValueError, TypeError:\n    pass\n", (3, 14), "unparenthesized exception types"),
    ("def f(name):\n    return t'hi {name}'\n", (3, 14), "a template string"),
]


def _error(source: str, err_line: int, text_line: str, offset: int, msg: str = "invalid syntax") -> SyntaxError:
    return SyntaxError(msg, ("m.py", err_line, offset, text_line))


@pytest.mark.parametrize("source, since, name", NEWER)
def test_each_newer_syntax_is_named_on_an_older_python(source, since, name):
    """The message a Python older than ``since`` gives, as that parser points at the line."""
    line_no, line = next((i, text) for i, text in reversed(list(enumerate(source.splitlines(keepends=True), 1)))
                         if text.lstrip().startswith(("class", "def", "async", "type", "except", "return t")))
    offset = line.index("'") + 1 if "t'" in line else len(line) - len(line.lstrip()) + 1
    older = (since[0], since[1] - 1)
    text = explain_syntax_error(_error(source, line_no, line, offset), older)
    assert text.startswith("invalid syntax (this is Python %d.%d syntax" % since) and name in text
    assert "rea parses with the Python it runs on, %d.%d" % older in text
    # on the Python that has the syntax, and on a later one, a syntax error there is just that
    assert explain_syntax_error(_error(source, line_no, line, offset), since) == "invalid syntax"


def test_broken_code_gets_no_hint():
    """Code no Python accepts: the parser's message alone (a hint would send the user astray)."""
    cases = [
        ("def f(:\n", 1, 7),
        ("class C(:\n", 1, 9),
        ("type = 3 +\n", 1, 11),  # `type` as a plain name, broken otherwise
        ("x = at'x'\n", 1, 7),  # `at` is a name, not a template prefix
        ("x = obj.t'x'\n", 1, 10),
    ]
    for source, line, offset in cases:
        assert explain_syntax_error(_error(source, line, source, offset), (3, 10)) == "invalid syntax", source
    # an f-string error before 3.12 may be a 3.12 f-string: said as a possibility
    maybe = explain_syntax_error(_error("", 1, 'x = f"{d["a"]}"\n', 11, "f-string: unmatched '['"), (3, 11))
    assert maybe.startswith("f-string: unmatched '[' (if the file is written for Python 3.12 or later")
    assert explain_syntax_error(_error("", 1, 'x = f"{d["a"]}"\n', 11, "f-string: unmatched '['"), (3, 12)) == (
        "f-string: unmatched '['")


def test_the_parsers_own_errors_are_recognised():
    """The errors this interpreter really raises for the newer syntax it lacks (none on a Python
    that has them all): the hint does not depend on the hand-made errors above."""
    running = sys.version_info[:2]
    checked = 0
    for source, since, name in NEWER:
        try:
            ast.parse(source)
        except SyntaxError as err:
            assert running < since, source
            text = explain_syntax_error(err)
            assert "this is Python %d.%d syntax" % since in text and name in text, (source, text)
            checked += 1
        else:
            assert running >= since, source
    assert checked == sum(1 for _, since, _ in NEWER if running < since)


def test_rea_check_and_rea_diff_say_it(tmp_path, capsys):
    (tmp_path / "generic.py").write_text("import restate\n\nclass Box[T]:\n    pass\n")
    code = main(["check", "--no-cache", str(tmp_path)])
    out = capsys.readouterr().out
    _, problems = shapes_of_sources({"generic.py": (tmp_path / "generic.py").read_text()})
    if sys.version_info >= (3, 12):
        assert code == 0 and "error" not in out and problems == []
    else:
        assert code == 1
        assert "generic.py:3:10: error: syntax error: invalid syntax (this is Python 3.12 syntax, a type parameter list" in out
        assert "check this file with rea installed on Python 3.12 or later" in out
        assert problems == []  # no handler is in the file: rea diff has nothing to read there


def test_rea_diff_names_newer_syntax_where_it_hides_a_handler():
    source = ("import restate\nsvc = restate.Service('s')\n\n@svc.handler()\nasync def h(ctx: restate.Context) -> None:\n"
              "    await ctx.sleep(1)\n\nclass Box[T]:\n    pass\n")
    shapes, problems = shapes_of_sources({"svc.py": source})
    if sys.version_info >= (3, 12):
        assert problems == [] and len(shapes) == 1
    else:
        assert len(problems) == 1 and problems[0].startswith("svc.py:8: cannot parse: invalid syntax (this is Python 3.12")
