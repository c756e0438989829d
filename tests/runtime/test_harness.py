"""The harness itself: settings really reach the server, retries can be disabled, and no
process outlives a server or a failing test."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
import restate

from rea_runtime.testing import RestateServer, find_server_binary


def test_options_reach_the_server_config(tmp_path):
    """Misspelled RESTATE_* variables are silently ignored: check the effective config."""
    server = RestateServer(always_replay=True, disable_retries=True)
    server.ingress_port, server.admin_port, server.node_port = 18123, 19123, 15123
    server.base_dir = str(tmp_path)
    config = server.dump_config()
    invoker = config.split("[worker.invoker]", 1)[1].split("\n[", 1)[0]
    assert 'inactivity-timeout = "0s"' in invoker
    retry = config.split("[default-retry-policy]", 1)[1].split("\n[", 1)[0]
    assert "max-attempts = 1" in retry and 'on-max-attempts = "kill"' in retry
    assert 'bind-address = "127.0.0.1:15123"' in config
    assert 'bind-address = "127.0.0.1:19123"' in config.split("[admin]", 1)[1]
    assert 'bind-address = "127.0.0.1:18123"' in config.split("[ingress]", 1)[1]
    assert 'listen-mode = "tcp"' in config and "default-num-partitions = 2" in config
    # and the defaults differ, so the assertions above could fail
    plain = RestateServer(base_dir=str(tmp_path)).dump_config()
    assert 'inactivity-timeout = "0s"' not in plain


flaky = restate.Service("AlwaysFails")


@flaky.handler()
async def fail(ctx: restate.Context) -> str:
    raise ValueError("transient?")


def test_disable_retries_fails_after_one_attempt(restate_harness):
    import asyncio
    import time

    with restate_harness.deploy(restate.app([flaky]), disable_retries=True) as env:
        started = time.monotonic()
        resp = asyncio.run(env.call("AlwaysFails", "fail"))
        assert resp.status_code == 500 and "transient?" in resp.text
        assert time.monotonic() - started < 10


def test_no_process_survives_a_failing_session(tmp_path):
    """A pytest session whose test fails still leaves no restate-server behind."""
    test = tmp_path / "test_inner.py"
    test.write_text(textwrap.dedent(
        """
        import restate
        svc = restate.Service("Inner")

        @svc.handler()
        async def hi(ctx: restate.Context) -> str:
            return "hi"

        def test_fails(restate_harness, tmp_path):
            with restate_harness.deploy(restate.app([svc])) as env:
                (tmp_path.parent / "pid").write_text(str(env.server.proc.pid))
                assert False, "boom"
        """
    ))
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test),
                          "--basetemp", str(tmp_path / "bt")], capture_output=True, text=True, cwd=tmp_path)
    assert "1 failed" in out.stdout, out.stdout + out.stderr
    pid = int((tmp_path / "bt" / "pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_server_binary_is_found_or_installed():
    binary = find_server_binary()
    out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=True)
    assert "restate-server 1.7.12" in out.stdout


def test_a_session_leaves_nothing_in_the_temporary_directory(tmp_path):
    """The server's scratch directories (its invoker makes one per partition and never removes
    it) and a child app's log go with the server and the app: a suite that starts hundreds of
    servers must not fill the machine's temporary directory."""
    (tmp_path / "inner_app.py").write_text(textwrap.dedent(
        """
        import restate
        svc = restate.Service("Inner")

        @svc.handler()
        async def hi(ctx: restate.Context) -> str:
            return await ctx.run("greet", lambda: "hi")

        app = restate.app([svc])
        """
    ))
    (tmp_path / "test_inner.py").write_text(textwrap.dedent(
        """
        import asyncio
        from rea_runtime.testing.process import deploy_process
        from inner_app import app

        def test_calls(restate_harness):
            with restate_harness.deploy(app) as env:
                assert asyncio.run(env.call("Inner", "hi")).json() == "hi"
            with deploy_process(restate_harness.server(), "inner_app:app") as env:
                assert asyncio.run(env.call("Inner", "hi")).json() == "hi"
        """
    ))
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_inner.py",
                          "--basetemp", str(tmp_path / "bt")], capture_output=True, text=True, cwd=tmp_path,
                         env={**os.environ, "TMPDIR": str(scratch), "PYTHONPATH": str(tmp_path)})
    assert "1 passed" in out.stdout, out.stdout + out.stderr
    assert sorted(p.name for p in scratch.iterdir()) == []
