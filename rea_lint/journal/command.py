"""`rea diff [--base REV] [--head REV] [PATHS]`: is this change safe for invocations in flight?

Sides: a git revision (read from git's object store, nothing checked out), the work tree
(the default head), or a directory (`--base old/ --head new/`: a value naming an existing
directory is a directory). The default base is the merge base of HEAD with the default
branch (origin/HEAD, else main/master). Exit codes: 0 nothing breaks (compatible, added,
or unknown without `--fail-on-unknown`), 1 something breaks or a file a side cannot read,
decode or parse changed (`uncompared`: its handlers are unknown), 2 an error (one line).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Sequence

from rea_lint.config import ReaConfig
from rea_lint.engine import tree_mode
from rea_lint.journal.compare import ProjectDiff, diff_projects
from rea_lint.journal.revisions import (
    RevisionError,
    Side,
    default_base,
    directory_side,
    Excluded,
    exists_at,
    pathspecs,
    repo_root,
    revision_side,
    verify,
    worktree_side,
)
from rea_lint.journal.shape import Shapes, shape_sides, shapes_of_sources
from rea_lint.journal.uncompared import lost_files, settle

from rea_lint.journal.arguments import add_parser

__all__ = ["add_parser", "run", "shapes_at"]

EXIT_OK, EXIT_BREAKING, EXIT_ERROR = 0, 1, 2
WORKTREE = "the work tree"


def _sides(args: argparse.Namespace) -> tuple[Side, Side, str, str, ReaConfig, Excluded]:
    """The two sides, their labels, the configuration both are read with (`code_config`), and
    what `exclude` left out of both (`Excluded`: as `rea check` leaves out the head's file)."""
    for flag, value in (("--base", args.base), ("--head", args.head)):
        if value is not None and not value.strip():
            raise RevisionError(f"{flag} is empty: give a git revision (a branch, a tag, a commit hash) or a directory")
    if any(not raw.strip() for raw in args.paths):
        raise RevisionError("a PATH is empty: name a file or a directory (`.` for the whole repository)")
    base_dir, head_dir = _is_directory("--base", args.base), _is_directory("--head", args.head)
    if base_dir or head_dir:
        if args.paths:
            raise RevisionError("PATHS limit a git comparison; to compare directories, point --base and --head at the directories themselves")
        if not (base_dir and (head_dir or args.head is None)):
            raise RevisionError("compare two directories with both --base DIR and --head DIR (a directory and a revision do not mix)")
        if args.head is None:
            raise RevisionError("--base is a directory: give --head NEW_DIR too")
        config, skip = code_config(args.head), Excluded(args.head)
        return (directory_side(args.base, skip=skip), directory_side(args.head, skip=skip), str(args.base),
                str(args.head), config, skip)
    repo = _repository(args)
    if args.base is None:
        base_rev, how = default_base(repo)
        base_label = f"{base_rev[:12]} ({how})"
    else:
        base_rev, base_label = _commit(repo, "--base", args.base), args.base
    head_rev = None if args.head is None else _commit(repo, "--head", args.head)
    head_label = WORKTREE if head_rev is None else args.head
    _paths_exist(repo, args.paths, (base_rev, base_label), (head_rev, head_label))
    specs = pathspecs(repo, args.paths) if args.paths else ["."]
    config, skip = code_config(args.paths[0] if args.paths else None), Excluded(repo)
    old = revision_side(repo, base_rev, specs, skip=skip)
    new = worktree_side(repo, specs, skip=skip) if head_rev is None else revision_side(repo, head_rev, specs, skip=skip)
    return old, new, base_label, head_label, config, skip


def _is_directory(flag: str, value: str | None) -> bool:
    """Does ``value`` name a directory? A value spelled as a path (`./old`, `old/`, `/tmp/old`)
    that names none is an error here, not an unknown revision (no revision is spelled so)."""
    if value is None:
        return False
    path = Path(value)
    if path.is_dir():
        return True
    if value.endswith(("/", os.sep)) or value.startswith(("./", "../", "~", os.sep, "." + os.sep)) or os.path.isabs(value):
        if path.exists():
            raise RevisionError(f"{flag} {value} is a file: {flag} takes a git revision or a directory; to compare one file, "
                                f"name it as a PATH (`rea diff --base REV {value}`)")
        raise RevisionError(f"{flag} {value}: no such directory")
    return False


def _repository(args: argparse.Namespace) -> Path:
    try:
        return repo_around(args.paths)
    except RevisionError as err:
        for flag, value in (("--base", args.base), ("--head", args.head)):
            if value is not None and Path(value).is_file():
                raise RevisionError(f"{flag} {value} is a file, and {err}") from None
        named = [f"{flag} {v}" for flag, v in (("--base", args.base), ("--head", args.head)) if v is not None]
        if not named:
            raise
        raise RevisionError(f"{' and '.join(named)}: no such directory, and {err}") from None


def _commit(repo: Path, flag: str, value: str) -> str:
    try:
        return verify(repo, value)
    except RevisionError as err:
        if Path(value).is_file():
            raise RevisionError(f"{flag} {value} is a file, and no revision has that name: {flag} takes a git revision or a "
                                f"directory; to compare one file, name it as a PATH (`rea diff --base REV {value}`)") from None
        raise err from None


def _paths_exist(repo: Path, paths: Sequence[str], base: tuple[str, str], head: tuple[str | None, str]) -> None:
    """Each PATH names something on a side: a file deleted since the base is there at the base
    (its handlers are then `removed`); a path on neither side is a typo."""
    (base_rev, base_label), (head_rev, head_label) = base, head
    for raw in paths:
        on_disk = os.path.lexists(raw)
        if (on_disk and head_rev is None) or exists_at(repo, base_rev, raw) or (head_rev is not None and exists_at(repo, head_rev, raw)):
            continue
        if head_rev is None:
            raise RevisionError(f"{raw}: no such file or directory, in the work tree or at {base_label}")
        if on_disk:
            raise RevisionError(f"{raw}: not at {base_label} nor at {head_label}; it is only in the work tree "
                                "(leave out --head to compare the work tree)")
        raise RevisionError(f"{raw}: no such file or directory at {base_label} or {head_label}, nor in the work tree")


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


def code_config(start: str | None) -> ReaConfig:
    """The `[tool.rea]` that says what counts as Restate in the compared code (`restate-modules`,
    `context-types`, `handler-decorators`): `rea check`'s for ``start`` (a file or directory of
    the code; None: the current directory). Without it, a project whose services come from its
    own wrapper module would have no handler to compare, and every deploy would pass."""
    from rea_lint.config import load_config

    return load_config(start if start is not None else ".")


def shapes_at(revision: str | None, paths: Sequence[str] = (), directory: str | None = None) -> tuple[Shapes, list[str]]:
    """The handler shapes of one side, for other commands (`rea explain --since REV`):
    ``revision`` a git revision of the repository around the current directory or, outside
    one, around the first of ``paths`` (None: the work tree), or ``directory``, and one problem
    line per file that cannot be read, decoded or parsed. Raises `RevisionError` (one line) on bad input."""
    config = code_config(directory or (paths[0] if paths else None))
    if directory is not None:
        side = directory_side(directory, skip=Excluded(directory))
    else:
        repo = repo_around(paths)
        specs = pathspecs(repo, paths) if paths else ["."]
        skip = Excluded(repo)
        side = worktree_side(repo, specs, skip=skip) if revision is None else revision_side(repo, revision, specs, skip=skip)
    shapes, problems = shapes_of_sources(side.sources, config)
    return shapes, [side.unreadable[p] for p in sorted(side.unreadable)] + problems


def compute(args: argparse.Namespace) -> tuple[ProjectDiff, str, str, list[str]]:
    """The comparison, the two sides' labels, and warnings for stderr."""
    from rea_lint.config import forget

    forget()  # each run reads pyproject.toml afresh (`max-file-size`), as `rea check` does
    # both sides are read as the code being deployed says: the head directory's, else the PATHS'
    old_side, new_side, base, head, config, skip = _sides(args)
    (old, old_parse), (new, new_parse) = shape_sides(old_side.sources, new_side.sources, config)
    old_problems, new_problems = {**old_side.unreadable, **old_parse}, {**new_side.unreadable, **new_parse}
    problems = [f"{base}: {old_problems[p]}" for p in sorted(old_problems)] + [f"{head}: {new_problems[p]}" for p in sorted(new_problems)]
    lost = lost_files(old_problems, new_problems, old_side.content(), new_side.content(), base, head)
    return settle(diff_projects(old, new, problems), old, new, lost), base, head, _all_excluded(old_side, new_side, skip.by)


def _all_excluded(old: Side, new: Side, by: set[str]) -> list[str]:
    """`rea check`'s warning when `exclude` leaves no file to check, for a comparison: without
    it, `0 handlers compared: none found` would not say that the files were there. ``by``: the
    pyproject.toml files whose `exclude` did it."""
    if old.sources or old.unreadable or new.sources or new.unreadable or not (old.excluded or new.excluded):
        return []
    n = len(old.excluded | new.excluded)
    which = "the only Python file" if n == 1 else f"all {n} Python files"
    return [f"warning: no Python files to compare: [tool.rea] exclude in {', '.join(sorted(by))} leaves out {which} "
            "under the paths given, as `rea check` does; name files it does not exclude, or narrow `exclude`\n"]


def run(args: argparse.Namespace) -> int:
    """`rea diff`, with no cyclic collection until it returns (`engine.tree_mode`): both sides'
    shapes are kept to the end, and are freed (by reference counting) before collection resumes."""
    with tree_mode():
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    from rea_lint.journal import report

    if args.output_file and Path(args.output_file).suffix in (".py", ".pyi") and Path(args.output_file).is_file():
        # (`rea diff -o orders.py`: the report would replace the code the diff is about)
        print(f"rea: error: -o {args.output_file}: is Python source; writing the report there would replace its code. "
              "Name another file (rea-diff.txt, rea-diff.sarif)", file=sys.stderr)
        return EXIT_ERROR
    try:
        diff, base, head, warnings = compute(args)
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
    for warning in warnings:
        sys.stderr.write(warning)
    if (diff.breaking or diff.not_compared) and not args.exit_zero:
        return EXIT_BREAKING
    if diff.unknown and args.fail_on_unknown and not args.exit_zero:
        return EXIT_BREAKING
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:  # pragma: no cover - `rea diff` is the entry point
    parser = argparse.ArgumentParser(prog="rea")
    add_parser(parser.add_subparsers(dest="command"))
    return run(parser.parse_args(["diff", *(argv or [])]))
