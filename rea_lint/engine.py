"""Run the enabled rules over one module's `ast` tree: the one entry point of every front end.

A module that imports nothing from restate (nor a configured wrapper) is dismissed before
the model is built, so rea costs next to nothing on the rest of a code base.
"""

from __future__ import annotations

import ast
import gc
from typing import Iterable, Sequence

from rea_lint.config import DEFAULT, ReaConfig
from rea_lint.findings import Finding
from rea_lint.model import Model, build_model, is_restate_module
from rea_lint.names import ImportMap
from rea_lint.prefilter import mentions_restate
from rea_lint.project import TRANSITIVE_CODES, merge, transitive_findings
from rea_lint.rules import all_checkers

__all__ = ["analyse", "check_tree", "mentions_restate", "tree_mode"]


class tree_mode:
    """No cyclic garbage collection while trees are parsed and analysed: one file in
    `rea check` and flake8, both sides of a comparison (`journal.shape.shape_sides`), and the
    whole of a `rea diff` command, which keeps every handler's shape of both revisions until
    it has compared and reported them.

    Trees and models are built in one go and freed by reference counting when done;
    meanwhile the collector would walk every node built so far again and again (it cost rea
    check about as much CPU as building the model, and rea diff half its time; once shaping
    was done without it, the collections between the shapes' comparisons still took 14% of
    `rea diff` at 5,000 modules, to free 614 objects). The few objects in cycles left behind
    are collected by the collections that resume after it. (A class, not a generator: it is
    entered once per file.)"""

    __slots__ = ("_was_on",)

    def __enter__(self) -> None:
        self._was_on = gc.isenabled()
        if self._was_on:
            gc.disable()

    def __exit__(self, *exc: object) -> None:
        if self._was_on:
            gc.enable()


def check_tree(
    tree: ast.Module,
    config: ReaConfig = DEFAULT,
    codes: Iterable[str] | None = None,
    package: str = "",
    transitive: bool = True,
    module: str = "",
    lines: Sequence[str] | None = None,
    text: str | None = None,
) -> list[Finding]:
    """Findings of the enabled rules (or exactly ``codes``), sorted by position.

    With ``transitive`` (flake8), calls from handler code into this module's own functions are
    followed too; a whole-project front end passes False and uses `rea_lint.project.Project`.
    ``lines``, the source lines the tree was parsed from (flake8 has them), make that cheaper;
    so does ``text``, that source (or its lines joined), for the imports (`ImportMap.from_tree`)."""
    return analyse(tree, config, codes, package, transitive, module, lines, text)[0]


def analyse(
    tree: ast.Module,
    config: ReaConfig = DEFAULT,
    codes: Iterable[str] | None = None,
    package: str = "",
    transitive: bool = True,
    module: str = "",
    lines: Sequence[str] | None = None,
    text: str | None = None,
) -> tuple[list[Finding], Model | None]:
    """`check_tree`, also returning the model it built (None: not Restate code, or nothing
    enabled), so the CLI can summarize the module for the project without building it twice."""
    enabled = frozenset(codes) if codes is not None else config.enabled_codes()
    if not enabled:
        return [], None
    imports = ImportMap.from_tree(tree, package, text)
    if not is_restate_module(imports, config):
        return [], None
    try:
        if transitive:
            # per file (flake8): the same-module pass walks only the helpers handler code
            # reaches, so the builder leaves the others unwalked wherever their text allows
            model = build_model(tree, config, imports, lines, text)
        else:  # a project summary walks nearly every helper anyway (`summary_data`)
            model = build_model(tree, config, imports)
        findings: list[Finding] = []
        for code, checker in all_checkers().items():
            if code in enabled:
                need = checker.needs  # skipped where what it reads is empty (`Checker.needs`)
                if need is None or getattr(model, need):
                    findings.extend(checker.check(model))
        if transitive and not enabled.isdisjoint(TRANSITIVE_CODES):
            return merge(findings, transitive_findings(model, enabled, module, lines=lines, text=text)), model
    except RecursionError:
        # Only expressions nested thousands deep get here (Python's own parser gives up
        # soon after); such a module is machine-made, and rea reports nothing for it.
        return [], None
    findings.sort()
    return findings, model
