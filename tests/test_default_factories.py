"""Transitive findings through a field's `default_factory`: `Order(item=x)` in handler code runs
the factory of every field it does not pass (the same-module case is `fixtures/transitive_default_factory.py`,
checked by flake8, `rea check` and the mypy plugin)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from rea_lint.cli import main

MODELS = """\
    import uuid
    from dataclasses import dataclass, field
    from datetime import datetime, timezone

    from pydantic import BaseModel, Field


    def stamp() -> str:
        return datetime.now(timezone.utc).isoformat()


    class Order(BaseModel):
        item: str
        id: str = Field(default_factory=lambda: str(uuid.uuid4()))
        created: str = Field(default_factory=stamp)
        tags: list[str] = Field(default_factory=list)


    @dataclass
    class Event:
        name: str
        at: datetime = field(default_factory=datetime.now)
    """

HEADER = """\
    import restate
    from shop.models import Event, Order
    from shop import models

    svc = restate.Service("svc")


    """


def _project(tmp_path: Path, handler: str, models: str = MODELS, pyproject: str = "[tool.rea]\n") -> Path:
    (tmp_path / "pyproject.toml").write_text(pyproject)
    files = {"shop/__init__.py": "", "shop/models.py": textwrap.dedent(models),
             "shop/svc.py": textwrap.dedent(HEADER) + textwrap.dedent(handler)}
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def _check(capsys: pytest.CaptureFixture[str], root: Path, *argv: str) -> list[tuple[int, str, str]]:
    """(line in shop/svc.py, code, the chain) of each finding; svc.py's header is 7 lines."""
    code = main(["check", "-j", "1", "--format", "json", *argv, str(root)])
    doc = json.loads(capsys.readouterr().out)
    assert code == (1 if doc["findings"] else 0)
    out = []
    for f in doc["findings"]:
        assert f["path"].endswith("shop/svc.py"), f
        out.append((f["line"] - 7, f["code"], f["message"].split(": ", 2)[1]))
    return sorted(out)


def test_a_constructor_in_another_module_runs_its_factories_in_the_handler(tmp_path, capsys):
    root = _project(tmp_path, """\
        @svc.handler()
        async def place(ctx: restate.Context, item: str) -> str:
            order = Order(item=item)
            event = models.Event(name="placed")
            return order.id + event.name
        """)
    assert _check(capsys, root, "--no-cache") == [
        (3, "REA101", "via Order() -> default_factory of Order.created -> stamp() -> datetime.now(...)"),
        (3, "REA103", "via Order() -> default_factory of Order.id -> uuid.uuid4()"),
        (4, "REA101", "via models.Event() -> default_factory of Event.at -> datetime.now()"),
    ]


def test_only_the_fields_a_call_leaves_out_count(tmp_path, capsys):
    root = _project(tmp_path, """\
        @svc.handler()
        async def place(ctx: restate.Context, item: str, data: dict) -> str:
            a = Order(item=item, id=str(ctx.uuid()))
            b = Order(item=item, id="x", created="y")
            c = Order(**data)
            d = Event("placed", None)
            e = await ctx.run_typed("order", lambda: Order(item=item).id)
            return a.id + b.id + c.id + d.name + e
        """)
    assert _check(capsys, root, "--no-cache") == [
        (3, "REA101", "via Order() -> default_factory of Order.created -> stamp() -> datetime.now(...)"),
    ]


def test_a_helper_that_constructs_twice_is_judged_per_call(tmp_path, capsys):
    # the link keeps a function's first call of each target; a constructor's calls differ by the fields passed
    root = _project(tmp_path, """\
        def build(item):
            first = Order(item=item, id="given", created="given")
            return Order(item=item, created="given")


        @svc.handler()
        async def place(ctx: restate.Context, item: str) -> str:
            return build(item).id
        """)
    assert _check(capsys, root, "--no-cache") == [
        (8, "REA103", "via build() -> Order() -> default_factory of Order.id -> uuid.uuid4()"),
    ]


def test_the_cache_keeps_classes_and_the_fields_passed(tmp_path, capsys):
    root = _project(tmp_path, """\
        @svc.handler()
        async def place(ctx: restate.Context, item: str) -> str:
            return Order(item=item, created="x").id
        """)
    cache = ["--cache-dir", str(tmp_path / ".cache")]
    cold = _check(capsys, root, *cache)
    assert cold == [(3, "REA103", "via Order() -> default_factory of Order.id -> uuid.uuid4()")]
    assert _check(capsys, root, *cache) == cold
    # the model changes, the handler does not: its cached summary is linked against the new one
    (root / "shop/models.py").write_text(textwrap.dedent(MODELS).replace(
        "id: str = Field(default_factory=lambda: str(uuid.uuid4()))", "id: str = 'fixed'"))
    assert _check(capsys, root, *cache) == []


