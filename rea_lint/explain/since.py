"""The deployed code that `rea explain --since` names: a git revision, a directory or a file.

Its shapes say what the journal was written by; the files of it that cannot be parsed say
where that knowledge stops. Those are kept with the line and column of the syntax error
(as `rea check` prints it), because a handler missing from the old code proves nothing when
the old code could not be read: the caller must say so rather than blame a code change.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path
from typing import Mapping, Sequence

from rea_lint.journal.shape import Shapes
from rea_lint.journal.side import Side

__all__ = ["SinceError", "old_shapes"]


class SinceError(ValueError):
    """`--since` names nothing rea can read; the message says what and what to give instead."""


def old_shapes(since: str, paths: Sequence[str]) -> tuple[Shapes, list[str]]:
    """The shapes of the code ``since`` names, and one line per file of it that cannot be parsed
    (`path:line:col: syntax error: ...`)."""
    from rea_lint.journal.command import code_config
    from rea_lint.journal.shape import shapes_of_sources

    config = code_config(paths[0] if paths else None)
    side = _side(since, paths)
    shapes, problems = shapes_of_sources(side.sources, config)
    unreadable = [side.unreadable[p] for p in sorted(side.unreadable)]  # (as unknown as code that does not parse)
    return shapes, unreadable + [_with_column(problem, side.sources) for problem in problems]


def _side(since: str, paths: Sequence[str]) -> Side:
    """The old code, read as `rea diff` reads a side (and as `rea check` decodes a file), less
    the files `exclude` leaves out (`Excluded`): a revision's at their path in the work tree, a
    directory's as the same path of the current code (the first PATH, if a directory, else the
    current directory), as `rea diff --base OLD_DIR --head NEW_DIR` judges both by the head's.
    A file named is the deployed code itself, read as given."""
    from rea_lint.journal.command import repo_around
    from rea_lint.journal.revisions import Excluded, RevisionError, directory_side, pathspecs, revision_side

    path = Path(since)
    give = "give the directory or file that holds the deployed code, or a git revision"
    try:
        if path.is_dir():
            current = paths[0] if paths and Path(paths[0]).is_dir() else "."
            return directory_side(since, skip=Excluded(current))
        if path.is_file():
            from rea_lint.config import load_config

            side = Side()
            side.add_file(since, path, load_config(path).max_file_size)
            return side
        if path.exists():
            from rea_lint.reading import describe_mode

            raise SinceError(f"--since {since}: {describe_mode(path.stat().st_mode)}, not a file or directory; {give}")
        if since.startswith((".", "/", "~")) or since.endswith(("/", os.sep, ".py")):  # (no git revision looks so)
            raise SinceError(f"--since {since}: no such file or directory; {give}")
        try:
            repo = repo_around(paths)
        except RevisionError:
            first = Path(paths[0]) if paths else Path(".")
            elsewhere = (first if first.is_dir() else first.parent).resolve() != Path.cwd().resolve()
            where = os.path.abspath(".") + (f" (nor {paths[0]})" if elsewhere else "")
            raise SinceError(f"--since {since}: no file or directory of that name, and {where} is not inside a git "
                             "repository to read it as a revision from; give the directory or file that holds the "
                             "deployed code") from None
        return revision_side(repo, since, pathspecs(repo, paths) if paths else ["."], skip=Excluded(repo))
    except RevisionError as err:
        raise SinceError(str(err)) from None
    except OSError as err:
        raise SinceError(f"{since}: cannot read: {err.strerror or err}") from None


def _with_column(problem: str, sources: Mapping[str, str]) -> str:
    """`bad.py:3: cannot parse: invalid syntax` -> `bad.py:3:7: syntax error: invalid syntax`
    (the column from parsing that one file again; other problems are kept as they are)."""
    from rea_lint.syntax import explain_syntax_error

    for path, source in sources.items():
        if problem.startswith(f"{path}:") and ": cannot parse: " in problem:
            try:
                ast.parse(source, filename=path)
            except SyntaxError as err:
                return f"{path}:{err.lineno or 1}:{err.offset or 1}: syntax error: {explain_syntax_error(err)}"
            except ValueError:  # (a null byte: the problem already says so)
                return problem
    return problem
