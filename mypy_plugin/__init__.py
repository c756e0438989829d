"""rea's mypy plugin: the Restate replay-safety rules, judged on mypy's types.

Enable it with `plugins = ["mypy_plugin"]` in `[tool.mypy]` (or `mypy.ini`). This module
only checks that it is the real one and that the mypy version is supported; the plugin
lives in `mypy_plugin.hooks` (not a submodule named `plugin`: it would replace the entry point).
"""

from __future__ import annotations

import os
import sys

__all__ = ["plugin", "MYPY_MIN", "MYPY_MAX_TESTED"]

MYPY_MIN = (1, 10)
MYPY_MAX_TESTED = (2, 4)
_HERE = os.path.dirname(os.path.abspath(__file__))


def _version_tuple(version: str) -> tuple[int, ...]:
    out = []
    for part in version.split("+")[0].split(".")[:2]:
        digits = "".join(ch for ch in part if ch.isdigit())
        out.append(int(digits or 0))
    return tuple(out)


def plugin(version: str) -> type:
    # A `mypy_plugin.py` or `mypy_plugin/` in the user's repository can shadow this package
    # (mypy puts the working directory first on sys.path): say so instead of failing oddly.
    loaded = sys.modules.get("mypy_plugin")
    loaded_file = os.path.abspath(getattr(loaded, "__file__", "") or "")
    if loaded is None or os.path.dirname(loaded_file) != _HERE:
        raise RuntimeError(
            f"rea: the module 'mypy_plugin' was loaded from {loaded_file or '?'}, not from rea "
            f"({_HERE}); a mypy_plugin.py in your repository shadows rea's plugin: rename it"
        )
    if _version_tuple(version) < MYPY_MIN:
        raise RuntimeError(
            f"rea: mypy {version} is too old for rea's plugin; it needs mypy >= {'.'.join(map(str, MYPY_MIN))}"
        )
    from mypy_plugin.hooks import ReaPlugin

    return ReaPlugin
