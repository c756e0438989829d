"""Guards against misusing the SDK's own API, which only the running process can see for sure.

- REA208: the action handed to a run is a coroutine object or no callable at all (the call
  already ran in handler code; the run would then fail on it).
- REA210: a call through the client method of another kind than the target handler's, as the
  SDK registered it in this process (`service_call` on a Virtual Object handler sends no key).
- REA207: an awakeable of an exclusive handler awaited (directly, or in `restate.select` &
  co.) while the handler holds its key's lock.
- REA402: a built-in bad-input exception (`ValueError`, `KeyError`, ...) escaping a handler:
  Restate retries it. Under strict it becomes a `TerminalError` naming REA402.

Each follows the policy (`strict` raises a `TerminalError`, `warn` logs once and changes
nothing, `disabled` does nothing).
"""

from __future__ import annotations

import functools
import inspect
import sys
from typing import Any, Optional

from restate.exceptions import TerminalError
from restate.handler import RESTATE_UNIQUE_HANDLER_SYMBOL

from rea_lint.catalog import RULES

from . import guards
from .guards import CURRENT, IN_RUN, Invocation, report
from .policy import current_policy

__all__ = [
    "BAD_INPUT", "check_action", "check_call_kind", "mark_exclusive_wait", "bad_input", "install_wait_hook",
    "check_waits", "mark_sleep", "KIND_OF_METHOD",
]

BAD_INPUT = frozenset({ValueError, TypeError, KeyError, IndexError, LookupError, AssertionError})
"""The built-in exceptions that signal bad input (exactly these classes: a subclass is the
application's own decision, and pydantic's `ValidationError` is one)."""

KIND_OF_METHOD = {
    "service_call": "service", "service_send": "service",
    "object_call": "object", "object_send": "object",
    "workflow_call": "workflow", "workflow_send": "workflow",
}
_WAIT_MARK = "__rea_exclusive_wait__"
_SLEEP_MARK = "__rea_sleep_seconds__"
"""On a `ctx.sleep(...)` future: how long it sleeps, in seconds (`mark_sleep`)."""
_NO_DICT: dict[str, Any] = {}


def check_action(inv: Optional[Invocation], action: Any, run: str, where: Any) -> None:
    """REA208 before a run starts: ``action`` must be callable and not a coroutine object."""
    if inspect.iscoroutine(action):
        subject = f"{getattr(action, '__qualname__', 'coroutine')}(...)"
    elif not callable(action):
        text = repr(action)
        subject = text if len(text) <= 60 else text[:57] + "..."
    else:
        return
    try:
        report(inv, "REA208", f"{subject} (handed to run {run!r})", _user(where))
    finally:
        # The SDK calls its action and a coroutine object is no callable: it never runs, under any
        # policy. Once REA208 said so (strict raised, warn logged), it is closed, so Python adds
        # no "coroutine ... was never awaited" warning on top; disabled leaves it as it is.
        if inspect.iscoroutine(action) and (inv.policy_for("REA208") if inv is not None
                                            else current_policy().for_rule("REA208")) != "disabled":
            action.close()


def target_kind(target: Any) -> Optional[str]:
    """The kind (`service`/`object`/`workflow`) the SDK registered a handler function under in
    this process, or None if it is no registered handler."""
    try:
        handler = vars(target).get(RESTATE_UNIQUE_HANDLER_SYMBOL)
    except TypeError:
        return None
    tag = getattr(handler, "service_tag", None)
    return getattr(tag, "kind", None)


def check_call_kind(inv: Invocation, method: str, args: tuple, kwargs: dict, ctx: str, depth: int) -> None:
    """REA210 before a call leaves: the client method must match the target's kind. The call's
    line is frame ``depth`` up from here, looked at only when reporting."""
    expected = KIND_OF_METHOD.get(method)
    if expected is None:
        return
    target = args[0] if args else kwargs.get("tpe")
    handler = getattr(target, "__dict__", _NO_DICT).get(RESTATE_UNIQUE_HANDLER_SYMBOL)  # target_kind, inlined
    kind = getattr(getattr(handler, "service_tag", None), "kind", None) if handler is not None else None
    if kind is None or kind == expected:
        return
    name = getattr(target, "__qualname__", repr(target))
    article = "an" if kind == "object" else "a"
    label = {"object": "Virtual Object", "service": "Service", "workflow": "Workflow"}[kind]
    report(inv, "REA210", f"`{ctx}.{method}({name}, ...)` on {article} {label} handler", sys._getframe(depth), ctx)


