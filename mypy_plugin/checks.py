"""The judgement of one hooked call: which rules it breaks, in which module and function.

mypy calls a hook for every call and operator it checks (a module of the generated corpus
has about 275), so what does not depend on the call is answered once: per module (its
index and `Handlers`), per overload (mypy calls the hook once per item of an overloaded
callee, with the same call and the same inputs), and an operator (`a + b`, `d[k]`) is
only looked at for `os.environ` reads.
"""

from __future__ import annotations

from typing import Any, Callable

from mypy.nodes import CallExpr, Context, FuncItem, LambdaExpr, MemberExpr, MypyFile, NameExpr, RefExpr, SymbolTableNode
from mypy.options import Options
from mypy.plugin import CheckerPluginInterface, MethodSigContext
from mypy.types import CallableType, FunctionLike, Instance, TypeType, get_proper_type

from rea_lint.config import ReaConfig
from rea_lint.tables import RUN_HELPERS, SAGA_RUN_METHODS

from mypy_plugin.handlers import Handlers
from mypy_plugin.index import RUN_METHODS, ModuleIndex, index_for
from mypy_plugin.inert import InertNames, decorator_names
from mypy_plugin.report import Reporter, subject_text
from mypy_plugin.resolve import callee_names, receiver_names
from mypy_plugin.restate_types import DURABLE_PROMISE, ContextTypes, instance_of
from mypy_plugin.rules import calls, clock, context, durable, idempotency, misuse
from mypy_plugin.targets import ASYNCIO_COMBINATORS, ENV_RECEIVER
from mypy_plugin.transitive import SameModule, may_have_chains
from mypy_plugin.untyped import untyped_calls

__all__ = ["Checks"]

_ENV_METHOD = ENV_RECEIVER + "."


class _Module:
    """One module as one checker sees it: answers every hook in it shares."""

    __slots__ = ("api", "tree", "skip", "index", "h", "current_function", "handler_key", "in_handler")

    def __init__(self, api: CheckerPluginInterface, tree: MypyFile | None, checks: Checks) -> None:
        self.api = api
        self.tree = tree
        self.skip = tree is None or tree.is_stub or api.path in api.msg.errors.ignored_files
        if self.skip:
            return
        assert tree is not None
        self.index: ModuleIndex = index_for(tree)
        self.h = Handlers(api, self.index, checks.contexts, checks.config.handler_decorators)
        # the innermost function being checked (`top_function` before mypy 1.16 named it so)
        scope = api.scope  # type: ignore[attr-defined]
        self.current_function: Callable[[], FuncItem | None] = getattr(scope, "current_function", None) or scope.top_function
        self.handler_key: tuple[object, ...] | None = None
        """What `in_handler` was judged for: the function, its signature, mypy's pass, the error list."""
        self.in_handler = False

    def in_handler_code(self, errors: Any) -> bool:
        """Is the function being checked handler code? Asked at every call in it, judged once per
        function and pass: a deferred function is checked again in a later pass, when the types
        its decorator needs may be known, and the daemon replaces the error list when it
        re-checks a function."""
        func = self.current_function()
        key = self.handler_key
        if (key is not None and key[0] is func and key[1] is getattr(func, "type", None)
                and key[2] == getattr(self.api, "pass_num", 0) and key[3] is errors.error_info_map.get(errors.file)):
            return self.in_handler
        self.in_handler = self.h.is_handler_code(func)
        self.handler_key = (func, getattr(func, "type", None), getattr(self.api, "pass_num", 0),
                            errors.error_info_map.get(errors.file))
        return self.in_handler


