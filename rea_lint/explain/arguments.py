"""The arguments of `rea explain`, apart from the command: `rea --help` and every `rea check`
build the whole parser, and must not import the explainer to do it."""

from __future__ import annotations

import argparse

__all__ = ["add_parser"]


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "explain",
        help="map a [570 Journal mismatch] back to the line of code and its likely cause",
        description="Read a 570 journal mismatch (pasted text, or an invocation id on a running server) "
        "and name the line of the current code that the journal index points at, what was recorded "
        "and what the code attempted, and the likely cause.",
    )
    p.add_argument("paths", nargs="*", default=["."], help="the current code: files or directories (default: .)")
    p.add_argument("-m", "--message", metavar="TEXT", help="the error text (server log, `restate` CLI, UI, SDK log)")
    p.add_argument("--message-file", metavar="FILE", help="read the error text from FILE (`-`: stdin); stdin is read when nothing else is given")
    p.add_argument("--invocation-id", metavar="ID", help="read the failure and the journal of this invocation (with --admin-url)")
    p.add_argument("--admin-url", metavar="URL", help="the server's admin API (e.g. http://localhost:9070)")
    p.add_argument("--handler", metavar="SERVICE/HANDLER", help="the invoked handler, when the text does not name it")
    p.add_argument("--since", metavar="REV", help="the code that was deployed: a git revision, or a directory or file holding it; adds the `rea diff` verdict")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    return p
