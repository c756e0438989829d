"""`rea diff`: a value the journal replays and the code passes on whole is serialized again with the
new class (`rea_lint.journal.encoding`). A call's parameter or a state value whose class now
writes other keys (a field added, even with a default; removed; renamed; moved) has other bytes
than the old code journaled: 570 at that command (proved on a real restate-server by
tests/replay, pairs p99-p106; p102, a method added, completes)."""

from __future__ import annotations

import json

import pytest

from rea_lint.journal.compare import ProjectDiff, Verdict, diff_projects
from rea_lint.journal.report import as_json
from rea_lint.journal.shape import shapes_of_sources

from .test_diff_decoding import DATA, FETCH, MODEL, ORDER, diff, input_diff

STORE = "q = await ctx.run_typed('fetch', fetch)\nctx.set('quote', q)"
ADDED = MODEL + "    currency: str = 'EUR'\n"
TWO = "class Quote(BaseModel):\n    price: int\n    currency: str = 'EUR'\n"
SWAPPED = "class Quote(BaseModel):\n    currency: str = 'EUR'\n    price: int\n"
OPTIONAL_FETCH = "def fetch() -> Optional[Quote]:\n    return Quote(price=1)\n"
MY_SERDE = "\n\nclass MySerde(JsonSerde):\n    pass\n"
ADDRESS = "class Address(BaseModel):\n    city: str\n{extra}\n\nclass Quote(BaseModel):\n    price: int\n    address: {annotation}\n"
SERIALIZED = ("from pydantic import field_serializer\n\n\n" + ADDRESS.format(extra="{extra}", annotation="Address")
              + "\n    @field_serializer('{field}')\n    def flat(self, v):\n        return str(v)\n")


METHOD_ADDED = MODEL + "\n    def label(self) -> str:\n        return str(self.price)\n"
LINES_PRICED = "class Line(BaseModel):\n    cost: {annotation}\n\n\nclass Quote(BaseModel):\n    price: int\n    lines: list[Line]\n"


def zip_added(annotation: str) -> tuple[str, str]:
    """`Quote.address: <annotation>`, before and after `Address` gains `zip` (with a default)."""
    return ADDRESS.format(extra="", annotation=annotation), ADDRESS.format(extra="    zip: str = ''\n", annotation=annotation)


