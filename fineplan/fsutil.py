"""Files fineplan writes that other people must not read, and must never see half-written.

`atomic_write` replaces a file in one step (temp file, fsync, rename, fsync of the directory): a reader or a crash
sees the old bytes or the new, never a mix. `write_private` does the same with mode 0600, for what can hold
resource ids, tags and file names of a project (saved plans), like state.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

PRIVATE = 0o600


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Replace `path` with `data`. `mode` None keeps the mode an existing file has (a new one gets 0600, as
    mkstemp makes it); otherwise the file gets `mode`."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            if mode is not None:
                os.fchmod(f.fileno(), mode)
            else:
                with contextlib.suppress(FileNotFoundError):
                    os.fchmod(f.fileno(), path.stat().st_mode & 0o777)  # keep the mode the user gave the file
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def write_private(path: Path, text: str | bytes) -> None:
    """Write `text` (UTF-8 if str) to `path` atomically, readable and writable by the user only (0600)."""
    atomic_write(path, text.encode("utf-8") if isinstance(text, str) else text, mode=PRIVATE)