def mark_exclusive_wait(inv: Invocation, future: Any, subject: str) -> None:
    """Remember that ``future`` (an awakeable's) belongs to an exclusive handler (REA207)."""
    if inv.kind != "exclusive":
        return
    try:
        setattr(future, _WAIT_MARK, (inv, subject))
    except AttributeError:  # pragma: no cover - the SDK's futures take attributes
        pass


def _wait(future: Any, frame: Any) -> None:
    mark = getattr(future, _WAIT_MARK, None)
    if mark is None:
        return
    if frame is not None and guards._classify(frame.f_code.co_filename) == guards.SDK:
        return  # the SDK's own combinators at work (`select` runs `as_completed`, then awaits the winner): judged where the handler called them
    inv, subject = mark
    current = CURRENT.get()
    if current is None or inv is not current or not current.active or IN_RUN.get() is not None:
        return
    report(inv, "REA207", subject, _user(frame))


def _user(frame: Any) -> Any:
    """The nearest user frame: rea_runtime's own helpers (`with_timeout`, `Saga.step`) act on
    the handler's behalf, so they are walked through like libraries."""
    where = frame
    while where is not None and guards._classify(where.f_code.co_filename) != guards.USER:
        where = where.f_back
    return where if where is not None else frame


def mark_sleep(future: Any, delta: Any) -> None:
    """Remember how long a sleep's ``future`` sleeps (a `timedelta`), for `check_waits`."""
    seconds = getattr(delta, "total_seconds", None)
    if seconds is None:
        return
    try:
        setattr(future, _SLEEP_MARK, seconds())
    except (AttributeError, TypeError):  # pragma: no cover - the SDK's futures take attributes
        pass


def check_waits(futures: Any, frame: Any, first_wins: bool = False) -> None:
    """REA207 for `restate.select/gather/wait_completed/as_completed` given an exclusive wait.
    A `select` (``first_wins``) that a sleep too short to hold the lock bounds (zero, a poll,
    or under `min-sleep-seconds`, as the linter reads it) waits no longer than that sleep."""
    futures = list(futures)
    if first_wins:
        floor: float | None = None
        for fut in futures:
            seconds = getattr(fut, _SLEEP_MARK, None)
            if seconds is None:
                continue
            if seconds <= 0:
                return
            if floor is None:
                from .policy import project_config

                floor = project_config().min_sleep_seconds
            if seconds < floor:
                return
    for fut in futures:
        _wait(fut, frame)



_installed = False


def install_wait_hook() -> None:
    """Hook the SDK future's `__await__` once per process: one attribute read per await."""
    global _installed
    if _installed:
        return
    from restate.server_context import ServerDurableFuture

    orig = ServerDurableFuture.__await__
    if getattr(orig, "__rea_original__", None) is not None:  # pragma: no cover - installed twice
        _installed = True
        return

    @functools.wraps(orig)
    def __await__(self: Any) -> Any:
        if self.__dict__.get(_WAIT_MARK) is not None:
            _wait(self, sys._getframe(1))
        return orig(self)

    __await__.__rea_original__ = orig  # type: ignore[attr-defined]
    ServerDurableFuture.__await__ = __await__  # type: ignore[method-assign]
    _installed = True


def bad_input(inv: Invocation, exc: BaseException) -> Optional[TerminalError]:
    """REA402 for an exception escaping the handler: the `TerminalError` to raise instead
    (strict), or None to let the original propagate (warn logs it; disabled ignores it)."""
    if type(exc) not in BAD_INPUT:  # (a run action's errors never reach here: the SDK retries the run)
        return None
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None or guards._classify(tb.tb_frame.f_code.co_filename) != guards.USER:
        return None  # raised by a library or the SDK, not by a `raise` in handler code
    where = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}"
    subject = f"{type(exc).__name__}({str(exc)[:80]!r})"
    try:
        report(inv, "REA402", subject, where)
    except TerminalError as err:
        inv.raised = None  # this conversion is the handler's outcome, not a swallowed violation
        return TerminalError(err.message, status_code=400)
    return None


def describe(code: str) -> str:
    """`REA402 retryable-error-for-bad-input` (for tests and logs)."""
    return f"{code} {RULES[code].name}"