# (id, old classes, new classes, body, helpers, verdict, text the reason must hold)
CASES = [
    ("run result stored: a field added with a default", MODEL, ADDED, STORE, FETCH, "breaking", "now writes `currency` too"),
    ("dataclass run result stored: a field added", DATA, DATA + "    memo: str = ''\n", STORE, FETCH, "breaking", "now writes `memo` too"),
    ("a field removed", TWO, MODEL, STORE, FETCH, "breaking", "no longer writes `currency`"),
    ("a field renamed", "class Quote(BaseModel):\n    price: int = 0\n", "class Quote(BaseModel):\n    amount: int = 0\n", STORE, FETCH,
     "breaking", "writes `amount` and no longer `price`"),
    ("two fields swap places", TWO, SWAPPED, STORE, FETCH, "breaking", "another order (`currency`, `price`)"),
    ("a base class gains a field", "class Base(BaseModel):\n    id: str = ''\n\n\nclass Quote(Base):\n    price: int\n",
     "class Base(BaseModel):\n    id: str = ''\n    tenant: str = ''\n\n\nclass Quote(Base):\n    price: int\n", STORE, FETCH, "breaking", "`tenant`"),
    ("a model a required field holds gains a field", *zip_added("Address"), STORE, FETCH, "breaking", "whose field `address` holds `Address`"),
    ("through a local made from a constructor", MODEL, ADDED, "q = Quote(price=1)\nctx.set('quote', q)", "", "breaking", "`currency`"),
    ("a constructor in place", MODEL, ADDED, "ctx.set('quote', Quote(price=1))", "", "breaking", "`currency`"),
    ("resolving an awakeable", MODEL, ADDED, "q = await ctx.run_typed('fetch', fetch)\nctx.resolve_awakeable('id', q)", FETCH,
     "breaking", "`currency`"),
    ("a model's dump stored", MODEL, ADDED, "q = await ctx.run_typed('fetch', fetch)\nctx.set('quote', q.model_dump())", FETCH,
     "breaking", "`currency`"),
    ("a JSON-mode dump through a local", MODEL, ADDED,
     "q = await ctx.run_typed('fetch', fetch)\nd = q.model_dump(mode='json')\nctx.set('quote', d)", FETCH, "breaking", "`currency`"),
    ("a copy of it stored (`model_copy`)", MODEL, ADDED,
     "q = await ctx.run_typed('fetch', fetch)\nctx.set('quote', q.model_copy(update={'price': 2}))", FETCH, "breaking", "`currency`"),
    ("a model validated from a dict", MODEL, ADDED, "ctx.set('quote', Quote.model_validate({'price': 1}))", "", "breaking", "`currency`"),
    ("a dataclass's asdict", DATA, DATA + "    memo: str = ''\n",
     "q = await ctx.run_typed('fetch', fetch)\nctx.set('quote', dataclasses.asdict(q))", FETCH, "breaking", "`memo`"),
    ("a state value or a new instance, stored back", MODEL, ADDED,
     "q = await ctx.get('quote', type_hint=Quote) or Quote(price=0)\nctx.set('quote', q)", "", "breaking", "`currency`"),
    # an instance made here holds the defaults of the fields the call leaves out, written as they are
    ("a literal default changed, the field left out", TWO, TWO.replace("'EUR'", "'USD'"), "ctx.set('quote', Quote(price=1))", "",
     "breaking", "now gives `currency` the default 'USD' where the old `Quote` (app.py:14) gave 'EUR'"),
    ("Field(default=...) changed, through a local", "class Quote(BaseModel):\n    price: int\n    n: int = Field(default=1)\n",
     "class Quote(BaseModel):\n    price: int\n    n: float = Field(default=1.0)\n", "q = Quote(price=1)\nctx.set('quote', q)", "",
     "breaking", "the default 1.0 where the old `Quote` (app.py:14) gave 1"),
    ("a dataclass made by position", "@dataclass\nclass Quote:\n    price: int\n    currency: str = 'EUR'\n",
     "@dataclass\nclass Quote:\n    price: int\n    currency: str = 'USD'\n", "ctx.set('quote', Quote(1))", "", "breaking", "`currency`"),
    ("a default changed, the field passed: the class's code changed", TWO, TWO.replace("'EUR'", "'USD'"),
     "ctx.set('quote', Quote(price=1, currency='EUR'))", "", "unknown", "computation changed"),
    ("a computed default changed", "class Quote(BaseModel):\n    price: int\n    currency: str = str(1)\n",
     "class Quote(BaseModel):\n    price: int\n    currency: str = str(2)\n", "ctx.set('quote', Quote(price=1))", "", "unknown",
     "computation changed"),
    ("a literal default changed, made from **data", TWO, TWO.replace("'EUR'", "'USD'"), "ctx.set('quote', Quote(**req))", "", "unknown",
     "computation changed"),
    # a value that may be None writes no bytes then: the class cannot decide it
    ("an Optional run result", MODEL, ADDED, STORE, OPTIONAL_FETCH, "unknown", "unless it is None"),
    ("a state value read and stored again", MODEL, ADDED, "q = await ctx.get('quote', type_hint=Quote)\nctx.set('copy', q)", "",
     "unknown", "unless it is None"),
    # the keys stay as they were
    ("a method added", MODEL, MODEL + "\n    def label(self) -> str:\n        return str(self.price)\n", STORE, FETCH, "compatible", ""),
    ("a default changed (every key is in a journaled result)", TWO, TWO.replace("'EUR'", "'USD'"), STORE, FETCH, "compatible", ""),
    ("a docstring and a comment added", MODEL, MODEL.replace("BaseModel):\n", "BaseModel):\n    \"\"\"A quote.\"\"\"\n\n    # cents\n"),
     STORE, FETCH, "compatible", ""),
    ("an annotation spelled otherwise: one type", "class Quote(BaseModel):\n    price: Optional[int]\n",
     "class Quote(BaseModel):\n    price: int | None\n", STORE, FETCH, "compatible", ""),
    ("a title given in model_config: no value changes", MODEL, MODEL + "    model_config = ConfigDict(title='Q')\n", STORE, FETCH,
     "compatible", ""),
    # the keys stay, the bytes of a value may not: the code that decodes or writes it changed (p134-p136)
    ("a field validator added", MODEL,
     MODEL + "\n    @field_validator('price')\n    @classmethod\n    def positive(cls, v: int) -> int:\n        return abs(v)\n",
     STORE, FETCH, "unknown", "whose `positive` (app.py:19) is new (unless that change leaves the bytes written for this value as they were)"),
    ("a field's type changed: `1` decodes as `1.0`", MODEL, "class Quote(BaseModel):\n    price: float\n", STORE, FETCH,
     "unknown", "whose field `price` is now annotated `float` where it was `int`"),
    ("a field serializer changed", MODEL + "\n    @field_serializer('price')\n    def cents(self, v: int) -> int:\n        return v * 100\n",
     MODEL + "\n    @field_serializer('price')\n    def cents(self, v: int) -> int:\n        return v * 1000\n",
     STORE, FETCH, "unknown", "whose `cents` (app.py:18) changed"),
    ("model_config changed", MODEL + "    model_config = ConfigDict(ser_json_inf_nan='null')\n",
     MODEL + "    model_config = ConfigDict(ser_json_inf_nan='constants')\n", STORE, FETCH, "unknown", "whose `model_config` key `ser_json_inf_nan` changed"),
    ("a computed field added: a key", MODEL, MODEL + "\n    @computed_field\n    @property\n    def cents(self) -> int:\n        return self.price * 100\n",
     STORE, FETCH, "breaking", "which now writes `cents` too where the old `Quote` (app.py:14) wrote `price`"),
    ("a model_serializer added: keys rea cannot read", MODEL,
     MODEL + "\n    @model_serializer\n    def whole(self) -> dict:\n        return {'p': self.price}\n", STORE, FETCH, "unknown",
     "whose keys rea reads in the old code but not in the new (a `model_serializer`, an alias, code it does not read) "
     "(unless the new code writes the same bytes for it)"),
    # a field that may hold none of the instances whose keys changed: the bytes change where it holds one (p123-p125)
    ("an Optional field holds a model that gains a field", *zip_added("Optional[Address]"), STORE, FETCH, "unknown",
     "whose field `address` may hold `Address` (app.py:14), which now writes `zip` too where the old `Address` (app.py:14) wrote "
     "`city` (unless `address` holds no `Address`)"),
    ("a list of a model that gains a field", *zip_added("list[Address]"), STORE, FETCH, "unknown", "(unless `address` holds no `Address`)"),
    ("a dict of a model that loses a field", ADDRESS.format(extra="    zip: str = ''\n", annotation="dict[str, Address]"),
     ADDRESS.format(extra="", annotation="dict[str, Address]"), STORE, FETCH, "unknown", "no longer writes `zip`"),
    ("a tuple of an Optional list of a model", *zip_added("tuple[Optional[list[Address]], ...]"), STORE, FETCH, "unknown",
     "(unless `address` holds no `Address`)"),
    ("a model field with a default", *zip_added("Address = Address(city='x')"), STORE, FETCH, "unknown",
     "(unless `address` holds no `Address`)"),
    ("a dataclass's field: nothing checks what it holds", DATA.replace("class Quote:", "class Line:\n    sku: str\n\n\n@dataclass\nclass Quote:")
     + "    line: Line\n", DATA.replace("class Quote:", "class Line:\n    sku: str\n    qty: int = 1\n\n\n@dataclass\nclass Quote:")
     + "    line: Line\n", STORE, FETCH, "unknown", "(unless `line` holds no `Line`)"),
    ("a held model that may be None too", *zip_added("list[Address]"), STORE, OPTIONAL_FETCH, "unknown",
     "(unless it is None, which it may be: then no bytes are written; or `address` holds no `Address`)"),
    ("a required model holds a list of a changed model", "class Line(BaseModel):\n    sku: str\n\n\n"
     + ADDRESS.format(extra="    lines: list[Line] = []\n", annotation="Address"), "class Line(BaseModel):\n    sku: str\n    qty: int = 1\n\n\n"
     + ADDRESS.format(extra="    lines: list[Line] = []\n", annotation="Address"), STORE, FETCH, "unknown",
     "whose field `address` holds `Address` (app.py:19), whose field `lines` may hold `Line` (app.py:14), which now writes `qty` too "
     "where the old `Line` (app.py:14) wrote `sku` (unless `address.lines` holds no `Line`)"),
    # a field a `field_serializer` writes: its own return value, not the held model's keys
    ("a field_serializer writes the held model", SERIALIZED.format(extra="", field="address"),
     SERIALIZED.format(extra="    zip: str = ''\n", field="address"), STORE, FETCH, "compatible", ""),
    ("a field_serializer of another field", SERIALIZED.format(extra="", field="price"),
     SERIALIZED.format(extra="    zip: str = ''\n", field="price"), STORE, FETCH, "breaking", "whose field `address` holds `Address`"),
    ("an Optional field holds a model that gains a method", ADDRESS.format(extra="", annotation="Optional[Address]"),
     ADDRESS.format(extra="\n    def label(self) -> str:\n        return self.city\n", annotation="Optional[Address]"), STORE, FETCH,
     "compatible", ""),
    ("the class unchanged", MODEL, MODEL, STORE, FETCH, "compatible", ""),
    # a validator that runs after the fields are read leaves the keys to them
    ("a model validator (after)", MODEL + "\n    @model_validator(mode='after')\n    def check(self):\n        return self\n",
     ADDED + "\n    @model_validator(mode='after')\n    def check(self):\n        return self\n", STORE, FETCH, "breaking", "now writes `currency` too"),
    # where rea cannot list the keys, the value is computed from an instance whose class changed
    ("extra='allow': a value writes the keys it was given", "class Quote(BaseModel, extra='allow'):\n    price: int\n",
     "class Quote(BaseModel, extra='allow'):\n    price: int\n    currency: str = 'EUR'\n", STORE, FETCH, "unknown",
     "(it reads code that changed: `Quote` (app.py:"),
    ("a model validator (before), which may fill a key in", MODEL + "\n    @model_validator(mode='before')\n    def check(cls, v):\n        return v\n",
     ADDED + "\n    @model_validator(mode='before')\n    def check(cls, v):\n        return v\n", STORE, FETCH, "unknown",
     "(it reads code that changed: `Quote` (app.py:"),
    # the SDK's own serdes write a value as the default one does, whatever class they were made with
    ("the SDK's PydanticJsonSerde given", MODEL, ADDED,
     "q = await ctx.run_typed('fetch', fetch)\nctx.set('quote', q, serde=PydanticJsonSerde(Quote))", FETCH, "breaking", "now writes `currency` too"),
    ("the SDK's DefaultSerde given", DATA, DATA + "    memo: str = ''\n",
     "q = await ctx.run_typed('fetch', fetch)\nctx.set('quote', q, serde=restate.serde.DefaultSerde())", FETCH, "breaking", "now writes `memo` too"),
    ("a serde of the project's own, which may write the keys", MODEL, ADDED,
     "q = await ctx.run_typed('fetch', fetch)\nctx.set('quote', q, serde=MySerde())", FETCH + MY_SERDE, "unknown",
     "now writes `currency` too where the old `Quote` (app.py:14) wrote `price` (if `MySerde()` writes the class's keys"),
    ("a dump that leaves keys out", MODEL, ADDED, "q = await ctx.run_typed('fetch', fetch)\nctx.set('quote', q.model_dump(exclude={'price'}))",
     FETCH, "unknown", "(it reads code that changed: `Quote` (app.py:"),
    ("a field of the value, not the value", MODEL, ADDED, "q = await ctx.run_typed('fetch', fetch)\nctx.set('price', q.price)", FETCH,
     "compatible", ""),
    ("a state value or something else", MODEL, ADDED,
     "q = await ctx.get('quote', type_hint=Quote) or {}\nctx.set('quote', q)", "", "unknown", "(it reads code that changed: `Quote` (app.py:"),
    ("a local bound twice", MODEL, ADDED,
     "q = await ctx.run_typed('fetch', fetch)\nif req:\n    q = await ctx.run_typed('again', fetch)\nctx.set('quote', q)", FETCH,
     "compatible", ""),
    # a value computed from an instance used whole counts by its class's whole code (rea cannot say the keys)
    ("an instance made text (`str(q)`)", MODEL, ADDED, "q = await ctx.run_typed('fetch', fetch)\nctx.set('quote', str(q))", FETCH,
     "unknown", "(it reads code that changed: `Quote` (app.py:"),
    ("an instance made text, whose class gained a method", MODEL, METHOD_ADDED,
     "q = await ctx.run_typed('fetch', fetch)\nctx.set('quote', str(q))", FETCH, "compatible", ""),
    ("a dump inside a dict", MODEL, ADDED, "q = await ctx.run_typed('fetch', fetch)\nctx.set('quote', {'q': q.model_dump(), 'v': 1})", FETCH,
     "unknown", "(it reads code that changed: `Quote` (app.py:"),
    ("a JSON dump (`model_dump_json()`)", MODEL, ADDED, "q = await ctx.run_typed('fetch', fetch)\nctx.set('quote', q.model_dump_json())",
     FETCH, "unknown", "(it reads code that changed: `Quote` (app.py:"),
    ("the models a list field holds, dumped one by one", *zip_added("list[Address]"),
     "q = await ctx.run_typed('fetch', fetch)\nctx.set('quote', [a.model_dump() for a in q.address])", FETCH,
     "unknown", "(it reads code that changed: `Quote.address` (app.py:"),
    ("a field read through a field whose class gained a validator", ADDRESS.format(extra="", annotation="Address"),
     ADDRESS.format(extra="\n    @field_validator('city')\n    @classmethod\n    def up(cls, v):\n        return v.upper()\n", annotation="Address"),
     "q = await ctx.run_typed('fetch', fetch)\nctx.set('city', q.address.city)", FETCH, "unknown", "(it reads code that changed: `Address.city` (app.py:"),
    ("a field read through a field whose class gained another field", *zip_added("Address"),
     "q = await ctx.run_typed('fetch', fetch)\nctx.set('city', q.address.city)", FETCH, "compatible", ""),
    ("a field read through an Optional field whose class gained another field", *zip_added("Optional[Address]"),
     "q = await ctx.run_typed('fetch', fetch)\nctx.set('city', q.address.city if q.address else '')", FETCH, "unknown",
     "(it reads code that changed: `Quote.address` (app.py:"),
    ("a field read through a field whose class gained a method", ADDRESS.format(extra="", annotation="Address"),
     ADDRESS.format(extra="\n    def label(self) -> str:\n        return self.city\n", annotation="Address"),
     "q = await ctx.run_typed('fetch', fetch)\nctx.set('city', q.address.city)", FETCH, "compatible", ""),
    ("a sum over a list field whose class's field became a float", LINES_PRICED.format(annotation="int"), LINES_PRICED.format(annotation="float"),
     "q = await ctx.run_typed('fetch', fetch)\nctx.set('total', sum(line.cost for line in q.lines))", FETCH,
     "unknown", "(it reads code that changed: `Quote.lines` (app.py:"),
]


