"""`ImportMap.from_tree` given the source text answers as the walk of every statement does."""

from __future__ import annotations

import ast

import pytest

from rea_lint.names import ImportMap
from rea_lint.prefilter import joined

SOURCES = [
    "import restate\nfrom datetime import datetime as dt\nnow = dt.now\n",
    # nested imports: in a function, a class, under `if TYPE_CHECKING:`, after a colon
    "import restate\n\ndef f():\n    import random\n    return random.random()\n",
    "import restate\nclass C:\n    from time import time\n",
    "import restate\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from restate import Context\n",
    "import restate\nif True: import uuid as u\n",
    "import restate\ntry:\n    import ujson as json\nexcept ImportError:\n    import json\n",
    # `import` spelled where no statement is: the walk is still right
    '"""Handlers that import orders."""\nimport restate\nimportant = 1\n',
    "from importlib import import_module\nimport restate\n",
]


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("as_lines", [False, True])
def test_the_text_changes_nothing(source: str, as_lines: bool) -> None:
    tree = ast.parse(source)
    text = joined(source.splitlines(True)) if as_lines else source
    walked, counted = ImportMap.from_tree(tree, "pkg"), ImportMap.from_tree(tree, "pkg", text)
    assert (counted.names, counted.modules) == (walked.names, walked.modules)


def test_a_nested_import_is_found_with_the_text() -> None:
    source = "import restate\n\nasync def handler(ctx):\n    from time import time as now\n    return now()\n"
    imports = ImportMap.from_tree(ast.parse(source), "", source)
    assert imports.names["now"] == "time.time"
    assert "time" in imports.modules
