"""`rea diff`: a result the old code journaled must still decode with the class the new code reads
it into (`rea_lint.journal.decoding`). A run's result or a state value decoded as a pydantic
model or a dataclass that gained a required field fails to decode on replay, and Restate retries
the invocation for good (proved on a real restate-server by tests/replay, pairs p89-p92). A state
value may have been written by other code, with more keys: there the same change is unknown."""

from __future__ import annotations

import textwrap

import pytest

from rea_lint.journal.compare import Verdict, diff_projects
from rea_lint.journal.shape import shapes_of_sources

HEAD = '''\
import dataclasses
import functools
from dataclasses import dataclass, field
from typing import ClassVar, Optional, Union

import restate
from pydantic import BaseModel, ConfigDict, Field, computed_field, field_serializer, field_validator, model_serializer, model_validator
from restate import RunOptions
from restate.serde import JsonSerde, PydanticJsonSerde

svc = restate.Service("svc")
obj = restate.VirtualObject("obj")

'''


def _module(classes: str, body: str, helpers: str = "") -> str:
    body = textwrap.indent(textwrap.dedent(body).strip("\n"), "    ")
    return (f"{HEAD}{textwrap.dedent(classes)}\n\n{textwrap.dedent(helpers)}\n\n"
            f"@obj.handler()\nasync def h(ctx: restate.ObjectContext, req: dict) -> str:\n{body}\n    return 'ok'\n")


def diff(old_classes: str, new_classes: str, body: str, helpers: str = "", new_body: str | None = None):
    old, _ = shapes_of_sources({"app.py": _module(old_classes, body, helpers)})
    new, _ = shapes_of_sources({"app.py": _module(new_classes, body if new_body is None else new_body, helpers)})
    found = diff_projects(old, new).handlers
    assert len(found) == 1
    return found[0]


MODEL = "class Quote(BaseModel):\n    price: int\n"
DATA = "@dataclass\nclass Quote:\n    price: int\n"
FETCH = "def fetch() -> Quote:\n    return Quote(price=1)\n"
LINES = "class Line(BaseModel):\n    sku: str\n{line}\n\nclass Quote(BaseModel):\n    price: int\n    lines: {annotation}\n"

RUN_TYPED = "q = await ctx.run_typed('fetch', fetch)"
GET = "q = await ctx.get('quote', type_hint=Quote)"

