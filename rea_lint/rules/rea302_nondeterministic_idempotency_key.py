"""REA302 nondeterministic-idempotency-key: a key from the clock or fresh randomness."""

from __future__ import annotations

import ast
from typing import Callable, Iterator

from rea_lint.findings import Finding
from rea_lint.idempotency import KeyOrigin, Origin, key_arguments
from rea_lint.model import source_text, Function, Model
from rea_lint.rules.base import CallRule, Checker, memo
from rea_lint.rules.rea101_time_in_handler import TimeInHandler
from rea_lint.rules.rea102_random_in_handler import RandomInHandler
from rea_lint.rules.rea103_uuid_in_handler import UuidInHandler

_SOURCES: tuple[type[CallRule], ...] = (TimeInHandler, RandomInHandler, UuidInHandler)
_HEADER = "import restate, uuid, time\nsvc = restate.Service('s')\n@svc.handler()\nasync def h(ctx: restate.Context):\n"


def idempotency_keys(model: Model) -> list[tuple[ast.keyword, Function]]:
    """`key_arguments(model)`, listed once per model (REA301 and REA302 both read them)."""
    cache = memo(model)
    found: list[tuple[ast.keyword, Function]] | None = cache.get("idempotency-keys")
    if found is None:
        found = cache["idempotency-keys"] = list(key_arguments(model))
    return found


def is_nondeterministic_call(model: Model) -> Callable[[ast.Call, Function], bool]:
    """A predicate: does this call read the clock, draw randomness or make a uuid1/uuid4?
    Every call REA101-103 name counts, including those they find by more than the callee's
    name (an event loop's clock: `asyncio.get_running_loop().time()`)."""
    detected: set[int] | None = None

    def check(call: ast.Call, fn: Function) -> bool:
        nonlocal detected
        qual = model.call_target(call, fn)
        if qual is not None and any(
            rule.matches(qual, call, model.config.extra_calls.get(rule.code, ())) for rule in _SOURCES
        ):
            return True
        if detected is None:
            detected = {id(c) for rule in _SOURCES for c, _fn, _name in rule().detect(model, model.handler_nodes)}
        return id(call) in detected

    return check


class NondeterministicIdempotencyKey(Checker):
    code = "REA302"
    needs = "handler_code"  # it reads handler code only

    def check(self, model: Model) -> Iterator[Finding]:
        origin = KeyOrigin(model, is_nondeterministic_call(model))
        for kw, fn in idempotency_keys(model):
            if origin.of(kw.value, fn) is Origin.NONDETERMINISTIC:
                yield self.report(kw, subject=f"idempotency_key={source_text(kw.value)}", ctx=fn.context_name())

    invalid = (
        _HEADER + "    await ctx.service_call(pay, 1, idempotency_key=str(uuid.uuid4()))\n",
        _HEADER + "    key = f'pay-{time.time()}'\n    ctx.service_send(pay, 1, idempotency_key=key)\n",
        "import restate, asyncio\nsvc = restate.Service('s')\n@svc.handler()\nasync def h(ctx: restate.Context):\n"
        "    ctx.service_send(pay, 1, idempotency_key=str(asyncio.get_running_loop().time()))\n",
    )
    valid = (
        _HEADER + "    await ctx.service_call(pay, 1, idempotency_key=str(uuid.uuid5(uuid.NAMESPACE_URL, 'x')))\n",
    )
