"""Drop-in `Service` / `VirtualObject` / `Workflow` and the `guarded` handler decorator.

The SDK reads handler signatures with `inspect.signature(fn, eval_str=True)`, so the guard is
an `async` wrapper with `functools.wraps`, placed *under* the SDK's decorator (on top it is
never called; without `wraps` the handler is renamed and loses its pydantic types). The
drop-ins subclass the SDK's classes, so `restate.app([...])` and discovery see no difference.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import time
from typing import Any, Callable, Mapping, TypeVar

import restate
from restate.exceptions import SdkInternalBaseException, TerminalError
from restate.handler import RESTATE_UNIQUE_HANDLER_SYMBOL
from restate.server_context import ServerDurableFuture

from rea_lint.config import POLICIES, did_you_mean

from . import events
from .context import GuardedContext, guarded_context
from .guards import CURRENT, Invocation, install, rebind_module_globals, report
from .misuse import BAD_INPUT, bad_input
from .policy import Policy, check_configuration, check_environment, check_local, current_policy, given
from .state_budget import load_sizes, total_budget
from .unwritable import check_output
from .presets import PRESETS, SDK_OPTIONS, ConfigurationError, Preset, check_options, preset as _preset
from .retention import check_workflow_retention, construction_site
from .validation import (DefinitionError, check_handler_name, check_service_name, check_unique_handler, policy_for,
                         validate_handler)

__all__ = ["Service", "VirtualObject", "Workflow", "guarded"]

F = TypeVar("F", bound=Callable[..., Any])
BAD_INPUT_TYPES = tuple(BAD_INPUT)


def _unawaited(fut: Any) -> bool:
    if not isinstance(fut, ServerDurableFuture):
        return False
    return fut.future.task is None and not getattr(fut, "__rea_awaited__", False)


_POISONED: dict[str, str] = {}
"""Invocation id -> REA401 message, for attempts that swallowed a suspension under strict."""


def _invocation_id(sdk_ctx: Any) -> str:
    try:
        return sdk_ctx.invocation.invocation_id
    except AttributeError:
        return ""


def _on_return(inv: Invocation) -> None:
    """Checks that need the handler to have finished normally (REA401, REA204)."""
    if inv.raised is not None:
        # A strict violation was raised and the handler swallowed it: it still fails.
        raise inv.raised
    exc = inv.internal_exc
    policy = inv.policy_for("REA401") if exc is not None else "disabled"
    if exc is not None and policy != "disabled":
        tb = exc.__traceback__
        where = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb is not None else None
        try:
            report(inv, "REA401", "an except clause", where)
        except TerminalError as err:
            # The VM is suspended: nothing can be written in this attempt. Fail the next one.
            _POISONED[_invocation_id(inv.sdk_ctx)] = err.message
            if len(_POISONED) > 10_000:
                _POISONED.pop(next(iter(_POISONED)))
        # Restore what the swallowed exception meant (suspend / retry), not a wrong result.
        raise exc
    for _, subject, where in inv.futures.described(_unawaited):
        report(inv, "REA204", subject, where)


def guarded(fn: F | None = None, *, policy: str | None = None, rules: Mapping[str, str] | None = None,
            auto_cleanup: bool = False) -> Any:
    """Guard a handler of a plain `restate` service; place it *under* `@svc.handler()`.

    ``policy``/``rules`` override the process policy for this handler only. ``auto_cleanup``
    (a workflow's `run`): clear all of the workflow's state when the handler returns normally.
    Everything is checked here, at the decorator: a bad policy found inside an invocation
    would fail it, and Restate would retry it forever.
    """
    local = check_local("rea_runtime.guarded", policy, rules)
    check_environment()
    if fn is None:
        return functools.partial(guarded, policy=policy, rules=rules, auto_cleanup=auto_cleanup)
    registered = getattr(fn, "__dict__", {}).get(RESTATE_UNIQUE_HANDLER_SYMBOL)
    if registered is not None:
        raise DefinitionError(_above_message(registered))
    while getattr(fn, "__rea_guarded__", False) and hasattr(fn, "__wrapped__"):
        fn = fn.__wrapped__  # guarding twice guards once
    if not inspect.iscoroutinefunction(fn):
        if not inspect.isfunction(fn) and not inspect.ismethod(fn):
            fix = (f"pass it by keyword: @rea_runtime.guarded(policy={fn!r})" if isinstance(fn, str) and fn in POLICIES
                   else "put @rea_runtime.guarded directly on an `async def` handler, under @svc.handler()")
            raise TypeError(f"rea_runtime.guarded: expected an `async def` handler function, got {given(fn)}; fix: {fix}")
        raise TypeError(f"rea_runtime.guarded: handler {fn.__qualname__} must be `async def`")
    install()
    rebind_module_globals(fn.__globals__)
    cache: dict[int, Policy] = {}
    name = fn.__qualname__

    def resolve() -> Policy | None:
        if local is None:
            return None
        base = current_policy()
        got = cache.get(id(base))
        if got is None:
            cache.clear()
            got = cache[id(base)] = base.override(*local)
        return got

    @functools.wraps(fn)
    async def handler(ctx: Any, *args: Any) -> Any:
        sdk_ctx = ctx.unwrap() if isinstance(ctx, GuardedContext) else ctx
        kind = getattr(getattr(sdk_ctx, "handler", None), "kind", None)
        inv = Invocation(sdk_ctx, kind, resolve(), name)
        poison = _POISONED.pop(_invocation_id(sdk_ctx), None) if _POISONED else None
        token = CURRENT.set(inv)
        started = time.perf_counter()
        outcome = "error"
        attempt = events.attempt(sdk_ctx, name)
        try:
            with attempt:
                if kind in ("exclusive", "workflow") and total_budget(sdk_ctx) is not None:
                    inv.state_sizes = await load_sizes(sdk_ctx)
                result = await fn(guarded_context(sdk_ctx, inv), *args)
                if poison is not None:
                    # Fail where the handler returns: failing earlier would not match the journal.
                    raise TerminalError(poison)
                _on_return(inv)
                if auto_cleanup:
                    sdk_ctx.clear_all()  # the Go AutoCleanupOnCompletion: the result stays, the state goes
            outcome = "success"
            return result
        except TerminalError:
            outcome = "terminal_error"
            raise
        except (SdkInternalBaseException, asyncio.CancelledError):
            outcome = "suspended"
            raise
        except BAD_INPUT_TYPES as exc:
            terminal = bad_input(inv, exc)  # REA402: retried forever unless it is terminal
            if terminal is None:
                raise
            outcome = "terminal_error"
            raise terminal from exc
        finally:
            inv.end()
            CURRENT.reset(token)
            events.attempt_done(sdk_ctx, name, outcome, time.perf_counter() - started)

    handler.__rea_guarded__ = True  # type: ignore[attr-defined]
    return handler


def _above_message(handler: Any) -> str:
    where = f"{handler.service_tag.name}.{handler.name}"
    fn, guarded_below = handler.fn, False
    while hasattr(fn, "__wrapped__") and not guarded_below:
        guarded_below, fn = getattr(fn, "__rea_guarded__", False), fn.__wrapped__
    if guarded_below:
        return (f"rea_runtime.guarded on {where}: the handler is already guarded (by a rea_runtime drop-in, or "
                f"by @rea_runtime.guarded under @svc.handler()); fix: remove this @rea_runtime.guarded")
    return (f"rea_runtime.guarded is above @svc.handler() on {where}: the SDK has already registered the "
            f"function below it, so nothing would be guarded; fix: put @rea_runtime.guarded under "
            f"@svc.handler(), directly on the `async def`")


def _user_function(fn: Any) -> Any:
    """The user's function under a handler registered on another service, or under `guarded`."""
    while (RESTATE_UNIQUE_HANDLER_SYMBOL in getattr(fn, "__dict__", {}) or getattr(fn, "__rea_guarded__", False)) \
            and hasattr(fn, "__wrapped__"):
        fn = fn.__wrapped__
    return fn


def _check_keywords(where: str, given_keys: Any, accepts: Callable[..., Any], extras: tuple[str, ...] = ()) -> None:
    """Unknown keyword arguments get rea's message (with a "did you mean"), not the SDK's bare
    `TypeError: __init__() got an unexpected keyword argument`."""
    try:
        params = inspect.signature(accepts).parameters
    except (TypeError, ValueError):  # pragma: no cover - the SDK's classes have signatures
        return
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return
    known = [n for n, p in params.items() if n != "self" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    known += extras
    for key in given_keys:
        if key in known:
            continue
        if key in Preset.model_fields:
            raise ConfigurationError(f"{where}: {key!r} is a field of rea_runtime presets, not an option here; "
                                     f"fix: preset=rea_runtime.preset(\"default\", {key}=...) on the service")
        close = did_you_mean(key, known)
        hint = close.removeprefix("; ") if close else f"one of {', '.join(known)}"
        raise ConfigurationError(f"{where}: unknown option {key!r}; fix: {hint}")


SERVICE_PRESETS: dict[str, Preset] = {}
"""Service name -> effective preset of drop-ins built with one (read by `State` budgets)."""

_KINDS = {"Service": "service", "VirtualObject": "object", "Workflow": "workflow"}


class _Guarding:
    """Mixin: presets and option checks at construction; every handler decorator of the SDK
    class wraps the function with `guarded` and validates the registered handler."""

    _rea_policy: str | None
    _rea_rules: Mapping[str, str] | None
    _rea_preset: Preset | None
    _rea_validate: bool
    handlers: dict[str, Any]
    name: str

    def __init__(self, name: str, *args: Any, policy: str | None = None,
                 rules: Mapping[str, str] | None = None, preset: str | Preset | None = None,
                 validate: bool = True, **kwargs: Any) -> None:
        kind = type(self).__name__
        check_service_name(name, kind)
        where = f"{kind} {name!r}"
        local = check_local(where, policy, rules)  # even with validate=False: the guards read it
        check_environment()
        sdk_class = next(c for c in type(self).__mro__ if c.__module__.startswith("restate.") and c.__name__ in _KINDS)
        _check_keywords(where, kwargs, sdk_class,
                        ("policy", "rules", "preset", "validate") + (("auto_cleanup",) if kind == "Workflow" else ()))
        if preset is not None and not isinstance(preset, (str, Preset)):
            raise TypeError(f"{where}: preset is a preset name ({', '.join(PRESETS)}) or a rea_runtime.Preset, "
                            f"got {given(preset)}; fix: preset=\"production\"")
        effective, kwargs = self._rea_options(name, preset, kwargs)
        super().__init__(name, *args, **kwargs)  # type: ignore[call-arg]
        own_policy, own_rules = local or (None, None)
        self._rea_init(own_policy, own_rules, effective, validate)

    @classmethod
    def _rea_options(cls, name: str, preset: str | Preset | None, kwargs: dict[str, Any]) -> tuple[Preset | None, dict[str, Any]]:
        kind = _KINDS[next(c.__name__ for c in cls.__mro__ if c.__name__ in _KINDS)]
        where = f"{cls.__name__} {name!r}"
        base = _preset(preset) if preset is not None else None
        sdk = {k: kwargs.pop(k) for k in (*SDK_OPTIONS, "enable_lazy_state") if k in kwargs}
        effective, merged = check_options(where, kind, sdk, base)  # type: ignore[arg-type]
        if "enable_lazy_state" in merged:
            merged.pop("state_preload", None)
        kwargs.update(merged)
        if base is not None:
            SERVICE_PRESETS[name] = effective
        return (effective if base is not None else None), kwargs

    def _rea_init(self, policy: str | None, rules: Mapping[str, str] | None, preset: Preset | None,
                  validate: bool) -> None:
        self._rea_validate = validate
        self._rea_policy = policy
        self._rea_rules = rules
        self._rea_preset = preset

    def _rea_wrap(self, sdk_decorator: Callable[..., Any], args: tuple, kwargs: dict[str, Any]) -> Callable[[F], F]:
        _check_keywords(f"{type(self).__name__} {self.name!r} handler options", kwargs, sdk_decorator)
        if sdk_decorator.__name__ == "main":
            retention = kwargs.get("workflow_retention")
            self._rea_retention_site = construction_site() if retention is not None else getattr(self, "_rea_site", None)
            if retention is None and self._rea_preset is not None and self._rea_preset.workflow_retention is not None:
                kwargs = {**kwargs, "workflow_retention": self._rea_preset.workflow_retention}
            retention = kwargs.get("workflow_retention")
            journal = kwargs.get("journal_retention", getattr(self, "journal_retention", None))
            if retention is not None:  # validates it, and the run's journal against it (as the server clamps)
                Preset.build(f"Workflow {self.name!r} run options", workflow_retention=retention,
                             **({"journal_retention": journal} if journal is not None else {}))
        sdk = {k: v for k, v in kwargs.items() if k in (*SDK_OPTIONS, "enable_lazy_state")}
        if sdk:
            kind = _KINDS[next(c.__name__ for c in type(self).__mro__ if c.__name__ in _KINDS)]
            check_options(f"{type(self).__name__} {self.name!r} handler options", kind, sdk,  # type: ignore[arg-type]
                          self._rea_preset)
        decorate = sdk_decorator(*args, **kwargs)

        def decorator(fn: F) -> F:
            fn = _user_function(fn)  # registered on another service too: guard the user's function once
            name = kwargs.get("name") or (args[0] if args and isinstance(args[0], str) else None) or getattr(fn, "__name__", None)
            if name is None:
                guarded(fn)  # not a function: it says so
            name = check_handler_name(name, f"{type(self).__name__} {self.name!r}")
            check_unique_handler(self, name, fn)
            cleanup = getattr(self, "_rea_auto_cleanup", False) and sdk_decorator.__name__ == "main"
            out = decorate(guarded(fn, policy=self._rea_policy, rules=self._rea_rules, auto_cleanup=cleanup))
            if self._rea_validate:
                try:
                    policy = policy_for((self._rea_policy, self._rea_rules))
                    validate_handler(self, self.handlers[name], policy)
                    if isinstance(self, restate.Workflow):
                        check_workflow_retention(self, policy, getattr(self, "_rea_retention_site", None))
                except Exception:
                    del self.handlers[name]  # a failed definition leaves the service as it was
                    raise
            check_output(self.name, self.handlers[name])  # a run-time guard (validate=False too), after
            return out                                    # the definition's checks, which read the SDK's serde

        return decorator


class Service(_Guarding, restate.Service):
    """`restate.Service` whose handlers get a guarded context. Extra: ``policy=``, ``rules=``,
    ``preset=`` (a name or `rea_runtime.presets.Preset`; explicit SDK options win),
    ``validate=False`` (skip definition-time checks; the run-time guards stay)."""

    def handler(self, *args: Any, **kwargs: Any) -> Callable[[F], F]:  # type: ignore[override]
        return self._rea_wrap(super().handler, args, kwargs)


class VirtualObject(_Guarding, restate.VirtualObject):
    """`restate.VirtualObject` whose handlers get a guarded context; same extras as `Service`."""

    def handler(self, *args: Any, **kwargs: Any) -> Callable[[F], F]:  # type: ignore[override]
        return self._rea_wrap(super().handler, args, kwargs)


class Workflow(_Guarding, restate.Workflow):
    """`restate.Workflow` whose `main` and `handler`s get a guarded context; same extras, and
    ``auto_cleanup=True``: clear the workflow's state when `run` completes successfully (its
    result stays retrievable; shared handlers then read no state)."""

    def __init__(self, name: str, *args: Any, auto_cleanup: bool = False, **kwargs: Any) -> None:
        self._rea_auto_cleanup = auto_cleanup
        self._rea_site = construction_site()  # where a preset's workflow_retention is given
        super().__init__(name, *args, **kwargs)

    def main(self, *args: Any, **kwargs: Any) -> Callable[[F], F]:  # type: ignore[override]
        return self._rea_wrap(super().main, args, kwargs)

    def handler(self, *args: Any, **kwargs: Any) -> Callable[[F], F]:  # type: ignore[override]
        return self._rea_wrap(super().handler, args, kwargs)


check_configuration()  # a broken [tool.rea] fails the import (strict) or warns once (warn)