# (id, old classes, new classes, body, helpers, verdict, text the reason must hold)
CASES = [
    ("model gains a required field: run_typed", MODEL, MODEL + "    currency: str\n", RUN_TYPED, FETCH, "breaking", "`currency`"),
    ("model gains a required field: run", MODEL, MODEL + "    currency: str\n", "q = await ctx.run('fetch', fetch)", FETCH, "breaking", "`currency`"),
    ("model gains a required field: get", MODEL, MODEL + "    currency: str\n", GET, "", "unknown", "every later read"),
    ("state: PydanticJsonSerde", MODEL, MODEL + "    currency: str\n", "q = await ctx.get('quote', serde=PydanticJsonSerde(Quote))", "", "unknown",
     "rea cannot tell whether the stored values"),
    ("state: extra forbid and a field removed", "class Quote(BaseModel, extra='forbid'):\n    price: int\n    note: str = ''\n",
     "class Quote(BaseModel, extra='forbid'):\n    price: int\n", GET, "", "unknown", "holds `note`"),
    ("state: a defaulted field", MODEL, MODEL + "    currency: str = 'EUR'\n", GET, "", "compatible", ""),
    ("model gains an Optional field without a default", MODEL, MODEL + "    currency: Optional[str]\n", RUN_TYPED, FETCH, "breaking", "Optional annotation alone"),
    ("model gains `Field(...)`", MODEL, MODEL + "    currency: str = Field(..., description='x')\n", RUN_TYPED, FETCH, "breaking", "`currency`"),
    ("model gains `Field(description=...)`", MODEL, MODEL + "    currency: str = Field(description='x')\n", RUN_TYPED, FETCH, "breaking", "`currency`"),
    ("model gains two required fields", MODEL, MODEL + "    currency: str\n    vat: int\n", RUN_TYPED, FETCH, "breaking", "`currency`, `vat`"),
    ("a field renamed", MODEL, "class Quote(BaseModel):\n    amount: int\n", RUN_TYPED, FETCH, "breaking", "`amount`"),
    ("run_typed type_hint", MODEL, MODEL + "    currency: str\n",
     "q = await ctx.run_typed('fetch', lambda: Quote(price=1), RunOptions(type_hint=Quote))", "", "breaking", "`currency`"),
    ("run type_hint", MODEL, MODEL + "    currency: str\n", "q = await ctx.run('fetch', lambda: Quote(price=1), type_hint=Quote)", "", "breaking", "`currency`"),
    ("run_typed PydanticJsonSerde", MODEL, MODEL + "    currency: str\n",
     "q = await ctx.run_typed('fetch', lambda: Quote(price=1), RunOptions(serde=PydanticJsonSerde(Quote)))", "", "breaking", "`currency`"),
    ("run_typed of an Optional return", MODEL, MODEL + "    currency: str\n", RUN_TYPED,
     "def fetch() -> Optional[Quote]:\n    return Quote(price=1)\n", "breaking", "`currency`"),
    ("functools.partial action", MODEL, MODEL + "    currency: str\n", "q = await ctx.run_typed('fetch', functools.partial(load, 1))",
     "def load(n: int) -> Quote:\n    return Quote(price=n)\n", "breaking", "`currency`"),
    ("string annotation", MODEL, MODEL + "    currency: str\n", RUN_TYPED, "def fetch() -> 'Quote':\n    return Quote(price=1)\n", "breaking", "`currency`"),
    ("a base class gains a required field", "class Base(BaseModel):\n    id: str\n\n\nclass Quote(Base):\n    price: int\n",
     "class Base(BaseModel):\n    id: str\n    tenant: str\n\n\nclass Quote(Base):\n    price: int\n", RUN_TYPED, FETCH, "breaking", "`tenant`"),
    ("extra forbid and a field removed", "class Quote(BaseModel):\n    model_config = ConfigDict(extra='forbid')\n    price: int\n    note: str = ''\n",
     "class Quote(BaseModel):\n    model_config = ConfigDict(extra='forbid')\n    price: int\n", RUN_TYPED, FETCH, "breaking", "`note`"),
    ("extra forbid as a class keyword", "class Quote(BaseModel, extra='forbid'):\n    price: int\n    note: str = ''\n",
     "class Quote(BaseModel, extra='forbid'):\n    price: int\n", RUN_TYPED, FETCH, "breaking", "`note`"),
    ("dataclass gains a required field", DATA, DATA + "    currency: str\n", RUN_TYPED, FETCH, "breaking", "dacite MissingValueError"),
    ("dataclass gains a field with field()", DATA, DATA + "    currency: str = field()\n", RUN_TYPED, FETCH, "breaking", "`currency`"),
    # a field's type changed so that no old value decodes (pydantic's lax conversions measured)
    ("int field becomes str", MODEL, "class Quote(BaseModel):\n    price: str\n", RUN_TYPED, FETCH, "breaking",
     "whose field `price` is now `str` where the old `Quote` (app.py:14) had `int`"),
    ("str field becomes a list", "class Quote(BaseModel):\n    price: str\n", "class Quote(BaseModel):\n    price: list[str]\n",
     RUN_TYPED, FETCH, "breaking", "hold a JSON string there, which `list[str]` never accepts"),
    ("a held model becomes str", "class Money(BaseModel):\n    amount: int\n\n\nclass Quote(BaseModel):\n    price: Money\n",
     "class Money(BaseModel):\n    amount: int\n\n\nclass Quote(BaseModel):\n    price: str\n", RUN_TYPED, FETCH, "breaking", "JSON object"),
    ("Optional int becomes str", "class Quote(BaseModel):\n    price: Optional[int] = None\n", "class Quote(BaseModel):\n    price: str = ''\n",
     RUN_TYPED, FETCH, "breaking", "`price`"),
    ("dataclass int field becomes str", DATA, "@dataclass\nclass Quote:\n    price: str\n", RUN_TYPED, FETCH, "breaking", "dacite WrongTypeError"),
    ("state: int field becomes str", MODEL, "class Quote(BaseModel):\n    price: str\n", GET, "", "unknown", "never accepts"),
    # a field that may hold the changed class, or none: only a value that holds one breaks
    ("a list of a model that gains a required field", LINES.format(line="", annotation="list[Line] = []"),
     LINES.format(line="    qty: int\n", annotation="list[Line] = []"), RUN_TYPED, FETCH, "unknown",
     "is decoded as `Quote` (app.py:19), whose field `lines` may hold values decoded as `Line` (app.py:14), which requires the field "
     "`qty` that the old `Line` (app.py:14) did not have: the values the old code journaled lack it"),
    ("state: an Optional model that gains a required field", LINES.format(line="", annotation="Optional[Line] = None"),
     LINES.format(line="    qty: int\n", annotation="Optional[Line] = None"), GET, "", "unknown",
     "only a value that holds one there breaks, and rea cannot tell whether any does"),
    ("a model field with a default whose class gains a required field", LINES.format(line="", annotation="Line = Line(sku='a')"),
     LINES.format(line="    qty: int\n", annotation="Line = Line(sku='a')"), RUN_TYPED, FETCH, "unknown", "`lines` may hold values"),
    ("a required model holds a list of a model that gains a required field", "class Tag(BaseModel):\n    name: str\n\n\n"
     + LINES.format(line="    tags: list[Tag] = []\n", annotation="Line"), "class Tag(BaseModel):\n    name: str\n    weight: int\n\n\n"
     + LINES.format(line="    tags: list[Tag] = []\n", annotation="Line"), RUN_TYPED, FETCH.replace("price=1", "price=1, lines=Line(sku='a')"),
     "unknown", "whose field `lines` is decoded as `Line` (app.py:19), whose field `tags` may hold values decoded as `Tag` (app.py:14)"),
    ("a dict of a model that gains a defaulted field", LINES.format(line="", annotation="dict[str, Line] = {}"),
     LINES.format(line="    qty: int = 1\n", annotation="dict[str, Line] = {}"), RUN_TYPED, FETCH, "compatible", ""),
    # compatible: every old value still decodes
    ("model gains a defaulted field", MODEL, MODEL + "    currency: str = 'EUR'\n", RUN_TYPED, FETCH, "compatible", ""),
    ("model gains `= None`", MODEL, MODEL + "    currency: Optional[str] = None\n", RUN_TYPED, FETCH, "compatible", ""),
    ("model gains Field(default=...)", MODEL, MODEL + "    currency: str = Field(default='EUR')\n", RUN_TYPED, FETCH, "compatible", ""),
    ("model gains Field(default_factory=...)", MODEL, MODEL + "    tags: list[str] = Field(default_factory=list)\n", RUN_TYPED, FETCH, "compatible", ""),
    ("model loses a field", MODEL + "    note: str = ''\n", MODEL, RUN_TYPED, FETCH, "compatible", ""),
    ("model gains a private attribute", MODEL, MODEL + "    _cache: dict = {}\n", RUN_TYPED, FETCH, "compatible", ""),
    ("model gains a ClassVar", MODEL, MODEL + "    KIND: ClassVar[str] = 'q'\n", RUN_TYPED, FETCH, "compatible", ""),
    ("a defaulted field becomes required", MODEL + "    note: str = ''\n", MODEL + "    note: str\n", RUN_TYPED, FETCH, "compatible", ""),
    ("dataclass gains an Optional field", DATA, DATA + "    currency: Optional[str]\n", RUN_TYPED, FETCH, "compatible", ""),
    ("dataclass gains `X | None`", DATA, DATA + "    currency: str | None\n", RUN_TYPED, FETCH, "compatible", ""),
    ("dataclass gains a defaulted field", DATA, DATA + "    currency: str = 'EUR'\n", RUN_TYPED, FETCH, "compatible", ""),
    ("int field becomes float", MODEL, "class Quote(BaseModel):\n    price: float\n", RUN_TYPED, FETCH, "compatible", ""),
    ("bool field becomes int", "class Quote(BaseModel):\n    price: bool\n", MODEL, RUN_TYPED, FETCH, "compatible", ""),
    ("a field becomes Optional", MODEL, "class Quote(BaseModel):\n    price: Optional[int] = None\n", RUN_TYPED, FETCH, "compatible", ""),
    ("a method added", MODEL, MODEL + "\n    def total(self) -> int:\n        return self.price\n", RUN_TYPED, FETCH, "compatible", ""),
    # silent: rea cannot list what decodes
    ("str field becomes int (\"5\" decodes, \"a\" does not)", "class Quote(BaseModel):\n    price: str\n", MODEL, RUN_TYPED, FETCH, "compatible", ""),
    ("Optional int becomes Optional str (null decodes)", "class Quote(BaseModel):\n    price: Optional[int] = None\n",
     "class Quote(BaseModel):\n    price: Optional[str] = None\n", RUN_TYPED, FETCH, "compatible", ""),
    ("a before validator on the field", MODEL,
     "class Quote(BaseModel):\n    price: str\n\n    @field_validator('price', mode='before')\n    def text(cls, v):\n        return str(v)\n",
     RUN_TYPED, FETCH, "compatible", ""),
    ("coerce_numbers_to_str", MODEL, "class Quote(BaseModel):\n    model_config = ConfigDict(coerce_numbers_to_str=True)\n    price: str\n",
     RUN_TYPED, FETCH, "compatible", ""),
    ("a union", MODEL, "class Quote(BaseModel):\n    price: Union[int, str]\n", RUN_TYPED, FETCH, "compatible", ""),
    ("an alias", MODEL, MODEL + "    currency: str = Field(alias='cur')\n", RUN_TYPED, FETCH, "compatible", ""),
    ("a model validator", MODEL, MODEL + "    currency: str\n\n    @model_validator(mode='before')\n    def fill(cls, v):\n        return v\n",
     RUN_TYPED, FETCH, "compatible", ""),
    ("an alias generator", MODEL, "class Quote(BaseModel):\n    model_config = ConfigDict(alias_generator=str.upper)\n    price: int\n    currency: str\n",
     RUN_TYPED, FETCH, "compatible", ""),
    ("v1 style config", MODEL, MODEL + "    currency: str\n\n    class Config:\n        extra = 'allow'\n", RUN_TYPED, FETCH, "compatible", ""),
    ("a base rea cannot read", "class Quote(somewhere.Base):\n    price: int\n", "class Quote(somewhere.Base):\n    price: int\n    currency: str\n",
     RUN_TYPED, FETCH, "compatible", ""),
    ("a lambda's result (plain JSON)", MODEL, MODEL + "    currency: str\n", "q = await ctx.run_typed('fetch', lambda: {'price': 1})", "", "compatible", ""),
    ("another serde", MODEL, MODEL + "    currency: str\n", "q = await ctx.get('quote', serde=JsonSerde())", "", "compatible", ""),
    ("no type_hint (plain JSON)", MODEL, MODEL + "    currency: str\n", "q = await ctx.get('quote')", "", "compatible", ""),
    ("RunOptions by position", MODEL, MODEL + "    currency: str\n", "q = await ctx.run_typed('fetch', fetch, RunOptions(JsonSerde()))",
     FETCH, "compatible", ""),
    ("run of an Optional return (plain JSON)", MODEL, MODEL + "    currency: str\n", "q = await ctx.run('fetch', fetch)",
     "def fetch() -> Optional[Quote]:\n    return Quote(price=1)\n", "compatible", ""),
    ("a class bound twice", MODEL + "\nQuote = dict\n", MODEL + "    currency: str\n\nQuote = dict\n", RUN_TYPED, FETCH, "compatible", ""),
]


