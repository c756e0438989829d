"""Definition-time validation: mistakes surface when the service is defined, not at the first request."""

from __future__ import annotations

import datetime
import typing

import pytest
import restate
import structlog

import rea_runtime
from rea_lint.catalog import RULES
from rea_runtime.serde import TypeAdapterSerde
from rea_runtime.validation import DefinitionError, validate_service

from ._markers import where


def _shared_writer(obj: rea_runtime.VirtualObject) -> None:
    @obj.handler(kind="shared")
    async def peek(ctx: restate.ObjectSharedContext) -> str:
        ctx.set("seen", True)  # <- DEF.REA202
        return ""


def test_rea203_strict_fails_at_definition_with_the_catalog_message() -> None:
    obj = rea_runtime.VirtualObject("Val203", policy="strict")
    with pytest.raises(DefinitionError) as err:
        @obj.handler(kind="shared")
        async def peek(ctx: restate.ObjectContext) -> str:
            return ""
    text = str(err.value)
    assert text.startswith(RULES["REA203"].render(subject="ctx: ObjectContext"))
    assert "restate.ObjectSharedContext" in text and "Val203.peek" in text
    assert "peek" not in obj.handlers  # a failed definition leaves the service as it was


@pytest.mark.parametrize(
    ("factory", "kind", "ann", "expected"),
    [
        ("Service", None, restate.ObjectContext, "Context"),
        ("VirtualObject", None, restate.ObjectSharedContext, "ObjectContext"),
        ("Workflow", "main", restate.WorkflowSharedContext, "WorkflowContext"),
        ("Workflow", "shared", restate.WorkflowContext, "WorkflowSharedContext"),
    ],
)
def test_rea203_each_kind(factory: str, kind: str | None, ann: type, expected: str) -> None:
    svc = getattr(rea_runtime, factory)(f"Val203{factory}{kind}", policy="strict")

    async def h(ctx, x: str) -> str:  # type: ignore[no-untyped-def]
        return x

    h.__annotations__["ctx"] = ann
    deco = svc.main() if kind == "main" else svc.handler(kind="shared") if factory != "Workflow" and kind else svc.handler()
    with pytest.raises(DefinitionError, match=f"restate.{expected}`"):
        deco(h)


@pytest.mark.parametrize(
    "ann",
    [
        restate.ObjectSharedContext | restate.ObjectContext,
        restate.ObjectContext | restate.ObjectSharedContext,
        typing.Optional[restate.ObjectSharedContext],
    ],
    ids=["shared-first", "shared-last", "optional"],
)
def test_rea203_a_union_that_admits_the_expected_context_is_no_mismatch(ann: object, request: pytest.FixtureRequest) -> None:
    obj = rea_runtime.VirtualObject(f"Val203Union-{request.node.callspec.id}", policy="strict")

    async def h(ctx) -> str:  # type: ignore[no-untyped-def]
        return ""

    h.__annotations__["ctx"] = ann
    obj.handler(kind="shared")(h)
    assert "h" in obj.handlers


@pytest.mark.parametrize(
    ("ann", "spelled"),
    [
        (restate.ObjectContext | restate.Context, "ObjectContext | Context"),
        (typing.Optional[restate.ObjectContext], "ObjectContext | None"),
    ],
    ids=["two-others", "optional-other"],
)
def test_rea203_a_union_without_it_is_a_mismatch(ann: object, spelled: str, request: pytest.FixtureRequest) -> None:
    obj = rea_runtime.VirtualObject(f"Val203NoUnion-{request.node.callspec.id}", policy="strict")

    async def h(ctx) -> str:  # type: ignore[no-untyped-def]
        return ""

    h.__annotations__["ctx"] = ann
    with pytest.raises(DefinitionError) as err:
        obj.handler(kind="shared")(h)
    assert str(err.value).startswith(RULES["REA203"].render(subject=f"ctx: {spelled}"))
    assert "restate.ObjectSharedContext" in str(err.value)


def test_rea203_warn_logs_and_registers() -> None:
    svc = rea_runtime.Service("Val203Warn", policy="warn")
    with structlog.testing.capture_logs() as logs:
        @svc.handler()
        async def h(ctx: restate.ObjectContext) -> str:
            return ""
    assert [e["code"] for e in logs] == ["REA203"] and "h" in svc.handlers


def test_rea202_shared_write_found_by_the_linter_model() -> None:
    obj = rea_runtime.VirtualObject("Val202", policy="strict")
    with pytest.raises(DefinitionError) as err:
        _shared_writer(obj)
    assert RULES["REA202"].render(subject="ctx.set(...)") in str(err.value)
    assert where(__file__, "DEF.REA202") in str(err.value)


def test_rea202_disabled_and_validate_false_skip() -> None:
    _shared_writer(rea_runtime.VirtualObject("Val202Off", policy="strict", rules={"REA202": "disabled"}))
    _shared_writer(rea_runtime.VirtualObject("Val202NoVal", policy="strict", validate=False))


def test_unserializable_types_fail_with_the_fix() -> None:
    svc = rea_runtime.Service("ValSerde", policy="strict")
    with pytest.raises(DefinitionError, match="output type.*datetime.*TypeAdapterSerde"):
        @svc.handler()
        async def when(ctx: restate.Context) -> datetime.datetime:
            raise NotImplementedError

    with pytest.raises(DefinitionError, match="input type.*set"):
        @svc.handler()
        async def take(ctx: restate.Context, tags: set[str]) -> None:
            return None

    @svc.handler(output_serde=TypeAdapterSerde(datetime.datetime))
    async def when_ok(ctx: restate.Context) -> datetime.datetime:
        raise NotImplementedError

    @svc.handler()
    async def plain(ctx: restate.Context, items: dict[str, list[int]]) -> str | None:
        return None


def test_duplicate_handler_name_names_the_fix() -> None:
    svc = rea_runtime.Service("ValDup")

    @svc.handler()
    async def greet(ctx: restate.Context) -> str:
        return ""

    with pytest.raises(DefinitionError, match="'greet' is already registered.*fix: rename"):
        @svc.handler(name="greet")
        async def other(ctx: restate.Context) -> str:
            return ""


def test_app_validates_plain_services_and_unique_names() -> None:
    plain = restate.VirtualObject("ValPlain")

    @plain.handler(kind="shared")
    async def peek(ctx: restate.ObjectContext) -> str:
        return ""

    rea_runtime.configure(policy="strict")
    try:
        with pytest.raises(DefinitionError, match="REA203"):
            rea_runtime.app([plain])
        with pytest.raises(DefinitionError, match="two services are named 'ValDupSvc'"):
            rea_runtime.app([restate.Service("ValDupSvc"), restate.Service("ValDupSvc")])
        ok = restate.Service("ValOk")

        @ok.handler()
        async def hi(ctx: restate.Context) -> str:
            return ""

        assert callable(rea_runtime.app([ok]))
        validate_service(ok)  # idempotent
    finally:
        from rea_runtime import policy

        policy.reset()