class Checks:
    def __init__(self, options: Options, config: ReaConfig, reporter: Reporter,
                 lookup: Callable[[str], SymbolTableNode | None]) -> None:
        self.options = options
        self.config = config
        self.contexts = ContextTypes(config.context_types)
        self.reporter = reporter
        self.transitive = SameModule(config)
        self._extra_names = frozenset(n for names in config.extra_calls.values() for n in names)
        self._passed: dict[int, tuple[MypyFile, object]] = {}
        """id(tree) -> (tree, the module's error list when `_module_pass` last judged it)."""
        self._module: _Module | None = None
        """The module of the last hook (hooks come module by module; a checker is one module's)."""
        self._judged: tuple[str, object] | None = None
        """(path, its error list) when `_module_pass` last ran (see `judged`)."""
        self._last_call: tuple[object, ...] | None = None
        """The inputs of the call judged last and the error list after it (see `on_call`)."""
        self.inert = InertNames(config.context_types, config.extra_calls, config.handler_decorators, lookup)
        self._decorator_names: tuple[frozenset[str], frozenset[str], bool] = (frozenset(), frozenset(), True)
        """What the hooks of the judged module's decorator calls may be named (see `inert_here`)."""
        self.function_answers: dict[str, object] = {}
        self.method_answers: dict[str, object] = {}
        """The plugin's answers to mypy's two questions in the judged module, by name (`hooks`):
        they depend on the name, the module and its decorators, so they hold until the next pass."""

    def judged(self, errors: Any) -> bool:
        """Has `_module_pass` run for the module mypy is checking, with its current error list?
        Then an operator hook there could only matter for `os.environ` (see `hooks`)."""
        last = self._judged
        return last is not None and last[0] == errors.file and last[1] is errors.error_info_map.get(errors.file)

    def inert_here(self, fullname: str, method: bool, modules: Any) -> bool:
        """No rule can judge a call named `fullname` in the module `_module_pass` judged last:
        a callee no rule names (`mypy_plugin.inert`) that none of its decorators may call."""
        if not self.inert.is_inert(fullname, method, modules):
            return False
        functions, methods, unknown = self._decorator_names
        if unknown:
            return False
        return fullname.rpartition(".")[2] not in methods if method else fullname not in functions

    # -- the judgement ---------------------------------------------------------------------

    def on_call(self, api: CheckerPluginInterface, fullname: str, node: Context,
                sig: FunctionLike, mctx: MethodSigContext | None) -> None:
        m = self._module
        if m is None or m.api is not api or m.tree is not getattr(api, "tree", None):
            m = self._module = _Module(api, getattr(api, "tree", None), self)
        if m.skip:
            return
        errors = api.msg.errors
        error_map, path = errors.error_info_map, errors.file
        found = error_map.get(path)
        seen = self._passed.get(id(m.tree))
        if seen is None or seen[0] is not m.tree or seen[1] is not found:
            self._module_pass(api, m.h, m.tree)  # type: ignore[arg-type]
            found = error_map.get(path)  # the pass may have reported the module's first error
        if not isinstance(node, CallExpr):
            # an operator (`os.environ[k]`, `k in os.environ`): only the environment's methods matter
            if (mctx is not None and fullname.startswith(_ENV_METHOD) and calls.env_read(fullname)
                    and m.in_handler_code(errors)):
                self.reporter.report(api, "REA109", node, subject_text(node))
            return

        receiver_type = mctx.type if mctx is not None else None
        item = sig if isinstance(sig, CallableType) else (sig.items[0] if sig.items else None)
        defn = item.definition.fullname or None if item is not None and item.definition is not None else None
        ret = get_proper_type(item.ret_type) if item is not None else None
        constructed = ret if isinstance(ret, Instance) and sig.is_type_obj() else None
        # mypy calls the hook once per item of an overloaded callee: the same call, receiver,
        # definition and constructed class give the same findings, which mypy would print once.
        # The error list is part of the key: the daemon replaces it when it re-checks a function.
        key = (node, fullname, mctx is None, receiver_type, defn, constructed.type if constructed is not None else None)
        last = self._last_call
        if (last is not None and last[0] is node and last[1] == fullname and last[2] is key[2] and last[3] is receiver_type
                and last[4] == defn and last[5] is key[5] and last[6] is found):
            return
        self._judge_call(api, m, fullname, node, sig, mctx, receiver_type, constructed)
        self._last_call = (*key, error_map.get(path))

    def _judge_call(self, api: CheckerPluginInterface, m: _Module, fullname: str, node: CallExpr, sig: FunctionLike,
                    mctx: MethodSigContext | None, receiver_type: Any, constructed: Instance | None) -> None:
        h, index = m.h, m.index
        if id(node) in index.decorated_by_call:
            self._decorated_pass(api, h, index.decorated_by_call[id(node)], node)

        method = fullname.rpartition(".")[2] if mctx is not None else ""
        in_handler = m.in_handler_code(api.msg.errors)

        if not in_handler:
            # Outside handler code only a Restate future handed to asyncio matters (the hook's
            # name is the definition's, so an alias of `asyncio.gather` is named so here too).
            callee = node.callee
            if fullname in ASYNCIO_COMBINATORS or (isinstance(callee, RefExpr) and callee.fullname in ASYNCIO_COMBINATORS):
                arg_types = [api.get_expression_type(a) for a in node.args]
                if calls.futures_to_asyncio(ASYNCIO_COMBINATORS, arg_types):
                    self.reporter.report(api, "REA106", node, subject_text(node))
        else:
            names = callee_names(node.callee, sig, api.modules)  # type: ignore[attr-defined]
            names.add(fullname)
            if mctx is not None:
                names |= receiver_names(receiver_type, method)
            on_instance = mctx is not None and _on_instance(receiver_type)
            facts = calls.CallFacts(node, names, constructed, self.config.extra_calls, on_instance)
            for code in calls.forbidden_codes(facts):
                self.reporter.report(api, code, node, subject_text(node))
            if calls.env_copy(names, node):
                self.reporter.report(api, "REA109", node, subject_text(node))
            if isinstance(node.callee, MemberExpr) and calls.io_method(
                receiver_type, node.callee.expr, calls.bound_here_or_module(node.callee.expr, index.param_owner),
            ):
                self.reporter.report(api, "REA108", node, subject_text(node))
        on_context = bool(method) and h.contexts.is_context(receiver_type)
        if method:
            self._context_call(api, h, node, method, receiver_type, on_context)
        if in_handler:
            self._misuse(api, h, node, fullname, method, receiver_type, on_context)
            if mctx is not None and calls.env_read(fullname):
                self.reporter.report(api, "REA109", node, subject_text(node))

    def _misuse(self, api: CheckerPluginInterface, h: Handlers, call: CallExpr, fullname: str, method: str,
                receiver_type: Any, on_context: bool) -> None:
        """REA208 (a run's action is a call's non-callable result), REA210 (wrong client method)."""
        action = misuse.run_action_argument(call, fullname, method, on_context, receiver_type)
        if action is not None and misuse.called_not_passed(h, action):
            self.reporter.report(api, "REA208", action, subject_text(action))
        if not on_context and (fullname in RUN_HELPERS or (method in SAGA_RUN_METHODS and misuse.on_saga(receiver_type))):
            # (a context's own run is `_context_call`'s)
            for use in context.contexts_in_helper_run(h, call, fullname, method):
                self.reporter.report(api, "REA201", use, subject_text(use), ctx=subject_text(use))
        if on_context and (method in misuse.METHOD_KINDS or method in misuse.GENERIC_METHODS):
            # the receiver's text is only for the message: rendered for the methods REA210 judges
            ctx = subject_text(call.callee.expr) if isinstance(call.callee, MemberExpr) else "ctx"
            found = misuse.kind_mismatch(h, call, method, ctx)
            if found is not None:
                self.reporter.report(api, "REA210", call, found, ctx=ctx)

    def _context_call(self, api: CheckerPluginInterface, h: Handlers, call: CallExpr, method: str, receiver_type: Any,
                      on_context: bool) -> None:
        """Rules about the Restate operations themselves: REA201, REA204, REA301/302."""
        if not on_context:
            inst = instance_of(receiver_type)
            if inst is None or not inst.type.has_base(DURABLE_PROMISE):
                return
        on_promise = not on_context or _is_promise(receiver_type)
        unit = clock.clock_unit_misuse(h.index, call) if on_context and method == "time" else None
        if unit is not None:
            ctx = subject_text(call.callee.expr) if isinstance(call.callee, MemberExpr) else "ctx"
            self.reporter.report(api, "REA112", call, unit, ctx=ctx)
        if durable.is_unawaited_op(method, on_context, on_promise, h.index.is_discarded(call)):
            self.reporter.report(api, "REA204", call, subject_text(call))
        bound = durable.bound_future(h.index.parent.get(call), call, method, on_context, on_promise)
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
                    on_instance = False
                    if isinstance(c.callee, MemberExpr):  # `loop.time()`: named by its receiver's class, as the hooks do
                        receiver = h.type_of(c.callee.expr)
                        if receiver is None and isinstance(c.callee.expr, CallExpr):
                            # (`asyncio.get_running_loop().time()`: the argument is not checked yet)
                            made = get_proper_type(h.type_of(c.callee.expr.callee))
                            receiver = made.ret_type if isinstance(made, CallableType) else None
                        names |= receiver_names(receiver, c.callee.name)
                        on_instance = _on_instance(receiver)
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

        A decorated function is judged at its decorator's hook (`_decorated_pass`), once the
        body's types are known; mypy calls no hook for a decorator it cannot resolve (`o: Any`,
        a library it cannot import), so one that declares a shared context is judged here too,
        as a plain function. A finding both make is one message on one line: mypy prints it once.
        """
        errors = api.msg.errors
        for func in h.index.functions:
            if h.index.enclosing_function(func) is not None or isinstance(func, LambdaExpr):
                continue
            if any(isinstance(d, CallExpr) for d in getattr(h.index.decorator_of.get(id(func)), "decorators", ())):
                if context.declares_shared_context(h, func):
                    for write in context.shared_state_writes(h, func, None):
                        self.reporter.report(api, "REA202", write, subject_text(write))
                continue
            for write in context.shared_state_writes(h, func, None):
                self.reporter.report(api, "REA202", write, subject_text(write))
            self._untyped_pass(api, h, func)
        if may_have_chains(h.index, tree.fullname, self._extra_names):
            for found in self.transitive.findings(api.path, tree.fullname):
                self.reporter.report_at(api, found.code, found.line, found.col, found.message)
        self._passed[id(tree)] = (tree, errors.error_info_map.get(errors.file))
        self._decorator_names = decorator_names(h.index.decorator_calls())
        self.function_answers, self.method_answers = {}, {}
        self._judged = (errors.file, errors.error_info_map.get(errors.file))

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
                # (the context parameters are looked up only for a run in a body mypy does not check)
                contexts = lambda: h.context_vars(f)  # noqa: E731 B023 (read within this iteration)
                for code, node in untyped_calls(f, h.index, imports, self.config.extra_calls, unchecked, contexts):
                    self.reporter.report(api, code, node, subject_text(node))


def _on_instance(receiver_type: Any) -> bool:
    """A method called on an instance (`loop.time()`), not on a class (`datetime.now()`)."""
    return instance_of(receiver_type) is not None and not _is_type_obj(receiver_type)


def _is_type_obj(typ: Any) -> bool:
    t = get_proper_type(typ)
    return isinstance(t, TypeType) or (isinstance(t, FunctionLike) and t.is_type_obj())


def _is_promise(typ: Any) -> bool:
    inst = instance_of(typ)
    return inst is not None and inst.type.has_base(DURABLE_PROMISE)
