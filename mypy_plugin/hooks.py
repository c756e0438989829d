"""Hook dispatch: mypy calls in, the rules judge, the reporter reports.

Every call mypy checks reaches `on_call` through a *signature* hook: those run before
overload resolution, so a finding never makes mypy reject an overload of `ctx.run`. Each
hook is wrapped so that a plugin bug becomes one `rea-internal` note, never a crash.
"""

from __future__ import annotations

import os
from typing import Any, Callable

from mypy.errors import CompileError
from mypy.nodes import CallExpr, Context, FuncItem, LambdaExpr, MemberExpr, MypyFile, NameExpr, RefExpr
from mypy.options import Options
from mypy.plugin import (
    CheckerPluginInterface,
    FunctionSigContext,
    MethodSigContext,
    Plugin,
    ReportConfigContext,
)
from mypy.types import FunctionLike, Instance, TypeType, get_proper_type

from rea_lint.config import ConfigError, ReaConfig, find_pyproject, forget, load_file

from mypy_plugin.handlers import Handlers
from mypy_plugin.index import RUN_METHODS, index_for
from mypy_plugin.report import Reporter, subject_text
from mypy_plugin.resolve import callee_names, receiver_names
from mypy_plugin.restate_types import FUTURE_BASES, ContextTypes, instance_of
from mypy_plugin.rules import calls, clock, context, durable, idempotency, misuse
from mypy_plugin.targets import ASYNCIO_COMBINATORS
from mypy_plugin.transitive import SameModule, may_have_chains
from mypy_plugin.untyped import untyped_calls

__all__ = ["ReaPlugin", "PLUGIN_VERSION"]

PLUGIN_VERSION = "3"
"""Bumped when findings change for the same input, so mypy's cache is invalidated."""


def _load(options: Options) -> ReaConfig:
    """`[tool.rea]` from the pyproject.toml that configures mypy, else the nearest one.

    Read fresh on every plugin construction (the daemon and `mypy.api.run` live on
    between runs, and the config is part of the cache key, see `report_config_data`).
    """
    config_file = os.path.abspath(options.config_file) if options.config_file else None
    forget()
    try:
        if config_file and os.path.basename(config_file) == "pyproject.toml":
            return load_file(config_file)
        found = find_pyproject(os.path.dirname(config_file) if config_file else os.getcwd())
        return load_file(found) if found else ReaConfig()
    except ConfigError as err:
        # CompileError is how mypy itself reports a bad config: one line, exit status 2.
        raise CompileError([f"error: rea mypy plugin: {err}"], use_stdout=False) from None