@pytest.mark.parametrize("name,old,new,body,helpers,expected,says", CASES, ids=[c[0] for c in CASES])
def test_a_value_passed_on_whole_is_written_with_the_new_class(name, old, new, body, helpers, expected, says):
    h = diff(old, new, body, helpers)
    assert h.verdict.value == expected, h.reason
    if expected == "breaking":
        d = h.divergence
        assert d is not None and not d.undecodable and d.assuming == ()
        assert d.index == 1 + body.count("await ctx."), h.reason  # (the set, after the run or get if there is one)
        assert "reads as before, but its value" in h.reason and "is written as `Quote` (app.py:" in h.reason, h.reason
    if expected != "compatible":
        assert says in h.reason, h.reason


def test_the_cases_cover_every_verdict():
    counts = {v: sum(c[5] == v for c in CASES) for v in ("breaking", "unknown", "compatible")}
    assert counts == {"breaking": 24, "unknown": 30, "compatible": 13}, counts


def test_the_sdks_serde_given_or_taken_away_changes_no_bytes():
    """`serde=PydanticJsonSerde(Quote)` writes `model_dump_json()`, as the default serde does for a
    model: giving it, or taking it away, is no change to what replay compares."""
    with_serde = STORE.replace("ctx.set('quote', q)", "ctx.set('quote', q, serde=PydanticJsonSerde(Quote))")
    for old, new in ((STORE, with_serde), (with_serde, STORE)):
        h = diff(MODEL, MODEL, old, FETCH, new_body=new)
        assert h.verdict is Verdict.COMPATIBLE, h.reason


