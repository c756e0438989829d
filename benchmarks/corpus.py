"""The two corpora: (a) generated Restate modules, (b) the interpreter's standard library.

(a) is deterministic for a seed: the same seed writes byte-identical files, so figures from two
runs (or two machines) are measured on the same code. Each module is what a team's service
file looks like: pydantic models for handler I/O, pure helpers, side-effect functions that
handlers call through ``ctx.run_typed``, and one to three Services / Virtual Objects /
Workflows whose handlers use state, durable timers, calls, sends, promises and
``TerminalError``. Restate is imported in four styles (``import restate``, an alias,
``from restate import ...`` with occasional renames, and a mix). Modules are 100-400 lines
and pass flake8's default checks; a few percent carry one or two replay-safety violations,
recorded in ``manifest.json`` with the catalog codes a complete rea should report.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

__all__ = ["Corpus", "generate", "stdlib_corpus", "generate_module"]

MIN_LINES, MAX_LINES = 100, 400
DEFAULT_SEED = 20261121

DOMAINS = [
    "order", "payment", "shipment", "invoice", "account", "subscription", "inventory",
    "booking", "ticket", "cart", "refund", "loyalty", "notification", "transfer", "claim",
    "listing", "rental", "delivery", "checkout", "profile", "quote", "policy", "reservation",
    "voucher", "parcel", "meter", "ledger", "payout", "signup", "review",
]
EXTRA_FIELDS = [
    ("currency", "str", '"EUR"'),
    ("priority", "int", "0"),
    ("region", "str", '"eu-west"'),
    ("tags", "dict[str, str]", "Field(default_factory=dict)"),
    ("retries", "int", "Field(default=3, ge=0)"),
    ("email", "str", '""'),
    ("express", "bool", "False"),
    ("quantity", "int", "Field(default=1, ge=1)"),
    ("discount_code", "Optional[str]", "None"),
]
SUFFIXES = ["Line", "Event", "Snapshot", "Summary", "Update", "Adjustment"]


@dataclass
class Corpus:
    """A set of files to lint, and (for generated corpora) the violations planted in them."""

    name: str
    root: Path
    files: list[Path]
    manifest: dict[str, list[str]] = field(default_factory=dict)
    description: str = ""

    @property
    def lines(self) -> int:
        return sum(p.read_bytes().count(b"\n") for p in self.files)


# --- names and imports ------------------------------------------------------------------------

_STDLIB_FROM = {
    "timedelta": "datetime",
    "Optional": "typing",
    "Any": "typing",
}
_PYDANTIC = {"BaseModel", "Field"}
_CONTEXTS = {
    "Context", "ObjectContext", "ObjectSharedContext", "WorkflowContext",
    "WorkflowSharedContext",
}


class _Names:
    """Spells restate/stdlib names in the module's import style and records the imports used."""

    def __init__(self, rng: random.Random) -> None:
        self.style = rng.choice(["module", "alias", "from", "mixed"])
        self.alias = rng.choice(["rs", "rt", "restate_sdk"])
        self.renames: dict[str, str] = {}
        if self.style == "from" and rng.random() < 0.4:
            self.renames = rng.choice([
                {"VirtualObject": "Object"},
                {"Service": "RestateService"},
                {"Context": "Ctx", "ObjectContext": "ObjCtx"},
                {"TerminalError": "Terminal"},
            ])
        self.terminal_from_exceptions = rng.random() < 0.5
        self.restate_used: set[str] = set()
        self.modules: set[str] = set()
        self.froms: dict[str, set[str]] = {}

    def r(self, name: str) -> str:
        """A restate name (Service, Context, TerminalError, gather, RunOptions, getLogger)."""
        self.restate_used.add(name)
        if self.style == "module":
            return f"restate.{name}"
        if self.style == "alias":
            return f"{self.alias}.{name}"
        if self.style == "mixed" and name not in _CONTEXTS and name != "TerminalError":
            return f"restate.{name}"
        return self.renames.get(name, name)

    def std(self, name: str) -> str:
        """A stdlib or pydantic name: `json` (module) or `timedelta` (from-import)."""
        if name in _STDLIB_FROM:
            self.froms.setdefault(_STDLIB_FROM[name], set()).add(name)
        elif name in _PYDANTIC:
            self.froms.setdefault("pydantic", set()).add(name)
        else:
            self.modules.add(name)
        return name

    def header(self) -> list[str]:
        std_mods = sorted(m for m in self.modules)
        std_froms = sorted(m for m in self.froms if m != "pydantic")
        lines = [f"import {m}" for m in std_mods]
        lines += [f"from {m} import {', '.join(sorted(self.froms[m]))}" for m in std_froms]
        third: list[str] = []
        if "pydantic" in self.froms:
            third.append(f"from pydantic import {', '.join(sorted(self.froms['pydantic']))}")
        used = self.restate_used
        if self.style == "module" and used:
            third.append("import restate")
        elif self.style == "alias" and used:
            third.append(f"import restate as {self.alias}")
        else:
            bare = {n for n in used}
            if self.style == "mixed":
                if bare - _CONTEXTS - {"TerminalError"}:
                    third.append("import restate")
                bare = {n for n in used if n in _CONTEXTS or n == "TerminalError"}
            exc = self.terminal_from_exceptions and "TerminalError" in bare
            if exc:
                bare.discard("TerminalError")
            if bare:
                names = [self._spell(n) for n in sorted(bare)]
                third += _wrap_import("from restate import ", names)
            if exc:
                third.append(f"from restate.exceptions import {self._spell('TerminalError')}")
        out = list(lines)
        if lines and third:
            out.append("")
        return out + third

    def _spell(self, name: str) -> str:
        alias = self.renames.get(name)
        return f"{name} as {alias}" if alias else name


