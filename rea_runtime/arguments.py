"""Arguments the SDK can never accept, refused as a `TerminalError` that names them and the fix.

Handed on, such an argument makes the SDK (or its VM, a Rust extension) raise a plain
`TypeError`, `AttributeError`, `OverflowError` or `ValueError` inside the handler, which
Restate retries forever: the same code fails the same way on every attempt. Only what fails for
certain is refused (a run name or state key that is no str, a duration that is no timedelta); a
value the SDK takes, however odd (an empty run name, a `str` subclass), is left to it.

The callers test the common case inline (`type(x) is str`), or look at the arguments only once
the SDK raised on them (`context._check_call`), and come here to word the refusal.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from restate.exceptions import TerminalError

__all__ = ["check_name", "if_text", "refused", "short", "shown"]


def short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def shown(value: Any) -> str:
    """How a refused value is named: a function or class by its qualified name (its repr holds an
    address, new in every process), anything else by its repr, cut short."""
    if callable(value):
        name = getattr(value, "__qualname__", None)
        if isinstance(name, str):
            return name
    return short(value)


def if_text(value: Any, meant: str) -> str:
    """For a number or UUID where text is due, the other half of the fix: its `str(...)`."""
    if isinstance(value, (int, float, UUID)) and not isinstance(value, bool):
        return f" (str(...) of the {type(value).__name__}, if it is {meant})"
    return ""


def refused(call: str, what: str, value: Any, fix: str) -> TerminalError:
    """``<call>: the <what> is <type> <value>; fix: <fix>``: the style of every refusal here."""
    return TerminalError(f"{call}: the {what} is {type(value).__name__} {shown(value)}; fix: {fix}")


def check_name(helper: str, name: Any, action: Any, *, first: str = "ctx, ") -> None:
    """A run name that is no text, refused before the SDK sees it: its VM raises a plain
    TypeError there, which Restate retries forever. A `TerminalError`: no retry fixes code.

    ``first`` is what the example call writes before the name: the context, for the helpers
    that take it (``rea_runtime.run(ctx, 'fetch', fetch)``); nothing for a method of the
    context (``ctx.run('fetch', fetch)``)."""
    if isinstance(name, str) and name.strip():
        return
    label = getattr(action, "__name__", "")
    shown_action = label if label.isidentifier() else "action"
    if callable(name) and isinstance(action, str):  # run(ctx, fetch, "fetch")
        what = getattr(name, "__qualname__", None) or type(name).__name__
        raise TerminalError(f"{helper}: the run name is {type(name).__name__} {what}; fix: the name comes first: "
                            f"{helper}({first}{action!r}, {what})")
    example = f"{helper}({first}{(label if shown_action == label else 'fetch')!r}, {shown_action})"
    raise TerminalError(f"{helper}: the run name is {type(name).__name__} {short(name)}; fix: a non-empty str "
                        f"naming the run (it labels the journal entry), e.g. {example}")
