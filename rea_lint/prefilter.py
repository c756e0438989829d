"""Does a module's text name Restate at all? The check every file pays before any analysis.

Most files a linter sees are not Restate code, so this must cost next to nothing and import
nothing heavy (the flake8 plugin asks it before it imports the engine): a few substring
searches over the text, in C.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterable, Sequence

    from rea_lint.config import ReaConfig

__all__ = ["joined", "may_define_handlers", "mentions_restate", "restate_needles"]

_BASE = ("restate", "rea_runtime")


def restate_needles(config: ReaConfig | None) -> tuple[str, ...]:
    """What a line naming Restate contains: restate, rea_runtime or a configured wrapper
    module's top-level package (worked out once per configuration: every file asks)."""
    if config is None or not config.restate_modules:
        return _BASE
    needles = config.__dict__.get("_restate_needles")
    if needles is None:
        needles = (*_BASE, *(m.split(".", 1)[0] for m in config.restate_modules))
        object.__setattr__(config, "_restate_needles", needles)
    return needles


def joined(lines: Sequence[str]) -> str:
    """The lines as one text, as `mentions_restate` searches them (the engine reuses it)."""
    return lines[0] if len(lines) == 1 else "\n".join(lines)


def mentions_restate(lines: Iterable[str], config: ReaConfig | None = None, text: str | None = None) -> bool:
    """A text pre-filter: no line naming restate (or a wrapper module) means no Restate code.

    The lines are searched as one text joined by newlines (``text``, if the caller has joined
    them already): a needle without a newline is in the joined text exactly when it is in one
    of the lines."""
    needles = restate_needles(config)
    if not isinstance(lines, (list, tuple)):
        lines = list(lines)
    if not lines:
        return False
    if needles is not _BASE and any("\n" in n for n in needles):  # a (nonsensical) wrapper name
        return any(n in line for line in lines for n in needles)
    if text is None:
        text = joined(lines)
    for needle in needles:
        if needle in text:
            return True
    return False


def may_define_handlers(text: str, config: ReaConfig | None = None) -> bool:
    """A text pre-filter for handler definitions (`rea diff` and `rea explain` parse no other
    file unless a handler inlines its helpers). The model knows a handler by a module-level
    service made by one of `SERVICE_FACTORIES`, named through Restate (or a wrapper module):
    ASCII text that defines one names Restate and spells the factory. Non-ASCII text may spell
    either in other characters Python reads as the same name (NFKC), so it always may."""
    from rea_lint.tables import SERVICE_FACTORIES  # (plain data)

    if not text.isascii():
        return True
    return mentions_restate((text,), config, text) and any(factory in text for factory in SERVICE_FACTORIES)
