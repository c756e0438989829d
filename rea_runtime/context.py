"""The guarded context a rea handler receives instead of the SDK's.

It forwards every call to the SDK's context and hands back the SDK's own futures unchanged
(`restate.gather/select` check their type), after checking the rules that need to know the
caller: REA201 (used inside a run action), REA202 (a state write from a shared handler),
REA204 (remembers durable futures to check they were awaited) and REA301/302 (idempotency keys).
"""

from __future__ import annotations

import functools
import inspect
import sys
from datetime import timedelta
from types import FunctionType
from typing import Any, Callable

from restate.context import RunOptions
from restate.exceptions import TerminalError
from restate.handler import RESTATE_UNIQUE_HANDLER_SYMBOL as HANDLER_SYMBOL
from restate.serde import DefaultSerde

from . import events
from .arguments import NO_TIME, RUN_OPTIONS, check_name, if_text, refused, run_option_fault, run_options_fault
from .guards import IN_RUN, Invocation, _location, report
from .misuse import KIND_OF_METHOD, check_action, check_call_kind, mark_exclusive_wait, mark_sleep
from .state_budget import budgets as state_budgets, set_measured
from .unwritable import CERTAIN, CheckedDefaultSerde, check_value, checked

__all__ = ["GuardedContext", "GuardedPromise", "GuardedScope", "guarded_context", "wrap_action"]

_WRITES = frozenset({"set", "clear", "clear_all"})
_SHARED = frozenset({"shared"})


_WRAPPED: dict[Callable[..., Any], tuple[str, Callable[..., Any]]] = {}
"""Module-level function -> (run name, its wrapper): `functools.wraps` and
`inspect.iscoroutinefunction` cost more than the rest of a guarded `ctx.run` together."""
_WRAPPED_MAX = 1024


def wrap_action(action: Callable[..., Any], name: str) -> Callable[..., Any]:
    """Mark the run action's scope (contextvars are copied into the SDK's task/thread).

    The wrapper of a function that captures nothing (a module-level or class-level `def`:
    no closure, not a lambda, not local to a function) is made once and reused; lambdas,
    closures, bound methods and partials, which are usually new at every call and may hold
    on to the invocation's data, are wrapped afresh each time."""
    if not callable(action):
        return action  # REA208 was reported; the SDK fails on it as it would without rea
    if type(action) is FunctionType and action.__closure__ is None and "<" not in action.__qualname__:
        cached = _WRAPPED.get(action)
        if cached is not None and cached[0] == name:
            return cached[1]
        wrapper = _wrap_action(action, name)
        if len(_WRAPPED) >= _WRAPPED_MAX:  # functions made on the fly (exec): stay bounded
            _WRAPPED.clear()
        _WRAPPED[action] = (name, wrapper)
        return wrapper
    return _wrap_action(action, name)


def _wrap_action(action: Callable[..., Any], name: str) -> Callable[..., Any]:
    if getattr(action, "__rea_run__", None) is not None:
        return action
    if inspect.iscoroutinefunction(action):

        @functools.wraps(action)
        async def run_action(*args: Any, **kwargs: Any) -> Any:
            token = IN_RUN.set(name)
            try:
                return await action(*args, **kwargs)
            finally:
                IN_RUN.reset(token)

    else:

        @functools.wraps(action)
        def run_action(*args: Any, **kwargs: Any) -> Any:
            token = IN_RUN.set(name)
            try:
                return action(*args, **kwargs)
            finally:
                IN_RUN.reset(token)

    run_action.__rea_run__ = name  # type: ignore[attr-defined]
    return run_action


_getframe = sys._getframe
_run_name = IN_RUN.get
_UNSET: Any = object()
_NO_DICT: dict[str, Any] = {}
_listeners = events._listeners.get
"""`events.listening` without its call: who listens to an event (the table is updated in place)."""


_CALL_PARAMS: dict[tuple[str, bool], tuple[str, ...]] = {}


def _call_params(method: str, scoped: bool) -> tuple[str, ...]:
    """The names of a client method's parameters, in order, as the SDK's context defines them."""
    names = _CALL_PARAMS.get((method, scoped))
    if names is None:
        from restate.server_context import ServerInvocationContext, ServerScopedContext

        sdk_method = getattr(ServerScopedContext if scoped else ServerInvocationContext, method, None)
        names = () if sdk_method is None else tuple(inspect.signature(sdk_method).parameters)[1:]
        _CALL_PARAMS[(method, scoped)] = names  # (none: the keywords alone are looked at)
    return names


_OPTIONAL_TEXT = {"key": "a str, the object's or workflow's key", "idempotency_key": "a str (e.g. "
                  "rea_runtime.deterministic.idempotency_key(...))", "limit_key": "a str", "scope": "a str"}
"""Parameters of the client methods that the SDK's VM takes as str or None, and the fix."""


def _bad_target(call: str, method: str, target: Any) -> Exception:
    """The target of a typed call is no handler the SDK registered (`handler_from_callable`:
    a ValueError, or vars()'s TypeError for a string, retried forever)."""
    generic = "generic_send" if method.endswith("_send") else "generic_call"
    return refused(call, "target", target, f"the handler function itself, as a service's @handler() decorated it, "
                   f"or {call.split('.')[0]}.{generic}('Service', 'handler', data) to call a handler by its name")