@pytest.mark.parametrize("name,old,new,body,helpers,expected,says", CASES, ids=[c[0] for c in CASES])
def test_a_journaled_result_must_decode_with_the_new_class(name, old, new, body, helpers, expected, says):
    h = diff(old, new, body, helpers)
    assert h.verdict.value == expected, h.reason
    if expected == "breaking":
        assert h.divergence is not None and h.divergence.undecodable
        assert h.divergence.index == 1
        assert "the result of" in h.divergence.states()
    if expected != "compatible":
        assert says in h.reason, h.reason
        assert "Restate retries the invocation for good" in h.reason


def test_the_cases_cover_every_verdict():
    counts = {v: sum(c[5] == v for c in CASES) for v in ("breaking", "unknown", "compatible")}
    assert counts == {"breaking": 23, "unknown": 8, "compatible": 33}, counts


def test_a_model_imported_from_another_module_is_read_there():
    app = _module("from shop.models import Quote\n", RUN_TYPED, FETCH)
    old, _ = shapes_of_sources({"app.py": app, "shop/__init__.py": "", "shop/models.py": "from pydantic import BaseModel\n\n\n" + MODEL})
    new, _ = shapes_of_sources({"app.py": app, "shop/__init__.py": "",
                                "shop/models.py": "from pydantic import BaseModel\n\n\n" + MODEL + "    currency: str\n"})
    [h] = diff_projects(old, new).handlers
    assert h.verdict is Verdict.BREAKING
    assert "shop/models.py:4" in h.reason and "`currency`" in h.reason


