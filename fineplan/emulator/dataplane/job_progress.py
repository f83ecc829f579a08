"""Bringing jobs up to the present: runs the pure timeline for every active job and persists what happened
(status, events, checkpoints, the results file, the fine-tuned model). One write transaction per look, so two
clients (or two emulator processes on one data dir) never advance a job twice."""

from __future__ import annotations

import sqlite3
from typing import Any

from fineplan.emulator.core import Core
from fineplan.emulator.dataplane import job_records as records
from fineplan.emulator.dataplane.files import FileService
from fineplan.emulator.dataplane.job_records import JobRecord
from fineplan.emulator.simulation import metrics
from fineplan.emulator.simulation.plan import JobPlan
from fineplan.emulator.simulation.timeline import DONE, PAUSED, RUNNING, Effect, advance, estimated_finish


class JobProgress:
    def __init__(self, core: Core, files: FileService) -> None:
        self.core = core
        self.files = files

    def sync(self, account: str) -> None:
        """Bring the active jobs of one data plane up to now (a cheap read when none is active)."""
        probe = "SELECT 1 FROM jobs WHERE active = 1 AND account = ? LIMIT 1"
        if self.core.store.read().execute(probe, (account,)).fetchone() is None:
            return
        with self.core.store.write() as db:
            self.sync_in(db, account)

    def sync_in(self, db: sqlite3.Connection, account: str) -> None:
        jobs = records.active(db, account)
        if not jobs:
            return
        now, speed = self.core.now(), self.core.config.speed
        jobs.sort(key=lambda j: (not j.state.holds_slot, j.seq))  # the slot holder moves first
        slot_free = records.slot_free_at(db, account)
        for job in jobs:
            if job.state.phase == PAUSED:
                continue
            effects, slot_free = advance(job.state, job.plan, now, speed, slot_free)
            self._apply(db, job, effects)
            finish = estimated_finish(job.state, job.plan, speed) if job.state.phase == RUNNING else None
            job.doc["estimated_finish"] = None if finish is None else int(finish)
            records.save(db, job, is_active=job.state.phase != DONE)
        records.set_slot_free_at(db, slot_free, account)

    def _apply(self, db: sqlite3.Connection, job: JobRecord, effects: list[Effect]) -> None:
        for effect in effects:
            if effect.kind == "event":
                records.insert_event(
                    db,
                    job.id,
                    effect.at,
                    effect.message or "",
                    level=effect.level,
                    event_type=effect.event_type,
                    data=effect.data,
                )
            elif effect.kind == "status":
                job.doc["status"] = effect.status
                if effect.status == "running":
                    resolve_hyperparameters(job.doc, job.plan)
            elif effect.kind == "checkpoint":
                records.insert_checkpoint(db, job, effect.at, effect.step or 0, effect.metrics)
            elif effect.kind == "succeeded":
                self._succeed(db, job, effect.at)
            elif effect.kind == "failed":
                job.doc.update(status="failed", error=effect.error, finished_at=int(effect.at), estimated_finish=None)

    def _succeed(self, db: sqlite3.Connection, job: JobRecord, at: float) -> None:
        results = self.files.insert(
            filename="results.csv",
            purpose="fine-tune-results",
            content=metrics.results_csv(job.plan),
            created=at,
            processing_s=0.0,
            analysis=None,
            db=db,
            account=job.account,
        )
        records.insert_event(db, job.id, at, f"Completed results file: {results['id']}")
        records.insert_event(db, job.id, at, "Job succeeded.")
        job.doc.update(
            status="succeeded",
            fine_tuned_model=job.ft_name,
            finished_at=int(at),
            estimated_finish=None,
            trained_tokens=job.plan.trained_tokens,
            result_files=[results["id"]],
        )


def resolve_hyperparameters(doc: dict[str, Any], plan: JobPlan) -> None:
    """Once a job starts, "auto" gives way to the values it trains with (as OpenAI and Azure report them)."""
    resolved: dict[str, Any] = {
        "n_epochs": plan.n_epochs,
        "batch_size": plan.batch_size,
        "learning_rate_multiplier": plan.learning_rate_multiplier,
    }
    if plan.beta is not None:
        resolved["beta"] = plan.beta
    doc["hyperparameters"] = dict(resolved)
    method_type = doc["method"]["type"]
    section = doc["method"].setdefault(method_type, {})
    section["hyperparameters"] = {**(section.get("hyperparameters") or {}), **resolved}
