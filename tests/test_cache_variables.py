"""REA_CACHE_DIR is the linter's result cache only; REA_SERVER_CACHE_DIR is the restate-server download."""

from __future__ import annotations

from pathlib import Path

from rea_lint.cli import main
from rea_runtime.testing import server


def test_server_download_has_its_own_variable(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("REA_CACHE_DIR", str(tmp_path / "lint"))
    monkeypatch.delenv("REA_SERVER_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert server.cache_dir() == tmp_path / "xdg" / "rea" / f"restate-server-{server.RESTATE_SERVER_VERSION}"
    monkeypatch.setenv("REA_SERVER_CACHE_DIR", str(tmp_path / "srv"))
    assert server.cache_dir() == tmp_path / "srv" / f"restate-server-{server.RESTATE_SERVER_VERSION}"


def test_lint_cache_follows_rea_cache_dir_only(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "svc.py").write_text("import restate\n")
    monkeypatch.setenv("REA_SERVER_CACHE_DIR", str(tmp_path / "srv"))
    monkeypatch.setenv("REA_CACHE_DIR", str(tmp_path / "lint"))
    assert main(["check", "svc.py"]) == 0
    assert (tmp_path / "lint").is_dir() and not (tmp_path / "srv").exists() and not (tmp_path / ".rea_cache").exists()


def test_server_ports_are_distinct() -> None:
    for _ in range(50):
        ports = server.free_ports(3)
        assert len(set(ports)) == 3
