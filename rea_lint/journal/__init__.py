"""Replay compatibility: the journal a handler's code writes, and whether a change keeps it.

Restate replays an invocation's journal against the code that runs now; the SDK's shared
core compares each recorded command with the one the code attempts (docs/replay-compatibility.md,
"What the protocol compares"). This package computes, from source alone:

- `ops`: the operation vocabulary and the fields the protocol compares on replay;
- `shape`: each handler's journal shape (sequence, branches, loops, unknowns), built from
  the semantic model (`rea_lint.model`) with helpers that receive the context followed;
- `compare`: the verdict for a handler between two versions (compatible / breaks / unknown);
- `replay`: which source operation(s) of the current code sit at a recorded journal index;
- `revisions`: the Python files of a git revision, the work tree or a directory;
- `side`: one side's files as text, read and decoded as `rea check` does, and those it cannot;
- `uncompared`: the files a side cannot read or parse, whose handlers get no confident verdict.

It never imports restate-sdk: the base install of rea_lint does not pull it. Its names are
imported on first use, so a submodule (the `rea diff` arguments) costs no analysis import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rea_lint.journal.compare import HandlerDiff, ProjectDiff, Verdict, compare_handlers, diff_projects
    from rea_lint.journal.ops import COMMAND_NAMES, COMPARED_FIELDS, Field, Op, OpKind
    from rea_lint.journal.replay import Recorded, locate
    from rea_lint.journal.shape import HandlerShape, Shapes, load_shapes, shapes_of_source

_HOME = {
    **dict.fromkeys(("HandlerDiff", "ProjectDiff", "Verdict", "compare_handlers", "diff_projects"), "compare"),
    **dict.fromkeys(("COMMAND_NAMES", "COMPARED_FIELDS", "Field", "Op", "OpKind"), "ops"),
    **dict.fromkeys(("Recorded", "locate"), "replay"),
    **dict.fromkeys(("HandlerShape", "Shapes", "load_shapes", "shapes_of_source"), "shape"),
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'rea_lint.journal' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"rea_lint.journal.{home}"), name)
    globals()[name] = value
    return value



__all__ = [
    "COMMAND_NAMES",
    "COMPARED_FIELDS",
    "Field",
    "HandlerDiff",
    "HandlerShape",
    "Op",
    "OpKind",
    "ProjectDiff",
    "Recorded",
    "Shapes",
    "Verdict",
    "compare_handlers",
    "diff_projects",
    "load_shapes",
    "locate",
    "shapes_of_source",
]
