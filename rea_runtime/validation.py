"""Definition-time checks: a service that cannot work fails (or warns) at import, not at the first request.

Run by the drop-ins when a handler is decorated, and by :func:`app` for every service handed to
it (plain `restate` services included). Certain failures (a duplicate name, a type the serde
cannot encode) raise :class:`DefinitionError`; catalog rules (REA203, REA202) follow the policy:
`strict` raises, `warn` logs once, `disabled` skips. REA202 needs the linter's semantic model
(`rea_lint.engine`, stdlib only); without it that check is skipped.
"""

from __future__ import annotations

import ast
import collections.abc
import dataclasses
import enum
import inspect
import re
import textwrap
import types
import typing
from typing import Any, Iterable, Mapping

import restate
import structlog
from restate.serde import DefaultSerde, JsonSerde

from rea_lint.catalog import RULES
from rea_lint.config import ConfigError

from .policy import Policy, current_policy, given as _given

_SERVICES = (restate.Service, restate.VirtualObject, restate.Workflow)

__all__ = ["DefinitionError", "validate_handler", "validate_service", "app"]

_log = structlog.get_logger("rea_runtime")


class DefinitionError(ConfigError):
    """A service definition that cannot work; the message names the handler and the fix."""


def _expected_context(service: Any, kind: str | None) -> Any:
    tag = service.service_tag.kind
    if tag == "service":
        return restate.Context
    if tag == "object":
        return restate.ObjectSharedContext if kind == "shared" else restate.ObjectContext
    return restate.WorkflowSharedContext if kind == "shared" else restate.WorkflowContext


_CONTEXTS = frozenset({restate.Context, restate.ObjectContext, restate.ObjectSharedContext,
                       restate.WorkflowContext, restate.WorkflowSharedContext})


_UNIONS = (typing.Union, types.UnionType)


def _spelled(ann: Any) -> str:
    """An annotation as its source would spell it: `ObjectContext`, `ObjectContext | None`."""
    if typing.get_origin(ann) in _UNIONS:
        return " | ".join(_spelled(m) for m in typing.get_args(ann))
    return "None" if ann is type(None) else getattr(ann, "__name__", repr(ann))


def _location(fn: Any) -> str:
    code = getattr(fn, "__code__", None)
    return f"{code.co_filename}:{code.co_firstlineno}" if code is not None else "<unknown>"


def _report(policy: Policy, code: str, subject: str, where: str, fix: str, ctx: str = "ctx") -> None:
    level = policy.for_rule(code)
    if level == "disabled":
        return
    rule = RULES[code]
    message = f"{rule.render(subject=subject, ctx=ctx)} (at {where}; fix: {fix})"
    if level == "strict":
        raise DefinitionError(message)
    _log.warning(message, code=code, rule=rule.name, location=where, fix=fix)


def _user_fn(handler: Any) -> Any:
    return inspect.unwrap(handler.fn)


# --- REA203 --------------------------------------------------------------------------------


def _check_context(service: Any, handler: Any, fn: Any, policy: Policy) -> None:
    params = list(inspect.signature(fn, eval_str=True).parameters.values())
    if not params or params[0].annotation is inspect.Parameter.empty:
        return
    ann = params[0].annotation
    expected = _expected_context(service, handler.kind)
    # a union is judged by its members, as the linter and the mypy plugin judge it: one that
    # admits the expected context is no mismatch (the SDK passes that one)
    members = typing.get_args(ann) if typing.get_origin(ann) in _UNIONS else (ann,)
    contexts = [m for m in members if m in _CONTEXTS]
    if not contexts or expected in contexts:
        return
    kind = handler.kind or ("main" if service.service_tag.kind == "workflow" else service.service_tag.kind)
    subject = f"{params[0].name}: {_spelled(ann)}"
    _report(policy, "REA203", subject, _location(fn),
            f"annotate it `{params[0].name}: restate.{expected.__name__}` ({kind} handler "
            f"{service.name}.{handler.name})", ctx=params[0].name)


# --- serde ---------------------------------------------------------------------------------

_JSON_SCALARS = (str, int, float, bool, type(None), typing.Any)