def _check_call(call: str, method: str, scope: Any, sdk_ctx: Any, args: tuple, kwargs: dict) -> None:
    """A client call's arguments past the target, once the SDK raised on them: the one its VM can
    never take (a TypeError or OverflowError) or the SDK trips on (`send_delay.total_seconds()`,
    `headers.items()`: an AttributeError) is refused; none such, and the SDK's error stands.

    Checked after the SDK raised, not before: that costs the calls that work nothing, and the
    SDK raises before its VM records anything (the arguments are converted first). ``scope``:
    the name a scoped call's `ctx.scope(...)` was given (None: no scope), which every call of
    the scope hands the VM."""
    if scope is not None and not isinstance(scope, str):
        ctx = call.split(".")[0]
        raise refused(call, "scope", scope, f"a str naming the scope, e.g. {ctx}.scope('tenant-1')"
                      f"{if_text(scope, 'the scope')}")
    names = _call_params(method, scope is not None)
    for name, value in (*zip(names, args), *kwargs.items()):
        if type(value) is str:
            if name != "arg" or not method.startswith("generic_"):
                continue
        if name in _OPTIONAL_TEXT:
            if value is not None and not isinstance(value, str):
                raise refused(call, name, value, f"{_OPTIONAL_TEXT[name]}, or None{if_text(value, 'the ' + name)}")
        elif name in ("service", "handler"):  # generic_call/send: a name, required
            if not isinstance(value, str):
                raise refused(call, name, value, f"a str, the {name}'s name as registered, e.g. "
                              f"{call}('Greeter', 'greet', data)")
        elif name == "arg" and method.startswith("generic_"):  # sent as it is (no journal codec: bytes only)
            if value is not None and not isinstance(value, bytes) and getattr(sdk_ctx, "journal_codec", None) is None:
                raise refused(call, "arg", value, "bytes, as the handler's input serde reads them (json.dumps(value)"
                              ".encode() for a JSON handler, bytes(...) of a bytearray or memoryview), or None")
        elif name == "send_delay" and value:  # (a falsy one, None or timedelta(0), sends at once)
            if isinstance(value, timedelta):
                if value < NO_TIME:
                    raise TerminalError(f"{call}: the send_delay is -{-value}; fix: timedelta(0) or more (0: at once)")
            elif getattr(value, "total_seconds", None) is None:
                number = isinstance(value, (int, float)) and not isinstance(value, bool)
                raise refused(call, "send_delay", value, f"a datetime.timedelta, e.g. send_delay=timedelta(seconds="
                              f"{value if number else 30!r}) (a bare number has no unit)")
        elif name == "headers" and value is not None:
            items = getattr(value, "items", None)
            if not callable(items):
                raise refused(call, "headers argument", value, "a dict of str to str, e.g. headers={'x-tenant': 't1'}")
            for header, text in items():
                if not isinstance(header, str) or not isinstance(text, str):
                    bad, what = (header, "header name") if not isinstance(header, str) else (text, f"header {header!r}")
                    raise refused(call, what, bad, "a str (headers are text)")


_INVOCATION_ID = ("invocation_id", "a str, an invocation's id (await handle.invocation_id() of a call or send)")
_MESSAGE = ("failure_message", "a str saying why (the status goes in failure_code=)")
_CODE = ("failure_code", "")
_ARGS: dict[str, tuple[tuple[str, str], ...]] = {
    "resolve_awakeable": (("name", "a str, the id ctx.awakeable() returned"),),
    "reject_awakeable": (("name", "a str, the id ctx.awakeable() returned"), _MESSAGE, _CODE),
    "cancel_invocation": (_INVOCATION_ID,),
    "attach_invocation": (_INVOCATION_ID,),
    "signal": (("name", "a str naming the signal"),),
    "resolve_signal": (_INVOCATION_ID, ("name", "a str naming the signal")),
    "reject_signal": (_INVOCATION_ID, ("name", "a str naming the signal"), _MESSAGE, _CODE),
}
"""The leading parameters of the context's other methods that the SDK's VM takes only as text
(or, ``failure_code``, as a whole number that fits 16 bits), each with its fix."""


def _check_args(call: str, spec: tuple[tuple[str, str], ...], args: tuple, kwargs: dict) -> None:
    """Once the SDK raised on a call (a TypeError or OverflowError in its VM, or its ValueError
    for an invocation id of None): the argument it can never take, refused; none, and the
    SDK's error stands."""
    for i, (param, fix) in enumerate(spec):
        if i < len(args):
            value = args[i]
        elif param in kwargs:
            value = kwargs[param]
        else:
            continue
        if param in ("failure_code", "code"):
            index = getattr(type(value), "__index__", None)
            if index is None or not 0 <= index(value) <= 0xFFFF:
                raise refused(call, param, value, "a whole number from 0 to 65535, e.g. 500 (an HTTP-like status)")
        elif not isinstance(value, str):
            label = {"name": "awakeable id" if "awakeable" in call else "signal name"}.get(param, param)
            raise refused(call, label, value, fix)


