"""The equality oracle for performance work on the linter: record what rea says, compare later.

A speed-up of the model or the rules must not change a single finding. `record` writes, for
each source tree given, three views of what rea computes, made with whatever `rea_lint` is
importable (run it once with the old code on PYTHONPATH, once with the new):

- `check.json`: `rea check --no-cache --jobs 1 --output-format json` run from the tree's root
  (whole-project analysis, transitive findings across modules);
- `flake8.txt`: `check_tree` per file, as the flake8 plugin calls it (transitive within the module);
- `model.txt`: every answer of the model's queries per module (functions and their roles,
  contexts, run calls, `handler_nodes` / `plain_nodes` / `function_nodes` for every node type,
  method buckets, resolved calls, saga names), nodes named by their position in `ast.walk`.

`compare` reports the first difference of each view; identical views print `same`.

    python -m benchmarks.oracle record OUT ROOT [ROOT ...]
    python -m benchmarks.oracle compare OUT_A OUT_B
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

_NODE_TYPES = sorted(
    (cls for cls in vars(ast).values() if isinstance(cls, type) and issubclass(cls, ast.AST)),
    key=lambda cls: cls.__name__,
)


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if ".venv" not in p.parts)


def _check_json(root: Path) -> str:
    """The CLI's JSON output over the whole tree (its paths are relative to the root)."""
    code = "import sys; from rea_lint.cli import main; sys.exit(main(sys.argv[1:]))"
    argv = [sys.executable, "-c", code, "check", "--no-cache", "--jobs", "1", "--output-format", "json", "."]
    done = subprocess.run(argv, cwd=root, capture_output=True, text=True, env={**os.environ})
    if done.returncode not in (0, 1):
        raise SystemExit(f"rea check failed on {root} (exit {done.returncode}): {done.stderr.strip()[-400:]}")
    return done.stdout


def _flake8_view(root: Path, files: list[Path]) -> list[str]:
    from rea_lint.engine import check_tree

    out: list[str] = []
    for path in files:
        try:
            tree = ast.parse(path.read_bytes(), str(path))
        except (SyntaxError, ValueError):
            out.append(f"{path.relative_to(root)}: not parsed")
            continue
        for f in check_tree(tree):
            out.append(f"{path.relative_to(root)}:{f.line}:{f.col}: {f.code} {f.message}")
    return out


def _model_view(root: Path, files: list[Path]) -> list[str]:
    """Every query answer of every Restate module's model, one line each."""
    from rea_lint.model import build_model, is_restate_module
    from rea_lint.names import ImportMap

    out: list[str] = []
    for path in files:
        try:
            tree = ast.parse(path.read_bytes(), str(path))
        except (SyntaxError, ValueError):
            continue
        imports = ImportMap.from_tree(tree)
        rel = path.relative_to(root)
        out.append(f"== {rel} imports {sorted(imports.names.items())} {sorted(imports.modules)}")
        if not is_restate_module(imports):
            continue
        m = build_model(tree, imports=imports)
        out.extend(f"{rel} {line}" for line in _model_lines(tree, m))
    return out