@pytest.mark.parametrize(
    ("why", "order"),
    [
        ("an alias: the call may fill the field by its alias",
         "id: str = Field(default_factory=lambda: str(uuid.uuid4()), alias='orderId')"),
        ("a validator that may fill the field in before its factory runs",
         "id: str = Field(default_factory=lambda: str(uuid.uuid4()))\n\n"
         "    @model_validator(mode='before')\n    def fill(cls, data):\n        return data"),
        ("a custom __init__",
         "id: str = Field(default_factory=lambda: str(uuid.uuid4()))\n\n"
         "    def __init__(self, **data):\n        super().__init__(id='x', **data)"),
        ("a factory that takes the validated data and uses only it",
         "id: str = Field(default_factory=lambda data: data['item'].upper())"),
        ("a deterministic factory", "id: list = Field(default_factory=list)"),
    ],
    ids=["alias", "validator", "init", "data-factory", "deterministic"],
)
def test_silent_where_the_factory_may_not_run_or_does_nothing_forbidden(tmp_path, capsys, why, order):
    models = (
        "import uuid\nfrom pydantic import BaseModel, Field, model_validator\n\n\n"
        f"class Order(BaseModel):\n    item: str\n    {order}\n\n\nclass Event(BaseModel):\n    name: str\n"
    )
    root = _project(tmp_path, """\
        @svc.handler()
        async def place(ctx: restate.Context, item: str) -> str:
            return Order(item=item).id
        """, models=models)
    assert _check(capsys, root, "--no-cache") == [], why


def test_a_factory_that_is_a_function_of_the_module(tmp_path, capsys):
    models = "from datetime import datetime\nfrom pydantic import BaseModel, Field\n\n\ndef now():\n    return datetime.now()\n\n\n" \
        "class Order(BaseModel):\n    item: str\n    at: datetime = Field(default_factory=now)\n    tags: list = Field(default_factory=list)\n\n\n" \
        "class Event(BaseModel):\n    name: str\n"
    root = _project(tmp_path, """\
        @svc.handler()
        async def place(ctx: restate.Context, item: str) -> str:
            return Order(item=item).item
        """, models=models)
    assert _check(capsys, root, "--no-cache") == [
        (3, "REA101", "via Order() -> default_factory of Order.at -> now() -> datetime.now()"),
    ]


def test_a_base_in_another_module_or_a_field_declared_again(tmp_path, capsys):
    models = textwrap.dedent(MODELS) + textwrap.dedent("""\


        class Keyed(Order):
            id: str  # declared again without a factory: the caller must pass it


        class Lower(BaseModel):
            pass
        """)
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop/more.py").write_text(
        "from shop.models import Order\n\n\nclass Remote(Order):\n    note: str = ''\n")
    root = _project(tmp_path, """\
        from shop.more import Remote
        from shop.models import Keyed


        @svc.handler()
        async def place(ctx: restate.Context, item: str) -> str:
            a = Keyed(item=item, id="x")
            b = Remote(item=item)
            return a.id + b.id
        """, models=models)
    # Keyed: `created` still comes from its factory, `id` does not; Remote: its base is in another
    # module, which rea does not read for a constructor (silent rather than unsure)
    assert _check(capsys, root, "--no-cache") == [
        (7, "REA101", "via Keyed() -> default_factory of Keyed.created -> stamp() -> datetime.now(...)"),
    ]


def test_allow_and_extra_calls_apply_to_factories(tmp_path, capsys):
    models = textwrap.dedent(MODELS) + textwrap.dedent("""\


        import shortuuid


        class Ticket(BaseModel):
            code: str = Field(default_factory=shortuuid.uuid)
        """)
    handler = """\
        from shop.models import Ticket


        @svc.handler()
        async def place(ctx: restate.Context, item: str) -> str:
            return Order(item=item).id + Ticket().code
        """
    pyproject = '[tool.rea]\nallow = ["shop.models.Order*"]\nextra-calls = { REA103 = ["shortuuid.uuid"] }\n'
    root = _project(tmp_path, handler, models=models, pyproject=pyproject)
    assert _check(capsys, root, "--no-cache") == [
        (6, "REA103", "via Ticket() -> default_factory of Ticket.code -> shortuuid.uuid()"),
    ]
