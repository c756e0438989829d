"""The flake8 entry point (`REA`): rea's rules on the tree flake8 already parsed.

flake8 never reads pyproject.toml, so the checker loads `[tool.rea]` itself, lazily and
once per directory per process (with `-j`, each worker does it once).
"""

from __future__ import annotations

import ast
import os
from typing import Any, ClassVar, Iterator, Sequence

from rea_lint import __version__
from rea_lint.config import ConfigError, ReaConfig, load_config
from rea_lint.engine import check_tree, mentions_restate
from rea_lint.findings import char_col

__all__ = ["ReaChecker"]


class ReaChecker:
    name = "rea"
    version = __version__
    _explicit: frozenset[str] = frozenset()
    """Codes named exactly in flake8's --select/--extend-select: opt-in rules turn on."""
    _configs: ClassVar[dict[str, ReaConfig]] = {}
    """Directory -> the configuration of its files. `load_config` resolves a file's path to
    find its pyproject.toml (a stat per path component), and the answer is the same for
    every file of a directory that is not a symlink itself."""
    _enabled: ClassVar[tuple[ReaConfig | None, frozenset[str], frozenset[str]]] = (None, frozenset(), frozenset())
    """The last (configuration, explicit codes) and the codes they enable."""

    def __init__(self, tree: ast.Module, filename: str = "stdin", lines: Sequence[str] | None = None) -> None:
        self.tree = tree
        self.filename = filename
        self.lines = lines

    @classmethod
    def parse_options(cls, options: Any) -> None:
        named: set[str] = set()
        for attr in ("select", "extend_select", "enable_extensions"):
            for code in getattr(options, attr, None) or ():
                if isinstance(code, str) and code.startswith("REA") and len(code) == 6:
                    named.add(code)
        cls._explicit = frozenset(named)

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        try:
            config = self._config()
        except ConfigError as err:
            yield 1, 0, f"REA000 invalid rea configuration: {err}", type(self)
            return
        if self.lines is not None and not mentions_restate(self.lines, config):
            return
        codes = self._codes(config)
        lines = self.lines
        for f in check_tree(self.tree, config, codes):
            yield f.line, char_col(lines, f.line, f.col), f.message, type(self)  # characters, as the CLI

    def _config(self) -> ReaConfig:
        name = self.filename
        if name in ("stdin", "-"):
            return load_config(".")
        if os.path.islink(name):
            return load_config(name)
        key = os.path.abspath(os.path.dirname(name))
        config = self._configs.get(key)
        if config is None:
            if len(self._configs) >= 256:  # as bounded as load_config's own caches
                self._configs.clear()
            config = self._configs[key] = load_config(name)  # errors are not cached
        return config

    def _codes(self, config: ReaConfig) -> frozenset[str]:
        last, explicit, codes = ReaChecker._enabled
        if last is not config or explicit is not self._explicit:
            codes = config.enabled_codes() | self._explicit
            ReaChecker._enabled = (config, self._explicit, codes)
        return codes