def _json_problem(tp: Any) -> str | None:
    """The part of ``tp`` that `json.dumps`/`json.loads` cannot round-trip, or None."""
    if tp in _JSON_SCALARS or tp is inspect.Parameter.empty:
        return None
    if isinstance(tp, typing.TypeVar):
        return None
    if isinstance(tp, type) and issubclass(tp, enum.Enum) and issubclass(tp, (str, int)):
        return None
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _json_problem(typing.get_args(tp)[0])
    if origin is typing.Literal:
        return None
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(tp):
            got = _json_problem(arg)
            if got:
                return got
        return None
    if origin in (list, tuple, typing.Sequence, dict, typing.Mapping) or tp in (list, dict, tuple):
        args = [a for a in typing.get_args(tp) if a is not Ellipsis]
        if origin in (dict, typing.Mapping) and args and args[0] is not str:
            return f"{tp!r} (JSON object keys are strings)"
        for arg in args:
            if _is_model(arg):
                return f"{tp!r} (the default serde returns raw dicts for models inside containers)"
            got = _json_problem(arg)
            if got:
                return got
        return None
    return f"{tp!r}"


def _is_model(tp: Any) -> bool:
    try:
        from pydantic import BaseModel

        return isinstance(tp, type) and issubclass(tp, BaseModel)
    except ImportError:  # pragma: no cover
        return False


def _check_serde(service: Any, handler: Any) -> None:
    io = handler.handler_io
    for side, serde, hint in (("input", io.input_serde, io.input_type), ("output", io.output_serde, io.output_type)):
        if hint is None or hint.is_void or type(serde) not in (DefaultSerde, JsonSerde):
            continue  # pydantic/msgspec/TypeAdapter/custom serdes chose their types themselves
        tp = hint.annotation
        if _is_model(tp) or dataclasses.is_dataclass(tp):
            continue
        problem = _json_problem(tp)
        if problem:
            raise DefinitionError(
                f"{service.name}.{handler.name}: the {side} type {problem} is not JSON-serializable by "
                f"the SDK's default serde (at {_location(_user_fn(handler))}); fix: use a pydantic model, "
                f"or `{side}_serde=rea_runtime.TypeAdapterSerde(<the type>)` on the handler decorator"
            )


# --- REA202 via the linter's semantic model --------------------------------------------------


def _linter() -> Any:
    try:
        from rea_lint.engine import check_tree
    except ImportError:  # pragma: no cover - rea_lint is optional for rea_runtime
        return None
    return check_tree


def _check_shared_writes(service: Any, handler: Any, fn: Any, policy: Policy) -> None:
    if handler.kind != "shared" or policy.for_rule("REA202") == "disabled":
        return
    check_tree = _linter()
    if check_tree is None:
        return
    try:
        source = textwrap.dedent(inspect.getsource(fn))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError):
        return  # no source (REPL, exec): the runtime guard still refuses the write
    node = tree.body[0] if tree.body else None
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return
    factory = "Workflow" if service.service_tag.kind == "workflow" else "VirtualObject"
    prelude = ast.parse(f"import restate\n__rea_svc = restate.{factory}('x')\n")
    node.decorator_list = [ast.parse("__rea_svc.handler(kind='shared')", mode="eval").body]
    tree.body = [*prelude.body, *tree.body]
    ast.fix_missing_locations(tree)
    first = fn.__code__.co_firstlineno
    for finding in check_tree(tree, codes={"REA202"}):
        where = f"{fn.__code__.co_filename}:{first + finding.line - 1}"
        level = policy.for_rule("REA202")
        message = f"{finding.message} (at {where}; fix: {RULES['REA202'].fix_hint})"
        if level == "strict":
            raise DefinitionError(message)
        _log.warning(message, code="REA202", rule=RULES["REA202"].name, location=where,
                     fix=RULES["REA202"].fix_hint, handler=f"{service.name}.{handler.name}")


# --- entry points ----------------------------------------------------------------------------


def validate_handler(service: Any, handler: Any, policy: Policy | None = None) -> None:
    """All definition-time checks of one registered handler (idempotent per handler)."""
    if getattr(handler, "__rea_validated__", False):
        return
    policy = policy or current_policy()
    fn = _user_fn(handler)
    _check_context(service, handler, fn, policy)
    _check_serde(service, handler)
    _check_shared_writes(service, handler, fn, policy)
    try:
        handler.__rea_validated__ = True
    except AttributeError:  # pragma: no cover - slotted handler classes
        pass


SERVICE_NAME = re.compile(r"([a-zA-Z]|_[a-zA-Z0-9])[a-zA-Z0-9._-]*")
HANDLER_NAME = re.compile(r"([a-zA-Z]|_[a-zA-Z0-9])[a-zA-Z0-9_]*")
"""The names restate-server registers (its endpoint manifest schema); it also reserves service
names that start with "restate" and "openapi", in any case. Anything else passes the SDK and
fails only at registration, after the deployment."""

_ALLOWED = {
    "service": "ASCII letters, digits, '_', '.' and '-', starting with a letter or with '_' and a letter or digit",
    "handler": "ASCII letters, digits and '_', starting with a letter or with '_' and a letter or digit",
}


