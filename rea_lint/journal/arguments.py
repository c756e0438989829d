"""The arguments of `rea diff`, apart from the command: `rea --help` and every `rea check`
build the whole parser, and must not import the journal analysis to do it."""

from __future__ import annotations

import argparse

__all__ = ["add_parser"]


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "diff",
        help="tell whether a change breaks Restate invocations in flight (replay compatibility)",
        description="Compare every handler's journal shape between two revisions: compatible, "
        "breaks in-flight invocations, or unknown (with the reason).",
        epilog="Exit codes: 0 nothing breaks (compatible, added, unknown); 1 something breaks, or a file one side "
        "cannot read or parse changed (its handlers are unknown), or any unknown with --fail-on-unknown; 2 an error (one line).",
    )
    p.add_argument("paths", nargs="*", default=[], help="limit to these files or directories (inside the repository)")
    p.add_argument("--base", metavar="REV", help="old side: a git revision or a directory (default: merge base with the default branch)")
    p.add_argument("--head", metavar="REV", help="new side: a git revision or a directory (default: the work tree)")
    p.add_argument("--format", choices=("text", "json", "sarif", "github"), default="text", help="output format (default: text)")
    p.add_argument("-o", "--output-file", metavar="FILE", help="write the report here instead of stdout")
    p.add_argument("-v", "--verbose", action="store_true", help="text: list compatible handlers too")
    p.add_argument("--fail-on-unknown", action="store_true", help="exit 1 when a verdict is unknown, too")
    p.add_argument("--exit-zero", action="store_true", help="exit 0 even when something breaks")
    return p