def test_a_model_re_exported_by_a_package_is_followed():
    app = _module("from shop import Quote\n", RUN_TYPED, FETCH)
    init = "from shop.models import Quote\n"
    old, _ = shapes_of_sources({"app.py": app, "shop/__init__.py": init, "shop/models.py": "from pydantic import BaseModel\n\n\n" + MODEL})
    new, _ = shapes_of_sources({"app.py": app, "shop/__init__.py": init,
                                "shop/models.py": "from pydantic import BaseModel\n\n\n" + MODEL + "    currency: str\n"})
    [h] = diff_projects(old, new).handlers
    assert h.verdict is Verdict.BREAKING and "`currency`" in h.reason


def test_only_invocations_that_hold_the_result_break():
    """The first place an invocation can wait after the decoded command: not the command itself
    (an invocation waiting on its run runs it anew on the new code)."""
    body = "q = await ctx.run_typed('fetch', fetch)\nawait ctx.sleep(timedelta(seconds=1))"
    h = diff(MODEL, MODEL + "    currency: str\n", "from datetime import timedelta\n" + body, FETCH)
    assert h.verdict is Verdict.BREAKING
    d = h.divergence
    assert d is not None and d.suspended_at is not None and d.suspended_at.kind.value == "sleep"


def test_an_unchanged_class_is_compatible_and_a_changed_command_still_breaks_first():
    h = diff(MODEL, MODEL, GET)
    assert h.verdict is Verdict.COMPATIBLE
    h = diff(MODEL, MODEL + "    currency: str\n", GET, new_body="q = await ctx.get('other', type_hint=Quote)")
    assert h.verdict is Verdict.BREAKING and not h.divergence.undecodable  # (a 570: the key differs)


