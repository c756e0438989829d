"""The plugin never breaks a mypy run: odd code is judged or skipped, a plugin bug is one note."""

from __future__ import annotations

from pathlib import Path

import pytest

from mypy_plugin.rules import calls
from tests.mypy.harness import run_mypy

MALFORMED = '''\
import functools
import time
import restate
from restate import Context, ObjectContext

obj = restate.VirtualObject("o")
kind = "shared"


@obj.handler(kind=kind)
async def dynamic_kind(ctx: ObjectContext) -> None:
    ctx.set("k", 1)


@obj.handler(*[], **{})
async def star(ctx) -> None:  # type: ignore[no-untyped-def]
    pass


@obj.handler()
def not_async(ctx: ObjectContext, *args: object, **kw: object) -> None:
    ctx.run_typed()  # type: ignore[call-overload]
    ctx.run_typed("x")  # type: ignore[call-overload]
    ctx.run("x", action=None)  # type: ignore[call-overload]
    ctx.run_typed("p", functools.partial())  # type: ignore[call-arg, call-overload]
    ctx.service_call(not_async, arg=None, idempotency_key=)  # type: ignore


class Weird(Context):  # type: ignore[misc]
    @staticmethod
    async def handler(ctx: "Weird") -> float:
        return [time.time() for _ in undefined_name][0]  # type: ignore[name-defined]


lambda ctx: ctx.set("k", 1)
decorated = obj.handler()(lambda ctx: None)  # type: ignore[arg-type]
'''


def test_malformed_code_does_not_crash(tmp_path: Path, cache: str) -> None:
    (tmp_path / "weird.py").write_text(MALFORMED.replace("idempotency_key=)", "idempotency_key=1)"))
    result = run_mypy(tmp_path, cache_dir=cache)
    assert "Traceback" not in result.stdout + result.stderr
    assert result.internal == []
    assert result.status in (0, 1)


def test_plugin_bug_becomes_one_internal_note(tmp_path: Path, cache: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(facts: object) -> list[str]:
        raise ValueError("simulated plugin bug")

    monkeypatch.setattr(calls, "forbidden_codes", boom)
    (tmp_path / "h.py").write_text(
        "import time\nfrom restate import Context\n\nasync def h(ctx: Context) -> int:\n"
        "    time.time()\n    time.time()\n    return 'x'\n"
    )
    result = run_mypy(tmp_path, cache_dir=cache)
    assert len(result.internal) == 1, result.stdout
    assert "simulated plugin bug" in result.internal[0] and "report" in result.internal[0]
    # mypy's own checks still ran and still fail the run
    assert 'Incompatible return value type (got "str", expected "int")' in result.stdout
    assert result.status == 1
