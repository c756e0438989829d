"""Symbolic links on a side of `rea diff`: followed within the side, as git follows one.

git stores a link as a blob (mode 120000) that holds its target path. A revision's link is
followed in the revision's own tree (`git cat-file --follow-symlinks`: relative to the link's
directory, through links to directories, at most 40 links), and a link that leads out of
the tree, to nothing or round in a loop names no file of that revision. The work tree and a
directory side follow their links the same way (`follow`), so one unchanged link reads the
same on both sides; a link rea cannot follow is refused with its reason (`why_not`), never
read as source text.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from rea_lint.journal.side import shown

__all__ = ["MAX_LINKS", "follow", "why_not"]

MAX_LINKS = 40
"""Links followed for one path before it counts as a loop (git's limit, and Linux's)."""


def follow(root: Path, rel: str) -> tuple[str, str]:
    """Where the path ``rel`` (relative to ``root``, posix) leads, following links as git does
    in a tree: (`file` or `directory`, the path it names relative to ``root``), or (`dangling`,
    `loop`, `outside`, ``""``), or (`error`, the system's reason)."""
    pending = rel.split("/")
    done: list[str] = []
    mode = stat.S_IFDIR  # (the root)
    links = 0
    while pending:
        name = pending.pop(0)
        if name in ("", "."):
            continue
        if name == "..":
            if not done:
                return "outside", ""
            done.pop()
            continue
        full = root.joinpath(*done, name)
        try:
            mode = os.lstat(full).st_mode
            target = os.readlink(full) if stat.S_ISLNK(mode) else None
        except (FileNotFoundError, NotADirectoryError):
            return "dangling", ""
        except OSError as err:
            return "error", err.strerror or str(err)
        if target is not None:
            links += 1
            if links > MAX_LINKS:
                return "loop", ""
            if os.path.isabs(target):
                return "outside", ""
            pending = target.split("/") + pending
            continue
        if pending and not stat.S_ISDIR(mode):
            return "dangling", ""  # (a file where the path goes on as if it were a directory)
        done.append(name)
    return ("directory" if stat.S_ISDIR(mode) else "file"), "/".join(done)


def why_not(target: str, outcome: str, where: str) -> str:
    """Why the link to ``target`` names no file of the side, in one line (after `cannot read: `):
    ``outcome`` as `follow` (or git) says it, ``where`` the side's tree in words."""
    link = f"a symbolic link to {shown(target)}"
    if outcome == "dangling":
        return f"{link}, which does not exist"
    if outcome == "loop":
        return f"{link}, which never reaches a file (more than {MAX_LINKS} links, a loop); point it at the file"
    if outcome == "outside":
        return (f"{link}, which leads outside {where} (a git revision holds no file there, so rea diff follows links "
                "only within a side); put the file itself there to compare it")
    return f"{link}: {outcome}"
