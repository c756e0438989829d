"""The Python sources of one side of a diff: a git revision, the work tree, or a directory.

Revisions are read straight from git's object store (`git ls-tree` + one `git cat-file
--batch`), never checked out, so `rea diff` leaves the work tree alone and stays fast.
Every side's files are decoded and read as `rea check` does (`side.Side`); one that cannot be
is kept by path with its problem. A problem with a revision, a path or the repository is a
`RevisionError` with one line that names it and the fix.
"""

from __future__ import annotations

import os
import posixpath
import re
import subprocess
from pathlib import Path
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable, Sequence

from rea_lint.journal.links import follow, why_not
from rea_lint.journal.side import Side, Unread
from rea_lint.reading import describe_mode, too_big

if TYPE_CHECKING:
    from rea_lint.config import ReaConfig

__all__ = [
    "RevisionError",
    "Side",
    "default_base",
    "directory_side",
    "Excluded",
    "exists_at",
    "file_limits",
    "repo_root",
    "pathspecs",
    "revision_side",
    "verify",
    "worktree_side",
]


class RevisionError(Exception):
    """A one-line problem with a revision, a path or the repository (exit 2)."""


def _git(repo: "Path | str | os.PathLike[str]", *args: str, input: bytes | None = None, accept: tuple[int, ...] = (0,),
         literal: bool = True) -> bytes:
    """Run git in ``repo``; paths given it are paths, not patterns (``literal``; `check-ignore`
    refuses the option, and reads its paths as paths anyway)."""
    try:
        done = subprocess.run(
            ["git", *(["--literal-pathspecs"] if literal else []), "-C", str(repo), *args],
            input=input, capture_output=True, check=False, timeout=120,
        )
    except FileNotFoundError:
        raise RevisionError("git is not installed (rea diff reads revisions with git)") from None
    except subprocess.TimeoutExpired:
        raise RevisionError(f"git {' '.join(args[:2])} took more than 120 s") from None
    if done.returncode not in accept:
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
        parent = re.fullmatch(r"(.+?)(?:~1?|\^1?)", rev)
        if parent is not None and _resolve(repo, parent[1]) is not None and not is_shallow(repo):
            raise RevisionError(f"unknown revision {rev!r}: {parent[1]!r} is the first commit of this repository's history, "
                                "which has no parent: nothing was deployed before it (compare it with a later commit)")
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


def _select(paths: Iterable[str], specs: Sequence[str], side: Side, skip: Skip | None) -> list[str]:
    """The `*.py` files among ``paths`` that ``specs`` select, less those ``skip`` leaves out
    (kept in ``side.excluded``). Every side is filtered here, the same way, whatever git's own
    listing matched: two sides never differ in which files they read."""
    selected = [p for p in paths if _is_python(p) and any(_under(p, s) for s in specs)]
    if skip is None:
        return selected
    side.excluded.update(p for p in selected if skip(p))
    return [p for p in selected if p not in side.excluded]


Skip = Callable[[str], bool]
"""Relative path -> whether `[tool.rea] exclude` leaves the file out (`Excluded`)."""


class Excluded:
    """Relative path -> whether `rea check` leaves out the file at ``root``/path: as it does, by
    the `[tool.rea]` of the nearest pyproject.toml above that file (`ReaConfig.excludes_own`: a
    glob applies below its own pyproject.toml only), so a subproject's `exclude` counts in a
    monorepo. Every side of a comparison asks it of the same ``root`` (the work tree, the head
    directory): a file is left out on both sides or on neither, whatever the old side's own
    configuration says. ``by``: the pyproject.toml files that left something out."""

    def __init__(self, root: "Path | str") -> None:
        self.root = Path(root)
        self.by: set[str] = set()
        self._configs: dict[str, ReaConfig] = {}

    def __call__(self, rel: "str | os.PathLike[str]") -> bool:
        from rea_lint.config import config_for_file

        path = self.root / rel  # (an absolute ``rel`` stays itself)
        config = config_for_file(path, self._configs)
        if config.excludes_own(path):
            self.by.add(str(config.source))
            return True
        return False