WORKFLOW = """\
import restate
from dataclasses import dataclass
from pydantic import BaseModel
from restate.serde import JsonSerde, PydanticJsonSerde

wf = restate.Workflow("wf")

{classes}

class MySerde(JsonSerde):
    pass

def fetch() -> Quote:
    return Quote(price=1)


@wf.main()
async def run(ctx: restate.WorkflowContext, req: dict) -> str:
    q = await ctx.run_typed("fetch", fetch)
    {resolve}
    return "ok"
"""


@pytest.mark.parametrize("resolve,old,new,expected", [
    ("await ctx.promise('quote', type_hint=Quote).resolve(q)", MODEL, ADDED, "breaking"),
    ("p = ctx.promise('quote', type_hint=Quote)\n    await p.resolve(q)", MODEL, ADDED, "breaking"),
    ("await ctx.promise('quote', serde=PydanticJsonSerde(Quote)).resolve(q)", MODEL, ADDED, "breaking"),
    ("await ctx.promise('quote', type_hint=Quote).resolve(q)", DATA, DATA + "    memo: str = ''\n", "breaking"),
    # with no hint, restate-sdk 1.3's DefaultSerde writes `json.dumps(q)`, which fails for a model:
    # rea does not read that serde, and the value is an instance whose class changed
    ("await ctx.promise('quote').resolve(q)", MODEL, ADDED, "unknown"),
    ("await ctx.promise('quote', serde=MySerde()).resolve(q)", MODEL, ADDED, "unknown"),
    ("await ctx.promise('quote', type_hint=Quote).resolve(q)", MODEL, MODEL + "\n    def label(self) -> str:\n        return ''\n",
     "compatible"),
], ids=["in place", "bound to a name", "PydanticJsonSerde", "dataclass", "no type hint", "a serde of its own", "a method added"])
def test_a_promise_resolved_with_a_whole_value(resolve, old, new, expected):
    """`promise.resolve(q)` is written with the promise's serde, a DefaultSerde of its `type_hint=`:
    a model's `model_dump_json()`, a dataclass's fields. Replay compares the bytes (p107)."""
    shapes = [shapes_of_sources({"app.py": WORKFLOW.format(classes=c, resolve=resolve)})[0] for c in (old, new)]
    [h] = diff_projects(*shapes).handlers
    assert h.verdict.value == expected, h.reason
    if expected == "breaking":
        assert h.divergence is not None and h.divergence.index == 2, h.reason
        assert "reads as before, but its value `q` is written as `Quote` (app.py:" in h.reason, h.reason
        assert "`currency` too" in h.reason or "`memo` too" in h.reason, h.reason
    if expected == "unknown" and "MySerde" in resolve:
        assert "(if `MySerde()` writes the class's keys, as the SDK's own serdes do); rea cannot tell" in h.reason, h.reason
    elif expected == "unknown":
        assert "its computation changed (it reads code that changed: `Quote` (app.py:" in h.reason, h.reason


