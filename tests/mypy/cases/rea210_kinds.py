"""REA210 from the handlers' decorators: the client method of another kind."""

import restate
from restate import Context, ObjectContext

carts = restate.VirtualObject("kind_carts")
mailer = restate.Service("kind_mailer")
Carts = carts


@Carts.handler()
async def add(ctx: ObjectContext, item: str) -> str:
    return item


@mailer.handler()
async def send(ctx: Context, to: str) -> str:
    return to


@mailer.handler()
async def order(c: Context, item: str) -> None:
    await c.service_call(add, arg=item)  # expect: REA210
    c.object_send(send, key="k", arg="x")  # expect: REA210
    await c.generic_call("kind_carts", "add", b'"x"')  # expect: REA210
    await c.object_call(add, key="k", arg=item)
    await c.service_call(send, arg="x")
    await c.generic_call("kind_carts", "add", b'"x"', key="k")