def _client_method(method: str, track: bool, scoped: bool = False) -> Callable[..., Any]:
    """`ctx.<method>(...)` (or `ctx.scope(name).<method>(...)`) for one client method: REA201,
    REA301/302 on the idempotency key, REA210 on the target's kind, and REA204 for the futures
    of calls (``track``). One function per method, so the handler's line is always frame 1."""
    template = ("{0}.scope({1!r}).%s(...)" if scoped else "{0}.%s(...)") % method  # see guards.DurableOps
    expected = KIND_OF_METHOD.get(method)  # REA210: the kind of handler this method calls (None: any)

    def client_call(self: Any, *args: Any, **kwargs: Any) -> Any:
        g = self._g if scoped else self
        run = _run_name()
        if run is not None:
            g._in_run(method, run, _getframe(1))
        if expected is not None:  # the common case inline: the target is a handler of the expected kind
            handler = getattr(args[0] if args else kwargs.get("tpe"), "__dict__", _NO_DICT).get(HANDLER_SYMBOL)
            if handler is None:
                raise _bad_target(_call_name(g, self, method, scoped), method, args[0] if args else kwargs.get("tpe"))
            if getattr(getattr(handler, "service_tag", None), "kind", expected) != expected:
                check_call_kind(g._inv, method, args, kwargs, g._name, 2)
        if kwargs:
            key = kwargs.get("idempotency_key")
            if key:
                g._check_key(key, _getframe(1))
        try:
            result = getattr(self._scoped if scoped else g._ctx, method)(*args, **kwargs)
        except (*CERTAIN, OverflowError) as err:  # (no cost on the way that works)
            call = _call_name(g, self, method, scoped)
            _check_call(call, method, self._sname if scoped else None, g._ctx, args, kwargs)
            _check_argument(call, method, scoped, args, kwargs, err)
            raise  # nothing the call can never take: the SDK's error, as it was
        if track:
            frame = _getframe(1)
            g._inv.futures.append((result, template, g._name, self._sname if scoped else None,
                                   frame.f_code, frame.f_lasti))
            if _listeners("outbound"):
                _measure_call(g._ctx, g._inv, result, method, args, kwargs)
        return result

    client_call.__name__ = method
    client_call.__qualname__ = f"{'GuardedScope' if scoped else 'GuardedContext'}.{method}"
    return client_call


def _call_name(g: "GuardedContext", self: Any, method: str, scoped: bool) -> str:
    return f"{g._name}.scope({self._sname!r}).{method}" if scoped else f"{g._name}.{method}"


def _check_argument(call: str, method: str, scoped: bool, args: tuple, kwargs: dict, err: BaseException) -> None:
    """Once the SDK raised ``err`` on a call: its argument refused, if the target handler's input
    serde cannot write it (`unwritable.check_value`). The handler's line is frame 2 from here."""
    if method.startswith("generic_"):  # (its argument is bytes, checked by `_check_call`)
        return
    given = dict(zip(_call_params(method, scoped), args), **kwargs)
    if "arg" not in given:
        return
    handler = getattr(given.get("tpe"), "__dict__", _NO_DICT).get(HANDLER_SYMBOL)
    serde = getattr(getattr(handler, "handler_io", None), "input_serde", None)
    label = getattr(getattr(handler, "fn", None), "__name__", "handler")
    check_value(f"{call}({label}, ...)", "the argument", given["arg"], serde, _location(_getframe(2)), err,
                typed_by_value=False)


def _check_payload(call: str, at: int, args: tuple, kwargs: dict, err: BaseException) -> None:
    """Once the SDK raised ``err`` on resolving an awakeable or signal: the payload (``args[at]``,
    or ``value=``) refused, if its serde cannot write it. The handler's line is frame 2."""
    value = args[at] if len(args) > at else kwargs.get("value", _UNSET)
    if value is not _UNSET:
        serde = args[at + 1] if len(args) > at + 1 else kwargs.get("serde", _DEFAULT_SERDE)
        check_value(f"{call}(...)", "the value", value, serde, _location(_getframe(2)), err)


_RUN_KEYWORDS = frozenset({"options", "type_hint", "max_retry_duration", *RUN_OPTIONS})
"""The keywords that name a run option: `ctx.run_typed` hands them to the action, not the SDK."""
_no_run_keyword = _RUN_KEYWORDS.isdisjoint
_OPTIONS_READ = (*RUN_OPTIONS, "type_hint")
"""What `ctx.run_typed` reads of its options (a `RunOptions`, or whatever has these)."""


def _label(action: Any) -> str:
    name = getattr(action, "__name__", "")
    return name if isinstance(name, str) and name.isidentifier() else "action"


def _check_run(ctx: str, name: Any, action: Any, args: tuple, kwargs: dict) -> None:
    """`ctx.run`'s options past the action, refused when the SDK can never take one
    (`arguments.run_option_fault`), or a keyword it does not have (its TypeError, retried
    forever): checked before the run, since the SDK reads its retry options only once the action
    failed, and there a bad one leaves the invocation running for good, nothing logged."""
    params = _RUN_PARAMS or _run_params()
    if not params:  # (an SDK whose run could not be read: its own errors stand)
        return
    if args:
        for field, value in zip(params, args):
            fault = run_option_fault(field, value)
            if fault is not None:
                also = "; the action's own arguments go in args=(...)" if field == "serde" else ""
                raise TerminalError(f"{ctx}.run: the {field} is {fault[0]}; fix: {fault[1]}{also}")
    for field, value in kwargs.items():
        if field not in params:
            typed = f"{ctx}.run_typed({name!r}, {_label(action)}, restate.RunOptions"
            fix = ("max_retry_duration=, ctx.run's name for it" if field == "max_duration" else
                   f"{typed}(...)): it takes the options third" if field == "options" else
                   f"{typed}({field}=...)): it takes every retry option" if field in _RUN_KEYWORDS else
                   "one of those (the action's own arguments go in args=(...))")
            raise TerminalError(f"{ctx}.run: the keyword {field} is none of its parameters ({', '.join(params)}); "
                                f"fix: {fix}")
        fault = run_option_fault(field, value)
        if fault is not None:
            raise TerminalError(f"{ctx}.run: the {field} is {fault[0]}; fix: {fault[1]}")