FORWARD = "    await ctx.service_call(charge, arg=order)\n    return order.sku\n\n\n@svc.handler()\nasync def charge(ctx: restate.Context, order: Order) -> str:\n    return order.sku\n"


@pytest.mark.parametrize("annotation,new,expected", [
    ("Order", ORDER + "    note: str = ''\n", "breaking"),
    ("'Order'", ORDER + "    note: str = ''\n", "breaking"),
    ("Optional[Order]", ORDER + "    note: str = ''\n", "unknown"),  # (a request without a body: None)
    ("'Optional[Order]'", ORDER + "    note: str = ''\n", "unknown"),
    ("Order", ORDER + "\n    def label(self) -> str:\n        return self.sku\n", "compatible"),
], ids=["model", "string annotation", "optional", "optional string", "method"])
def test_the_handlers_input_forwarded_to_a_call(annotation, new, expected):
    """The SDK decodes the journaled input with the new class at every replay: forwarded whole, it
    is written with the new class's keys (p99)."""
    found = {h.handler: h for h in _diff_all(ORDER, new, annotation, FORWARD)}
    h = found["place"]
    assert h.verdict.value == expected, h.reason
    if expected != "compatible":
        assert "parameter `order` is written as `Order` (app.py:8), which now writes `note` too" in h.reason, h.reason
    assert found["charge"].verdict is Verdict.COMPATIBLE  # (it only reads the input)