def _wrap_import(prefix: str, names: list[str]) -> list[str]:
    one = prefix + ", ".join(names)
    if len(one) <= 79:
        return [one]
    return [prefix + "("] + [f"    {n}," for n in names] + [")"]


# --- the module generator -----------------------------------------------------------------------


@dataclass
class _Handler:
    kind: str  # service | exclusive | shared | wf_main | wf_shared
    ctx: str
    name: str
    var: str  # the service variable
    lines: list[str] = field(default_factory=list)


class _Module:
    def __init__(self, rng: random.Random, index: int, violations: int) -> None:
        self.rng = rng
        self.n = _Names(rng)
        self.noun = rng.choice(DOMAINS)
        self.Noun = "".join(p.capitalize() for p in self.noun.split("_"))
        self.index = index
        self.future = rng.random() < 0.3
        self.ctx_name = "ctx" if rng.random() < 0.8 else "context"
        self.used_names: set[str] = set()
        self.helpers: dict[str, list[str]] = {}
        self.models: list[list[str]] = []
        self.extra_models: list[str] = []
        self.blocks: list[tuple[str, str, list[_Handler]]] = []  # (var, ctor, handlers)
        self.consts: list[str] = []
        self.violations_left = violations
        self.planted: list[str] = []
        self.req_fields = rng.sample(EXTRA_FIELDS, rng.randint(1, 4))
        self.has_logger = rng.random() < 0.5
        self.max_items = rng.randint(20, 500)
        self._pending: list[str] = []
        self._names_here: set[str] = set()

    # names ---------------------------------------------------------------------------------
    def fresh(self, base: str) -> str:
        name, i = base, 2
        while name in self.used_names:
            name, i = f"{base}_{i}", i + 1
        self.used_names.add(name)
        return name

    @property
    def req(self) -> str:
        return f"{self.Noun}Request"

    @property
    def res(self) -> str:
        return f"{self.Noun}Receipt"

    @property
    def ident(self) -> str:
        return f"{self.noun}_id"

    # models ----------------------------------------------------------------------------------
    def build_models(self) -> None:
        F = self.n.std("Field")
        B = self.n.std("BaseModel")
        opt = self.n.std("Optional")
        req = [
            f"class {self.req}({B}):",
            f'    """What a caller sends to start or change a {self.noun}."""',
            "",
            f"    {self.ident}: str",
            "    customer_id: str",
            f"    amount_cents: int = {F}(ge=0)",
            f"    items: list[str] = {F}(default_factory=list)",
            f"    note: {opt}[str] = None",
        ]
        for name, typ, default in self.req_fields:
            req.append(f"    {name}: {typ} = {default}")
        res = [
            f"class {self.res}({B}):",
            f'    """What the {self.noun} handlers answer."""',
            "",
            f"    {self.ident}: str",
            "    total_cents: int",
            '    status: str = "accepted"',
            f"    reference: {opt}[str] = None",
        ]
        self.models += [req, res]
        for suffix in self.rng.sample(SUFFIXES, self.rng.randint(0, 3)):
            name = f"{self.Noun}{suffix}"
            fields = [
                f"class {name}({B}):",
                f'    """A {self.noun} {suffix.lower()} kept in state."""',
                "",
                f"    {self.ident}: str",
            ]
            pool = [
                "    sku: str",
                "    quantity: int = 1",
                "    cents: int = 0",
                '    reason: str = ""',
                "    at: float = 0.0",
                f"    labels: list[str] = {F}(default_factory=list)",
                f"    parent: {opt}[str] = None",
            ]
            fields += self.rng.sample(pool, self.rng.randint(2, 5))
            self.models.append(fields)
            self.extra_models.append(name)

    # helpers (rendered only when used) ------------------------------------------------------
    def helper(self, kind: str) -> str:
        """The name of a module-level helper of this kind, adding it on first use."""
        makers: dict[str, Callable[[str], list[str]]] = {
            "total": self._h_total,
            "discount": self._h_discount,
            "normalise": self._h_normalise,
            "risk": self._h_risk,
            "reference": self._h_reference,
            "charge": self._h_charge,
            "reserve": self._h_reserve,
            "notify": self._h_notify,
            "stamp": self._h_stamp,
            "validate": self._h_validate,
            "summary": self._h_summary,
        }
        key = f"helper:{kind}"
        for name, _ in self.helpers.items():
            if name.startswith(key + ":"):
                return name.split(":", 2)[2]
        names = {
            "total": f"compute_{self.noun}_total",
            "discount": "apply_discount",
            "normalise": "normalise_items",
            "risk": "risk_score",
            "reference": f"format_{self.noun}_reference",
            "charge": f"charge_{self.noun}",
            "reserve": "reserve_stock",
            "notify": f"notify_{self.noun}_webhook",
            "stamp": "stamp_now",
            "validate": f"validate_{self.noun}",
            "summary": "summarise_items",
        }
        fname = self.fresh(names[kind])
        self.helpers[f"{key}:{fname}"] = makers[kind](fname)
        return fname

    def _h_total(self, f: str) -> list[str]:
        w = self.rng.randint(3, 9)
        return [
            f"def {f}(items: list[str], unit_cents: int) -> int:",
            '    """The total in cents: heavier items cost more, bulk costs less."""',
            "    total = 0",
            "    for index, item in enumerate(items):",
            f"        weight = len(item) % {w} + 1",
            "        total += unit_cents * weight",
            f"        if index >= {self.rng.randint(5, 20)}:",
            "            total -= unit_cents // 10",
            "    return max(total, 0)",
        ]

    def _h_discount(self, f: str) -> list[str]:
        opt = self.n.std("Optional")
        pct = self.rng.choice([5, 10, 15, 20, 25])
        return [
            f"def {f}(total_cents: int, code: {opt}[str]) -> int:",
            '    """The total after a discount code, never below zero."""',
            "    if not code:",
            "        return total_cents",
            '    if code.upper().startswith("VIP"):',
            f"        return total_cents * {100 - pct * 2} // 100",
            f"    return max(total_cents * {100 - pct} // 100, 0)",
        ]

    def _h_normalise(self, f: str) -> list[str]:
        return [
            f"def {f}(items: list[str]) -> list[str]:",
            '    """Trimmed, lower-cased, de-duplicated item codes in a stable order."""',
            "    seen: list[str] = []",
            "    for raw in items:",
            "        item = raw.strip().lower()",
            "        if item and item not in seen:",
            "            seen.append(item)",
            "    return seen",
        ]

    def _h_risk(self, f: str) -> list[str]:
        h = self.n.std("hashlib")
        return [
            f"def {f}(customer_id: str, amount_cents: int) -> float:",
            '    """A stable pseudo-score in [0, 1): the same input, the same score."""',
            f"    digest = {h}.sha256(customer_id.encode()).digest()",
            "    base = int.from_bytes(digest[:4], \"big\") / 2**32",
            f"    if amount_cents > {self.rng.choice([10_000, 50_000, 100_000])}:",
            "        base = min(base * 1.5, 0.999)",
            "    return base",
        ]

    def _h_reference(self, f: str) -> list[str]:
        return [
            f"def {f}(prefix: str, ident: str) -> str:",
            '    """A human-friendly reference such as ORD-0042-ab12."""',
            "    tail = ident[-4:] if len(ident) >= 4 else ident.rjust(4, \"0\")",
            '    return f"{prefix.upper()}-{len(ident):04d}-{tail}"',
        ]

    def _h_charge(self, f: str) -> list[str]:
        h = self.n.std("hashlib")
        log = ["    logger.info(\"charging %s\", ident)"] if self.has_logger else []
        return [
            f"def {f}(ident: str, amount_cents: int) -> str:",
            '    """Charge the payment provider (called inside ctx.run_typed)."""',
            *log,
            '    payload = f"{ident}:{amount_cents}".encode()',
            f"    return \"ch_\" + {h}.sha256(payload).hexdigest()[:16]",
        ]

    def _h_reserve(self, f: str) -> list[str]:
        return [
            f"def {f}(sku: str, quantity: int) -> bool:",
            '    """Reserve stock in the warehouse (called inside ctx.run_typed)."""',
            "    if quantity <= 0:",
            '        raise ValueError(f"bad quantity for {sku}")',
            f"    return len(sku) % {self.rng.randint(5, 13)} != 0",
        ]

    def _h_notify(self, f: str) -> list[str]:
        j = self.n.std("json")
        return [
            f"async def {f}(ident: str, status: str) -> int:",
            '    """Tell the subscriber about a change (called inside ctx.run_typed)."""',
            f'    body = {j}.dumps({{"id": ident, "status": status}})',
            "    return len(body)",
        ]

    def _h_stamp(self, f: str) -> list[str]:
        t = self.n.std("time")
        return [
            f"def {f}() -> float:",
            '    """Wall-clock time; only ever read inside a run action."""',
            f"    return {t}.time()",
        ]

    def _h_validate(self, f: str) -> list[str]:
        return [
            f"def {f}(req: {self.req}) -> list[str]:",
            '    """Problems with a request, empty when it is fine."""',
            "    problems = []",
            f"    if not req.{self.ident}:",
            f'        problems.append("{self.ident} is required")',
            "    if req.amount_cents < 0:",
            '        problems.append("amount_cents must not be negative")',
            f"    if len(req.items) > {self.rng.choice([50, 100, 250])}:",
            '        problems.append("too many items")',
            "    return problems",
        ]

    def _h_summary(self, f: str) -> list[str]:
        return [
            f"def {f}(items: list[str]) -> dict[str, int]:",
            '    """How many of each item, keyed in sorted order."""',
            "    counts: dict[str, int] = {}",
            "    for item in sorted(items):",
            "        counts[item] = counts.get(item, 0) + 1",
            "    return counts",
        ]

    # services ----------------------------------------------------------------------------------
    def add_block(self) -> None:
        ctor = self.rng.choices(["Service", "VirtualObject", "Workflow"], [4, 4, 2])[0]
        if any(c == "Workflow" for _, c, _ in self.blocks) and ctor == "Workflow":
            ctor = "Service"
        base = {"Service": f"{self.noun}_service", "VirtualObject": f"{self.noun}s",
                "Workflow": f"{self.noun}_flow"}[ctor]
        var = self.fresh(base)
        self.blocks.append((var, ctor, []))
        if ctor == "Workflow":
            self.add_handler("wf_main")
        elif ctor == "VirtualObject":
            self.add_handler("exclusive")
        else:
            self.add_handler("service")

    def add_handler(self, kind: str | None = None, force: bool = False) -> None:
        var, ctor, handlers = self.blocks[-1]
        if kind is None:
            kind = {"Service": ["service"], "VirtualObject": ["exclusive", "exclusive", "shared"],
                    "Workflow": ["wf_shared"]}[ctor][self.rng.randrange(3 if ctor == "VirtualObject" else 1)]
        verbs = {
            "service": ["process", "quote", "charge", "validate", "submit", "settle", "notify"],
            "exclusive": ["add", "update", "cancel", "confirm", "reset", "apply", "close"],
            "shared": ["get", "status", "peek", "summary", "count"],
            "wf_main": ["run"],
            "wf_shared": ["approve", "reject", "status", "details"],
        }[kind]
        name = self.fresh(self.rng.choice(verbs) if kind != "wf_main" else "run")
        h = _Handler(kind, self.ctx_name, name, var)
        self._handler_body(h, force)
        handlers.append(h)

    def ctx_type(self, kind: str) -> str:
        return self.n.r({
            "service": "Context", "exclusive": "ObjectContext", "shared": "ObjectSharedContext",
            "wf_main": "WorkflowContext", "wf_shared": "WorkflowSharedContext",
        }[kind])

    def _decorator(self, h: _Handler) -> str:
        if h.kind == "wf_main":
            return f"@{h.var}.main()"
        if h.kind == "shared":
            return f'@{h.var}.handler(kind="shared")'
        style = self.rng.random()
        if style < 0.7:
            return f"@{h.var}.handler()"
        if style < 0.85:
            return f'@{h.var}.handler("{h.name}")'
        return f'@{h.var}.handler(name="{h.name}")'

    def _handler_body(self, h: _Handler, force: bool = False) -> None:
        rng, c, req = self.rng, h.ctx, "req"
        self._pending: list[str] = []
        self._names_here: set[str] = set()
        takes_req = h.kind != "shared" or rng.random() < 0.3
        returns = rng.choice(["receipt", "str", "int"]) if h.kind != "wf_shared" else "str"
        ann = {"receipt": self.res, "str": "str", "int": "int"}[returns]
        sig_args = f"{c}: {self.ctx_type(h.kind)}"
        if takes_req:
            sig_args += f", {req}: {self.req}"
        sig = f"async def {h.name}({sig_args}) -> {ann}:"
        if len(sig) > 79:
            sig = f"async def {h.name}(\n    {sig_args},\n) -> {ann}:"
        body: list[str] = [f'"""{self._doc(h)}"""']
        have_total = False
        pool = self._pool(h, takes_req)
        for _ in range(rng.randint(2, 6)):
            key = rng.choice(pool)
            lines, provides_total = self._block(key, h, takes_req, have_total)
            body += lines
            have_total = have_total or provides_total
        if self.violations_left and (force or rng.random() < 0.3):
            body += self._violation(h, takes_req)
        if not have_total:
            expr = f"{req}.amount_cents" if takes_req else "0"
            body.append(f"total = {expr}")
        ident = f"{req}.{self.ident}" if takes_req else f"'{h.name}'"
        trail = ""
        if self._pending:
            names = ", ".join(self._pending) + ("," if len(self._pending) == 1 else "")
            line = f"trail = \" \".join(str(v) for v in ({names}))"
            if len(line) > 74:
                body += ["trail = \" \".join(", "    str(v)", "    for v in (",
                         *(f"        {p}," for p in self._pending), "    )", ")"]
            else:
                body.append(line)
            trail = "trail"
        if returns == "receipt":
            body += [
                f"return {self.res}(",
                f"    {self.ident}={ident},",
                "    total_cents=total,",
                *([f"    reference={trail},"] if trail else []),
                ")",
            ]
        elif returns == "str":
            tail = f":{{{trail}}}" if trail else ""
            body.append(f'return f"{{{ident}}}:{{total}}{tail}"')
        else:
            body.append(f"return total + len({trail})" if trail else "return total")
        h.lines = [self._decorator(h), *sig.split("\n"), *("    " + ln if ln else "" for ln in body)]

    def _doc(self, h: _Handler) -> str:
        return {
            "service": f"{h.name.capitalize()} a {self.noun}; durable across retries.",
            "exclusive": f"{h.name.capitalize()} this {self.noun} (one at a time per key).",
            "shared": f"Read-only {h.name} of this {self.noun}.",
            "wf_main": f"The {self.noun} workflow, start to finish.",
            "wf_shared": f"{h.name.capitalize()}: a signal into the running workflow.",
        }[h.kind]

    def _pool(self, h: _Handler, takes_req: bool) -> list[str]:
        common = ["time", "random", "uuid", "log"]
        if takes_req:
            common += ["validate", "total", "total", "charge", "reserve", "notify", "stamp", "risk",
                       "reference", "summary", "try"]
        if h.kind == "service":
            return common + ["sleep", "call", "send"] if takes_req else common + ["sleep"]
        if h.kind == "exclusive":
            return common + ["state", "state", "clear", "send"] if takes_req else common + ["state"]
        if h.kind == "shared":
            return ["read", "read", "log", "keys"]
        if h.kind == "wf_main":
            return common + ["state", "promise", "sleep"]
        return ["resolve", "read", "log"] if takes_req else ["read", "log"]

    def _block(self, key: str, h: _Handler, takes_req: bool, have_total: bool) -> tuple[list[str], bool]:
        rng, c, n = self.rng, h.ctx, self.n
        v = self.fresh_local
        if key == "validate":
            f = self.helper("validate")
            p = v("problems")
            return [
                f"{p} = {f}(req)",
                f"if {p}:",
                f'    raise {n.r("TerminalError")}("; ".join({p}))',
            ], False
        if key == "total":
            f = self.helper("total")
            lines = [f"total = {f}(req.items, req.amount_cents)"]
            if rng.random() < 0.5 and any(fn == "discount_code" for fn, _, _ in self.req_fields):
                d = self.helper("discount")
                lines.append(f"total = {d}(total, req.discount_code)")
            return lines, True
        if key == "charge":
            f = self.helper("charge")
            ch = v("charge_id", True)
            amount = "total" if have_total else "req.amount_cents"
            if rng.random() < 0.5:
                opts = n.r("RunOptions")
                td = n.std("timedelta")
                return [
                    f"{ch} = await {c}.run_typed(",
                    '    "charge",',
                    f"    {f},",
                    f"    {opts}(",
                    f"        max_attempts={rng.randint(3, 10)},",
                    f"        max_duration={td}(minutes={rng.randint(1, 30)}),",
                    "    ),",
                    f"    ident=req.{self.ident},",
                    f"    amount_cents={amount},",
                    ")",
                ], False
            return [
                f"{ch} = await {c}.run_typed(",
                f'    "charge", {f},',
                f"    ident=req.{self.ident}, amount_cents={amount},",
                ")",
            ], False
        if key == "reserve":
            f = self.helper("reserve")
            norm = self.helper("normalise")
            item = v("item")
            return [
                f"for {item} in {norm}(req.items):",
                f"    ok = await {c}.run_typed(",
                f'        f"reserve {{{item}}}", {f}, sku={item}, quantity=1',
                "    )",
                "    if not ok:",
                f'        raise {n.r("TerminalError")}(f"{{{item}}} is out of stock")',
            ], False
        if key == "notify":
            f = self.helper("notify")
            return [
                f"await {c}.run_typed(",
                f'    "notify", {f},',
                f'    ident=req.{self.ident}, status="{rng.choice(["ok", "done", "sent"])}",',
                ")",
            ], False
        if key == "stamp":
            f = self.helper("stamp")
            s = v("stamped_at", True)
            return [f'{s} = await {c}.run_typed("stamp", {f})'], False
        if key == "risk":
            f = self.helper("risk")
            s = v("score")
            lines = [
                f'{s} = await {c}.run_typed(',
                f'    "risk", {f}, customer_id=req.customer_id,',
                "    amount_cents=req.amount_cents,",
                ")",
                f"if {s} > 0.{rng.randint(80, 99)}:",
                f'    raise {n.r("TerminalError")}("refused: risk too high")',
            ]
            return lines, False
        if key == "reference":
            f = self.helper("reference")
            r = v("reference", True)
            return [f'{r} = {f}("{self.noun[:3]}", req.{self.ident})'], False
        if key == "summary":
            f = self.helper("summary")
            s = v("counts")
            return [f"{s} = {f}(req.items)", f"if len({s}) > {rng.randint(10, 40)}:",
                    f'    raise {n.r("TerminalError")}("too many distinct items")'], False
        if key == "time":
            t = v("now", True)
            return [f"{t} = await {c}.time()"], False
        if key == "random":
            j = v("jitter", True)
            return [f"{j} = {c}.random().randint(1, {rng.randint(5, 60)})"], False
        if key == "uuid":
            u = v("token", True)
            return [f"{u} = str({c}.uuid())"], False
        if key == "log":
            if not self.has_logger:
                return [f"# {rng.choice(['no logging here', 'keep this handler small'])}"], False
            return [f'logger.info("{h.name} %s", "{self.noun}")'], False
        if key == "sleep":
            td = n.std("timedelta")
            unit = rng.choice(["seconds", "minutes", "milliseconds"])
            return [f"await {c}.sleep({td}({unit}={rng.randint(1, 30)}))"], False
        if key in ("call", "send"):
            targets = [x for x in self._all_handlers() if x.kind == "service" and x.name != h.name]
            if not targets:
                return [f"# {h.name}: nothing to call yet"], False
            t = rng.choice(targets)
            if key == "call":
                out = v("answer", True)
                return [f"{out} = await {c}.service_call({t.name}, arg=req)"], False
            td = n.std("timedelta")
            return [
                f"{c}.service_send(",
                f"    {t.name}, arg=req, send_delay={td}(minutes={rng.randint(1, 90)})",
                ")",
            ], False
        if key == "state":
            k = v("count")
            return [
                f'{k} = await {c}.get("count", type_hint=int) or 0',
                f'{c}.set("count", {k} + 1)',
                f'{c}.set("last", req.{self.ident})' if takes_req else f'{c}.set("last", "{h.name}")',
            ], False
        if key == "clear":
            return [f'{c}.clear("{rng.choice(["draft", "pending", "cache"])}")'], False
        if key == "read":
            k = v("seen")
            return [f'{k} = await {c}.get("last", type_hint=str)', f"if {k} is None:",
                    f'    {k} = ""'], False
        if key == "keys":
            k = v("keys")
            return [f"{k} = await {c}.state_keys()", f"if not {k}:", f'    {k} = ["none"]'], False
        if key == "promise":
            p = v("approved")
            return [
                f'{p} = await {c}.promise("approval", type_hint=bool).value()',
                f"if not {p}:",
                f'    {c}.set("status", "rejected")',
                f'    raise {n.r("TerminalError")}("{self.noun} was rejected")',
                f'{c}.set("status", "approved")',
            ], False
        if key == "resolve":
            return [f'await {c}.promise("approval", type_hint=bool).resolve(', "    bool(req.items)", ")"], False
        if key == "try":
            f = self.helper("charge")
            ch = v("refund_id", True)
            te = n.r("TerminalError")
            return [
                "try:",
                f"    {ch} = await {c}.run_typed(",
                f'        "refund", {f},',
                f"        ident=req.{self.ident}, amount_cents=-1,",
                "    )",
                f"except {te} as err:",
                f'    raise {te}(f"refund failed: {{err}}") from err',
            ], False
        raise AssertionError(key)

    def fresh_local(self, base: str, keep: bool = False) -> str:
        """A local name; ``keep``: its value goes into the handler's answer (so it is used)."""
        self._local = getattr(self, "_local", 0) + 1
        name = f"{base}_{self._local}" if self.rng.random() < 0.3 else base
        while name in self._names_here:  # one type per local name in a handler (mypy-clean)
            self._local += 1
            name = f"{base}_{self._local}"
        self._names_here.add(name)
        if keep and name not in self._pending:
            self._pending.append(name)
        return name

    def _violation(self, h: _Handler, takes_req: bool) -> list[str]:
        """One replay-safety mistake in this handler, recorded in the manifest."""
        self.violations_left -= 1
        c, n = h.ctx, self.n
        options = ["REA101", "REA102", "REA103", "REA105", "REA109", "REA201"]
        if takes_req and h.kind in ("service", "exclusive", "wf_main"):
            options += ["REA301", "REA302"]
        if h.kind == "shared":
            options = ["REA202", "REA202", "REA101"]
        code = self.rng.choice(options)
        self.planted.append(code)
        if code == "REA101":
            t = n.std("time")
            return [f"{self.fresh_local('started', True)} = {t}.time()"]
        if code == "REA102":
            r = n.std("random")
            return [f"{self.fresh_local('pick', True)} = {r}.randint(1, 100)"]
        if code == "REA103":
            u = n.std("uuid")
            return [f"{self.fresh_local('nonce', True)} = {u}.uuid4().hex"]
        if code == "REA105":
            t = n.std("time")
            return [f"{t}.sleep(0.5)"]
        if code == "REA109":
            o = n.std("os")
            mode = self.fresh_local("mode", True)
            return [f'{mode} = {o}.environ.get("{self.noun.upper()}_MODE", "live")']
        if code == "REA201":
            return [f'await {c}.run_typed("peek", lambda: {c}.request().id)']
        if code == "REA202":
            return [f'{c}.set("peeked", True)']
        target = self._self_call_target(h)
        if code == "REA301":
            return [
                f"await {c}.service_call(",
                f"    {target},",
                "    arg=req,",
                f'    idempotency_key=f"pay-{{{c}.uuid()}}",',
                ")",
            ]
        u = n.std("uuid")
        self.planted.append("REA103")  # uuid4() in handler code is REA103 as well
        return [
            f"await {c}.service_call(",
            f"    {target},",
            "    arg=req,",
            f"    idempotency_key=str({u}.uuid4()),",
            ")",
        ]

    def _self_call_target(self, h: _Handler) -> str:
        targets = [x.name for x in self._all_handlers() if x.kind == "service"]
        if not targets:
            # ensure a callable service handler exists
            targets = [h.name]
        return targets[0]

    def _all_handlers(self) -> list[_Handler]:
        return [x for _, _, hs in self.blocks for x in hs]

    # rendering ----------------------------------------------------------------------------------
    def render(self) -> str:
        parts: list[list[str]] = []
        for model in self.models:
            parts.append(model)
        consts: list[str] = []
        if self.has_logger:
            consts.append(f"logger = {self.n.std('logging')}.getLogger(__name__)")
        consts.append(f"MAX_{self.noun.upper()}_ITEMS = {self.max_items}")
        for _, lines in self.helpers.items():
            parts.append(lines)
        for var, ctor, handlers in self.blocks:
            parts.append([f'{var} = {self.n.r(ctor)}("{_camel(var)}")'])
            for h in handlers:
                parts.append(h.lines)
        body: list[str] = []
        for p in parts:
            body += ["", ""] + p
        head = [f'"""{self.Noun} handlers (generated benchmark module {self.index:05d})."""', ""]
        if self.future:
            head += ["from __future__ import annotations", ""]
        head += self.n.header()
        head += [""] + consts
        return "\n".join(head + body) + "\n"


