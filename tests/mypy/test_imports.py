"""The plugin reads the linter's name tables (`rea_lint.tables`), not its model and rules:
importing those is about 24 ms of every cold mypy run and the plugin judges on mypy's types."""

from __future__ import annotations

import json
import subprocess
import sys


def test_plugin_does_not_import_the_linters_model_or_rules() -> None:
    code = (
        "import json, sys\n"
        "import mypy_plugin.hooks, mypy_plugin.checks\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('rea_lint'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = json.loads(out.strip().splitlines()[-1])
    assert "rea_lint.tables" in loaded
    assert not [m for m in loaded if m == "rea_lint.model" or m.startswith("rea_lint.rules")], loaded


def test_the_rules_still_export_their_tables() -> None:
    from rea_lint import model, tables
    from rea_lint.rules import rea108_io_in_handler as rea108, rea109_env_in_handler as rea109, rea112_clock_units as rea112

    assert model.RUN_HELPERS is tables.RUN_HELPERS and model.SAGA_RUN_METHODS is tables.SAGA_RUN_METHODS
    assert rea108.IO_CALLS is tables.IO_CALLS and rea109.COPIERS is tables.COPIERS
    assert rea112.UNIT_SUFFIXES is tables.UNIT_SUFFIXES
