"""What a path is when it is not a regular file, in words, so "does not exist" is only ever said when it doesn't.

A FIFO given as a dataset must never be opened (opening one blocks until a writer appears); a directory, socket or
device is named for what it is. Only `stat` is used, never `open`.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from fineplan.errors import FineplanError

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def describe_mode(mode: int) -> str | None:
    """None for a regular file, else what it is ("a FIFO (named pipe)", "a directory", ...)."""
    if stat.S_ISREG(mode):
        return None
    for test, words in _KINDS:
        if test(mode):
            return words
    return "a special file of an unknown type"


def not_regular(path: Path | str) -> str | None:
    """Why `path` cannot be read as a file: "does not exist", "is a FIFO (named pipe), not a regular file", ...;
    None for a regular file. Symlinks are followed; a dangling one does not exist. Raises OSError only for what
    stat itself refuses other than a missing path (permissions on a parent, a loop, ...)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "does not exist"
    except NotADirectoryError:
        return "does not exist (a parent is not a directory)"
    kind = describe_mode(st.st_mode)
    return None if kind is None else f"is {kind}, not a regular file"


class NotARegularFile(FineplanError):
    """A dataset path names a FIFO, directory, socket or device: fineplan never opens one."""


def require_regular(path: Path | str, st: os.stat_result) -> None:
    """Raise NotARegularFile unless `st` (of `path`) is a regular file, before anything opens it."""
    kind = describe_mode(st.st_mode)
    if kind is not None:
        raise NotARegularFile(f"{path} is {kind}, not a regular file")
