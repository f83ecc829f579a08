"""The emulator's SQLite store (WAL): one database file under the data dir, safe for concurrent clients.

Each server thread gets its own connection. Writers take `BEGIN IMMEDIATE`, so the read-modify-write steps of the
lazy simulation never interleave, even across processes sharing a data dir (an embedded run and
`fineplan emulator serve`). Objects are stored as JSON documents beside the few columns queries need.

Files and jobs carry the `account` (data-plane partition, see accounts.py) they belong to; databases from before
accounts had data planes are migrated in place (their rows belong to the default account). The database and its
WAL/shm files are private to the user (0600), like state: they hold uploaded training data.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

DB_FILE = "emulator.sqlite3"
SCHEMA_VERSION = 2
PRIVATE = 0o600

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    purpose TEXT NOT NULL,
    ready_at REAL NOT NULL,
    doc BLOB NOT NULL,
    outcome BLOB NOT NULL,
    content BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    active INTEGER NOT NULL,
    fine_tuned_model TEXT,
    doc BLOB NOT NULL,
    sim BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_active ON jobs(active);
CREATE INDEX IF NOT EXISTS jobs_model ON jobs(fine_tuned_model);
CREATE TABLE IF NOT EXISTS job_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    job_id TEXT NOT NULL,
    doc BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS job_events_job ON job_events(job_id, seq);
CREATE TABLE IF NOT EXISTS checkpoints (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    job_id TEXT NOT NULL,
    model TEXT NOT NULL,
    doc BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS checkpoints_job ON checkpoints(job_id, seq);
CREATE INDEX IF NOT EXISTS checkpoints_model ON checkpoints(model);
CREATE TABLE IF NOT EXISTS accounts (
    key TEXT PRIMARY KEY,
    subscription TEXT NOT NULL,
    resource_group TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS deployments (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    account TEXT NOT NULL,
    name TEXT NOT NULL,
    sku TEXT NOT NULL,
    capacity INTEGER NOT NULL,
    fine_tuned INTEGER NOT NULL,
    expires_at REAL,
    doc BLOB NOT NULL,
    UNIQUE(account, name)
);
CREATE TABLE IF NOT EXISTS operations (
    id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    deployment TEXT NOT NULL,
    kind TEXT NOT NULL,
    started_at REAL NOT NULL,
    done_at REAL NOT NULL,
    status TEXT NOT NULL,
    pending BLOB
);
CREATE INDEX IF NOT EXISTS operations_account ON operations(account, status);
"""

# Columns added after version 1, created by ALTER TABLE on old and new databases alike (one code path).
_ADDED_COLUMNS = (
    ("files", "account", "TEXT NOT NULL DEFAULT ''"),
    ("jobs", "account", "TEXT NOT NULL DEFAULT ''"),
    ("accounts", "location", "TEXT NOT NULL DEFAULT ''"),
    ("accounts", "kind", "TEXT NOT NULL DEFAULT 'AIServices'"),
    ("accounts", "sku", "TEXT NOT NULL DEFAULT 'S0'"),
    ("accounts", "data", "TEXT NOT NULL DEFAULT ''"),
    ("accounts", "implicit", "INTEGER NOT NULL DEFAULT 1"),
    ("accounts", "tags", "BLOB"),
)
_ADDED_INDEXES = """
CREATE INDEX IF NOT EXISTS files_account ON files(account, seq);
CREATE INDEX IF NOT EXISTS jobs_account ON jobs(account, active);
CREATE INDEX IF NOT EXISTS accounts_name ON accounts(name COLLATE NOCASE);
"""


def dumps(obj: Any) -> bytes:
    return orjson.dumps(obj)


def loads(raw: bytes | str) -> Any:
    return orjson.loads(raw)


class Store:
    """Owns the database file; hands each thread its own connection."""

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.path = data_dir / DB_FILE
        _make_private(self.path)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False
        conn = self._connect()
        conn.executescript(_SCHEMA)  # idempotent DDL, each statement atomic
        with self.write() as db:
            _migrate(db)
        for suffix in ("-wal", "-shm"):  # SQLite gives them the database's mode; older data dirs may differ
            with contextlib.suppress(FileNotFoundError):
                os.chmod(self.path.with_name(self.path.name + suffix), PRIVATE)

    def _connect(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self._closed:
                raise RuntimeError("emulator store is closed")
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30.0)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def read(self) -> sqlite3.Connection:
        """A connection for single-statement reads (autocommit; WAL readers never block writers)."""
        return self._connect()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction; nested use joins the outer transaction."""
        conn = self._connect()
        if conn.in_transaction:
            yield conn
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._all)

    def release(self) -> None:
        """Close this thread's connection (a server thread ends with its client connection)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            return
        self._local.conn = None
        with self._lock:
            if conn in self._all:
                self._all.remove(conn)
        with contextlib.suppress(sqlite3.Error):
            conn.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            conns, self._all = self._all, []
        for conn in conns:
            with contextlib.suppress(sqlite3.Error):
                conn.close()


def _make_private(path: Path) -> None:
    """Create the database file 0600 before SQLite opens it (SQLite copies its mode to the WAL and shm files)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, PRIVATE)
    try:
        os.fchmod(fd, PRIVATE)
    finally:
        os.close(fd)


def _migrate(db: sqlite3.Connection) -> None:
    """Add what later versions need, inside the caller's write transaction (two processes may open one data dir
    at once: the second finds the columns already there)."""
    for table, column, decl in _ADDED_COLUMNS:
        present = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        if column not in present:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")
    for statement in filter(None, (s.strip() for s in _ADDED_INDEXES.split(";"))):
        db.execute(statement)
    db.execute(
        "INSERT INTO meta(key, value) VALUES ('schema_version', ?) ON CONFLICT(key) DO UPDATE SET value = "
        "excluded.value",
        (str(SCHEMA_VERSION),),
    )
