"""REA301 redundant-idempotency-key: a key from per-invocation values adds nothing."""

from __future__ import annotations

from typing import Iterator

from rea_lint.findings import Finding
from rea_lint.idempotency import KeyOrigin, Origin
from rea_lint.model import source_text, Model
from rea_lint.rules.rea302_nondeterministic_idempotency_key import idempotency_keys, is_nondeterministic_call
from rea_lint.rules.base import Checker

_HEADER = "import restate\nsvc = restate.Service('s')\n@svc.handler()\nasync def h(ctx: restate.Context, order_id: str):\n"


class RedundantIdempotencyKey(Checker):
    code = "REA301"
    needs = "handler_code"  # it reads handler code only

    def check(self, model: Model) -> Iterator[Finding]:
        keys = idempotency_keys(model)
        if not keys:
            return
        origin = KeyOrigin(model, is_nondeterministic_call(model))
        for kw, fn in keys:
            if origin.of(kw.value, fn) is Origin.PER_INVOCATION:
                yield self.report(kw, subject=f"idempotency_key={source_text(kw.value)}", ctx=fn.context_name(), data=kw)

    invalid = (
        _HEADER + "    await ctx.service_call(pay, 1, idempotency_key=str(ctx.uuid()))\n",
        _HEADER + "    await ctx.service_call(pay, 1, idempotency_key=f'refund-{ctx.uuid()}')\n",
        _HEADER + "    key = 'k-' + ctx.request().id\n    ctx.service_send(pay, 1, idempotency_key=key)\n",
    )
    valid = (
        _HEADER + "    await ctx.service_call(pay, 1, idempotency_key=f'refund-{order_id}')\n",
        "import restate\nasync def h(ctx: restate.ObjectContext):\n"
        "    await ctx.object_call(pay, ctx.key(), 1, idempotency_key=ctx.key())\n",
        _HEADER + "    await ctx.service_call(pay, 1, idempotency_key=f'{order_id}-{ctx.uuid()}')\n",
    )