def _model_lines(tree: ast.Module, m: Any) -> list[str]:
    try:  # the calls grouped by method and by qualified name (the model's own methods before they moved here)
        from rea_lint.rules.base import method_calls, resolved_calls
    except ImportError:
        def method_calls(m: Any, source: Any, names: Any) -> Any:
            return m.method_calls(source, names)

        def resolved_calls(m: Any, source: Any) -> Any:
            return m.resolved_calls(source)
    order = {id(n): i for i, n in enumerate(ast.walk(tree))}
    fn_name = {id(fn): fn.qualname for fn in m.functions}

    def at(node: Any) -> Any:
        return None if node is None else order.get(id(node), "?")

    def name(fn: Any) -> Any:
        return None if fn is None else fn_name.get(id(fn), "?")

    lines: list[str] = []
    for fn in m.functions:
        handler = fn.handler and (fn.handler.kind, fn.handler.factory, at(fn.handler.decorator))
        contexts = [(k, c.type, name(c.owner), at(c.annotation), c.kind, c.mixed) for k, c in fn.contexts.items()]
        lines.append(
            f"fn {fn.qualname} parent={name(fn.parent)} params={sorted(fn.params)} locals={sorted(fn.local_names)} "
            f"called={sorted(fn.called_names)} children={list(fn.children)} handler={handler} "
            f"own={list(fn.own_contexts)} contexts={contexts} run_action={fn.is_run_action} "
            f"handler_code={fn.is_handler_code} root={name(fn.root)} async={fn.is_async} ctxname={fn.context_name()}"
        )
        for t, nodes in sorted(m.function_nodes(fn).items(), key=lambda kv: kv[0].__name__):
            if nodes:
                lines.append(f"  own {fn.qualname} {t.__name__} {[at(n) for n in nodes]}")
    lines.append(f"services {sorted(m.service_objects.items())} {sorted(m.service_names.items())}")
    lines.append(f"module_names {sorted(m.module_names)} functions {list(m.module_functions)}")
    lines.append(f"module_values {sorted((k, at(v)) for k, v in m.module_values.items())}")
    for r in m.run_calls:
        lines.append(f"run {at(r.call)} {name(r.function)} {r.context and r.context.name} {at(r.action)} {[at(p) for p in r.passed]}")
    lines.append(f"run_uses {[(at(n), name(f), c.name) for n, f, c in m.run_context_uses]}")
    for source in (m.handler_nodes, m.plain_nodes):
        for t in _NODE_TYPES:
            found = [(at(n), name(f)) for n, f in source(t)]
            if found:
                lines.append(f"{source.__name__} {t.__name__} {found}")
        calls = [(at(c), name(f), q) for c, f, q in resolved_calls(m, source)]
        lines.append(f"{source.__name__} resolved {calls}")
        attrs = sorted({c.func.attr for c, _ in source(ast.Call) if isinstance(c.func, ast.Attribute)})
        lines.append(f"{source.__name__} methods {[(a, at(c), name(f)) for a in attrs for c, f in method_calls(m, source, [a])]}")
        targets = [(at(c), m.call_target(c, f)) for c, f in source(ast.Call)]
        lines.append(f"{source.__name__} targets {targets}")
    lines.append(f"sagas {sorted((name(next(f for f in m.functions if id(f) == k)), sorted(v)) for k, v in m.saga_names().items())}")
    for node in ast.walk(tree):
        if isinstance(node, (ast.Name, ast.Attribute)):
            q = m.qualify(node)
            if q is not None:
                lines.append(f"qualify {at(node)} {q}")
        elif isinstance(node, ast.arg) and node.annotation is not None:
            lines.append(f"ctxtype {at(node)} {m.context_type_of(node.annotation)}")
    return lines


def record(out: Path, roots: list[Path]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for n, root in enumerate(roots):
        root = root.resolve()
        files = _files(root)
        d = out / f"{n}-{root.name}"
        d.mkdir(exist_ok=True)
        (d / "check.json").write_text(_check_json(root))
        (d / "flake8.txt").write_text("\n".join(_flake8_view(root, files)) + "\n")
        (d / "model.txt").write_text("\n".join(_model_view(root, files)) + "\n")
        found = len(json.loads((d / "check.json").read_text())["findings"])
        print(f"{root}: {len(files)} files, {found} findings from rea check", file=sys.stderr)


def compare(a: Path, b: Path) -> bool:
    same = True
    for left in sorted(a.rglob("*")):
        if not left.is_file():
            continue
        right = b / left.relative_to(a)
        if not right.is_file():
            print(f"{left.relative_to(a)}: missing in {b}")
            same = False
            continue
        x, y = left.read_text().splitlines(), right.read_text().splitlines()
        if x == y:
            print(f"{left.relative_to(a)}: same ({len(x)} lines)")
            continue
        same = False
        i = next((i for i, (p, q) in enumerate(zip(x, y)) if p != q), min(len(x), len(y)))
        print(f"{left.relative_to(a)}: DIFFERENT at line {i + 1} ({len(x)} vs {len(y)} lines)")
        print(f"  - {x[i][:300] if i < len(x) else '<end>'}")
        print(f"  + {y[i][:300] if i < len(y) else '<end>'}")
    return same


def main(argv: list[str]) -> int:
    if len(argv) >= 3 and argv[0] == "record":
        record(Path(argv[1]), [Path(p) for p in argv[2:]])
        return 0
    if len(argv) == 3 and argv[0] == "compare":
        return 0 if compare(Path(argv[1]), Path(argv[2])) else 1
    print(__doc__.strip().splitlines()[-2:], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