def _camel(var: str) -> str:
    return "".join(p.capitalize() for p in var.split("_"))


def generate_module(seed: int, index: int, violations: int = 0) -> tuple[str, list[str]]:
    """The source of module ``index`` for ``seed``, and the codes planted in it."""
    rng = random.Random(f"{seed}:{index}")
    target = rng.randint(MIN_LINES + 10, MAX_LINES - 40)
    for _ in range(20):
        m = _Module(rng, index, violations)
        m.build_models()
        m.add_block()
        while True:
            text = m.render()
            count = text.count("\n")
            if count >= target:
                break
            if len(m.blocks[-1][2]) >= rng.randint(3, 7) and len(m.blocks) < 3:
                m.add_block()
            else:
                m.add_handler()
        while m.violations_left:
            m.add_handler(force=True)
            text = m.render()
        if MIN_LINES <= text.count("\n") <= MAX_LINES:
            return text, m.planted
        rng = random.Random(f"{seed}:{index}:{_}")
    return text, m.planted


# --- cross-module helper chains (the scale corpora) -------------------------------------------

LINK_RATE = 0.6
"""Share of modules whose chain helper calls another module's chain helper."""
RELAY_RATE = 0.3
"""Share of modules with a handler that calls its chain helper outside a run action."""
EFFECT_RATE = 0.02
"""Share of chain helpers that end the chain with a forbidden call (`time.time()`)."""
LINK_WINDOW = 400
"""A helper calls one of the previous LINK_WINDOW modules': chains cross packages, stay acyclic."""


