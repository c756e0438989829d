"""The Python sources of one side of a diff: a git revision, the work tree, or a directory.

Revisions are read straight from git's object store (`git ls-tree` + one `git cat-file
--batch`), never checked out, so `rea diff` leaves the work tree alone and stays fast.
Every side's bytes are decoded as `rea check` decodes them (`_text`), and files on disk are
read as it reads them (`read_regular`: regular files only). Every problem is a
`RevisionError` with one line that names it and the fix.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Iterable, Sequence

__all__ = [
    "RevisionError",
    "default_base",
    "exists_at",
    "read_directory",
    "read_revision",
    "read_worktree",
    "repo_root",
    "pathspecs",
    "verify",
]


class RevisionError(Exception):
    """A one-line problem with a revision, a path or the repository (exit 2)."""


def _git(repo: "Path | str | os.PathLike[str]", *args: str, input: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(
            ["git", "--literal-pathspecs", "-C", str(repo), *args], input=input, capture_output=True, check=False, timeout=120
        )
    except FileNotFoundError:
        raise RevisionError("git is not installed (rea diff reads revisions with git)") from None
    except subprocess.TimeoutExpired:
        raise RevisionError(f"git {' '.join(args[:2])} took more than 120 s") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise _GitFailed(message[-1] if message else f"git {args[0]} failed")
    return done.stdout


class _GitFailed(RevisionError):
    pass


def repo_root(start: str | os.PathLike[str] = ".") -> Path:
    try:
        out = _git(start, "rev-parse", "--show-toplevel")
    except _GitFailed:
        raise RevisionError(
            f"{os.path.abspath(start)} is not inside a git repository; compare two directories with "
            "`rea diff --base OLD_DIR --head NEW_DIR`"
        ) from None
    return Path(out.decode().strip())


SHALLOW_FIX = "fetch the rest of the history with `git fetch --unshallow` (in GitHub Actions: `fetch-depth: 0` in actions/checkout)"


def is_shallow(repo: Path) -> bool:
    """Is this a shallow clone, whose history stops at the commits it fetched (CI's default)?"""
    try:
        return _git(repo, "rev-parse", "--is-shallow-repository").strip() == b"true"
    except _GitFailed:
        return False


def _resolve(repo: Path, rev: str) -> str | None:
    try:
        return _git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}").decode().strip()
    except _GitFailed:
        return None


def verify(repo: Path, rev: str) -> str:
    """The commit a revision names, or a one-line error (that says so when the repository is
    a shallow clone: the commit may exist, beyond the history fetched)."""
    commit = _resolve(repo, rev)
    if commit is None:
        if is_shallow(repo):
            raise RevisionError(f"unknown revision {rev!r}: no commit of this repository has that name, and it is a shallow "
                                f"clone: the commit may be in the history it did not fetch; {SHALLOW_FIX}")
        raise RevisionError(f"unknown revision {rev!r}: no commit of this repository has that name (try a branch, a tag or a commit hash)")
    return commit


def default_base(repo: Path) -> tuple[str, str]:
    """The merge base of HEAD with the default branch: (commit, how it was found)."""
    if _resolve(repo, "HEAD") is None:
        raise RevisionError("HEAD names no commit (the repository has none yet): commit first, or compare two directories "
                            "with `rea diff --base OLD_DIR --head NEW_DIR`")
    candidates = []
    try:
        head = _git(repo, "symbolic-ref", "--quiet", "refs/remotes/origin/HEAD").decode().strip()
        candidates.append(head.removeprefix("refs/remotes/"))
    except _GitFailed:
        pass
    candidates += ["origin/main", "origin/master", "main", "master"]
    unrelated = []
    for branch in candidates:
        if _resolve(repo, branch) is None:
            continue
        try:
            base = _git(repo, "merge-base", "HEAD", branch).decode().strip()
        except _GitFailed:
            unrelated.append(branch)
            continue
        return base, f"merge base of HEAD and {branch}"
    if unrelated and is_shallow(repo):
        raise RevisionError(f"HEAD and {unrelated[0]} have no common commit in this shallow clone (their merge base was not "
                            f"fetched): {SHALLOW_FIX}; or pass --base REV")
    if unrelated:
        raise RevisionError(f"HEAD and {unrelated[0]} have no common commit (unrelated histories): pass --base REV")
    raise RevisionError("no default branch found (origin/HEAD, main or master) to take the merge base with; pass --base REV")


def pathspecs(repo: Path, paths: Sequence[str]) -> list[str]:
    """PATHS as the fewest paths relative to the repository root that select the same files
    (`["."]`: all of them): a path under another one, or given twice, adds nothing. A path
    outside the repository is an error."""
    specs = sorted({pathspec(repo, p) for p in paths})
    if "." in specs:
        return ["."]
    return [s for s in specs if not any(_under(s, other) for other in specs if other != s)]


