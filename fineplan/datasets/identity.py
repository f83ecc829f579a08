"""Content identity of dataset files: a streaming sha256 of the bytes that will be uploaded, remembered by
(path, size, mtime_ns, inode, device) so that an unchanged file is never read twice, plus a per-digest store of
dataset reports.

Both live in one small SQLite file in the cache directory (see fineplan.datasets.cachedir); SQLite makes
concurrent fineplan processes safe. Every cache failure degrades to recomputing, never to an error.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from fineplan.datasets.cachedir import cache_dir as resolve_cache_dir
from fineplan.filekind import require_regular

DB_NAME = "datasets.sqlite3"
READ_BLOCK = 1 << 20
MAX_REPORTS = 2000
MAX_CONNECTIONS = 4

_SCHEMA = """
CREATE TABLE IF NOT EXISTS digests (
  path TEXT PRIMARY KEY, dev INTEGER, ino INTEGER, size INTEGER, mtime_ns INTEGER, digest TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS reports (key TEXT PRIMARY KEY, body BLOB NOT NULL, created REAL NOT NULL);
"""


def sha256_file(path: Path) -> str:
    """Streaming sha256 of a file (hashlib releases the GIL for large blocks)."""
    h = hashlib.sha256()
    with open(path, "rb", buffering=0) as f:
        buf = bytearray(READ_BLOCK)
        view = memoryview(buf)
        while n := f.readinto(buf):
            h.update(view[:n])
    return h.hexdigest()


_CONNECTIONS: dict[tuple[int, Path], sqlite3.Connection] = {}
_LOCK = threading.Lock()


@contextmanager
def _db(cache_dir: Path | None) -> Iterator[sqlite3.Connection | None]:
    """The cache database, one connection per process and file (forked children open their own)."""
    base = resolve_cache_dir(cache_dir)
    if base is None:
        yield None
        return
    key = (os.getpid(), base / DB_NAME)
    with _LOCK:
        conn = _CONNECTIONS.get(key)
        if conn is None:
            try:
                base.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(key[1], timeout=10, isolation_level=None, check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.executescript(_SCHEMA)
            except (OSError, sqlite3.Error):
                yield None
                return
            if len(_CONNECTIONS) >= MAX_CONNECTIONS:  # a process rarely uses more than one cache dir
                stale = next(iter(_CONNECTIONS))
                _CONNECTIONS.pop(stale).close()
            _CONNECTIONS[key] = conn
        yield conn


def _key(path: Path) -> str:
    return str(path.resolve())


def cached_digest(path: Path, st: os.stat_result, cache_dir: Path | None = None) -> str | None:
    with _db(cache_dir) as conn:
        if conn is None:
            return None
        try:
            row = conn.execute(
                "SELECT digest FROM digests WHERE path=? AND dev=? AND ino=? AND size=? AND mtime_ns=?",
                (_key(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns),
            ).fetchone()
        except sqlite3.Error:
            return None
    return row[0] if row else None


def remember_digest(path: Path, st: os.stat_result, digest: str, cache_dir: Path | None = None) -> None:
    with _db(cache_dir) as conn, suppress(sqlite3.Error):
        if conn is None:
            return
        conn.execute(
            "INSERT OR REPLACE INTO digests VALUES (?,?,?,?,?,?)",
            (_key(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, digest),
        )


def file_digest(path: Path, cache_dir: Path | None = None) -> str:
    """sha256 hex of the file's bytes; read only if (path, size, mtime_ns, inode) changed since last time.

    NotARegularFile for a FIFO, directory, socket or device: opening a FIFO would block, a device never ends."""
    path = Path(path)
    st = path.stat()
    require_regular(path, st)
    digest = cached_digest(path, st, cache_dir)
    if digest is None:
        digest = sha256_file(path)
        # Re-stat: if the file changed while we read it, do not remember a digest for the new identity.
        if same_identity(st, path.stat()):
            remember_digest(path, st, digest, cache_dir)
    return digest


def same_identity(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino, a.st_size, a.st_mtime_ns) == (b.st_dev, b.st_ino, b.st_size, b.st_mtime_ns)


def load_report(key: str, cache_dir: Path | None = None) -> bytes | None:
    with _db(cache_dir) as conn:
        if conn is None:
            return None
        try:
            row = conn.execute("SELECT body FROM reports WHERE key=?", (key,)).fetchone()
        except sqlite3.Error:
            return None
    return bytes(row[0]) if row else None


def store_report(key: str, body: bytes, cache_dir: Path | None = None) -> None:
    with _db(cache_dir) as conn, suppress(sqlite3.Error):
        if conn is None:
            return
        conn.execute("INSERT OR REPLACE INTO reports VALUES (?,?,?)", (key, body, time.time()))
        conn.execute(
            "DELETE FROM reports WHERE key NOT IN (SELECT key FROM reports ORDER BY created DESC LIMIT ?)",
            (MAX_REPORTS,),
        )
