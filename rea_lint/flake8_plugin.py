"""The flake8 entry point (`REA`): rea's rules on the tree flake8 already parsed.

flake8 never reads pyproject.toml, so the checker loads `[tool.rea]` itself, lazily and
once per directory per process (with `-j`, each worker does it once).

A broken configuration must fail the run whatever `--select` says (a per-file REA000 line
would be filtered out by `--select E` and repeated for every file). flake8 calls a plugin's
`parse_options` once, in the main process, before any file is checked: the configuration of
every path named on the command line, and of every file flake8 will check below a named
directory (flake8's own `expand_paths`, as its manager calls it), is loaded there, and a
problem is one line on stderr and exit status 2, as flake8's own option errors are. (An
exception in one of flake8's `--jobs` workers makes it tear its process pool down, which
now and then hangs for good.) The answers are kept per directory, and the workers, forked
after, inherit them. A pyproject.toml met only later (a flake8 whose file discovery rea
cannot call) raises from the checker's constructor, the one place where flake8 wraps a
plugin's exception into `PluginExecutionFailed`: one "failed during execution" line and a
failed run (an exception raised while flake8 iterates `run` would be a raw traceback).

Importing this module imports nothing but `os` and `sys`: flake8 imports every installed
plugin in every run, and most code it checks is not Restate code. The configuration loader
is imported when flake8 hands over its options, the engine (semantic model, rules) only when
a file names restate, rea_runtime or a configured wrapper module (`rea_lint.prefilter`).
"""

from __future__ import annotations

import os
import sys

from rea_lint import __version__
from rea_lint.prefilter import joined, mentions_restate

TYPE_CHECKING = False
if TYPE_CHECKING:  # importing typing (or anything else) costs every flake8 run
    import ast
    from typing import Any, ClassVar, Iterable, Iterator, Sequence

    from rea_lint.config import ReaConfig

__all__ = ["ReaChecker"]


def _files_flake8_checks(options: Any, filenames: Sequence[str]) -> Iterable[str]:
    """The files below the named directories that flake8 will check, found as flake8 finds
    them (its `expand_paths`, with its exclude and filename options); none if this flake8 has
    no such function (the checkers then load what they meet)."""
    if not any(os.path.isdir(name) for name in filenames or ["."]):
        return ()
    try:
        from flake8.discover_files import expand_paths  # type: ignore[import-untyped]

        return expand_paths(
            paths=list(filenames or ["."]),
            stdin_display_name=options.stdin_display_name,
            filename_patterns=options.filename,
            exclude=(*options.exclude, *options.extend_exclude),
        )
    except (ImportError, AttributeError, TypeError):
        return ()


class BrokenConfiguration(ValueError):
    """A `ConfigError` as flake8 prints it: `<file>: "rea" failed during execution due to <repr>`.

    (A ValueError, as ConfigError is: subclassing ConfigError would import the config
    module with the plugin.)"""

    def __repr__(self) -> str:
        return f"a broken rea configuration: {self}"


class ReaChecker:
    name = "rea"
    version = __version__
    _explicit: frozenset[str] = frozenset()
    """Codes named exactly in flake8's --select/--extend-select: opt-in rules turn on."""
    _configs: ClassVar[dict[str, ReaConfig]] = {}
    """Directory -> the configuration of its files (`config_for_file`, the CLI's lookup too),
    emptied when flake8 hands over its options, at the start of each run."""
    _by_path: ClassVar[dict[str, ReaConfig]] = {}
    """Each path flake8 was given or found below a named directory -> its configuration, as
    `parse_options` looked it up: the checker of that file takes it as it is (no second
    `lstat` per file in the workers)."""
    _enabled: ClassVar[tuple[ReaConfig | None, frozenset[str], frozenset[str]]] = (None, frozenset(), frozenset())
    """The last (configuration, explicit codes) and the codes they enable."""

    def __init__(self, tree: ast.Module, filename: str = "stdin", lines: Sequence[str] | None = None) -> None:
        from rea_lint.config import ConfigError

        self.tree = tree
        self.filename = filename
        self.lines = lines
        try:
            self.config = self._config()
        except ConfigError as err:
            raise BrokenConfiguration(str(err)) from None

    @classmethod
    def parse_options(cls, option_manager: Any, options: Any, filenames: Sequence[str]) -> None:
        cls._check_configs(filenames or ["."], _files_flake8_checks(options, filenames))
        named: set[str] = set()
        for attr in ("select", "extend_select", "enable_extensions"):
            for code in getattr(options, attr, None) or ():
                if isinstance(code, str) and code.startswith("REA") and len(code) == 6:
                    named.add(code)
        cls._explicit = frozenset(named)

    @staticmethod
    def _check_configs(named: Sequence[str], found: Iterable[str] = ()) -> None:
        """Load the configuration of every ``named`` path and of every file ``found`` below
        them (which flake8 has just listed: no need to ask whether it exists)."""
        from rea_lint.config import ConfigError, config_for_file, forget

        forget()  # an in-process flake8 run (editors, tests) reads the files afresh
        ReaChecker._configs.clear()
        by_path = ReaChecker._by_path
        by_path.clear()
        paths = (name for name in named if name != "-" and os.path.exists(name))  # flake8 reports a missing path
        try:
            for name in (*paths, *found):
                # looked up once per directory (pre-commit names every file), and kept for the
                # checkers: flake8's workers are forked after this, with the caches filled
                by_path[name] = config_for_file(name, ReaChecker._configs)
        except ConfigError as err:
            sys.stderr.write(f"flake8: error: rea: {err}\n")
            raise SystemExit(2) from None

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        config = self.config
        if config.exclude and config.excludes(self.filename):
            return
        lines = self.lines
        # one text, searched by the pre-filter and counted by the imports (flake8 gives a list)
        text = joined(lines) if lines and isinstance(lines, list) else None
        if lines is not None and not mentions_restate(lines, config, text):
            return
        from rea_lint.engine import check_tree, tree_mode
        from rea_lint.findings import char_col

        codes = self._codes(config)
        ignored = config.ignored_in(self.filename) if config.per_file_ignores else ()
        with tree_mode():
            found = check_tree(self.tree, config, codes, lines=lines, text=text)
        for f in found:
            if ignored and f.code.startswith(ignored):
                continue
            yield f.line, char_col(lines, f.line, f.col), f.message, type(self)  # characters, as the CLI

    def _config(self) -> ReaConfig:
        from rea_lint.config import config_for_file, load_config

        name = self.filename
        known = self._by_path.get(name)
        if known is not None:
            return known
        if name in ("stdin", "-"):
            return load_config(".")
        return config_for_file(name, self._configs)  # errors are not cached

    def _codes(self, config: ReaConfig) -> frozenset[str]:
        last, explicit, codes = ReaChecker._enabled
        if last is not config or explicit is not self._explicit:
            codes = config.enabled_codes() | self._explicit
            ReaChecker._enabled = (config, self._explicit, codes)
        return codes
