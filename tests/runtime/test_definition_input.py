"""Service definitions the SDK accepts but that cannot work are refused when they are written:
names restate-server would refuse at registration, `@guarded` where it guards nothing, and
misspelled options (with rea's "did you mean", not the SDK's bare TypeError)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import restate

import rea_runtime
from rea_runtime import services
from rea_runtime.presets import ConfigurationError
from rea_runtime.validation import DefinitionError

# --- names ---------------------------------------------------------------------------------

SERVICE_CHARS = "a service name is ASCII letters, digits, '_', '.' and '-', starting with a letter or with '_' and a letter or digit"
HANDLER_CHARS = "a handler name is ASCII letters, digits and '_', starting with a letter or with '_' and a letter or digit"


@pytest.mark.parametrize(("name", "message"), [
    ("", f"Service '': the name is empty; {SERVICE_CHARS}; fix: rename it"),
    ("a/b c", f"Service 'a/b c': '/' is not allowed; {SERVICE_CHARS}; fix: rename it, e.g. 'a_b_c'"),
    ("1st", f"Service '1st': it cannot start with '1'; {SERVICE_CHARS}; fix: rename it, e.g. '_1st'"),
    ("Restate.Orders", "Service 'Restate.Orders': restate-server reserves names that start with 'restate' and the name "
                       "'openapi' (in any case); fix: rename it"),
])
def test_a_service_name_the_server_refuses_is_refused_at_definition(name: str, message: str) -> None:
    with pytest.raises(DefinitionError) as err:
        rea_runtime.Service(name)
    assert str(err.value) == message


def test_a_service_name_must_be_a_string() -> None:
    with pytest.raises(TypeError, match=r"^VirtualObject: a service name is a str, got the int 123; fix: VirtualObject\(\"Orders\"\)$"):
        rea_runtime.VirtualObject(123)  # type: ignore[arg-type]


def test_app_checks_the_names_of_plain_services_and_their_handlers() -> None:
    with pytest.raises(DefinitionError, match=f"^Service 'a b': ' ' is not allowed; {SERVICE_CHARS}"):
        rea_runtime.app([restate.Service("a b")])
    plain = restate.Service("NamePlain")

    async def h(ctx: restate.Context) -> str:
        return ""

    plain.handler(name="get-all")(h)
    with pytest.raises(DefinitionError, match=f"^Service 'NamePlain': handler 'get-all': '-' is not allowed; {HANDLER_CHARS}; "
                                              r"fix: rename it, e.g. 'get_all' \(name= on the decorator\)$"):
        rea_runtime.app([plain])


def test_a_drop_in_checks_a_handler_name_before_registering_it() -> None:
    svc = rea_runtime.Service("NameHandler")
    with pytest.raises(DefinitionError, match=f"handler '__hidden': it cannot start with '__'; {HANDLER_CHARS}"):
        @svc.handler()
        async def __hidden(ctx: restate.Context) -> str:
            return ""
    assert svc.handlers == {}

    @svc.handler(name="get_v2")
    async def get(ctx: restate.Context) -> str:
        return ""
    assert list(svc.handlers) == ["get_v2"]


# --- @guarded above @svc.handler() -------------------------------------------------------------


def test_guarded_above_the_sdk_decorator_is_refused() -> None:
    """Above `@svc.handler()` the SDK has registered the unguarded function: nothing would be guarded."""
    svc = restate.Service("GuardAbove")
    with pytest.raises(DefinitionError) as err:
        @rea_runtime.guarded(policy="strict")
        @svc.handler()
        async def greet(ctx: restate.Context) -> str:
            return ""
    assert str(err.value) == (
        "rea_runtime.guarded is above @svc.handler() on GuardAbove.greet: the SDK has already registered the function "
        "below it, so nothing would be guarded; fix: put @rea_runtime.guarded under @svc.handler(), directly on the `async def`"
    )


def test_guarded_on_a_drop_in_handler_says_it_is_guarded_already() -> None:
    svc = rea_runtime.Service("GuardTwice")
    with pytest.raises(DefinitionError, match=r"GuardTwice.greet: the handler is already guarded .*; fix: remove this @rea_runtime.guarded"):
        @rea_runtime.guarded
        @svc.handler()
        async def greet(ctx: restate.Context) -> str:
            return ""


def test_a_guarded_handler_registered_again_on_a_drop_in_is_guarded_once() -> None:
    plain = restate.Service("GuardPlain")

    @plain.handler()
    @rea_runtime.guarded
    async def greet(ctx: restate.Context) -> str:
        return ""

    again = rea_runtime.Service("GuardAgain")
    registered = again.handler()(greet)
    fn, layers = again.handlers["greet"].fn, 0
    while hasattr(fn, "__wrapped__"):
        layers += fn.__code__.co_filename == services.__file__  # a guard's wrapper
        fn = fn.__wrapped__
    assert layers == 1 and fn is greet.__wrapped__.__wrapped__ and callable(registered)


# --- unknown options -----------------------------------------------------------------------------


def test_an_unknown_drop_in_option_gets_did_you_mean() -> None:
    with pytest.raises(ConfigurationError, match=r"^Service 'OptTypo': unknown option 'journal_retension'; fix: did you mean 'journal_retention'\?$"):
        rea_runtime.Service("OptTypo", journal_retension=timedelta(days=1))
    with pytest.raises(ConfigurationError, match=r"^Workflow 'OptTypo': unknown option 'auto_clean'; fix: did you mean 'auto_cleanup'\?$"):
        rea_runtime.Workflow("OptTypo", auto_clean=True)
    with pytest.raises(ConfigurationError, match=r"'state_budget_bytes' is a field of rea_runtime presets, not an option here; "
                                                 r"fix: preset=rea_runtime.preset\(\"default\", state_budget_bytes=...\)"):
        rea_runtime.VirtualObject("OptBudget", state_budget_bytes=10)


def test_an_unknown_handler_option_gets_did_you_mean() -> None:
    svc = rea_runtime.Service("OptHandler")
    with pytest.raises(ConfigurationError, match=r"^Service 'OptHandler' handler options: unknown option 'inactivty_timeout'; "
                                                 r"fix: did you mean 'inactivity_timeout'\?$"):
        svc.handler(inactivty_timeout=timedelta(seconds=5))
    wf = rea_runtime.Workflow("OptMain")
    with pytest.raises(ConfigurationError, match="did you mean 'workflow_retention'"):
        wf.main(workflow_retension=timedelta(days=1))