def test_a_default_of_the_input_counts_where_a_request_may_leave_the_field_out():
    """A caller's request may leave a field with a default out: replay decodes it with the new
    default, forwarded or stored whole, or read (p140, p141: 570 at the set). A value the SDK wrote
    holds every key (a run's result: the cases above), and a field's description is no value."""
    currency = "    currency: str = Field(default={}, description={})\n"
    old = ORDER + currency.format("'EUR'", "'the currency'")
    checked = 0
    for body, new, expected, says in (
            (FORWARD, ORDER + currency.format("'USD'", "'the currency'"), "unknown",
             "whose field `currency` now defaults to `'USD'` where it defaulted to `'EUR'` (unless every request in flight gave `currency`)"),
            (FORWARD, ORDER + currency.format("'EUR'", "'the payment currency'"), "compatible", ""),
            ("    ctx.set('c', order.currency)\n    return order.sku\n", ORDER + currency.format("'USD'", "'the currency'"), "unknown",
             "(it reads code that changed: `Order.currency` (app.py:"),
            ("    ctx.set('c', order.sku)\n    return order.sku\n", ORDER + currency.format("'USD'", "'the currency'"), "compatible", "")):
        found = {h.handler: h for h in _diff_all(old, new, "Order", body)}
        h = found["place"]
        assert h.verdict.value == expected, (body, new, h.reason)
        assert says in h.reason, h.reason
        checked += 1
    assert checked == 4


CHANGED_CLASS = "its computation changed (it reads code that changed: `Order` (app.py:8))"
"""Where rea cannot say which keys a value is written with, but it is the input, whose class changed."""


def test_a_call_to_a_handler_with_its_own_input_serde_is_not_read():
    body = FORWARD.replace("@svc.handler()\nasync def charge", "@svc.handler(input_serde=restate.serde.JsonSerde())\nasync def charge")
    found = {h.handler: h for h in _diff_all(ORDER, ORDER + "    note: str = ''\n", "Order", body)}
    assert found["place"].verdict is Verdict.UNKNOWN and CHANGED_CLASS in found["place"].reason, found["place"].reason


def test_a_send_breaks_as_a_call_does_and_a_generic_call_is_bytes():
    send = FORWARD.replace("await ctx.service_call(charge, arg=order)", "ctx.service_send(charge, arg=order)")
    found = {h.handler: h for h in _diff_all(ORDER, ORDER + "    note: str = ''\n", "Order", send)}
    assert found["place"].verdict is Verdict.BREAKING and "parameter `order`" in found["place"].reason
    generic = FORWARD.replace("await ctx.service_call(charge, arg=order)", "await ctx.generic_call('orders', 'charge', arg=order)")
    found = {h.handler: h for h in _diff_all(ORDER, ORDER + "    note: str = ''\n", "Order", generic)}
    assert found["place"].verdict is Verdict.UNKNOWN and CHANGED_CLASS in found["place"].reason, found["place"].reason


def test_only_pydantic_models_are_read_as_a_calls_parameter():
    """restate-sdk 1.3 serializes no dataclass as a call's argument (the called handler's input
    serde is plain JSON there): rea claims no keys for one, only that its class changed."""
    data = "@dataclass\nclass Quote:\n    price: int\n"
    body = "q = await ctx.run_typed('fetch', fetch)\nawait ctx.object_call(h, key='k', arg=q)"
    h = diff(data, data + "    memo: str = ''\n", body, FETCH)
    assert h.verdict is Verdict.UNKNOWN and "(it reads code that changed: `Quote` (app.py:" in h.reason, h.reason
    h = diff(MODEL, ADDED, body, FETCH)
    assert h.verdict is Verdict.BREAKING and "parameter `q`" in h.reason, h.reason
    # a dataclass's dict is plain JSON, written with its keys in order
    h = diff(data, data + "    memo: str = ''\n", body.replace("arg=q", "arg=dataclasses.asdict(q)"), FETCH)
    assert h.verdict is Verdict.BREAKING and "`memo`" in h.reason, h.reason


def test_a_calls_result_passed_on():
    """A call's result is decoded with the caller's class, whatever the callee wrote: its keys are
    the caller's class's."""
    classes = "class Quote(BaseModel):\n    price: int\n"
    body = ("    q = await ctx.service_call(quote, arg=sku)\n    ctx.service_send(audit, arg=q)\n    return 'ok'\n\n\n"
            "@svc.handler()\nasync def quote(ctx: restate.Context, sku: str) -> {returns}:\n    return Quote(price=1)\n\n\n"
            "@svc.handler()\nasync def audit(ctx: restate.Context, q: Quote) -> None:\n    return None\n")
    for returns, expected in (("Quote", Verdict.BREAKING), ("Optional[Quote]", Verdict.UNKNOWN)):
        found = {h.handler: h for h in _diff_all(classes, classes + "    currency: str = 'EUR'\n", "str", body.format(returns=returns),
                                               param="sku")}
        assert found["place"].verdict is expected, found["place"].reason
        assert "parameter `q` is written as `Quote`" in found["place"].reason