def test_the_json_says_which_kind_of_break(tmp_path):
    import json

    from rea_lint.cli import main

    for side, classes in (("a", MODEL), ("b", MODEL + "    currency: str\n")):
        (tmp_path / side).mkdir()
        (tmp_path / side / "app.py").write_text(_module(classes, RUN_TYPED, FETCH))
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["diff", "--base", str(tmp_path / "a"), "--head", str(tmp_path / "b"), "--format", "json"])
    assert code == 1
    [h] = json.loads(out.getvalue())["handlers"]
    assert h["verdict"] == "breaking" and h["divergence"]["undecodable"] is True


def test_a_base_class_changed_in_another_module_breaks_every_handler_that_reads_it():
    """Two unchanged handler files read one model whose base, in a third module, gains a required
    field. `rea diff` reuses an unchanged file's shapes only if every module it looked up is the
    same: each file's turn must look the base's module up itself (a class read once per project
    would let the second file be reused, and called compatible)."""
    handler = ("import restate\nfrom shop.models import Quote\n\nsvc = restate.Service('{name}')\n\n\n"
               "def fetch() -> Quote:\n    return Quote(id='a', price=1)\n\n\n"
               "@svc.handler()\nasync def h(ctx: restate.Context, req: dict) -> str:\n"
               "    q = await ctx.run_typed('fetch', fetch)\n    return 'ok'\n")
    models = "from shop.bases import Base\n\n\nclass Quote(Base):\n    price: int\n"
    bases = "from pydantic import BaseModel\n\n\nclass Base(BaseModel):\n    id: str\n"
    files = {"a.py": handler.format(name="a"), "b.py": handler.format(name="b"), "shop/__init__.py": "",
             "shop/models.py": models, "shop/bases.py": bases}
    from rea_lint.journal.shape import shape_sides

    (old, _), (new, _) = shape_sides(files, {**files, "shop/bases.py": bases + "    tenant: str\n"})
    verdicts = {h.service: h for h in diff_projects(old, new).handlers}
    assert set(verdicts) == {"a", "b"}
    for h in verdicts.values():
        assert h.verdict is Verdict.BREAKING and "`tenant`" in h.reason, h.reason