def _module_path(index: int, per_dir: int) -> tuple[str, str]:
    return f"pkg_{index // per_dir:03d}", f"m{index:05d}"


@dataclass
class ChainLink:
    """Module ``index``'s part of the cross-module chains: the code appended to it, the module
    whose helper its helper calls (None: none), and whether it ends a chain in `time.time()` or
    has handler code calling its helper."""

    index: int
    code: str
    calls: int | None
    effect: bool
    relay: bool


def chain_link(seed: int, index: int, per_dir: int = 100) -> ChainLink:
    """Code appended to module ``index`` of a scale corpus: one helper in a cross-module call
    chain (an import of an earlier module's helper), and sometimes a handler that calls it
    directly, so the project-wide transitive analysis has real chains to follow at any size."""
    rng = random.Random(f"{seed}:chain:{index}")
    name = f"chain_{index:05d}"
    lines = ["", "", "# --- cross-module helper chain (scale corpus) ---",
             "import restate as _restate_chain  # noqa: E402"]
    body = [f"    return amount + {index % 7}"]
    calls, effect = None, False
    if index and rng.random() < LINK_RATE:
        calls = rng.randrange(max(0, index - LINK_WINDOW), index)
        pkg, mod = _module_path(calls, per_dir)
        lines.append(f"from {pkg}.{mod} import chain_{calls:05d}  # noqa: E402")
        body = [f"    return chain_{calls:05d}(amount) + {index % 7}"]
    elif rng.random() < EFFECT_RATE / (1 - LINK_RATE):
        effect = True
        lines.append("import time as _time_chain  # noqa: E402")
        body = [f"    return amount + int(_time_chain.time()) % {index % 7 + 2}"]
    lines += ["", "", f"def {name}(amount: int) -> int:",
              '    """A helper other modules build on (one link of a cross-module chain)."""', *body]
    relay = rng.random() < RELAY_RATE
    if relay:
        lines += ["", "", f"async def relay_{index:05d}(ctx: _restate_chain.Context, amount: int) -> int:",
                  '    """Handler code that calls the chain outside a run action."""',
                  f"    return {name}(amount)"]
    return ChainLink(index, "\n".join(lines) + "\n", calls, effect, relay)


