"""Which files `rea check` looks at: the paths given, directories walked for `*.py`.

A walk skips what the project says is not its source: `exclude` globs from `[tool.rea]`
(relative to the directory of the pyproject.toml that holds them), `.gitignore` files
(those above the walk root up to the repository root, `.git/info/exclude`, and those met on
the way down) and the usual tool and environment directories. A file named on the command
line is checked even if git ignores it (pre-commit passes exactly the files it wants), but
config `exclude` still applies, so a generated file stays excluded in every front end.

The gitignore matcher is a small, dependency-free implementation of git's pattern rules
(anchoring, `**`, `dir/`, `!negation`, last match wins); it keeps the base install free of
`pathspec`.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

from rea_lint.reading import read_regular

__all__ = ["GitIgnore", "discover", "translate_gitignore"]

# Never source, never worth walking (ruff and flake8 skip the same).
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".bzr",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".rea_cache",
        ".eggs",
        "node_modules",
        "site-packages",
        "__pypackages__",
    }
)


_MAX_GITIGNORE = 16 * 1024 * 1024


@dataclass(frozen=True)
class _Pattern:
    base: str
    """The directory (posix, absolute) of the .gitignore the pattern came from."""
    regex: re.Pattern[str]
    negate: bool
    dir_only: bool


def translate_gitignore(pattern: str) -> tuple[str, bool, bool] | None:
    """One .gitignore line -> (regex over a path relative to its base, negate, dir_only)."""
    line = pattern.rstrip("\n").rstrip("\r")
    # trailing spaces are ignored unless escaped
    while line.endswith(" ") and not line.endswith("\\ "):
        line = line[:-1]
    if not line or line.startswith("#"):
        return None
    negate = line.startswith("!")
    if negate:
        line = line[1:]
    elif line.startswith("\\!") or line.startswith("\\#"):
        line = line[1:]
    dir_only = line.endswith("/")
    line = line.rstrip("/")
    if not line:
        return None
    anchored = "/" in line
    line = line.lstrip("/")
    out: list[str] = []
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        if c == "*":
            if line.startswith("**", i):
                before_ok = i == 0 or line[i - 1] == "/"
                after = line[i + 2 : i + 3]
                if before_ok and after == "/":
                    out.append("(?:.*/)?")
                    i += 3
                    continue
                if before_ok and after == "":
                    out.append(".*")
                    i += 2
                    continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = line.find("]", i + 2 if line[i + 1 : i + 2] in ("!", "^", "]") else i + 1)
            if j < 0:
                out.append(re.escape(c))
            else:
                body = line[i + 1 : j]
                if body[:1] in ("!", "^"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = j
        elif c == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(line[i]))
        else:
            out.append(re.escape(c))
        i += 1
    body = "".join(out)
    regex = ("" if anchored else "(?:.*/)?") + body + "$"
    return regex, negate, dir_only


class GitIgnore:
    """The gitignore patterns in force in one directory of a walk (immutable: `with_file`)."""

    def __init__(self, patterns: tuple[_Pattern, ...] = ()) -> None:
        self.patterns = patterns

    def with_file(self, path: Path) -> "GitIgnore":
        try:  # a FIFO or /dev/zero named .gitignore must not hang the walk
            text = read_regular(path, _MAX_GITIGNORE).decode("utf-8", errors="replace")
        except OSError:
            return self
        base = path.parent.resolve().as_posix()
        added = []
        for line in text.splitlines():
            translated = translate_gitignore(line)
            if translated is not None:
                regex, negate, dir_only = translated
                added.append(_Pattern(base, re.compile(regex), negate, dir_only))
        return GitIgnore(self.patterns + tuple(added)) if added else self

    def ignored(self, path: str, is_dir: bool) -> bool:
        """``path``: absolute, posix. The last matching pattern decides, as in git."""
        result = False
        for p in self.patterns:
            if p.dir_only and not is_dir:
                continue
            if not path.startswith(p.base + "/"):
                continue
            if p.regex.match(path[len(p.base) + 1 :]):
                result = not p.negate
        return result

    @classmethod
    def above(cls, directory: Path) -> "GitIgnore":
        """The patterns of the repository that apply at ``directory`` from its ancestors."""
        directory = directory.resolve()
        chain: list[Path] = []
        root: Path | None = None
        for d in (directory, *directory.parents):
            chain.append(d)
            if (d / ".git").exists():
                root = d
                break
        if root is None:
            return cls()
        ignore = cls()
        info_exclude = root / ".git" / "info" / "exclude"
        if info_exclude.is_file():
            ignore = ignore.with_file(info_exclude)
            # info/exclude patterns are relative to the work tree root, not .git/info
            ignore = GitIgnore(
                tuple(_Pattern(root.as_posix(), p.regex, p.negate, p.dir_only) for p in ignore.patterns)
            )
        for d in reversed(chain[1:]):  # the walk root's own .gitignore is read by the walk
            if (d / ".gitignore").is_file():
                ignore = ignore.with_file(d / ".gitignore")
        return ignore


def discover(
    paths: Sequence[str | os.PathLike[str]],
    excluded: Callable[[Path], bool] = lambda p: False,
    respect_gitignore: bool = True,
) -> tuple[list[Path], list[str]]:
    """The files to check (sorted, deduplicated) and one-line problems with the paths given.

    ``excluded(path)`` says whether config `exclude` removes a file or directory. A path
    that exists but is neither a directory nor a regular file (a FIFO, a device, a socket)
    is still returned: checking it reports, in one line, that it was skipped and why, so it
    is never silently dropped and never read. Only a path that does not exist is a problem.
    """
    found: dict[str, Path] = {}
    problems: list[str] = []
    for raw in paths:
        path = Path(raw)
        is_dir, exists = _kind(path)
        if is_dir:
            if excluded(path):
                continue
            ignore = GitIgnore.above(path) if respect_gitignore else GitIgnore()
            for f in _walk(path, ignore, excluded, respect_gitignore):
                found.setdefault(os.path.normpath(f), f)
        elif exists:  # a file, or something the read will name and skip
            if not excluded(path):
                found.setdefault(os.path.normpath(path), path)
        else:
            problems.append(f"{raw}: no such file or directory")
    return sorted(found.values(), key=lambda p: p.as_posix()), problems


def _kind(path: Path) -> tuple[bool, bool]:
    """(is a directory, exists, a dangling symlink included): one `stat` for a path that is
    there (pre-commit names every file: `Path.is_dir` and then `lexists` were two)."""
    try:
        return stat.S_ISDIR(os.stat(path).st_mode), True
    except (OSError, ValueError):  # missing, a symlink loop or a dangling link: not a directory
        return False, os.path.lexists(path)


def _walk(root: Path, ignore: GitIgnore, excluded: Callable[[Path], bool], respect: bool) -> Iterator[Path]:
    """`*.py` under ``root``; directory symlinks are followed, each directory walked once
    (by device and inode), so `ln -s . sub` and links into a sibling cannot loop."""
    seen: set[tuple[int, int]] = set()
    stack: list[tuple[Path, GitIgnore]] = [(root, ignore)]
    while stack:
        directory, ign = stack.pop()
        try:
            info = os.stat(directory)
        except OSError:
            continue
        if (info.st_dev, info.st_ino) in seen:
            continue
        seen.add((info.st_dev, info.st_ino))
        if respect and (directory / ".gitignore").is_file():
            ign = ign.with_file(directory / ".gitignore")
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            continue
        subdirs: list[tuple[Path, GitIgnore]] = []
        absdir = directory.resolve().as_posix()
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:  # a symlink loop (`ln -s loop loop`): not a directory
                is_dir = False
            child = directory / entry.name
            if is_dir:
                if entry.name in SKIP_DIRS or entry.name.endswith(".egg-info"):
                    continue
            elif not entry.name.endswith(".py"):
                continue
            if ign.patterns and ign.ignored(f"{absdir}/{entry.name}", is_dir):
                continue
            if excluded(child):
                continue
            if is_dir:
                subdirs.append((child, ign))
            else:
                yield child  # (a FIFO or device named *.py too: the read reports and skips it)
        stack.extend(reversed(subdirs))