INPUT = ("import restate\nfrom pydantic import BaseModel, Field\nfrom typing import Optional\n\nsvc = restate.Service('orders')\n\n\n{classes}\n\n"
         "@svc.handler({deco})\nasync def place(ctx: restate.Context, order: {annotation}) -> str:\n{body}")


def input_diff(old_classes: str, new_classes: str, annotation: str = "Order", deco: str = "", body: str = "    return order.sku\n",
               new_body: str | None = None):
    old, _ = shapes_of_sources({"app.py": INPUT.format(classes=old_classes, annotation=annotation, deco=deco, body=body)})
    new, _ = shapes_of_sources({"app.py": INPUT.format(classes=new_classes, annotation=annotation, deco=deco,
                                                        body=body if new_body is None else new_body)})
    [h] = diff_projects(old, new).handlers
    return h


ORDER = "class Order(BaseModel):\n    sku: str\n"


@pytest.mark.parametrize("annotation", ["Order", "Optional[Order]", "'Order'"])
def test_an_input_model_that_gains_a_required_field_is_unknown(annotation):
    """Replay decodes the journaled input (index 0) with the new model, and a failure there is the
    SDK's terminal error: the invocation ends failed with its work half done. What callers sent
    is not in the code: unknown, with the reason and the fix."""
    h = input_diff(ORDER, ORDER + "    currency: str\n", annotation)
    assert h.verdict is Verdict.UNKNOWN, h.reason
    assert h.reason.startswith(f"the handler's input (journal index 0, app.py:{h.new.line}) is decoded as `Order` (app.py:8)")
    assert "Unable to parse an input argument" in h.reason and "`currency`" in h.reason and "give it a default" in h.reason


def test_an_input_model_change_that_decodes_stays_compatible_and_rides_along_a_break():
    assert input_diff(ORDER, ORDER + "    currency: str = 'EUR'\n").verdict is Verdict.COMPATIBLE
    assert input_diff(ORDER, ORDER + "    currency: str\n", deco="input_serde=restate.serde.JsonSerde()").verdict is Verdict.COMPATIBLE
    run = "    await ctx.run_typed('{}', lambda: 1)\n    return order.sku\n"
    h = input_diff(ORDER, ORDER + "    currency: str\n", body=run.format("a"), new_body=run.format("b"))
    assert h.verdict is Verdict.BREAKING and "; besides, the handler's input (journal index 0" in h.reason