def chain_findings(seed: int, count: int, per_dir: int = 100) -> set[str]:
    """Where a complete rea reports a transitive REA101 in a scale corpus: `pkg/mod.py:line`
    of each relay whose chain reaches a `time.time()` (what the generator planted, for tests)."""
    links = [chain_link(seed, i, per_dir) for i in range(count)]
    out = set()
    for link in links:
        if not link.relay:
            continue
        j: int | None = link.index
        while j is not None and not links[j].effect:
            j = links[j].calls
        if j is not None:
            pkg, mod = _module_path(link.index, per_dir)
            out.add(f"{pkg}/{mod}.py")
    return out


def generate(out_dir: Path, count: int = 2000, seed: int = DEFAULT_SEED,
             violation_rate: float = 0.04, per_dir: int = 100, chains: bool = False) -> Corpus:
    """Write ``count`` modules under ``out_dir`` (replacing what was there) and a manifest.

    ``chains``: make the directories packages and append a cross-module helper chain to every
    module (`chain_link`), as the scale corpora do; corpus (a) is written without them."""
    stamp = json.dumps({"count": count, "seed": seed, "violation_rate": violation_rate, "per_dir": per_dir,
                        "chains": chains, "generator": _generator_hash()}, sort_keys=True)
    if (out_dir / "corpus.json").is_file() and (out_dir / "corpus.json").read_text() == stamp:
        # the same arguments and generator write the same bytes: keep what is there
        manifest = json.loads((out_dir / "manifest.json").read_text())
        files = [out_dir / f"pkg_{i // per_dir:03d}" / f"m{i:05d}.py" for i in range(count)]
        return Corpus("generated", out_dir, files, manifest)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    pick = random.Random(seed)
    bad = set(pick.sample(range(count), max(1, round(count * violation_rate)) if count else 0))
    files: list[Path] = []
    manifest: dict[str, list[str]] = {}
    jobs = [(seed, i, (1 if pick.random() < 0.7 else 2) if i in bad else 0) for i in range(count)]
    if count >= 500 and (os.cpu_count() or 1) > 1:  # thousands of modules: use every core
        import multiprocessing

        with multiprocessing.get_context("spawn").Pool() as pool:
            made = pool.starmap(generate_module, jobs, chunksize=50)
    else:
        made = [generate_module(*job) for job in jobs]
    for i, (text, planted) in enumerate(made):
        sub = out_dir / f"pkg_{i // per_dir:03d}"
        if chains and not sub.exists():
            sub.mkdir()
            (sub / "__init__.py").write_text("")
        sub.mkdir(exist_ok=True)
        if chains:
            text += chain_link(seed, i, per_dir).code
        path = sub / f"m{i:05d}.py"
        path.write_text(text)
        files.append(path)
        if planted:
            manifest[str(path.relative_to(out_dir))] = sorted(planted)
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
    (out_dir / "corpus.json").write_text(stamp)
    return Corpus("generated", out_dir, files, manifest)


