"""Fine-tuning jobs: create / list / get / cancel / pause / resume / delete, events and checkpoints.

Jobs advance lazily (job_progress, simulation.timeline): every request first brings the active jobs up to the
present, in one write transaction, then answers. One training slot per resource (Azure: 1 running job at a
time); the rest wait in `pending`. Limits per resource come from the catalog: 100 jobs, 20 queued.

Every account has its own data plane (`Request.data_account`): its jobs, limits and training slot; a job of one
account is invisible from another, and its fine-tuned model deploys elsewhere only with `source` (ARM).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from fineplan.catalog import load_catalog
from fineplan.emulator import ids
from fineplan.emulator.apierror import ApiError, invalid, not_found
from fineplan.emulator.core import Core
from fineplan.emulator.dataplane import job_records as records
from fineplan.emulator.dataplane import listing
from fineplan.emulator.dataplane.files import FileService
from fineplan.emulator.dataplane.job_progress import JobProgress
from fineplan.emulator.dataplane.job_records import CHECKPOINT_MARK, JobRecord
from fineplan.emulator.dataplane.job_request import MAX_SEED, parse_job_request
from fineplan.emulator.dataplane.job_setup import check_limits, new_job_doc, plan_job
from fineplan.emulator.http_types import Plane, Request, Response, empty_response, json_response
from fineplan.emulator.simulation.timeline import DONE, PAUSED, RUNNING, WAITING, SimState
from fineplan.emulator.store import loads

_DEPLOYABLE_CHECKPOINTS = 3  # the final checkpoint and the two before it


class JobService:
    def __init__(self, core: Core, files: FileService) -> None:
        self.core = core
        self.files = files
        self.progress = JobProgress(core, files)

    # ------------------------------------------------------------------ handlers

    def create(self, req: Request) -> Response:
        body = req.json()
        catalog = load_catalog()
        account = req.data_account
        self.progress.sync(account)
        request = parse_job_request(body, catalog, lambda model: self.is_succeeded_model(model, account))
        training = self._file_for_job(request.training_file, "training_file", account)
        validation = (
            self._file_for_job(request.validation_file, "validation_file", account) if request.validation_file else None
        )
        job_id = ids.new_job_id()
        seed = request.seed if request.seed is not None else int(ids.job_hex(job_id)[:8], 16) % MAX_SEED
        suffix = f"-{request.suffix}" if request.suffix else ""
        with self.core.store.write() as db:
            self.progress.sync_in(db, account)
            check_limits(db, catalog.limits, account)
            now = self.core.now()
            job = JobRecord(
                seq=0,
                id=job_id,
                doc=new_job_doc(job_id, request, seed, now),
                state=SimState(at=now),
                plan=plan_job(request, seed, training, validation, self.core.config.durations),
                base_model=request.base_model,
                ft_name=f"{request.base_model}.ft-{ids.job_hex(job_id)}{suffix}",
                account=account,
            )
            records.insert(db, job)
            records.insert_event(db, job_id, now, "Job enqueued. Waiting for jobs ahead to complete.")
        if req.plane is Plane.DATA_V1:
            return json_response(200, job.doc)
        return json_response(201, job.doc, {"Location": f"{req.root}/openai/fine_tuning/jobs/{job_id}"})

    def list_jobs(self, req: Request) -> Response:
        self.progress.sync(req.data_account)
        rows = (
            self.core.store.read()
            .execute("SELECT doc FROM jobs WHERE account = ? ORDER BY seq DESC", (req.data_account,))
            .fetchall()
        )
        docs = [loads(r[0]) for r in rows]  # at most 100 jobs per resource: filter and page in memory
        wanted = {
            k[len("metadata[") : -1]: v for k, v in req.query.items() if k.startswith("metadata[") and k[-1] == "]"
        }
        if wanted:
            docs = [d for d in docs if all((d.get("metadata") or {}).get(k) == v for k, v in wanted.items())]
        limit = _limit(req.query, self.core.config.data_list_default_limit)
        after = req.query.get("after")
        if after:
            position = next((i for i, d in enumerate(docs) if d["id"] == after), None)
            if position is None:
                raise invalid(f"The cursor 'after={after}' does not name a known job.", "after")
            docs = docs[position + 1 :]
        return json_response(200, listing.list_body(docs[:limit], len(docs) > limit))

    def get(self, req: Request) -> Response:
        self.progress.sync(req.data_account)
        return json_response(200, self._load(self.core.store.read(), req).doc)

    def cancel(self, req: Request) -> Response:
        with self.core.store.write() as db:
            self.progress.sync_in(db, req.data_account)
            job = self._load(db, req)
            if job.state.phase == DONE:
                raise ApiError(400, "unexpectedEntityState", f"The job is already {job.doc['status']}.", "job_id")
            now = self.core.now()
            held = job.state.holds_slot
            billed = round(job.plan.tokens_per_epoch * job.state.steps_done(job.plan) / job.plan.steps_per_epoch)
            job.state.phase, job.state.at = DONE, now
            job.doc.update(status="cancelled", finished_at=int(now), estimated_finish=None, trained_tokens=billed)
            records.insert_event(db, job.id, now, "Job cancelled.")
            records.save(db, job, is_active=False)
            if held:
                self._free_slot(db, now, job.account)
        return json_response(200, job.doc)

    def pause(self, req: Request) -> Response:
        with self.core.store.write() as db:
            self.progress.sync_in(db, req.data_account)
            job = self._load(db, req)
            if job.state.phase != RUNNING or job.state.steps_done(job.plan) < 1:
                raise ApiError(
                    400,
                    "unexpectedEntityState",
                    f"Only running jobs that completed at least one step can be paused (status: {job.doc['status']}).",
                    "job_id",
                )
            now = self.core.now()
            job.state.phase, job.state.at = PAUSED, now
            job.doc.update(status="paused", estimated_finish=None)
            records.insert_event(db, job.id, now, "Job paused.")
            records.save(db, job, is_active=True)
            self._free_slot(db, now, job.account)
        return json_response(200, job.doc)

    def resume(self, req: Request) -> Response:
        with self.core.store.write() as db:
            self.progress.sync_in(db, req.data_account)
            job = self._load(db, req)
            if job.state.phase != PAUSED:
                raise ApiError(
                    400,
                    "unexpectedEntityState",
                    f"Only paused jobs can be resumed (status: {job.doc['status']}).",
                    "job_id",
                )
            job.state.phase, job.state.resumed, job.state.at = WAITING, True, self.core.now()
            job.doc["status"] = "resuming"
            records.save(db, job, is_active=True)
            self.progress.sync_in(db, job.account)  # takes the slot at once if it is free
            job = self._load(db, req)
        return json_response(200, job.doc)

    def delete(self, req: Request) -> Response:
        with self.core.store.write() as db:
            self.progress.sync_in(db, req.data_account)
            job = self._load(db, req)
            if job.state.phase != DONE:
                raise ApiError(409, "conflict", "Only jobs in a terminal state can be deleted; cancel it first.")
            records.delete(db, job.id)
        return empty_response(204)

    def events(self, req: Request) -> Response:
        return self._child_list(req, "job_events")

    def checkpoints(self, req: Request) -> Response:
        return self._child_list(req, "checkpoints")

    # ------------------------------------------------------------------ used by job creation and ARM

    def is_succeeded_model(self, name: str, account: str) -> bool:
        row = (
            self.core.store.read()
            .execute("SELECT 1 FROM jobs WHERE fine_tuned_model = ? AND account = ?", (name, account))
            .fetchone()
        )
        return row is not None

    def deployable_base(self, name: str, account: str) -> str | None:
        """The catalog base model behind a deployable fine-tuned model or checkpoint name of one data plane
        (`account`, a data-plane partition), else None."""
        self.progress.sync(account)
        db = self.core.store.read()
        model, mark, step = name.partition(CHECKPOINT_MARK)
        row = db.execute(
            "SELECT id, sim FROM jobs WHERE fine_tuned_model = ? AND account = ?", (model, account)
        ).fetchone()
        if row is None:
            return None
        if mark:
            recent = db.execute(
                "SELECT json_extract(doc, '$.step_number') FROM checkpoints WHERE job_id = ? ORDER BY seq DESC LIMIT ?",
                (row[0], _DEPLOYABLE_CHECKPOINTS),
            ).fetchall()
            if not step.isdigit() or int(step) not in {r[0] for r in recent}:
                return None
        return str(loads(row[1])["base_model"])

    # ------------------------------------------------------------------ helpers

    def fine_tuned_models(self, account: str) -> list[tuple[str, str]]:
        """(fine-tuned model, catalog base model) of the succeeded jobs of one data plane, oldest first."""
        self.progress.sync(account)
        rows = self.core.store.read().execute(
            "SELECT fine_tuned_model, sim FROM jobs WHERE account = ? AND fine_tuned_model IS NOT NULL ORDER BY seq",
            (account,),
        )
        return [(str(name), str(loads(sim)["base_model"])) for name, sim in rows]

    def homes_of(self, name: str) -> list[str]:
        """The data planes holding a succeeded fine-tuned model of this name (for a helpful deployment error)."""
        model = name.partition(CHECKPOINT_MARK)[0]
        rows = self.core.store.read().execute("SELECT account FROM jobs WHERE fine_tuned_model = ?", (model,))
        return sorted({str(r[0]) for r in rows})

    def _free_slot(self, db: sqlite3.Connection, at: float, account: str) -> None:
        """A job let go of the training slot now: hand it to the next waiting job at this moment."""
        records.set_slot_free_at(db, at, account)
        self.progress.sync_in(db, account)

    def _file_for_job(self, file_id: str, param: str, account: str) -> dict[str, Any]:
        found = self.files.outcome(file_id, account)
        if found is None:
            raise invalid(f"The file '{file_id}' could not be found.", param)
        doc, outcome = found
        if doc["purpose"] != "fine-tune":
            raise invalid(f"The file '{file_id}' has purpose '{doc['purpose']}', not 'fine-tune'.", param)
        return outcome

    @staticmethod
    def _load(db: sqlite3.Connection, req: Request) -> JobRecord:
        job = records.load(db, req.params["job_id"], req.data_account)
        if job is None:
            raise not_found("fine-tuning job", req.params["job_id"], req.plane)
        return job

    def _child_list(self, req: Request, table: str) -> Response:
        self.progress.sync(req.data_account)
        db = self.core.store.read()
        self._load(db, req)  # 404 for an unknown job
        page = listing.read_page(
            req.query,
            db,
            table,
            default_limit=self.core.config.data_list_default_limit,
            max_limit=self.core.config.data_list_max_limit,
        )
        cond, params = listing.where_after(page)
        rows = db.execute(
            f"SELECT doc FROM {table} WHERE job_id = ? AND {cond} ORDER BY {listing.order_by(page)} LIMIT ?",
            (req.params["job_id"], *params, page.limit + 1),
        ).fetchall()
        items = [loads(r[0]) for r in rows[: page.limit]]
        return json_response(200, {"object": "list", "data": items, "has_more": len(rows) > page.limit})


def _limit(query: Mapping[str, str], default: int) -> int:
    raw = query.get("limit")
    try:
        limit = default if raw in (None, "") else int(raw or "")
    except ValueError as exc:
        raise invalid(f"limit must be an integer, got {raw!r}", "limit") from exc
    if not 1 <= limit <= 10_000:
        raise invalid("limit must be between 1 and 10000", "limit")
    return limit
