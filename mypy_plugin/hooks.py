"""Hook dispatch: mypy calls in, `mypy_plugin.checks` judges, the reporter reports.

Every call mypy checks reaches the checks through a *signature* hook: those run before
overload resolution, so a finding never makes mypy reject an overload of `ctx.run`. Each
hook is wrapped so that a plugin bug becomes one `rea-internal` note, never a crash.

This module imports only what every mypy run needs: the error codes, which mypy checks its
`disable_error_code` against right after loading the plugin (on a warm run registered from the
table kept in the cache, without the catalog). The config and the rules are loaded on the
first hook: a run served from mypy's cache calls none, and pays for none (see
`mypy_plugin.config_stamp`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from mypy.errors import CompileError, Errors
from mypy.options import Options
from mypy.plugin import FunctionSigContext, MethodSigContext, Plugin, ReportConfigContext
from mypy.types import FunctionLike

from mypy_plugin.codes import register, table
from mypy_plugin.config_stamp import config_digest, config_start, read_fingerprint, stamp_of, write_fingerprint

if TYPE_CHECKING:
    from rea_lint.config import ReaConfig

    from mypy_plugin.checks import Checks
    from mypy_plugin.report import Reporter

__all__ = ["ReaPlugin", "PLUGIN_VERSION", "load_config"]

_PLAIN_OPERATOR_OWNERS = ("builtins.", "restate.", "typing.Awaitable.", "typing.Coroutine.", "typing.Iterator.",
                          "typing.AsyncIterator.", "typing.Generator.", "typing.AsyncGenerator.")
"""Classes whose operator methods (`__add__`, `__getitem__`, `__await__` ...) no rule judges."""
_CALLED_DUNDERS = frozenset({"__call__", "__init__", "__new__"})
"""Dunder methods a call expression reaches: always handed to the checks."""

_OTHER_METHOD, _PLAIN_OPERATOR, _CALLED_OPERATOR = range(3)
_UNANSWERED = object()


def _method_kind(fullname: str) -> int:
    """What a method's name alone says: an operator of a class no rule judges (`a + b`, `for x in
    it`: skipped once the module's pass has run), a called dunder of such a class (always
    hooked), or another method (skipped if `mypy_plugin.inert` says so)."""
    if fullname.endswith("__") and fullname.startswith(_PLAIN_OPERATOR_OWNERS):
        method = fullname.rpartition(".")[2]
        return _PLAIN_OPERATOR if method.startswith("__") and method not in _CALLED_DUNDERS else _CALLED_OPERATOR
    return _OTHER_METHOD


PLUGIN_VERSION = "6"
"""Bumped when findings change for the same input, so mypy's cache is invalidated."""


def load_config(options: Options) -> ReaConfig:
    """`[tool.rea]` from the pyproject.toml that configures mypy, else the nearest one.

    Read fresh on every plugin construction (the daemon and `mypy.api.run` live on
    between runs, and the config is part of the cache key, see `report_config_data`).
    """
    from rea_lint.config import ConfigError, ReaConfig, find_pyproject, forget, load_file

    explicit, start = config_start(options.config_file)
    forget()
    try:
        if explicit is not None:
            return load_file(explicit)
        found = find_pyproject(start)
        return load_file(found) if found else ReaConfig()
    except ConfigError as err:
        # CompileError is how mypy itself reports a bad config: one line, exit status 2.
        raise CompileError([f"error: rea mypy plugin: {err}"], use_stdout=False) from None


class ReaPlugin(Plugin):
    def __init__(self, options: Options) -> None:
        super().__init__(options)
        self._config: ReaConfig | None = None
        self._reporter: Reporter | None = None
        stamp = stamp_of(options.config_file, PLUGIN_VERSION)
        kept = read_fingerprint(options.cache_dir, stamp)
        if not (isinstance(kept, dict) and isinstance(kept.get("config"), str) and "codes" in kept):
            # the config changed, or no run kept its fingerprint: load it (and the catalog) now
            kept = {"config": config_digest(self.config.fingerprint(), PLUGIN_VERSION), "codes": table()}
            write_fingerprint(options.cache_dir, stamp, kept)
        register(kept["codes"])  # before mypy checks `disable_error_code` against its codes
        self._config_data: str = kept["config"]
        self._checks: Checks | None = None
        self._errors: Errors | None = None
        """mypy's error list, seen at the first hook: its `file` is the module being checked."""
        self._silent_file: tuple[str, bool] = ("", False)
        self._function_hooks: dict[str, Callable[[Any], FunctionLike]] = {}
        self._method_hooks: dict[str, Callable[[Any], FunctionLike]] = {}

    @property
    def config(self) -> ReaConfig:
        """The `[tool.rea]` config, loaded on first use (a warm run never uses it)."""
        if self._config is None:
            self._config = load_config(self.options)
        return self._config

    @property
    def reporter(self) -> Reporter:
        if self._reporter is None:
            from mypy_plugin.report import Reporter

            self._reporter = Reporter(self.config)
        return self._reporter

    def report_config_data(self, ctx: ReportConfigContext) -> Any:
        # asked once per module, warm runs included, and round-tripped through JSON each
        # time: computed once per run, and a short digest rather than the config's text
        return self._config_data

    # -- hooks: every call, one callback ---------------------------------------------------

    def _in_silent_module(self, errors: Errors) -> bool:
        """Is mypy checking a stub or a module whose errors it ignores (an installed library)?

        The checks skip those modules (`checks._Module.skip`), so no hook is handed out there:
        a hook costs mypy work at each call even when it returns at once (it maps the call's
        arguments and rebuilds an overloaded signature per call)."""
        path = errors.file
        last = self._silent_file
        if last[0] is path:
            return last[1]
        silent = path.endswith(".pyi") or path in errors.ignored_files
        self._silent_file = (path, silent)
        return silent

    # The two questions below are asked at every call and operator mypy checks (about 33,000 in
    # a cold run over 150 generated modules), mostly of the same few names. A callee is only ever
    # skipped in a module whose own pass has run (`Checks.judged`); from then on the answer for a
    # name holds until the next module pass, and is kept (`Checks.function_answers`,
    # `Checks.method_answers`): a hit is one dict lookup.

    def get_function_signature_hook(self, fullname: str) -> Callable[[FunctionSigContext], FunctionLike] | None:
        return self._question(fullname, False)

    def get_method_signature_hook(self, fullname: str) -> Callable[[MethodSigContext], FunctionLike] | None:
        return self._question(fullname, True)

    def _question(self, fullname: str, method: bool) -> Callable[[Any], FunctionLike] | None:
        errors = self._errors
        if errors is not None:
            checks = self._checks
            if checks is not None and checks.judged(errors):
                answers = checks.method_answers if method else checks.function_answers
                found = answers.get(fullname, _UNANSWERED)
                if found is _UNANSWERED:
                    found = answers[fullname] = self._answer(fullname, errors, method)
                return found  # type: ignore[return-value]
            if self._in_silent_module(errors):
                return None
        return self._hook(fullname, method)

    def _answer(self, fullname: str, errors: Errors, method: bool) -> Callable[[Any], FunctionLike] | None:
        """In a judged module: no hook for a callee no rule can judge (see `mypy_plugin.inert`),
        nor for an operator of a class no rule judges (`a + b`, `x[i]`, `await fut`, `for x in it`
        on a builtin, a Restate future or an iterator: the checks only look at an operator for the
        module pass, done, and `os.environ`, and no rule names these methods)."""
        assert self._checks is not None
        if self._in_silent_module(errors):
            return None
        kind = _method_kind(fullname) if method else _OTHER_METHOD
        if kind == _PLAIN_OPERATOR or (kind == _OTHER_METHOD and self._checks.inert_here(fullname, method, self._modules)):
            return None
        return self._hook(fullname, method)

    def _hook(self, fullname: str, method: bool) -> Callable[[Any], FunctionLike]:
        """The hook of a callee: one closure per name and kind of question."""
        hooks = self._method_hooks if method else self._function_hooks
        hook = hooks.get(fullname)
        if hook is None:
            if method:
                hook = hooks[fullname] = lambda ctx: self._guard(ctx, fullname, ctx)
            else:
                hook = hooks[fullname] = lambda ctx: self._guard(ctx, fullname, None)
        return hook

    def _guard(self, ctx: FunctionSigContext | MethodSigContext, fullname: str, mctx: MethodSigContext | None) -> FunctionLike:
        self._errors = ctx.api.msg.errors
        reporter = self.reporter  # a config that fails to load fails the run (CompileError), as at start
        try:
            checks = self._checks
            if checks is None:
                from mypy_plugin.checks import Checks

                checks = self._checks = Checks(self.options, self.config, reporter, self.lookup_fully_qualified)
            checks.on_call(ctx.api, fullname, ctx.context, ctx.default_signature, mctx)
        except Exception as exc:  # never break the user's mypy run
            reporter.internal(ctx.api, ctx.context, exc)
        return ctx.default_signature
