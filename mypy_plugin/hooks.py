"""Hook dispatch: mypy calls in, `mypy_plugin.checks` judges, the reporter reports.

Every call mypy checks reaches the checks through a *signature* hook: those run before
overload resolution, so a finding never makes mypy reject an overload of `ctx.run`. Each
hook is wrapped so that a plugin bug becomes one `rea-internal` note, never a crash.

This module imports only what every mypy run needs (the config, the error codes). The rules
are imported on the first hook: a run served from mypy's cache calls none, and pays for none.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Callable

from mypy.errors import CompileError
from mypy.options import Options
from mypy.plugin import FunctionSigContext, MethodSigContext, Plugin, ReportConfigContext
from mypy.types import FunctionLike

from rea_lint.config import ConfigError, ReaConfig, find_pyproject, forget, load_file

from mypy_plugin.report import Reporter

if TYPE_CHECKING:
    from mypy_plugin.checks import Checks

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
        self.reporter = Reporter(self.config)
        self._config_data = {"rea": self.config.fingerprint(), "plugin": PLUGIN_VERSION}
        self._checks: Checks | None = None
        self._function_hooks: dict[str, Callable[[FunctionSigContext], FunctionLike]] = {}
        self._method_hooks: dict[str, Callable[[MethodSigContext], FunctionLike]] = {}

    def report_config_data(self, ctx: ReportConfigContext) -> Any:
        return self._config_data  # asked once per module: computed once per run

    # -- hooks: every call, one callback ---------------------------------------------------

    def get_function_signature_hook(self, fullname: str) -> Callable[[FunctionSigContext], FunctionLike] | None:
        hook = self._function_hooks.get(fullname)  # asked at every call: one closure per name
        if hook is None:
            hook = self._function_hooks[fullname] = lambda ctx: self._guard(ctx, fullname, None)
        return hook

    def get_method_signature_hook(self, fullname: str) -> Callable[[MethodSigContext], FunctionLike] | None:
        hook = self._method_hooks.get(fullname)
        if hook is None:
            hook = self._method_hooks[fullname] = lambda ctx: self._guard(ctx, fullname, ctx)
        return hook

    def _guard(self, ctx: FunctionSigContext | MethodSigContext, fullname: str, mctx: MethodSigContext | None) -> FunctionLike:
        try:
            checks = self._checks
            if checks is None:
                from mypy_plugin.checks import Checks

                checks = self._checks = Checks(self.options, self.config, self.reporter)
            checks.on_call(ctx.api, fullname, ctx.context, ctx.default_signature, mctx)
        except Exception as exc:  # never break the user's mypy run
            self.reporter.internal(ctx.api, ctx.context, exc)
        return ctx.default_signature
