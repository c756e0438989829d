"""`rea diff [--base REV] [--head REV] [PATHS]`: is this change safe for invocations in flight?

Sides: a git revision (read from git's object store, nothing checked out), the work tree
(the default head), or a directory (`--base old/ --head new/`: a value naming an existing
directory is a directory). The default base is the merge base of HEAD with the default
branch (origin/HEAD, else main/master). Exit codes: 0 nothing breaks (compatible, added,
or unknown without `--fail-on-unknown`), 1 something breaks, 2 an error (one line).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

from rea_lint.journal.compare import ProjectDiff, diff_projects
from rea_lint.journal.revisions import (
    RevisionError,
    default_base,
    pathspecs,
    read_directory,
    read_revision,
    read_worktree,
    repo_root,
)
from rea_lint.journal.shape import Shapes, shapes_of_revisions, shapes_of_sources

from rea_lint.journal.arguments import add_parser

__all__ = ["add_parser", "run", "shapes_at"]

EXIT_OK, EXIT_BREAKING, EXIT_ERROR = 0, 1, 2
WORKTREE = "the work tree"


def _sides(args: argparse.Namespace) -> tuple[dict[str, str], dict[str, str], str, str]:
    base_dir = args.base is not None and Path(args.base).is_dir()
    head_dir = args.head is not None and Path(args.head).is_dir()
    if base_dir or head_dir:
        if args.paths:
            raise RevisionError("PATHS limit a git comparison; to compare directories, point --base and --head at the directories themselves")
        if not (base_dir and (head_dir or args.head is None)):
            raise RevisionError("compare two directories with both --base DIR and --head DIR (a directory and a revision do not mix)")
        if args.head is None:
            raise RevisionError("--base is a directory: give --head NEW_DIR too")
        return read_directory(args.base), read_directory(args.head), str(args.base), str(args.head)
    for raw in args.paths:
        if not Path(raw).exists():
            raise RevisionError(f"{raw}: no such file or directory")
    repo = repo_around(args.paths)
    specs = pathspecs(repo, args.paths) if args.paths else ["."]
    if args.base is None:
        base_rev, how = default_base(repo)
        base_label = f"{base_rev[:12]} ({how})"
    else:
        base_rev, base_label = args.base, args.base
    old = read_revision(repo, base_rev, specs)
    if args.head is None:
        new, head_label = read_worktree(repo, specs), WORKTREE
    else:
        new, head_label = read_revision(repo, args.head, specs), args.head
    return old, new, base_label, head_label


def repo_around(paths: Sequence[str]) -> Path:
    """The repository of the current directory; outside one, that of the first PATH (as
    `git -C`), so `rea diff ~/src/shop/orders.py` works from anywhere."""
    try:
        return repo_root(".")
    except RevisionError:
        if not paths:
            raise
    first = Path(paths[0])
    return repo_root(first if first.is_dir() else first.parent)


def shapes_at(revision: str | None, paths: Sequence[str] = (), directory: str | None = None) -> tuple[Shapes, list[str]]:
    """The handler shapes of one side, for other commands (`rea explain --since REV`):
    ``revision`` a git revision of the repository around the current directory or, outside
    one, around the first of ``paths`` (None: the work tree), or ``directory``. Raises `RevisionError` (one line) on bad input."""
    if directory is not None:
        sources = read_directory(directory)
    else:
        repo = repo_around(paths)
        specs = pathspecs(repo, paths) if paths else ["."]
        sources = read_worktree(repo, specs) if revision is None else read_revision(repo, revision, specs)
    return shapes_of_sources(sources)


def compute(args: argparse.Namespace) -> tuple[ProjectDiff, str, str]:
    old_sources, new_sources, base, head = _sides(args)
    (old, old_problems), (new, new_problems) = shapes_of_revisions(old_sources, new_sources)
    problems = [f"{base}: {p}" for p in old_problems] + [f"{head}: {p}" for p in new_problems]
    return diff_projects(old, new, problems), base, head


def run(args: argparse.Namespace) -> int:
    from rea_lint.journal import report

    try:
        diff, base, head = compute(args)
    except RevisionError as err:
        print(f"rea: error: {err}", file=sys.stderr)
        return EXIT_ERROR
    out = report.render(args.format, diff, base, head, verbose=args.verbose)
    if args.output_file:
        try:
            Path(args.output_file).write_text(out, encoding="utf-8")
        except OSError as err:
            print(f"rea: error: {args.output_file}: cannot write: {err.strerror or err}", file=sys.stderr)
            return EXIT_ERROR
    else:
        sys.stdout.write(out)
    info = sys.stdout if args.format == "text" and not args.output_file else sys.stderr
    info.write(f"rea diff {base} -> {head}: " + report.summary(diff))
    if diff.breaking and not args.exit_zero:
        return EXIT_BREAKING
    if diff.unknown and args.fail_on_unknown and not args.exit_zero:
        return EXIT_BREAKING
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:  # pragma: no cover - `rea diff` is the entry point
    parser = argparse.ArgumentParser(prog="rea")
    add_parser(parser.add_subparsers(dest="command"))
    return run(parser.parse_args(["diff", *(argv or [])]))