def _generator_hash() -> str:
    import hashlib

    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def stdlib_corpus(every: int = 1) -> Corpus:
    """The running interpreter's standard library (not site-/dist-packages), every k-th file."""
    root = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(
        p for p in root.rglob("*.py")
        if not {"site-packages", "dist-packages", "__pycache__"} & set(p.relative_to(root).parts)
    )
    return Corpus(f"stdlib {sys.version.split()[0]}", root, files[::every])


REPO = Path(__file__).resolve().parents[1]
REAL_DIRS = ("examples", "tests/runtime")
"""Real Restate code every checkout has: the example services and the apps the runtime tests serve."""


def real_corpus(extra: Sequence[Path] = ()) -> Corpus:
    """The Python modules that import restate under this repository's ``REAL_DIRS`` and under
    ``extra`` (e.g. a checkout of restatedev/examples): hand-written services, not generated ones."""
    roots = [REPO / d for d in REAL_DIRS] + [Path(p).resolve() for p in extra]
    files = []
    for root in roots:
        if not root.exists():
            raise FileNotFoundError(f"real corpus directory {root} does not exist")
        for path in sorted(root.rglob("*.py") if root.is_dir() else [root]):
            if "__pycache__" in path.parts or ".venv" in path.parts:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            if re.search(r"^\s*(import restate\b|from restate\b)", text, re.M):
                files.append(path)
    shown = [str(r.relative_to(REPO)) if r.is_relative_to(REPO) else str(r) for r in roots]
    return Corpus("real Restate", REPO, files, description=(
        f"the {len(files)} modules that import restate under {', '.join(shown)} (hand-written services and "
        "the apps the runtime tests serve to a real restate-server)."))
