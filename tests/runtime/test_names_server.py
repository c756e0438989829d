"""rea's name check agrees with restate-server: a name rea refuses at definition is one the server
refuses at registration, and a name rea accepts registers (the edges of both patterns and the
reserved names)."""

from __future__ import annotations

import pytest
import restate

import rea_runtime
from rea_runtime.testing.server import ServerError
from rea_runtime.validation import DefinitionError


def _plain(service: str, handler: str) -> restate.Service:
    svc = restate.Service(service)

    async def h(ctx: restate.Context) -> str:
        return "ok"

    svc.handler(name=handler)(h)
    return svc


@pytest.mark.parametrize(("service", "handler"), [
    ("_1x", "h"), ("__x", "h"), ("a.b-c", "h"), ("1a", "h"), ("RESTATEx", "h"), ("openapi", "h"), ("openapi2", "h"),
    ("NameEdges", "_p"), ("NameEdges", "__p"), ("NameEdges", "a.b"),
])
def test_rea_refuses_exactly_the_names_the_server_refuses(restate_harness, service: str, handler: str) -> None:
    svc = _plain(service, handler)
    try:
        rea_runtime.app([svc])
        rea_ok = True
    except DefinitionError:
        rea_ok = False
    try:
        with restate_harness.deploy(restate.app([svc])):
            server_ok, why = True, ""
    except ServerError as err:
        server_ok, why = False, str(err)
    assert rea_ok == server_ok, why or "the server registered it"
