"""Where evals, their runs and the runs' output items live: three tables of the emulator's SQLite store, created
on first use (idempotent DDL, like store.py's) and kept apart from the fine-tuning tables."""

from __future__ import annotations

from fineplan.emulator.store import Store

SCHEMA = """
CREATE TABLE IF NOT EXISTS evals (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    updated_at REAL NOT NULL,
    doc BLOB NOT NULL,
    account TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS eval_runs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    eval_id TEXT NOT NULL,
    doc BLOB NOT NULL,
    sim BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS eval_runs_eval ON eval_runs(eval_id, seq);
CREATE TABLE IF NOT EXISTS eval_output_items (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    run_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    status TEXT NOT NULL,
    usage BLOB NOT NULL,
    doc BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS eval_output_items_run ON eval_output_items(run_id, idx);
"""


def ensure_schema(store: Store) -> None:
    store.read().executescript(SCHEMA)
    with store.write() as db:  # evals belong to one account's data plane (accounts.py); older tables lack it
        if "account" not in {row[1] for row in db.execute("PRAGMA table_info(evals)")}:
            db.execute("ALTER TABLE evals ADD COLUMN account TEXT NOT NULL DEFAULT ''")