def _limit(specs: Sequence[str]) -> list[str]:
    """``specs`` as git pathspecs after `--` (none: the whole tree)."""
    return [] if "." in specs else list(specs)


def _is_python(path: str) -> bool:
    return path.endswith(".py")


def file_limits(root: Path) -> Callable[[str], int]:
    """Relative path -> the `max-file-size` that `rea check` reads that file of the work tree
    (or of the directory ``root``) with: the `[tool.rea]` of the nearest pyproject.toml above
    it. A file of a revision is bounded as the same path in the work tree is (the revision's
    own pyproject.toml is not read: a limit is for this machine's memory, not for the code)."""
    from rea_lint.config import config_for_file

    cache: dict[str, ReaConfig] = {}
    return lambda rel: config_for_file(root / rel, cache).max_file_size


@dataclass(frozen=True)
class _Blob:
    """A file of a revision, as `git ls-tree -l` lists it."""

    mode: str
    oid: str
    size: int


def revision_side(repo: Path, rev: str, specs: Sequence[str] = (".",), limits: Callable[[str], int] | None = None,
                  skip: Skip | None = None) -> Side:
    """The `*.py` files under ``specs`` at ``rev``, less those ``skip`` leaves out: each over its
    ``limits`` (default: the work tree's `max-file-size`, `file_limits`) refused unread, each
    link followed within the revision's tree (`links`)."""
    commit = verify(repo, rev)
    limit = limits or file_limits(repo)
    listing = _git(repo, "ls-tree", "-r", "-l", "-z", "--full-tree", commit, "--", *_limit(specs))
    blobs: dict[str, _Blob] = {}
    for record in listing.split(b"\0"):
        meta, _, name = record.partition(b"\t")
        parts = meta.split()
        if len(parts) >= 4 and parts[1] == b"blob" and parts[3].isdigit():
            blobs[name.decode("utf-8", "surrogateescape")] = _Blob(parts[0].decode(), parts[2].decode(), int(parts[3]))
    side = Side()
    entries = [(path, blobs[path]) for path in _select(blobs, specs, side, skip)]
    links = [path for path, blob in entries if blob.mode == _LINK]
    targets = _follow_links(repo, commit, links) if links else {}
    texts = _read(repo, [(p, blobs[p]) for p, to in targets.items() if isinstance(to, str) and blobs[p].size <= _LINK_TEXT_MAX])
    wanted: list[tuple[str, _Blob]] = []
    for path, blob in entries:
        if blob.mode == _LINK:
            raw = texts.get(path)
            text = f"a path of {blob.size} bytes" if raw is None else raw.decode("utf-8", "surrogateescape")
            target = targets[path]
            if isinstance(target, str):
                if target != "directory":  # (a link to a directory: absent, as in the work tree)
                    side.refuse(path, why_not(text, target, "the repository"),
                                Unread("blob", blob.oid) if raw is None else Unread("link", text))
                continue
            blob = target
        size_limit = limit(path)
        if blob.size > size_limit:
            side.refuse(path, too_big(blob.size, size_limit).removeprefix("skipped: "), Unread("blob", blob.oid))
        else:
            wanted.append((path, blob))
    contents = _read(repo, wanted)
    for path, _blob in wanted:
        data = contents.get(path)
        if data is None:  # `<oid> missing`: a partial clone that has not fetched it
            side.refuse(path, "git does not have its contents here (a partial clone?): fetch them (`git fetch`)")
        else:
            side.add_bytes(path, data)
    return side


_LINK = "120000"
"""The mode git gives a symbolic link."""
_LINK_TEXT_MAX = 4096
"""The longest link target read for a message (a path is no longer; a blob that claims to be a
link and is bigger is named by its size)."""


def _read(repo: Path, entries: Sequence[tuple[str, _Blob]]) -> dict[str, bytes]:
    """path -> the bytes of its blob, for those git has (one `git cat-file --batch`)."""
    if not entries:
        return {}
    batch = _git(repo, "cat-file", "--batch", input=b"".join(f"{blob.oid}\n".encode() for _, blob in entries))
    out: dict[str, bytes] = {}
    pos = 0
    for path, _blob in entries:
        header_end = batch.index(b"\n", pos)
        header = batch[pos:header_end].split()
        if len(header) < 3:  # `<oid> missing`
            pos = header_end + 1
            continue
        size = int(header[2])
        out[path] = batch[header_end + 1 : header_end + 1 + size]
        pos = header_end + 1 + size + 1
    return out


