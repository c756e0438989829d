"""Resolve the names a module uses to the qualified names they stand for.

`from time import time as now; now()` is `time.time()`; `import datetime as dt;
dt.datetime.now()` is `datetime.datetime.now()`. Rules compare qualified names, so every
import style and alias counts the same. Built on the stdlib `ast` tree flake8 already parsed.
"""

from __future__ import annotations

import ast
from typing import Iterable

from rea_lint.star_exports import star_names

__all__ = ["ImportMap", "dotted"]


def dotted(node: ast.expr) -> str | None:
    """`a.b.c` for a Name/Attribute chain, else None (calls, subscripts ...)."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


_BLOCK_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")
_BLOCKS_OF: dict[type, tuple[str, ...]] = {}


def _blocks_of(cls: type) -> tuple[str, ...]:
    """The statement-list fields of a node class, in `_BLOCK_FIELDS` order (cached)."""
    blocks = _BLOCKS_OF.get(cls)
    if blocks is None:
        fields = getattr(cls, "_fields", ())
        blocks = _BLOCKS_OF[cls] = tuple(name for name in _BLOCK_FIELDS if name in fields)
    return blocks


_DEFINES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_ASSIGNS = (ast.Assign, ast.AnnAssign, ast.AugAssign)
_UNPACKING = (ast.Tuple, ast.List, ast.Starred)


def _alias_pair(stmt: ast.stmt) -> tuple[ast.Name, ast.Name | ast.Attribute] | None:
    """(name, dotted value) of an assignment that may alias an import (`now = datetime.now`,
    `x: T = mod.x`), else None."""
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target, value = stmt.targets[0], stmt.value
    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        target, value = stmt.target, stmt.value
    else:
        return None
    if isinstance(target, ast.Name) and isinstance(value, (ast.Name, ast.Attribute)):
        return target, value
    return None


def _imported_names(node: ast.Import | ast.ImportFrom) -> Iterable[str]:
    """The names an import statement binds (a star import's are not known here)."""
    for alias in node.names:
        if alias.asname:
            yield alias.asname
        elif alias.name != "*":
            yield alias.name.split(".", 1)[0] if type(node) is ast.Import else alias.name


def _target_names(targets: Iterable[ast.expr]) -> Iterable[str]:
    """The names assignment targets bind (`a`, `a, *b`; not `a.x = ...` or `a[0] = ...`, which
    change the object the name holds)."""
    stack = list(targets)
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is ast.Name:
            yield node.id  # type: ignore[attr-defined]
        elif kind is ast.Tuple or kind is ast.List:
            stack.extend(node.elts)  # type: ignore[attr-defined]
        elif kind is ast.Starred:
            stack.append(node.value)  # type: ignore[attr-defined]


def _imports_in(stmt: ast.stmt) -> Iterable[str]:
    """The names imports inside a compound statement bind (not those in a def or class in it)."""
    stack = [stmt]
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is ast.Import or kind is ast.ImportFrom:
            yield from _imported_names(node)  # type: ignore[arg-type]
        elif kind not in _DEFINES:
            for name in _blocks_of(kind):
                stack.extend(getattr(node, name, None) or ())


class ImportMap:
    """Local name -> qualified name, from every import and module-level alias in a module.

    Imports inside functions are included: a module that imports `random` inside a run
    action still means the `random` module by that name. Module-level assignments of an
    imported attribute (`now = datetime.datetime.now`) are followed as aliases. A name the
    module imports and then binds itself at its top level is the module's (`_shadow`).
    """

    __slots__ = ("names", "modules", "package", "_starred")

    def __init__(self, package: str = "") -> None:
        self.names: dict[str, str] = {}
        self.modules: set[str] = set()
        """Every module this file imports from (top-level part and full name)."""
        self.package = package
        self._starred: dict[str, str] = {}
        """Name -> what a star import bound it to (`_unstar`)."""

    @classmethod
    def from_tree(cls, tree: ast.Module, package: str = "", text: str | None = None) -> "ImportMap":
        """The imports and aliases of ``tree``. ``text``, the source it was parsed from (or its
        lines joined), saves the walk below the module level when it shows there is nothing to
        find there: every import statement spells `import`, so if the text holds no more
        `import`s than the module level has import statements, none is nested anywhere."""
        self = cls(package)
        if text is not None:
            import_t, import_from_t, assign_t, ann_assign_t = ast.Import, ast.ImportFrom, ast.Assign, ast.AnnAssign
            top: list[ast.stmt] = []
            assigns: list[ast.stmt] = []  # (the only statements `_add_alias` reads)
            for stmt in tree.body:
                stmt_type = type(stmt)
                if stmt_type is import_t or stmt_type is import_from_t:
                    top.append(stmt)
                elif stmt_type is assign_t or stmt_type is ann_assign_t:
                    assigns.append(stmt)
            if text.count("import") == len(top):
                for stmt in top:
                    if type(stmt) is import_t:
                        self._add_import(stmt)
                    else:
                        self._add_import_from(stmt)  # type: ignore[arg-type]
                for stmt in assigns:
                    self._add_alias(stmt)
                return self._unstar(tree)._shadow(tree)
        # every statement at any depth (imports inside functions count), expressions skipped
        stack: list[ast.AST] = list(reversed(tree.body))
        pop, extend = stack.pop, stack.extend
        blocks_of = _BLOCKS_OF
        import_t, import_from_t = ast.Import, ast.ImportFrom
        while stack:
            node = pop()
            kind = type(node)
            blocks = blocks_of.get(kind)
            if blocks is None:
                blocks = _blocks_of(kind)
            if blocks:  # a compound statement (most are simple ones: nothing to do)
                for name in blocks:
                    block = getattr(node, name, None)
                    if block:
                        extend(reversed(block))
            elif kind is import_t:
                self._add_import(node)  # type: ignore[arg-type]
            elif kind is import_from_t:
                self._add_import_from(node)  # type: ignore[arg-type]
        for stmt in tree.body:
            self._add_alias(stmt)
        return self._unstar(tree)._shadow(tree)

    def _unstar(self, tree: ast.Module) -> "ImportMap":
        """A name a star import bound that the module binds itself (a def, a class, an
        assignment at its top level) is the module's: `from time import *` then `def sleep()`."""
        starred = self._starred
        if starred:
            for stmt in tree.body:
                kind = type(stmt)
                if kind in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
                    bound = [stmt.name]  # type: ignore[attr-defined]
                elif kind is ast.Assign:
                    bound = [t.id for t in stmt.targets if type(t) is ast.Name]  # type: ignore[attr-defined]
                elif kind is ast.AnnAssign and type(stmt.target) is ast.Name:  # type: ignore[attr-defined]
                    bound = [stmt.target.id]  # type: ignore[attr-defined]
                else:
                    continue
                for name in bound:
                    if name in starred and self.names.get(name) == starred[name]:
                        del self.names[name]
        return self

    def _shadow(self, tree: ast.Module) -> "ImportMap":
        """A name the module imports and then rebinds itself at its top level, by a `def`, a
        class or an assignment of something that is not an import's (`import shop.svc as svc`
        then `svc = restate.Service("s")`), is the module's from then on: its functions, run
        after the module is loaded, see the later binding. A binding inside an `if`, a `try`
        (`except ImportError: x = None`), a loop may not run: there the import stands, as it
        does when the module imports the name again later (in such a block too)."""
        if not self._rebinds_a_mapped_name(tree):  # (the common case, at the cost of one look per statement)
            return self
        imported: dict[str, bool] = {}
        """Name imported at the top level -> whether an import (or an alias of one) binds it last."""
        import_t, import_from_t = ast.Import, ast.ImportFrom
        for stmt in tree.body:
            kind = type(stmt)
            if kind is import_t or kind is import_from_t:
                imported.update(dict.fromkeys(_imported_names(stmt), True))  # type: ignore[arg-type]
            elif not imported:
                continue
            elif kind in _DEFINES:
                if stmt.name in imported:  # type: ignore[attr-defined]
                    imported[stmt.name] = False  # type: ignore[attr-defined]
            elif kind in _ASSIGNS:
                if kind is not ast.AugAssign and self._is_alias(stmt):
                    imported[stmt.targets[0].id if kind is ast.Assign else stmt.target.id] = True  # type: ignore[attr-defined]
                    continue
                targets = stmt.targets if kind is ast.Assign else [stmt.target]  # type: ignore[attr-defined]
                if kind is ast.AnnAssign and stmt.value is None:  # type: ignore[attr-defined]
                    continue  # (`x: int` binds nothing)
                for name in _target_names(targets):
                    if name in imported:
                        imported[name] = False
            elif _blocks_of(kind):  # an import in a block that may run: it may be the binding in force
                for name in _imports_in(stmt):
                    imported[name] = True
        for name, still in imported.items():
            if not still and name not in self._starred:
                self.names.pop(name, None)
        return self

    def _rebinds_a_mapped_name(self, tree: ast.Module) -> bool:
        """Does a top-level `def`, class or assignment bind a name the map holds? If none does,
        `_shadow` has nothing to drop."""
        names = self.names
        if not names:
            return False
        name_t, assign_t, defines, assigns = ast.Name, ast.Assign, _DEFINES, _ASSIGNS
        for stmt in tree.body:
            kind = type(stmt)
            if kind in defines:
                if stmt.name in names:  # type: ignore[attr-defined]
                    return True
            elif kind in assigns:
                for target in (stmt.targets if kind is assign_t else (stmt.target,)):  # type: ignore[attr-defined]
                    target_kind = type(target)
                    if target_kind is name_t:
                        if target.id in names:
                            return True
                    elif target_kind in _UNPACKING:  # `_shadow` reads what it binds
                        return True
        return False

    def _is_alias(self, stmt: ast.stmt) -> bool:
        """Is this assignment one `_add_alias` reads as an alias of an import (or the import itself, `x = x`)?"""
        pair = _alias_pair(stmt)
        return pair is not None and self.resolve(pair[1]) is not None

    def _add_import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.modules.add(alias.name)
            if alias.asname:
                self.names[alias.asname] = alias.name
            else:
                top = alias.name.split(".", 1)[0]
                self.names[top] = top

    def _add_import_from(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level:
            base = self.package.rsplit(".", node.level - 1)[0] if self.package and node.level > 1 else self.package
            module = f"{base}.{module}".strip(".") if base else "." * node.level + module
        self.modules.add(module)
        for alias in node.names:
            if alias.name == "*":  # binds the module's public names, known for restate's and some stdlib ones
                for name in star_names(module):
                    self.names[name] = self._starred[name] = f"{module}.{name}"
                continue
            # (`from . import x` in a module outside any package: `.x`, its leading dots the level)
            self.names[alias.asname or alias.name] = (f"{module}{alias.name}" if module.endswith(".") else f"{module}.{alias.name}") if module else alias.name

    def _add_alias(self, stmt: ast.stmt) -> None:
        pair = _alias_pair(stmt)
        if pair is not None:
            target, value = pair
            resolved = self.resolve(value)
            if resolved and resolved != target.id:
                self.names[target.id] = resolved

    def resolve(self, node: ast.expr) -> str | None:
        """The qualified name of a Name/Attribute chain whose root was imported, else None."""
        name = dotted(node)
        if name is None:
            return None
        head, _, rest = name.partition(".")
        qual = self.names.get(head)
        if qual is None:
            return None
        return f"{qual}.{rest}" if rest else qual

    def imports_any(self, roots: Iterable[str]) -> bool:
        """Does the module import anything from one of these modules (or their submodules)?"""
        roots = tuple(roots)
        for mod in self.modules:
            for root in roots:
                if mod == root or mod.startswith(root + "."):
                    return True
        return False
