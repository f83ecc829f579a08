"""How a job lives in the store: its document (what the API answers), its simulation state and plan, and the
events and checkpoints it has produced. Plain functions over a connection inside the caller's transaction.
Jobs belong to one data plane (`account`, see accounts.py); each data plane has its own training slot."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from fineplan.emulator import ids
from fineplan.emulator.simulation.plan import JobPlan
from fineplan.emulator.simulation.timeline import SimState
from fineplan.emulator.store import dumps, loads

CHECKPOINT_MARK = ":ckpt-step-"
_SLOT_KEY = "training_slot_free_at"
_COLUMNS = "seq, id, doc, sim, account"


@dataclass(slots=True)
class JobRecord:
    seq: int
    id: str
    doc: dict[str, Any]
    state: SimState
    plan: JobPlan
    base_model: str  # the catalog entry the job trains (the root of a chain of fine-tuned models)
    ft_name: str  # the fine-tuned model's name, published when the job succeeds
    account: str = ""  # the data plane the job belongs to ("" = the default account's)

    def sim_json(self) -> bytes:
        return dumps(
            {
                "state": self.state.to_json(),
                "plan": self.plan.to_json(),
                "base_model": self.base_model,
                "ft_name": self.ft_name,
            }
        )


def insert(db: sqlite3.Connection, job: JobRecord) -> None:
    db.execute(
        "INSERT INTO jobs(id, account, active, fine_tuned_model, doc, sim) VALUES (?, ?, 1, NULL, ?, ?)",
        (job.id, job.account, dumps(job.doc), job.sim_json()),
    )


def load(db: sqlite3.Connection, job_id: str, account: str) -> JobRecord | None:
    row = db.execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ? AND account = ?", (job_id, account)).fetchone()
    return None if row is None else _parse(row)


def active(db: sqlite3.Connection, account: str) -> list[JobRecord]:
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM jobs WHERE active = 1 AND account = ? ORDER BY seq", (account,)
    ).fetchall()
    return [_parse(r) for r in rows]


def save(db: sqlite3.Connection, job: JobRecord, *, is_active: bool) -> None:
    db.execute(
        "UPDATE jobs SET doc = ?, sim = ?, active = ?, fine_tuned_model = ? WHERE id = ?",
        (dumps(job.doc), job.sim_json(), int(is_active), job.doc.get("fine_tuned_model"), job.id),
    )


def delete(db: sqlite3.Connection, job_id: str) -> None:
    for table in ("jobs", "job_events", "checkpoints"):
        db.execute(f"DELETE FROM {table} WHERE {'id' if table == 'jobs' else 'job_id'} = ?", (job_id,))


def _parse(row: tuple[Any, ...]) -> JobRecord:
    seq, job_id, doc, sim, account = row
    raw = loads(sim)
    return JobRecord(
        seq=int(seq),
        id=str(job_id),
        doc=loads(doc),
        state=SimState.from_json(raw["state"]),
        plan=JobPlan.from_json(raw["plan"]),
        base_model=str(raw["base_model"]),
        ft_name=str(raw["ft_name"]),
        account=str(account or ""),
    )


def insert_event(
    db: sqlite3.Connection,
    job_id: str,
    at: float,
    message: str,
    *,
    level: str = "info",
    event_type: str = "message",
    data: dict[str, Any] | None = None,
) -> None:
    event_id = ids.new_event_id()
    doc: dict[str, Any] = {
        "id": event_id,
        "object": "fine_tuning.job.event",
        "created_at": int(at),
        "level": level,
        "message": message,
        "type": event_type,
    }
    if data is not None:
        doc["data"] = data
    db.execute("INSERT INTO job_events(id, job_id, doc) VALUES (?, ?, ?)", (event_id, job_id, dumps(doc)))


def insert_checkpoint(db: sqlite3.Connection, job: JobRecord, at: float, step: int, metrics: dict[str, float]) -> None:
    checkpoint_id = ids.new_checkpoint_id()
    model = f"{job.ft_name}{CHECKPOINT_MARK}{step}"
    doc = {
        "id": checkpoint_id,
        "object": "fine_tuning.job.checkpoint",
        "created_at": int(at),
        "fine_tuned_model_checkpoint": model,
        "step_number": step,
        "metrics": metrics,
        "fine_tuning_job_id": job.id,
    }
    db.execute(
        "INSERT INTO checkpoints(id, job_id, model, doc) VALUES (?, ?, ?, ?)",
        (checkpoint_id, job.id, model, dumps(doc)),
    )


def _slot_key(account: str) -> str:
    return f"{_SLOT_KEY}:{account}" if account else _SLOT_KEY  # the default account keeps the old key


def slot_free_at(db: sqlite3.Connection, account: str) -> float:
    """Since when the resource's single training slot has been free (inf while a job holds it)."""
    row = db.execute("SELECT value FROM meta WHERE key = ?", (_slot_key(account),)).fetchone()
    return float(row[0]) if row else 0.0


def set_slot_free_at(db: sqlite3.Connection, at: float, account: str) -> None:
    db.execute(
        "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (_slot_key(account), repr(at)),
    )