def _follow_links(repo: Path, commit: str, links: Sequence[str]) -> dict[str, "_Blob | str"]:
    """link path -> the blob it leads to within ``commit``'s tree, or why none: `dangling`,
    `loop`, `outside` (`links.why_not`'s words), `directory`, or the reason in words (git's
    `cat-file --follow-symlinks`, which resolves a link as the file system would, in the tree)."""
    out: dict[str, _Blob | str] = {}
    asked = []
    for path in links:
        if "\n" in path:  # (git reads one name a line)
            out[path] = "its path holds a line break, which git cannot resolve a link for; rename it"
        else:
            asked.append(path)
    if not asked:
        return out
    answer = _git(repo, "cat-file", "--batch-check", "--follow-symlinks",
                  input=b"".join(f"{commit}:{p}\n".encode("utf-8", "surrogateescape") for p in asked))
    pos = 0
    for path in asked:
        end = answer.index(b"\n", pos)
        words = answer[pos:end].split(b" ")
        pos = end + 1
        if len(words) == 2 and words[0] in _NO_FILE and words[1].isdigit():
            pos += int(words[1]) + 1  # (followed by what git could not resolve, and a newline)
            out[path] = _NO_FILE[words[0]]
        elif len(words) == 3 and words[1] == b"blob" and words[2].isdigit():
            out[path] = _Blob("100644", words[0].decode(), int(words[2]))
        elif len(words) == 3 and words[1] == b"tree":
            out[path] = "directory"
        elif len(words) == 3 and words[1] == b"commit":
            out[path] = "it leads into a submodule, whose files this repository does not hold"
        else:
            out[path] = "dangling"  # (`<name> missing`)
    return out


_NO_FILE = {b"dangling": "dangling", b"notdir": "dangling", b"loop": "loop", b"symlink": "outside"}
"""`git cat-file --follow-symlinks`' answers that name no object, in `links.follow`'s words."""


def worktree_side(repo: Path, specs: Sequence[str] = (".",), limits: Callable[[str], int] | None = None,
                  skip: Skip | None = None) -> Side:
    """The `*.py` files under ``specs`` in the work tree: tracked and untracked, as git sees
    them (ignored files left out, deleted files absent), and the ones git does not list because
    they are no files (a FIFO), which cannot be read; those ``skip`` leaves out are not looked
    at. Each is read up to its ``limits`` (`file_limits`); links are followed within the
    repository, as in a revision."""
    listing = _git(repo, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *_limit(specs))
    listed = sorted({raw.decode("utf-8", "surrogateescape") for raw in listing.split(b"\0") if raw})
    limit = limits or file_limits(repo)
    side = Side()
    for path in _select(listed, specs, side, skip):
        _add(side, repo, path, limit(path), "the repository")
    for path, mode in _not_files(repo, specs, listed):
        if skip is not None and skip(path):
            side.excluded.add(path)
        else:
            side.refuse(path, f"{describe_mode(mode)}, not a regular file")
    if side.over_limit:
        side.unread.update({path: Unread("blob", oid) for path, oid in _unmodified(repo, side.over_limit).items()})
    return side


def _unmodified(repo: Path, paths: Sequence[str]) -> dict[str, str]:
    """path -> its blob id in the index, for those of ``paths`` whose work tree file git finds
    unchanged from the index (by its stat data, without reading it when that is fresh): a file
    too big to read is then known to be the same as a revision's blob of that id."""
    staged = _git(repo, "ls-files", "-s", "-z", "--", *paths)
    ids: dict[str, str] = {}
    for record in staged.split(b"\0"):
        meta, _, name = record.partition(b"\t")
        parts = meta.split()
        if len(parts) == 3 and parts[2] == b"0" and parts[0] != _LINK.encode():  # (stage 0: no merge conflict; a
            # link's id is its target path's, not the file's it leads to)
            ids[name.decode("utf-8", "surrogateescape")] = parts[1].decode()
    changed = _git(repo, "diff-files", "--name-only", "-z", "--", *paths)
    for raw in changed.split(b"\0"):
        ids.pop(raw.decode("utf-8", "surrogateescape"), None)
    return ids