NESTED = "class Address(BaseModel):\n    city: str\n{extra}\n\nclass Quote(BaseModel):\n    price: int\n    address: {annotation}\n"


@pytest.mark.parametrize("extra,annotation,body,helpers,expected", [
    ("    zip: str\n", "Address", RUN_TYPED, FETCH, "breaking"),
    ("    zip: str\n", "Address", GET, "", "unknown"),
    ("    zip: str = ''\n", "Address", RUN_TYPED, FETCH, "compatible"),
    ("    zip: str\n", "Optional[Address]", RUN_TYPED, FETCH, "unknown"),  # (an old value may hold None there)
    ("    zip: str\n", "list[Address]", RUN_TYPED, FETCH, "unknown"),  # (or no element)
    ("    zip: str = ''\n", "list[Address]", RUN_TYPED, FETCH, "compatible"),
], ids=["required", "state", "defaulted", "optional", "list", "list defaulted"])
def test_a_class_a_field_holds_must_still_decode(extra, annotation, body, helpers, expected):
    h = diff(NESTED.format(extra="", annotation=annotation), NESTED.format(extra=extra, annotation=annotation), body, helpers)
    assert h.verdict.value == expected, h.reason
    held = "whose field `address` is decoded as `Address`" if annotation == "Address" else "whose field `address` may hold values decoded as `Address`"
    if expected != "compatible":
        assert held in h.reason and "`zip`" in h.reason, h.reason


def test_a_model_that_holds_itself_is_read_to_a_depth():
    node = "class Quote(BaseModel):\n    price: int\n    parent: Quote\n"
    assert diff(node, node + "    currency: str\n", RUN_TYPED, FETCH).verdict is Verdict.BREAKING
    assert diff(node, node, RUN_TYPED, FETCH).verdict is Verdict.COMPATIBLE


CALLS = ("import restate\nfrom pydantic import BaseModel\nfrom typing import Optional\n\nsvc = restate.Service('quotes')\n\n\n{classes}\n\n"
         "@svc.handler({deco})\nasync def quote(ctx: restate.Context, sku: str) -> {returns}:\n    return Quote(price=1)\n\n\n"
         "@svc.handler()\nasync def buy(ctx: restate.Context, sku: str) -> str:\n    q = await ctx.{how}\n    return 'ok'\n")


@pytest.mark.parametrize("returns,deco,how,expected", [
    ("Quote", "", "service_call(quote, arg=sku)", "unknown"),
    ("Optional[Quote]", "", "service_call(quote, arg=sku)", "unknown"),
    ("Quote", "output_serde=restate.serde.JsonSerde()", "service_call(quote, arg=sku)", "compatible"),
    ("Quote", "", "service_send(quote, arg=sku)", "compatible"),  # (a send journals no result)
    ("Quote", "", "generic_call('quotes', 'quote', arg=b'x')", "compatible"),  # (raw bytes: nothing decoded)
], ids=["call", "optional", "own serde", "send", "generic"])
def test_a_calls_result_decoded_into_a_changed_model_is_unknown(returns, deco, how, expected):
    """The result was written by the called handler's deployment, which may have run newer code
    when it answered: unknown, with the reason, never breaking."""
    classes = "class Quote(BaseModel):\n    price: int\n"
    old, _ = shapes_of_sources({"app.py": CALLS.format(classes=classes, returns=returns, deco=deco, how=how)})
    new, _ = shapes_of_sources({"app.py": CALLS.format(classes=classes + "    currency: str\n", returns=returns, deco=deco, how=how)})
    verdicts = {h.handler: h for h in diff_projects(old, new).handlers}
    h = verdicts["buy"]
    assert h.verdict.value == expected, h.reason
    if expected == "unknown":
        assert "a result the called handler returned as the old `Quote`" in h.reason and "`currency`" in h.reason
