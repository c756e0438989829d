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
    # an import the module rebinds later (`ImportMap._shadow`), and one it does not
    "import restate\nimport shop.svc as svc\nsvc = restate.Service('s')\n",
    "import restate\nfrom time import sleep\nif True:\n    sleep = None\n",
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


SHADOWED = [
    # (source, the name, its qualified name after the module's top level ran: None, the module's own)
    ("import shop.svc as svc\nsvc = restate.Service('s')\n", "svc", None),
    ("from shop.keys import CHARGE\nCHARGE = 'charge'\n", "CHARGE", None),
    ("from shop.keys import CHARGE\nCHARGE: str = 'charge'\n", "CHARGE", None),
    ("from shop.keys import CHARGE, TOTAL\nCHARGE, TOTAL = 'a', 'b'\n", "TOTAL", None),
    ("from time import sleep\ndef sleep(seconds):\n    pass\n", "sleep", None),
    ("from time import sleep\nasync def sleep(seconds):\n    pass\n", "sleep", None),
    ("from shop import Cart\nclass Cart:\n    pass\n", "Cart", None),
    ("import shop\nshop = 1\n", "shop", None),
    ("from time import sleep\nsleep = wrap(sleep)\n", "sleep", None),
    # the import is the binding in force
    ("def sleep(seconds):\n    pass\nfrom time import sleep\n", "sleep", "time.sleep"),
    ("from time import sleep\nx: int\nsleep: object\n", "sleep", "time.sleep"),
    ("from time import sleep\nif slow:\n    sleep = None\n", "sleep", "time.sleep"),
    ("try:\n    from ujson import loads\nexcept ImportError:\n    loads = None\n", "loads", "ujson.loads"),
    ("from time import sleep\nsleep = None\ntry:\n    from time import sleep\nexcept ImportError:\n    pass\n", "sleep", "time.sleep"),
    ("import time\nsleep = time.sleep\n", "sleep", "time.sleep"),
    ("from time import sleep\nsleep = sleep\n", "sleep", "time.sleep"),
    ("from shop import clock\nfrom time import time as clock\n", "clock", "time.time"),
    ("from time import sleep\nsleep += 1\n", "sleep", None),
    ("from shop.keys import CHARGE, TOTAL\n[CHARGE, *TOTAL] = 'a', 'b'\n", "TOTAL", None),
    # what the name holds is changed, not the name (restatedev/examples' `stripe.api_key = ...`)
    ("import stripe\nstripe.api_key = 'k'\nstripe.calls += 1\n", "stripe", "stripe"),
    ("import litellm\nlitellm.callbacks[0] = None\n", "litellm", "litellm"),
    ("import time\nnow = time.time\nnow = 3\n", "now", None),
]


@pytest.mark.parametrize("source, name, qualified", SHADOWED)
def test_a_later_binding_at_the_top_level_shadows_the_import(source: str, name: str, qualified: str | None) -> None:
    """docs-restate 4137afd978: `import src.develop.my_service as my_service` then
    `my_service = Service("MyService")`; the handlers run after the module did, so they see the
    Service, not the module; followed to the module, rea diff compared a handler that is no
    call target and said `breaking`."""
    tree = ast.parse(source)
    for imports in (ImportMap.from_tree(tree), ImportMap.from_tree(tree, "", source)):
        assert imports.names.get(name) == qualified, source


OWN_TIME = '''\
import restate
from time import time
{binding}

svc = restate.Service("s")


@svc.handler()
async def h(ctx: restate.Context, arg: str) -> float:
    return time()
'''


@pytest.mark.parametrize("binding, codes", [
    ("", ["REA101"]),
    ("def time():\n    return 0.0\n", []),  # the module's own: it reads no clock
    ("if False:\n    def time():\n        return 0.0\n", ["REA101"]),  # may not run: the import counts
])
def test_rea_check_calls_a_name_what_the_module_binds_it_to_last(binding: str, codes: list[str]) -> None:
    from rea_lint.config import DEFAULT
    from rea_lint.runner import Options, check_source

    result, _ = check_source("svc.py", OWN_TIME.format(binding=binding).encode(), DEFAULT, Options(cache_dir=None))
    assert [d.code for d in result.diagnostics] == codes