def pathspec(repo: Path, path: str) -> str:
    """One PATH relative to the repository root (posix; `.`: the root itself), symlinks and
    `..` resolved, as seen from the working directory."""
    full = Path(path).resolve()
    root = repo.resolve()
    try:
        rel = full.relative_to(root)
    except ValueError:
        raise RevisionError(f"{path}: path outside the repository {root}") from None
    return rel.as_posix() if rel.parts else "."


def exists_at(repo: Path, commit: str, path: str) -> bool:
    """Does PATH (as given on the command line) name a file or directory at ``commit``?"""
    spec = pathspec(repo, path)
    if spec == ".":
        return True
    try:
        _git(repo, "cat-file", "-e", f"{commit}:{spec}")
    except _GitFailed:
        return False
    return True


def _under(path: str, spec: str) -> bool:
    """Is ``path`` the file or inside the directory ``spec`` (both relative to the root)?"""
    return spec == "." or path == spec or path.startswith(spec + "/")


def _select(paths: Iterable[str], specs: Sequence[str]) -> list[str]:
    """The `*.py` files among ``paths`` that ``specs`` select. Every side is filtered here, the
    same way, whatever git's own listing matched: two sides never differ in which files they read."""
    return [p for p in paths if _is_python(p) and any(_under(p, s) for s in specs)]


def _limit(specs: Sequence[str]) -> list[str]:
    """``specs`` as git pathspecs after `--` (none: the whole tree)."""
    return [] if "." in specs else list(specs)


def _is_python(path: str) -> bool:
    return path.endswith(".py")


def _text(data: bytes) -> str:
    """Source bytes as `rea check` decodes them (a PEP 263 coding cookie, a UTF-8 BOM); bytes
    that cannot be decoded so are read as UTF-8 with replacement characters, the same on both
    sides, so that a file still compares (its parse then names any problem)."""
    from rea_lint.runner import decode

    try:
        return decode(data)
    except (SyntaxError, UnicodeDecodeError, LookupError):
        return data.decode("utf-8", "replace")


def _read(full: Path) -> str:
    """A file of a side on disk, as `rea check` reads it (a FIFO is refused, not waited on)."""
    from rea_lint.reading import UnreadableFile, read_regular

    try:
        return _text(read_regular(full))
    except UnreadableFile as err:
        raise RevisionError(f"{full}: cannot read: {str(err).removeprefix('skipped: ')}") from None


def read_revision(repo: Path, rev: str, specs: Sequence[str] = (".",)) -> dict[str, str]:
    """relative path -> text of every `*.py` file under ``specs`` at ``rev``."""
    commit = verify(repo, rev)
    listing = _git(repo, "ls-tree", "-r", "-z", "--full-tree", commit, "--", *_limit(specs))
    blobs: dict[str, str] = {}
    for record in listing.split(b"\0"):
        meta, _, name = record.partition(b"\t")
        parts = meta.split()
        if len(parts) >= 3 and parts[1] == b"blob":
            blobs[name.decode("utf-8", "surrogateescape")] = parts[2].decode()
    entries = [(path, blobs[path]) for path in _select(blobs, specs)]
    if not entries:
        return {}
    batch = _git(repo, "cat-file", "--batch", input=b"".join(f"{oid}\n".encode() for _, oid in entries))
    out: dict[str, str] = {}
    pos = 0
    for path, _oid in entries:
        header_end = batch.index(b"\n", pos)
        header = batch[pos:header_end].split()
        size = int(header[2])
        body = batch[header_end + 1 : header_end + 1 + size]
        pos = header_end + 1 + size + 1
        out[path] = _text(body)
    return out


def read_worktree(repo: Path, specs: Sequence[str] = (".",)) -> dict[str, str]:
    """relative path -> text of every `*.py` file under ``specs`` in the work tree (tracked
    and untracked, as git sees it: ignored files left out, deleted files absent)."""
    listing = _git(repo, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *_limit(specs))
    out: dict[str, str] = {}
    for path in _select(sorted({raw.decode("utf-8", "surrogateescape") for raw in listing.split(b"\0") if raw}), specs):
        full = repo / path
        try:
            out[path] = _read(full)
        except (FileNotFoundError, IsADirectoryError):
            continue  # deleted in the work tree, not yet staged: absent on this side
        except OSError as err:
            raise RevisionError(f"{full}: cannot read: {err.strerror or err}") from None
    return out


def read_directory(directory: str | os.PathLike[str]) -> dict[str, str]:
    """relative path -> text of every `*.py` file under a directory (hidden directories,
    `__pycache__`, virtual environments left out)."""
    root = Path(directory)
    if not root.is_dir():
        raise RevisionError(f"{directory}: not a directory")
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in ("__pycache__", "node_modules", "venv", "site-packages"))
        for name in sorted(filenames):
            if _is_python(name):
                full = Path(dirpath) / name
                try:
                    out[full.relative_to(root).as_posix()] = _read(full)
                except OSError as err:
                    raise RevisionError(f"{full}: cannot read: {err.strerror or err}") from None
    return out