_RUN_PARAMS: tuple[str, ...] = ()


def _run_params() -> tuple[str, ...]:
    """`ctx.run`'s parameters past the action, as the SDK names them (serde, max_attempts,
    max_retry_duration, type_hint, args), read once."""
    global _RUN_PARAMS
    _RUN_PARAMS = _call_params("run", False)[2:]
    return _RUN_PARAMS


def _takes_keyword(action: Any, keyword: str) -> bool:
    """Whether the action takes that keyword (True when its signature cannot be read)."""
    try:
        params = inspect.signature(action).parameters
    except (TypeError, ValueError):
        return True
    param = params.get(keyword)
    if param is not None and param.kind in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY):
        return True
    return any(p.kind is p.VAR_KEYWORD for p in params.values())


def _check_run_typed(ctx: str, name: Any, action: Any, args: tuple, kwargs: dict) -> None:
    """`ctx.run_typed`'s options (its third argument), refused when it is no `RunOptions` (the
    SDK's AttributeError, retried forever) or has a field the SDK can never take (see
    `_check_run`); and a run option given as a keyword, which the SDK hands to the action, when
    the action takes no such keyword (its TypeError in every attempt, retried forever)."""
    if args:
        options = args[0]
        if type(options) is not RunOptions and not isinstance(options, RunOptions):
            if not all(hasattr(options, field) for field in _OPTIONS_READ):
                fields = RunOptions.__dataclass_fields__
                given = ", ".join(f"{k}={v!r}" for k, v in options.items()) if isinstance(options, dict) and \
                    all(k in fields for k in options) else ""
                raise refused(f"{ctx}.run_typed", "options", options, f"a restate.RunOptions, e.g. {ctx}.run_typed("
                              f"{name!r}, {_label(action)}, restate.RunOptions({given})); the action's own "
                              f"arguments come after it")
        fault = run_options_fault(options)
        if fault is not None:
            raise TerminalError(f"{ctx}.run_typed: the {fault[0]} is {fault[1]}; fix: {fault[2]}")
    if kwargs and not _no_run_keyword(kwargs):
        for keyword in kwargs:
            if keyword in _RUN_KEYWORDS and not _takes_keyword(action, keyword):
                label = _label(action)
                where, inner = ("the options go third, positionally", "...") if keyword == "options" else \
                    ("in the options, third", f"{keyword}=...")
                raise TerminalError(f"{ctx}.run_typed: the keyword {keyword} goes to the action {label}, which "
                                    f"takes no {keyword}; fix: {where}: {ctx}.run_typed({name!r}, {label}, "
                                    f"restate.RunOptions({inner}))")


_NO_OPTIONS_FIELDS = dict(RunOptions().__dict__)
"""The fields of the options `ctx.run_typed` takes when given none (the SDK's own default)."""
_new = object.__new__
_DEFAULT_SERDE: DefaultSerde[Any] = DefaultSerde()
"""What the SDK's `set`, `resolve_awakeable` and `resolve_signal` take when given no serde."""


def _options_with(fields: dict[str, Any], serde: Any) -> RunOptions[Any]:
    """A `RunOptions` of ``fields`` (another's, which is not touched) with ``serde``."""
    copied = _new(RunOptions)
    copied.__dict__ = {**fields, "serde": serde}
    return copied


def _typed_options_checked(args: tuple, site: tuple[str, str, Any, Any, int]) -> tuple:
    """`ctx.run_typed`'s positional options (its third argument) with the SDK's serde in them
    checked (`unwritable`); options of another type are handed on as they are."""
    options = args[0]
    if type(options) is not RunOptions:
        return args
    serde = checked(options.serde, site)
    if serde is options.serde:
        return args
    return (_options_with(options.__dict__, serde), *args[1:])