class ReaPlugin(Plugin):
    def __init__(self, options: Options) -> None:
        super().__init__(options)
        self.config = _load(options)
        self.contexts = ContextTypes(self.config.context_types)
        self.reporter = Reporter(self.config)
        self.transitive = SameModule(self.config)
        self._extra_names = frozenset(n for names in self.config.extra_calls.values() for n in names)
        self._config_data = {"rea": self.config.fingerprint(), "plugin": PLUGIN_VERSION}
        self._passed: dict[int, tuple[MypyFile, object]] = {}
        """id(tree) -> (tree, the module's error list when `_module_pass` last judged it)."""

    def report_config_data(self, ctx: ReportConfigContext) -> Any:
        return self._config_data  # asked once per module: computed once per run

    # -- hooks: every call, one callback ---------------------------------------------------

    def get_function_signature_hook(self, fullname: str) -> Callable[[FunctionSigContext], FunctionLike] | None:
        return lambda ctx: self._guard(ctx, fullname, None)

    def get_method_signature_hook(self, fullname: str) -> Callable[[MethodSigContext], FunctionLike] | None:
        return lambda ctx: self._guard(ctx, fullname, ctx)

    def _guard(self, ctx: FunctionSigContext | MethodSigContext, fullname: str, mctx: MethodSigContext | None) -> FunctionLike:
        try:
            self.on_call(ctx.api, fullname, ctx.context, ctx.default_signature, mctx)
        except Exception as exc:  # never break the user's mypy run
            self.reporter.internal(ctx.api, ctx.context, exc)
        return ctx.default_signature

    # -- the judgement ---------------------------------------------------------------------

    def on_call(self, api: CheckerPluginInterface, fullname: str, node: Context,
                sig: FunctionLike, mctx: MethodSigContext | None) -> None:
        tree: MypyFile | None = getattr(api, "tree", None)
        if tree is None or tree.is_stub or api.path in api.msg.errors.ignored_files:
            return
        index = index_for(tree)
        h = Handlers(api, index, self.contexts, self.config.handler_decorators)
        func = _current_function(api)
        self._module_pass(api, h, tree)
        if isinstance(node, CallExpr) and id(node) in index.decorated_by_call:
            self._decorated_pass(api, h, index.decorated_by_call[id(node)], node)

        method = fullname.rpartition(".")[2] if mctx is not None else ""
        receiver_type = mctx.type if mctx is not None else None
        in_handler = h.is_handler_code(func)

        if isinstance(node, CallExpr) and not in_handler:
            # Outside handler code only a Restate future handed to asyncio matters (the hook's
            # name is the definition's, so an alias of `asyncio.gather` is named so here too).
            callee = node.callee
            if fullname in ASYNCIO_COMBINATORS or (isinstance(callee, RefExpr) and callee.fullname in ASYNCIO_COMBINATORS):
                arg_types = [api.get_expression_type(a) for a in node.args]
                if calls.futures_to_asyncio(ASYNCIO_COMBINATORS, arg_types):
                    self.reporter.report(api, "REA106", node, subject_text(node))
        elif isinstance(node, CallExpr):
            names = callee_names(node.callee, sig, api.modules)  # type: ignore[attr-defined]
            names.add(fullname)
            if mctx is not None:
                names |= receiver_names(receiver_type, method)
            ret = get_proper_type(sig.items[0].ret_type) if sig.items else None
            constructed = ret if isinstance(ret, Instance) and sig.is_type_obj() else None
            on_instance = mctx is not None and instance_of(receiver_type) is not None and not _is_type_obj(receiver_type)
            facts = calls.CallFacts(node, names, constructed, self.config.extra_calls, on_instance)
            for code in calls.forbidden_codes(facts):
                self.reporter.report(api, code, node, subject_text(node))
            if calls.env_copy(names, node):
                self.reporter.report(api, "REA109", node, subject_text(node))
            if isinstance(node.callee, MemberExpr) and calls.io_method(
                receiver_type, node.callee.expr, calls.bound_here_or_module(node.callee.expr, index.param_owner),
            ):
                self.reporter.report(api, "REA108", node, subject_text(node))
        if isinstance(node, CallExpr):
            self._context_call(api, h, node, method, receiver_type)
            if in_handler:
                self._misuse(api, h, node, fullname, method, receiver_type)
        if in_handler and mctx is not None and calls.env_read(fullname):
            self.reporter.report(api, "REA109", node, subject_text(node))

    def _misuse(self, api: CheckerPluginInterface, h: Handlers, call: CallExpr, fullname: str, method: str,
                receiver_type: Any) -> None:
        """REA208 (a run's action is a call's non-callable result), REA210 (wrong client method)."""
        on_context = bool(method) and h.contexts.is_context(receiver_type)
        action = misuse.run_action_argument(call, fullname, method, on_context, receiver_type)
        if action is not None and misuse.called_not_passed(h, action):
            self.reporter.report(api, "REA208", action, subject_text(action))
        if on_context:
            ctx = subject_text(call.callee.expr) if isinstance(call.callee, MemberExpr) else "ctx"
            found = misuse.kind_mismatch(h, call, method, ctx)
            if found is not None:
                self.reporter.report(api, "REA210", call, found, ctx=ctx)

    def _context_call(self, api: CheckerPluginInterface, h: Handlers, call: CallExpr, method: str, receiver_type: Any) -> None:
        """Rules about the Restate operations themselves: REA201, REA204, REA301/302."""
        if not method:
            return
        on_context = h.contexts.is_context(receiver_type)
        inst = instance_of(receiver_type)
        on_promise = inst is not None and any(b.fullname in FUTURE_BASES for b in inst.type.mro) and inst.type.has_base("restate.context.DurablePromise")
        if not (on_context or on_promise):
            return
        unit = clock.clock_unit_misuse(h.index, call) if on_context and method == "time" else None
        if unit is not None:
            ctx = subject_text(call.callee.expr) if isinstance(call.callee, MemberExpr) else "ctx"
            self.reporter.report(api, "REA112", call, unit, ctx=ctx)
        if durable.is_unawaited_op(method, on_context, on_promise, h.index.is_discarded(call)):
            self.reporter.report(api, "REA204", call, subject_text(call))
        bound = durable.bound_future(h.index.parent.get(id(call)), call, method, on_context, on_promise)
        if bound is not None:
            stmt, name = bound
            receiver = call.callee.expr if isinstance(call.callee, MemberExpr) else None
            ctx_name = receiver.name if isinstance(receiver, NameExpr) else ""
            if h.index.future_unused(stmt, name, ctx_name):
                self.reporter.report(api, "REA204", stmt, f"{name} = {subject_text(call)}")
        if on_context and method in RUN_METHODS:
            for use in context.contexts_in_run(h, call, method):
                self.reporter.report(api, "REA201", use, subject_text(use), ctx=subject_text(use))
        if on_context and method in idempotency.CALL_METHODS:
            key = idempotency.idempotency_key(call)
            if key is not None:
                if idempotency.key_kind(h, key) == idempotency.INVOCATION:
                    self.reporter.report(api, "REA301", key, "idempotency_key=" + subject_text(key))

                def forbidden(c: CallExpr) -> bool:
                    names = callee_names(c.callee, h.type_of(c.callee), api.modules)  # type: ignore[attr-defined]
                    on_instance = isinstance(c.callee, MemberExpr) and instance_of(h.type_of(c.callee.expr)) is not None
                    facts = calls.CallFacts(c, names, None, self.config.extra_calls, on_instance)
                    return any(code in ("REA101", "REA102", "REA103") for code in calls.forbidden_codes(facts))

                if any(True for _ in idempotency.nondeterministic_calls(h, key, forbidden)):
                    self.reporter.report(api, "REA302", key, "idempotency_key=" + subject_text(key))

    def _module_pass(self, api: CheckerPluginInterface, h: Handlers, tree: MypyFile) -> None:
        """REA202 in plain functions that take a shared context.

        Only declared parameter types are needed, and those are complete before checking
        starts, so any hook in the module can judge every such function (a method hook
        would never fire: the write methods do not exist on shared contexts). It runs again
        whenever mypy has replaced the module's error list, which is what the daemon does
        when it re-checks part of a module and drops that part's errors.
        """
        errors = api.msg.errors
        current = errors.error_info_map.get(errors.file)
        seen = self._passed.get(id(tree))
        if seen is not None and seen[0] is tree and seen[1] is current:
            return
        for func in h.index.functions:
            if h.index.enclosing_function(func) is not None or isinstance(func, LambdaExpr):
                continue
            if any(isinstance(d, CallExpr) for d in getattr(h.index.decorator_of.get(id(func)), "decorators", ())):
                continue  # judged at its decorator's hook, once the body's types are known
            for write in context.shared_state_writes(h, func, None):
                self.reporter.report(api, "REA202", write, subject_text(write))
            self._untyped_pass(api, h, func)
        if may_have_chains(h.index, tree.fullname, self._extra_names):
            for found in self.transitive.findings(api.path, tree.fullname):
                self.reporter.report_at(api, found.code, found.line, found.col, found.message)
        self._passed[id(tree)] = (tree, errors.error_info_map.get(errors.file))

    def _decorated_pass(self, api: CheckerPluginInterface, h: Handlers, func: FuncItem, decorator: CallExpr) -> None:
        """REA202/REA203 for a decorated handler; its body is checked before its decorators.

        Not memoised: the daemon re-checks a function (and drops its errors) when something
        it depends on changes, and the decorator's hook fires again then.
        """
        info = h.decorator_info(decorator)
        kind = info.kind if info is not None else None
        self._untyped_pass(api, h, func)
        for write in context.shared_state_writes(h, func, kind):
            self.reporter.report(api, "REA202", write, subject_text(write))
        if info is not None and info.expected_context:
            found = context.context_kind_mismatch(h, func, info.expected_context)
            if found is not None:
                node, annotation = found
                self.reporter.report(api, "REA203", node, f"{annotation} (expected {info.expected_context})")

    def _untyped_pass(self, api: CheckerPluginInterface, h: Handlers, func: FuncItem) -> None:
        """Calls no hook sees, in `func` and what is nested in it: through libraries mypy has no
        types for, and every call of a body mypy does not check (an unannotated function)."""
        imports = h.index.missing_imports
        checks_untyped = getattr(api, "options", self.options).check_untyped_defs
        for f in h.index.nested(func):
            unchecked = f.is_dynamic() and not checks_untyped
            if (imports or unchecked) and h.is_handler_code(f):
                for code, call in untyped_calls(f, h.index, imports, self.config.extra_calls, unchecked):
                    self.reporter.report(api, code, call, subject_text(call))


def _is_type_obj(typ: Any) -> bool:
    t = get_proper_type(typ)
    return isinstance(t, TypeType) or (isinstance(t, FunctionLike) and t.is_type_obj())


def _current_function(api: CheckerPluginInterface) -> FuncItem | None:
    """The innermost function being checked (`top_function` before mypy 1.16 named it so)."""
    scope = api.scope  # type: ignore[attr-defined]
    current = getattr(scope, "current_function", None) or scope.top_function
    return current()