def _add(side: Side, root: Path, path: str, limit: int, where: str) -> None:
    """The file ``path`` under ``root`` on ``side``; a link followed within ``root`` (`links.follow`)."""
    full = root / path
    if not os.path.islink(full):
        side.add_file(path, full, limit)
        return
    kind, resolved = follow(root, path)
    if kind == "file":
        side.add_file(path, root / resolved, limit)
    elif kind != "directory":  # (a link to a directory: absent, as git lists nothing through it)
        target = os.readlink(full)
        side.refuse(path, why_not(target, resolved if kind == "error" else kind, where), Unread("link", target))


def _not_files(repo: Path, specs: Sequence[str], listed: Sequence[str]) -> list[tuple[str, int]]:
    """The `*.py` entries under ``specs`` that are no regular file or link (a FIFO, a socket, a
    device), with their mode: git passes over them without a word, `rea check` names them. The
    directories git lists something in are scanned; of the others, those git ignores are left
    out, a repository inside this one is its own, and the rest (holding nothing git lists) are
    scanned the same way, a level at a time."""
    known = {"."}
    for p in listed:
        d = posixpath.dirname(p.rstrip("/")) or "."
        while d not in known:
            known.add(d)
            d = posixpath.dirname(d) or "."
    found: list[tuple[str, int]] = []
    pending = []
    for spec in specs:
        full = repo / spec
        if full.is_dir() and not full.is_symlink():
            pending.append(spec)
        elif _is_python(spec) and os.path.lexists(full) and not (full.is_symlink() or full.is_file()):
            found.append((spec, os.lstat(full).st_mode))
    while pending:
        unseen = []
        while pending:
            here = pending.pop()
            try:
                entries = list(os.scandir(repo / here))
            except OSError:
                continue
            for e in entries:
                rel = e.name if here == "." else f"{here}/{e.name}"
                if e.is_dir(follow_symlinks=False):
                    if rel in known:
                        pending.append(rel)
                    elif e.name != ".git" and not os.path.lexists(os.path.join(e.path, ".git")):
                        unseen.append(rel)
                elif _is_python(e.name) and not e.is_file(follow_symlinks=False) and not e.is_symlink():
                    found.append((rel, os.lstat(e.path).st_mode))
        if unseen:
            ignored = _ignored(repo, unseen)
            pending = [d for d in unseen if d not in ignored]
    if found:
        ignored = _ignored(repo, [p for p, _ in found])
        found = [(p, mode) for p, mode in found if p not in ignored]
    return sorted(found)


def _ignored(repo: Path, paths: Sequence[str]) -> set[str]:
    """Which of ``paths`` git ignores (`.gitignore` and the like)."""
    out = _git(repo, "check-ignore", "-z", "--stdin", input=b"".join(p.encode("utf-8", "surrogateescape") + b"\0" for p in paths),
               accept=(0, 1), literal=False)
    return {raw.decode("utf-8", "surrogateescape") for raw in out.split(b"\0") if raw}


def directory_side(directory: str | os.PathLike[str], limits: Callable[[str], int] | None = None,
                   skip: Skip | None = None) -> Side:
    """The `*.py` files under a directory (hidden directories, `__pycache__`, virtual
    environments and those ``skip`` leaves out left out); a FIFO among them cannot be read.
    Each is read up to its ``limits`` (`file_limits`); links are followed within the
    directory, as in a revision."""
    root = Path(directory)
    if not root.is_dir():
        raise RevisionError(f"{directory}: not a directory")
    limit = limits or file_limits(root)
    side = Side()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in ("__pycache__", "node_modules", "venv", "site-packages"))
        for name in sorted(filenames):
            if _is_python(name):
                rel = (Path(dirpath) / name).relative_to(root).as_posix()
                if skip is not None and skip(rel):
                    side.excluded.add(rel)
                else:
                    _add(side, root, rel, limit(rel), f"the directory {directory}")
    return side
