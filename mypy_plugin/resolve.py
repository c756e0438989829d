"""The fully-qualified names a callee stands for, with or without a checked type.

mypy usually tells us (the callee's definition), but a callable bound to a module-level
name in another module (`now = datetime.now` in `util.py`) loses its definition when that
module comes from the incremental cache. For those, the assignment is read back from the
module's source with `ast`, so a warm run judges like a cold one.
"""

from __future__ import annotations

import ast
import functools
import os

from mypy.nodes import Expression, MemberExpr, MypyFile, RefExpr, TypeInfo, Var
from mypy.types import Type

from mypy_plugin.restate_types import callable_definition, instance_of

__all__ = ["callee_names", "member_names", "alias_target"]


def member_names(info: TypeInfo, name: str) -> set[str]:
    """`Cls.name` under every class of the MRO that defines it."""
    out = {f"{info.fullname}.{name}"}
    for base in info.mro:
        if name in base.names:
            out.add(f"{base.fullname}.{name}")
    return out


def callee_names(callee: Expression, callee_type: Type | None, modules: dict[str, MypyFile]) -> set[str]:
    names: set[str] = set()
    defn = callable_definition(callee_type)
    if defn:
        names.add(defn)
    if isinstance(callee, RefExpr):
        if callee.fullname:
            names.add(callee.fullname)
        node = callee.node
        if isinstance(node, TypeInfo):
            names.add(node.fullname)
        if isinstance(node, Var) and not defn and node.fullname and "." in node.fullname:
            target = alias_target(node.fullname, modules)
            if target:
                names.add(target)
    if isinstance(callee, MemberExpr):
        base = callee.expr
        if isinstance(base, RefExpr) and isinstance(base.node, TypeInfo):
            names |= member_names(base.node, callee.name)
    return names


def alias_target(var_fullname: str, modules: dict[str, MypyFile], depth: int = 0) -> str | None:
    """`pkg.util.now` -> `datetime.datetime.now` when `util.py` says `now = datetime.now`."""
    if depth > 4:
        return None
    mod, _, name = var_fullname.rpartition(".")
    tree = modules.get(mod)
    if tree is None or not tree.path or tree.is_stub:
        return None
    dotted = _module_aliases(os.path.abspath(tree.path), _mtime(tree.path), mod).get(name)
    if dotted is None:
        return None
    resolved = _canonical(dotted, modules)
    if resolved and resolved != var_fullname and resolved.rpartition(".")[0] in modules:
        deeper = alias_target(resolved, modules, depth + 1)
        if deeper:
            return deeper
    return resolved


def _mtime(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return 0.0


@functools.lru_cache(maxsize=256)
def _module_aliases(path: str, mtime: float, module: str) -> dict[str, str]:
    """Top-level `name = a.b.c` in a module, with `a` expanded through its imports."""
    try:
        with open(path, "rb") as fh:
            tree = ast.parse(fh.read(), filename=path)
    except (OSError, SyntaxError, ValueError):
        return {}
    package = module if path.endswith("__init__.py") else module.rpartition(".")[0]
    imports: dict[str, str] = {}
    out: dict[str, str] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Import):
            for a in stmt.names:
                imports[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(stmt, ast.ImportFrom):
            base = stmt.module or ""
            if stmt.level:
                parts = package.split(".")
                parts = parts[: len(parts) - (stmt.level - 1)] if stmt.level > 1 else parts
                base = ".".join(p for p in (*parts, base) if p)
            for a in stmt.names:
                imports[a.asname or a.name] = f"{base}.{a.name}"
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            dotted = _dotted(stmt.value)
            if dotted:
                head, _, rest = dotted.partition(".")
                head = imports.get(head, f"{module}.{head}")
                out[stmt.targets[0].id] = f"{head}.{rest}" if rest else head
    return out


def _dotted(node: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _canonical(dotted: str, modules: dict[str, MypyFile]) -> str:
    """Follow mypy's symbol tables so that `asyncio.gather` becomes `asyncio.tasks.gather`."""
    parts = dotted.split(".")
    for i in range(len(parts) - 1, 0, -1):
        mod = ".".join(parts[:i])
        if mod not in modules:
            continue
        table = modules[mod].names
        node = None
        for j, part in enumerate(parts[i:]):
            sym = table.get(part)
            if sym is None or sym.node is None:
                return dotted
            node = sym.node
            if isinstance(node, TypeInfo):
                table = node.names
            elif isinstance(node, MypyFile):
                table = node.names
            elif j < len(parts) - i - 1:
                return dotted
        fullname = getattr(node, "fullname", None)
        return fullname or dotted
    return dotted


def receiver_names(receiver_type: Type | None, method: str) -> set[str]:
    inst = instance_of(receiver_type)
    return member_names(inst.type, method) if inst is not None else set()