def _name_problem(name: str, kind: str) -> str | None:
    pattern = SERVICE_NAME if kind == "service" else HANDLER_NAME
    if pattern.fullmatch(name):
        lower = name.lower()
        if kind == "service" and (lower.startswith("restate") or lower == "openapi"):
            return "restate-server reserves names that start with 'restate' and the name 'openapi' (in any case)"
        return None
    if not name:
        return f"the name is empty; a {kind} name is {_ALLOWED[kind]}"
    bad = next((c for c in name if not pattern.fullmatch("a" + c)), None)
    what = f"{bad!r} is not allowed" if bad is not None else f"it cannot start with {name[:2] if name[0] == '_' else name[0]!r}"
    return f"{what}; a {kind} name is {_ALLOWED[kind]}"


def _renamed(name: str, kind: str) -> str:
    fixed = re.sub(r"[^a-zA-Z0-9._-]" if kind == "service" else r"[^a-zA-Z0-9_]", "_", name).lstrip("_.-")
    fixed = "_" + fixed if fixed[:1].isdigit() else fixed
    return f"rename it, e.g. {fixed!r}" if fixed and _name_problem(fixed, kind) is None else "rename it"


def check_service_name(name: Any, what: str) -> None:
    """A name restate-server would refuse at registration, refused when the service is defined."""
    if not isinstance(name, str):
        raise TypeError(f"{what}: a service name is a str, got {_given(name)}; fix: {what}(\"Orders\")")
    problem = _name_problem(name, "service")
    if problem is not None:
        raise DefinitionError(f"{what} {name!r}: {problem}; fix: {_renamed(name, 'service')}")


def check_handler_name(name: Any, service: str) -> str:
    """As `check_service_name`, for a handler (its name, or its function's); returns it."""
    if not isinstance(name, str):
        raise TypeError(f"{service}: a handler name is a str, got {_given(name)}; fix: name=\"place\" on the decorator")
    problem = _name_problem(name, "handler")
    if problem is not None:
        raise DefinitionError(f"{service}: handler {name!r}: {problem}; fix: {_renamed(name, 'handler')} "
                              f"(name= on the decorator)")
    return name


def check_unique_handler(service: Any, name: str, fn: Any) -> None:
    """Before registering: the SDK would raise a bare ValueError; say where and what to do."""
    if name in service.handlers:
        raise DefinitionError(
            f"{service.name}: a handler named {name!r} is already registered (again at "
            f"{_location(fn)}); fix: rename the function or pass `name=` to the decorator"
        )


def validate_service(service: Any, policy: Policy | None = None) -> None:
    for handler in list(service.handlers.values()):
        validate_handler(service, handler, policy)
    from .retention import check_workflow_retention  # (imports this module)

    check_workflow_retention(service, policy or current_policy())


def app(services: Iterable[Any], *args: Any, policy: Policy | None = None, **kwargs: Any) -> Any:
    """`restate.app(services, ...)` after validating every service: names unique and ones the
    server registers, handlers sound."""
    if isinstance(services, _SERVICES):
        raise TypeError(f"rea_runtime.app: expected a list of services, got the {type(services).__name__} "
                        f"{services.name!r} alone; fix: put it in a list, rea_runtime.app([svc])")
    if isinstance(services, (str, bytes)) or not isinstance(services, collections.abc.Iterable):
        raise TypeError(f"rea_runtime.app: expected a list of services, got {_given(services)}; fix: rea_runtime.app([svc, ...])")
    services = list(services)
    seen: dict[str, Any] = {}
    for i, service in enumerate(services):
        if not isinstance(service, _SERVICES):
            raise TypeError(f"rea_runtime.app: services[{i}] is {_given(service)}, not a service; fix: pass "
                            f"restate.Service/VirtualObject/Workflow objects (rea_runtime's drop-ins are ones)")
        kind = type(service).__name__
        check_service_name(service.name, kind)
        for name in service.handlers:
            check_handler_name(name, f"{kind} {service.name!r}")
        if service.name in seen and seen[service.name] is not service:
            raise DefinitionError(
                f"two services are named {service.name!r}; the server would route both to one; "
                "fix: give each service a unique name"
            )
        seen[service.name] = service
        validate_service(service, policy)
    return restate.app(services, *args, **kwargs)


def policy_for(local: tuple[str | None, Mapping[str, str] | None]) -> Policy:
    """The process policy with a drop-in's own ``policy=``/``rules=`` applied."""
    policy, rules = local
    base = current_policy()
    return base.override(policy, rules) if (policy is not None or rules) else base