def test_the_json_names_the_command_and_the_keys(tmp_path):
    import json

    from rea_lint.cli import main

    old, new = tmp_path / "old", tmp_path / "new"
    for root, classes in ((old, ORDER), (new, ORDER + "    note: str = ''\n")):
        root.mkdir()
        (root / "app.py").write_text(_source(classes, "Order", FORWARD))
    out = tmp_path / "out.json"
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(["diff", "--base", str(old), "--head", str(new), "--format", "json"])
    out.write_text(buffer.getvalue())
    data = json.loads(out.read_text())
    [place] = [h for h in data["handlers"] if h["handler"] == "place"]
    assert code == 1 and place["verdict"] == "breaking"
    assert place["divergence"]["index"] == 1 and not place["divergence"]["undecodable"]
    assert "which now writes `note` too where the old `Order`" in place["reason"]
    old_parameter = place["divergence"]["old"]["fields"]["parameter"]
    new_parameter = place["divergence"]["new"]["fields"]["parameter"]
    assert old_parameter == {"expression": "order", "written_as": {"class": "Order", "where": "app.py:8", "keys": ["sku"], "may_be_none": False,
                                                                 "serde": None, "holds": {}}}
    assert new_parameter["written_as"]["keys"] == ["sku", "note"]


def test_the_json_says_which_models_a_value_holds():
    """`written_as.holds`: each field written with a model's keys, `always` for a required model
    field; a list of them may hold none."""
    classes = "class Tag(BaseModel):\n    name: str\n{tag}\n\n" + ADDRESS.format(extra="    tags: list[Tag] = []\n", annotation="Address")
    h = diff(classes.format(tag=""), classes.format(tag="    weight: int = 1\n"), STORE, FETCH)
    assert h.verdict is Verdict.UNKNOWN and "(unless `address.tags` holds no `Tag`)" in h.reason, h.reason
    moved = "class Tag(BaseModel):\n    name: str\n\n\n" + ADDRESS.format(extra="    tags: list[Tag] = []\n    zip: str = ''\n", annotation="Address")
    h = diff(classes.format(tag=""), moved, STORE, FETCH)
    assert h.verdict is Verdict.BREAKING and h.divergence is not None, h.reason
    data = json.loads(as_json(ProjectDiff([h])))
    written = data["handlers"][0]["divergence"]["new"]["fields"]["value"]["written_as"]
    assert written["keys"] == ["price", "address"] and written["holds"] == {"address": {
        "class": "Address", "where": "app.py:18", "keys": ["city", "tags", "zip"], "always": True, "holds": {
            "tags": {"class": "Tag", "where": "app.py:14", "keys": ["name"], "always": False, "holds": {}}}}}


def _source(classes: str, annotation: str, body: str, param: str = "order") -> str:
    from .test_diff_decoding import INPUT

    return INPUT.format(classes=classes, annotation=annotation, deco="", body=body).replace("order: ", f"{param}: ", 1)


def _diff_all(old_classes: str, new_classes: str, annotation: str, body: str, param: str = "order"):
    old, _ = shapes_of_sources({"app.py": _source(old_classes, annotation, body, param)})
    new, _ = shapes_of_sources({"app.py": _source(new_classes, annotation, body, param)})
    return diff_projects(old, new).handlers


def test_input_diff_is_unchanged_by_forwarding_nothing():
    """The input model's own change (a defaulted field) is compatible where the input is not passed on."""
    assert input_diff(ORDER, ORDER + "    note: str = ''\n").verdict is Verdict.COMPATIBLE


def test_a_helper_passes_on_what_its_caller_gave_it():
    """The handler gives its input to a helper that calls with it: the helper's parameter holds the
    input (what the caller passed), unless the helper binds the name again."""
    helper = ("    await forward(ctx, order)\n    return order.sku\n\n\n"
              "async def forward(ctx: restate.Context, o: Order) -> None:\n{rebind}    await ctx.service_call(charge, arg=o)\n\n\n"
              "@svc.handler()\nasync def charge(ctx: restate.Context, order: Order) -> str:\n    return order.sku\n")
    found = {h.handler: h for h in _diff_all(ORDER, ORDER + "    note: str = ''\n", "Order", helper.format(rebind=""))}
    h = found["place"]
    assert h.verdict is Verdict.BREAKING and "parameter `o` is written as `Order` (app.py:8)" in h.reason, h.reason
    rebound = helper.format(rebind="    o = o.model_copy()\n")
    found = {h.handler: h for h in _diff_all(ORDER, ORDER + "    note: str = ''\n", "Order", rebound)}
    assert found["place"].verdict is Verdict.UNKNOWN and CHANGED_CLASS in found["place"].reason, found["place"].reason