def _run_method(method: str) -> Callable[..., Any]:
    """`ctx.run` / `ctx.run_typed`: REA201/REA208 checks, the action wrapped (its scope marked for
    REA201 inside it), the options the SDK can never take refused (`_check_run`,
    `_check_run_typed`), the future recorded (REA204). One function per method, made here, so the
    handler's line is frame 1 and no second call is paid per run."""
    template = "{0}.%s({1!r}, ...)" % method
    typed = method == "run_typed"  # (its keywords are the action's: only a run option's name is looked at)
    check_options = _check_run_typed if typed else _check_run

    def run_call(self: Any, name: str, action: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if type(name) is not str and not isinstance(name, str):  # the SDK's VM: a TypeError, retried forever
            check_name(f"{self._name}.{method}", name, action, first="")
        frame = _getframe(1)
        run = _run_name()
        if run is not None:
            self._in_run(method, run, frame)
        if type(action) is FunctionType:  # callable and no coroutine object: REA208 has nothing to say
            cached = _WRAPPED.get(action)
            wrapped = cached[1] if cached is not None and cached[0] == name else wrap_action(action, name)
        else:
            check_action(self._inv, action, name, frame)
            wrapped = wrap_action(action, name)
        sdk_run = getattr(self._ctx, method)
        site = (self._name, method, name, frame.f_code, frame.f_lasti)  # (for the serde's check: unwritable)
        if args or kwargs:  # (a run with no options pays nothing for their check)
            if args or not typed or not _no_run_keyword(kwargs):
                check_options(self._name, name, action, args, kwargs)
            if typed:
                args = _typed_options_checked(args, site) if args else (
                    _options_with(_NO_OPTIONS_FIELDS, CheckedDefaultSerde(None, site)),)
            elif args:
                args = (checked(args[0], site), *args[1:])
            elif "serde" in kwargs:
                kwargs = {**kwargs, "serde": checked(kwargs["serde"], site)}
            else:
                kwargs["serde"] = CheckedDefaultSerde(None, site)
            fut = sdk_run(name, wrapped, *args, **kwargs)
        elif typed:
            fut = sdk_run(name, wrapped, _options_with(_NO_OPTIONS_FIELDS, CheckedDefaultSerde(None, site)))
        else:
            fut = sdk_run(name, wrapped, serde=CheckedDefaultSerde(None, site))
        self._inv.futures.append((fut, template, self._name, name, frame.f_code, frame.f_lasti))
        return fut

    run_call.__name__ = method
    run_call.__qualname__ = f"GuardedContext.{method}"
    return run_call


def _state_key(ctx: str, method: str, name: Any) -> Exception:
    """A state key that is no str (the SDK's VM: a TypeError, retried forever)."""
    example = f"{ctx}.{method}('count'{', value' if method == 'set' else ''})"
    return refused(f"{ctx}.{method}", "state key", name,
                   f"a str naming the entry, e.g. {example}{if_text(name, 'the name')}")


def _check_entry_name(call: str, at: int, args: tuple, kwargs: dict) -> None:
    """Once the SDK raised on a state call: an ``entry_name`` (``args[at]``, or the keyword) that
    is no str, which the VM can never take."""
    value = args[at] if len(args) > at else kwargs.get("entry_name")
    if value is not None and not isinstance(value, str):
        raise refused(call, "entry_name", value, "a str labelling the journal entry, or None")


def _check_sleep(ctx: str, args: tuple, kwargs: dict) -> None:
    """`ctx.sleep`'s arguments, past the fast path (one positional timedelta >= 0): a duration
    that is no timedelta (`.total_seconds()`: an AttributeError) or is negative (an
    OverflowError in the VM), or a name that is no str, all retried forever by Restate."""
    call = f"{ctx}.sleep"
    if args:
        delta = args[0]
    elif "delta" in kwargs:
        delta = kwargs["delta"]
    else:
        return  # no duration at all: the SDK's own TypeError names it
    if isinstance(delta, timedelta):
        if delta < NO_TIME:
            raise TerminalError(f"{call}: the duration is -{-delta}; fix: timedelta(0) or more (for a deadline "
                                f"that may have passed: max(delta, timedelta(0)))")
    elif getattr(delta, "total_seconds", None) is None:
        number = isinstance(delta, (int, float)) and not isinstance(delta, bool)
        example = f"timedelta(seconds={delta!r})" if number else "timedelta(seconds=30)"
        raise refused(call, "duration", delta, f"a datetime.timedelta, e.g. {call}({example}) (a bare number has "
                      f"no unit)")
    name = args[1] if len(args) > 1 else kwargs.get("name")
    if name is not None and not isinstance(name, str):
        raise refused(call, "name", name, "a str labelling the sleep in the journal, or None")


class GuardedContext:
    """A drop-in for `restate.Context` / `ObjectContext` / `WorkflowContext` (and shared ones).

    The hot path of each method is one contextvar read (REA201) and, for durable operations,
    one frame look-up and one tuple for REA204 (`guards.DurableOps`: its text is made only if
    the future turns out unawaited); the frame is looked at further only when a rule is reported."""

    __slots__ = ("_ctx", "_inv", "_name", "_budgets")

    def __init__(self, ctx: Any, inv: Invocation, name: str = "ctx") -> None:
        self._ctx = ctx
        self._inv = inv
        self._name = name
        self._budgets = _UNSET
        """The service's state budgets (`state_budget.budgets`), looked up at the first write."""

    # -- checks ---------------------------------------------------------------------------

    def _in_run(self, method: str, run: str, frame: Any) -> None:
        report(self._inv, "REA201", f"{self._name}.{method}(...) inside run action {run!r}", frame, self._name)

    def _check_key(self, key: Any, frame: Any) -> None:
        text = str(key)
        inv = self._inv
        if any(v in text for v in inv.fresh):
            report(inv, "REA302", f"idempotency_key={text!r}", frame, self._name)
        elif any(str(u) in text or u.hex in text for u in inv.ctx_uuids) or inv.invocation_id in text:
            report(inv, "REA301", f"idempotency_key={text!r}", frame, self._name)

    def unwrap(self) -> Any:
        """The SDK's own context (for APIs that insist on it)."""
        return self._ctx

    def __getattr__(self, item: str) -> Any:
        return getattr(self._ctx, item)

    def __repr__(self) -> str:
        return f"GuardedContext({self._ctx!r}, kind={self._inv.kind!r})"

    # -- plain reads (REA201 only) ----------------------------------------------------------

    def request(self) -> Any:
        run = _run_name()
        if run is not None:
            self._in_run("request", run, _getframe(1))
        return self._ctx.request()

    def key(self) -> str:
        run = _run_name()
        if run is not None:
            self._in_run("key", run, _getframe(1))
        return self._ctx.key()

    def random(self) -> Any:
        run = _run_name()
        if run is not None:
            self._in_run("random", run, _getframe(1))
        return self._ctx.random()

    def uuid(self) -> Any:
        run = _run_name()
        if run is not None:
            self._in_run("uuid", run, _getframe(1))
        value = self._ctx.uuid()
        self._inv.ctx_uuids.append(value)  # its text forms are made only to check a key (REA301)
        return value

    def scope(self, scope: str) -> "GuardedScope":
        run = _run_name()
        if run is not None:
            self._in_run("scope", run, _getframe(1))
        return GuardedScope(self, self._ctx.scope(scope), scope)

    # -- state -------------------------------------------------------------------------------

    def get(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if type(name) is not str and not isinstance(name, str):
            raise _state_key(self._name, "get", name)
        frame = _getframe(1)
        run = _run_name()
        if run is not None:
            self._in_run("get", run, frame)
        try:
            fut = self._ctx.get(name, *args, **kwargs) if args or kwargs else self._ctx.get(name)
        except TypeError:  # (the state key was checked; what else its VM cannot take, after the fact)
            _check_entry_name(f"{self._name}.get", 2, args, kwargs)
            raise
        self._inv.futures.append((fut, "{0}.get({1!r})", self._name, name, frame.f_code, frame.f_lasti))
        return fut

    def state_keys(self, *args: Any, **kwargs: Any) -> Any:
        frame = _getframe(1)
        run = _run_name()
        if run is not None:
            self._in_run("state_keys", run, frame)
        try:
            fut = self._ctx.state_keys(*args, **kwargs) if args or kwargs else self._ctx.state_keys()
        except TypeError:
            _check_entry_name(f"{self._name}.state_keys", 0, args, kwargs)
            raise
        self._inv.futures.append((fut, "{0}.state_keys()", self._name, None, frame.f_code, frame.f_lasti))
        return fut

    def _write(self, method: str, subject: str) -> None:
        """REA201 and REA202 for a write. REA202: strict raises before the write leaves the
        process; warn logs and lets the SDK do what it always does (the server refuses the write
        and the attempt is retried): a guard in warn mode must never change the outcome, least
        of all by dropping data."""
        run = _run_name()
        if run is not None:
            self._in_run(method, run, _getframe(2))
        if self._inv.kind in _SHARED:
            report(self._inv, "REA202", f"{self._name}.{subject}", _getframe(2), self._name)

    def set(self, name: str, value: Any, *args: Any, **kwargs: Any) -> None:
        if type(name) is not str and not isinstance(name, str):
            raise _state_key(self._name, "set", name)
        if self._inv.kind in _SHARED or _run_name() is not None:
            self._write("set", f"set({name!r}, ...)")
        limits = self._budgets
        if limits is _UNSET:
            limits = self._budgets = state_budgets(self._ctx)
        try:
            if limits is None:  # no budget: nothing to measure, the SDK serializes as it always does
                if args or kwargs:
                    self._ctx.set(name, value, *args, **kwargs)
                else:
                    self._ctx.set(name, value)
            else:
                set_measured(self._ctx, self._inv, limits, name, value, args, kwargs)
        except CERTAIN as err:  # (no cost on the way that works)
            _check_entry_name(f"{self._name}.set", 1, args, kwargs)
            check_value(f"{self._name}.set({name!r}, ...)", "the value", value,
                        args[0] if args else kwargs.get("serde", _DEFAULT_SERDE), _location(_getframe(1)), err)
            raise

    def clear(self, name: str, *args: Any, **kwargs: Any) -> None:
        if type(name) is not str and not isinstance(name, str):
            raise _state_key(self._name, "clear", name)
        self._write("clear", f"clear({name!r})")
        try:
            self._ctx.clear(name, *args, **kwargs)
        except TypeError:
            _check_entry_name(f"{self._name}.clear", 0, args, kwargs)
            raise
        if self._inv.state_sizes is not None:
            self._inv.state_sizes.pop(name, None)

    def clear_all(self, *args: Any, **kwargs: Any) -> None:
        self._write("clear_all", "clear_all()")
        try:
            self._ctx.clear_all(*args, **kwargs)
        except TypeError:
            _check_entry_name(f"{self._name}.clear_all", 0, args, kwargs)
            raise
        if self._inv.state_sizes is not None:
            self._inv.state_sizes.clear()

    # -- durable operations ----------------------------------------------------------------

    run = _run_method("run")
    run_typed = _run_method("run_typed")

    def time(self) -> Any:
        frame = _getframe(1)
        run = _run_name()
        if run is not None:
            self._in_run("time", run, frame)
        fut = self._ctx.time()
        self._inv.futures.append((fut, "{0}.time()", self._name, None, frame.f_code, frame.f_lasti))
        return fut

    def sleep(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs or len(args) != 1 or type(args[0]) is not timedelta or args[0] < NO_TIME:
            _check_sleep(self._name, args, kwargs)
        frame = _getframe(1)
        run = _run_name()
        if run is not None:
            self._in_run("sleep", run, frame)
        fut = self._ctx.sleep(args[0]) if len(args) == 1 and not kwargs else self._ctx.sleep(*args, **kwargs)
        self._inv.futures.append((fut, "{0}.sleep(...)", self._name, None, frame.f_code, frame.f_lasti))
        if self._inv.kind == "exclusive":  # (REA207: a select this sleep bounds waits no longer)
            mark_sleep(fut, args[0] if args else kwargs.get("delta", kwargs.get("duration")))
        return fut

    service_call = _client_method("service_call", track=True)
    object_call = _client_method("object_call", track=True)
    workflow_call = _client_method("workflow_call", track=True)
    generic_call = _client_method("generic_call", track=True)
    service_send = _client_method("service_send", track=False)
    object_send = _client_method("object_send", track=False)
    workflow_send = _client_method("workflow_send", track=False)
    generic_send = _client_method("generic_send", track=False)

    def attach_invocation(self, *args: Any, **kwargs: Any) -> Any:
        frame = _getframe(1)
        run = _run_name()
        if run is not None:
            self._in_run("attach_invocation", run, frame)
        try:
            fut = self._ctx.attach_invocation(*args, **kwargs)
        except (TypeError, ValueError):
            _check_args(f"{self._name}.attach_invocation", _ARGS["attach_invocation"], args, kwargs)
            raise
        self._inv.futures.append((fut, "{0}.attach_invocation(...)", self._name, None, frame.f_code,
                                  frame.f_lasti))
        return fut

    def awakeable(self, *args: Any, **kwargs: Any) -> Any:
        run = _run_name()
        if run is not None:
            self._in_run("awakeable", run, _getframe(1))
        name, future = self._ctx.awakeable(*args, **kwargs)
        mark_exclusive_wait(self._inv, future, f"the awakeable {name[:24]}...")
        return name, future

    def resolve_awakeable(self, *args: Any, **kwargs: Any) -> None:
        run = _run_name()
        if run is not None:
            self._in_run("resolve_awakeable", run, _getframe(1))
        try:
            self._ctx.resolve_awakeable(*args, **kwargs)
        except (*CERTAIN, OverflowError) as err:
            _check_args(f"{self._name}.resolve_awakeable", _ARGS["resolve_awakeable"], args, kwargs)
            _check_payload(f"{self._name}.resolve_awakeable", 1, args, kwargs, err)
            raise

    def reject_awakeable(self, *args: Any, **kwargs: Any) -> None:
        run = _run_name()
        if run is not None:
            self._in_run("reject_awakeable", run, _getframe(1))
        try:
            self._ctx.reject_awakeable(*args, **kwargs)
        except (TypeError, OverflowError):
            _check_args(f"{self._name}.reject_awakeable", _ARGS["reject_awakeable"], args, kwargs)
            raise

    def cancel_invocation(self, *args: Any, **kwargs: Any) -> Any:
        run = _run_name()
        if run is not None:
            self._in_run("cancel_invocation", run, _getframe(1))
        try:
            return self._ctx.cancel_invocation(*args, **kwargs)
        except (TypeError, ValueError):
            _check_args(f"{self._name}.cancel_invocation", _ARGS["cancel_invocation"], args, kwargs)
            raise

    def signal(self, *args: Any, **kwargs: Any) -> Any:
        frame = _getframe(1)
        run = _run_name()
        if run is not None:
            self._in_run("signal", run, frame)
        try:
            fut = self._ctx.signal(*args, **kwargs)
        except (TypeError, OverflowError):
            _check_args(f"{self._name}.signal", _ARGS["signal"], args, kwargs)
            raise
        self._inv.futures.append((fut, "{0}.signal(...)", self._name, None, frame.f_code, frame.f_lasti))
        return fut

    def resolve_signal(self, *args: Any, **kwargs: Any) -> None:
        run = _run_name()
        if run is not None:
            self._in_run("resolve_signal", run, _getframe(1))
        try:
            self._ctx.resolve_signal(*args, **kwargs)
        except (*CERTAIN, OverflowError) as err:
            _check_args(f"{self._name}.resolve_signal", _ARGS["resolve_signal"], args, kwargs)
            _check_payload(f"{self._name}.resolve_signal", 2, args, kwargs, err)
            raise

    def reject_signal(self, *args: Any, **kwargs: Any) -> None:
        run = _run_name()
        if run is not None:
            self._in_run("reject_signal", run, _getframe(1))
        try:
            self._ctx.reject_signal(*args, **kwargs)
        except (TypeError, OverflowError):
            _check_args(f"{self._name}.reject_signal", _ARGS["reject_signal"], args, kwargs)
            raise

    def promise(self, name: str, *args: Any, **kwargs: Any) -> "GuardedPromise":
        run = _run_name()
        if run is not None:
            self._in_run("promise", run, _getframe(1))
        return GuardedPromise(self, self._ctx.promise(name, *args, **kwargs), name)


class GuardedScope:
    """`ctx.scope(...)`'s scoped context, with the same checks as the context's own calls
    (REA201 inside a run, REA301/302 on idempotency keys, REA204 on unawaited calls)."""

    __slots__ = ("_g", "_scoped", "_sname")

    def __init__(self, gctx: GuardedContext, scoped: Any, name: str) -> None:
        self._g = gctx
        self._scoped = scoped
        self._sname = name

    service_call = _client_method("service_call", track=True, scoped=True)
    object_call = _client_method("object_call", track=True, scoped=True)
    workflow_call = _client_method("workflow_call", track=True, scoped=True)
    service_send = _client_method("service_send", track=False, scoped=True)
    object_send = _client_method("object_send", track=False, scoped=True)
    workflow_send = _client_method("workflow_send", track=False, scoped=True)

    def unwrap(self) -> Any:
        return self._scoped

    def __getattr__(self, item: str) -> Any:
        return getattr(self._scoped, item)


class GuardedSharedContext(GuardedContext):
    """The guarded context of a shared object handler (an `ObjectSharedContext`)."""

    __slots__ = ()


class GuardedWorkflowContext(GuardedContext):
    """The guarded context of a workflow's `run` handler (a `WorkflowContext`)."""

    __slots__ = ()


class GuardedWorkflowSharedContext(GuardedContext):
    """The guarded context of a workflow's shared handler (a `WorkflowSharedContext`)."""

    __slots__ = ()


def _register_virtual_subclasses() -> None:
    """`isinstance(ctx, restate.ObjectContext)` etc. hold as they do for the SDK's own context
    (which is an `ObjectContext` in every handler), plus the class the handler is annotated with."""
    import restate
    from restate.context import ScopedContext

    restate.ObjectContext.register(GuardedContext)
    restate.ObjectSharedContext.register(GuardedSharedContext)
    restate.WorkflowContext.register(GuardedWorkflowContext)
    restate.WorkflowSharedContext.register(GuardedWorkflowSharedContext)
    ScopedContext.register(GuardedScope)


_register_virtual_subclasses()


def guarded_context(sdk_ctx: Any, inv: Invocation) -> GuardedContext:
    """The guarded context for this handler's kind (service, object, workflow; shared or not)."""
    handler = getattr(sdk_ctx, "handler", None)
    service_kind = getattr(getattr(handler, "service_tag", None), "kind", None)
    if inv.kind == "workflow":
        return GuardedWorkflowContext(sdk_ctx, inv)
    if inv.kind == "shared":
        cls = GuardedWorkflowSharedContext if service_kind == "workflow" else GuardedSharedContext
        return cls(sdk_ctx, inv)
    return GuardedContext(sdk_ctx, inv)


def _callee(method: str, args: tuple, kwargs: dict) -> tuple[str, str]:
    if method == "generic_call":
        return str(kwargs.get("service", args[0] if args else "?")), str(kwargs.get("handler", args[1] if len(args) > 1 else "?"))
    target = kwargs.get("tpe", args[0] if args else None)
    try:
        from restate.handler import handler_from_callable

        h: Any = handler_from_callable(target)  # type: ignore[arg-type]  # (not a handler: caught below)
        return h.service_tag.name, h.name
    except Exception:  # noqa: BLE001 - not a handler reference: label it as unknown
        return "?", getattr(target, "__name__", "?")


def _measure_call(sdk_ctx: Any, inv: Invocation, fut: Any, method: str, args: tuple, kwargs: dict) -> None:
    """Time the call from its first await to its result and emit `outbound` (metric, child span).

    The SDK's future is handed back unchanged (`restate.gather/select` check its type); only the
    coroutine it runs lazily on first await is wrapped."""
    lazy = getattr(fut, "future", None)
    orig = getattr(lazy, "async_def", None)
    if lazy is None or orig is None:
        return
    callee_service, callee_handler = _callee(method, args, kwargs)
    service, handler = events.handler_names(sdk_ctx, inv.handler)

    async def measured() -> Any:
        import time

        from restate.exceptions import TerminalError
        from restate.server_context import restate_context_is_replaying

        start_ns, t0 = time.time_ns(), time.perf_counter()
        outcome = "error"
        try:
            value = await orig()
            outcome = "success"
            return value
        except TerminalError:
            outcome = "terminal_error"
            raise
        finally:
            if outcome != "error":  # suspended/cancelled: the next attempt measures it
                events.emit("outbound", service=service, handler=handler, callee_service=callee_service,
                            callee_handler=callee_handler, outcome=outcome, seconds=time.perf_counter() - t0,
                            replayed=bool(restate_context_is_replaying.get(False)), start_ns=start_ns,
                            end_ns=time.time_ns())

    lazy.async_def = measured


class GuardedPromise:
    """A workflow's durable promise whose uses are checked like the context's (REA201/204)."""

    __slots__ = ("_gctx", "_promise", "_pname")

    def __init__(self, gctx: GuardedContext, promise: Any, name: str) -> None:
        self._gctx = gctx
        self._promise = promise
        self._pname = name

    def _use(self, method: str) -> None:
        run = IN_RUN.get()
        if run is not None:
            g = self._gctx
            report(g._inv, "REA201", f"{g._name}.promise({self._pname!r}).{method}() inside run action {run!r}",
                   _getframe(2), g._name)

    def _check(self, *args: Any) -> None:
        """Once the SDK raised on a use (a TypeError or OverflowError in its VM): a promise name
        that is no str, or a rejection's message or code it can never take, refused."""
        g = self._gctx
        if not isinstance(self._pname, str):
            raise refused(f"{g._name}.promise", "promise name", self._pname, f"a str naming the promise, e.g. "
                          f"{g._name}.promise('approved'){if_text(self._pname, 'the name')}")
        if args:
            _check_args(f"{g._name}.promise({self._pname!r}).reject", (("message", _MESSAGE[1]), ("code", "")),
                        args, {})

    def value(self) -> Any:
        self._use("value")
        try:
            fut = self._promise.value()
        except TypeError:
            self._check()
            raise
        frame = _getframe(1)
        self._gctx._inv.futures.append((fut, "promise({1!r}).value()", None, self._pname, frame.f_code,
                                        frame.f_lasti))
        return fut

    def resolve(self, value: Any) -> Any:
        self._use("resolve")
        try:
            return self._promise.resolve(value)
        except CERTAIN as err:
            self._check()
            check_value(f"{self._gctx._name}.promise({self._pname!r}).resolve", "the value", value,
                        getattr(self._promise, "serde", None), _location(_getframe(1)), err, typed_by_value=False)
            raise

    def reject(self, message: str, code: int = 500) -> Any:
        self._use("reject")
        try:
            return self._promise.reject(message, code)
        except (TypeError, OverflowError):
            self._check(message, code)
            raise

    def peek(self) -> Any:
        self._use("peek")
        try:
            return self._promise.peek()
        except TypeError:
            self._check()
            raise

    def __await__(self) -> Any:
        return self.value().__await__()

    def __getattr__(self, item: str) -> Any:
        return getattr(self._promise, item)