def test_the_input_used_whole_counts_by_its_class_code():
    """A value computed from the input used whole (`str(order)`) is what the new class decodes and
    writes: unknown where the class's code changed (p145, p146 on a server), compatible where only
    a method changed. A `TypedDict` is read as plain JSON whatever its code, and a test of whether
    the input is there (`order is None`) reads none of it."""
    typed = "from typing import TypedDict\n\n\nclass Order(TypedDict):\n    sku: str\n"
    whole = "    ctx.resolve_awakeable('id', str(order))\n    return 'ok'\n"
    present = "    if order is None:\n        ctx.resolve_awakeable('id', 'none')\n    return 'ok'\n"
    checked = 0
    for old, new, annotation, body, expected in (
            (ORDER, ORDER + "    note: str = ''\n", "Order", whole, Verdict.UNKNOWN),
            (ORDER, ORDER + "    note: str = Field(default='', description='a note')\n", "Optional[Order]", whole, Verdict.UNKNOWN),
            (ORDER, ORDER + "\n    def label(self) -> str:\n        return self.sku\n", "Order", whole, Verdict.COMPATIBLE),
            (typed, typed + "    note: str\n", "Order", whole, Verdict.COMPATIBLE),
            (ORDER, ORDER + "    note: str = ''\n", "Optional[Order]", present, Verdict.COMPATIBLE)):
        [h] = _diff_all(old, new, annotation, body)
        assert h.verdict is expected, (new, body, h.reason)
        if expected is Verdict.UNKNOWN:
            assert "its computation changed (it reads code that changed: `Order` (app.py:8))" in h.reason, h.reason
        checked += 1
    assert checked == 5


def test_a_condition_on_the_input_counts_by_the_code_of_what_it_reads():
    """A branch on a field of the input (`if order.sku == 'x'`) is decided by the value the new class
    decodes: a validator added to that field may turn it the other way (p148: 570 where the old
    code had taken the other arm), a field added elsewhere may not. Whether the input is there
    (`if order:`, `order is None`) no class's code decides."""
    validated = "from pydantic import field_validator\n\n\n" + ORDER + ("\n    @field_validator('sku')\n    @classmethod\n    def upper(cls, v: str) -> str:\n"
                         "        return v.upper()\n")
    on_field = "    if order.sku == 'x':\n        ctx.resolve_awakeable('id', 'x')\n    return 'ok'\n"
    present = "    if order:\n        ctx.resolve_awakeable('id', 'x')\n    if not order:\n        return 'none'\n    return 'ok'\n"
    checked = 0
    for new, annotation, body, expected in (
            (validated, "Order", on_field, Verdict.BREAKING),
            (ORDER + "    note: str = ''\n", "Order", on_field, Verdict.COMPATIBLE),
            (validated, "Optional[Order]", present, Verdict.COMPATIBLE),
            (ORDER + "    note: str = ''\n", "Optional[Order]", present, Verdict.COMPATIBLE)):
        [h] = _diff_all(ORDER, new, annotation, body)
        assert h.verdict is expected, (new, body, h.reason)
        if expected is Verdict.BREAKING:
            assert "along a way that depends on `order.sku == 'x'` (app.py:" in h.reason, h.reason
        checked += 1
    assert checked == 4


def test_a_validator_counts_by_the_helpers_it_calls():
    """`Order.sku`'s validator calls a function of the module whose body changed: the field holds
    another value at replay (p150: 570 at the set), though the validator's own text stays."""
    classes = ("from pydantic import field_validator\n\n\ndef normalized(v: str) -> str:\n    return v.{how}()\n\n\n" + ORDER +
               "\n    @field_validator('sku')\n    @classmethod\n    def canonical(cls, v: str) -> str:\n        return normalized(v)\n")
    body = "    ctx.resolve_awakeable('id', order.sku)\n    return 'ok'\n"
    [same] = _diff_all(classes.format(how="upper"), classes.format(how="upper"), "Order", body)
    assert same.verdict is Verdict.COMPATIBLE, same.reason
    [h] = _diff_all(classes.format(how="upper"), classes.format(how="lower"), "Order", body)
    assert h.verdict is Verdict.UNKNOWN and "(it reads code that changed: `Order.sku` (app.py:" in h.reason, h.reason


def test_a_validator_counts_by_the_helpers_it_imports():
    """The validator calls a helper imported from another module of the project, whose body (or
    the body of what it calls in turn) changed: the field holds another value at replay (p153:
    570 at the set; rea said compatible). The same helper in both revisions stays compatible."""
    app = _source("from pydantic import field_validator\n\nfrom text_utils import normalized\n\n\n" + ORDER +
                  "\n    @field_validator('sku')\n    @classmethod\n    def canonical(cls, v: str) -> str:\n        return normalized(v)\n",
                  "Order", "    ctx.resolve_awakeable('id', order.sku)\n    return 'ok'\n", "order")
    direct = "def normalized(v: str) -> str:\n    return v.{how}()\n"
    through = "def normalized(v: str) -> str:\n    return _cased(v)\n\n\ndef _cased(v: str) -> str:\n    return v.{how}()\n"
    for utils in (direct, through):
        sides = [shapes_of_sources({"app.py": app, "text_utils.py": utils.format(how=how)})[0] for how in ("upper", "upper", "lower")]
        [same] = diff_projects(sides[0], sides[1]).handlers
        assert same.verdict is Verdict.COMPATIBLE, same.reason
        [h] = diff_projects(sides[0], sides[2]).handlers
        assert h.verdict is Verdict.UNKNOWN and "(it reads code that changed: `Order.sku` (app.py:" in h.reason, h.reason
