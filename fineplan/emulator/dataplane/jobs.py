"""Fine-tuning jobs: create / list / get / cancel / pause / resume / delete, events and checkpoints.

Jobs advance lazily (see simulation.timeline): every request first brings the active jobs up to the present, in
one write transaction, then answers. One training slot per resource (Azure: 1 running job at a time); the rest
wait in `pending`. Limits per resource come from the catalog: 100 jobs, 20 queued.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from fineplan.catalog import load_catalog
from fineplan.emulator import ids
from fineplan.emulator.apierror import ApiError, invalid, not_found
from fineplan.emulator.core import Core
from fineplan.emulator.datacheck import METHOD_FORMAT
from fineplan.emulator.dataplane import listing
from fineplan.emulator.dataplane.files import FileService
from fineplan.emulator.dataplane.job_request import MAX_SEED, JobRequest, parse_job_request
from fineplan.emulator.http_types import Plane, Request, Response, empty_response, json_response
from fineplan.emulator.simulation import metrics
from fineplan.emulator.simulation.plan import JobPlan, make_plan
from fineplan.emulator.simulation.timeline import DONE, PAUSED, RUNNING, WAITING, Effect, SimState, advance
from fineplan.emulator.store import dumps, loads

_SLOT_KEY = "training_slot_free_at"
_CHECKPOINT_MARK = ":ckpt-step-"
_DEPLOYABLE_CHECKPOINTS = 3  # the final checkpoint and the two before it


@dataclass(slots=True)
class _Job:
    seq: int
    id: str
    doc: dict[str, Any]
    state: SimState
    plan: JobPlan
    extra: dict[str, Any]  # base_model, ft_name

    def sim_json(self) -> bytes:
        return dumps({"state": self.state.to_json(), "plan": self.plan.to_json(), **self.extra})


class JobService:
    def __init__(self, core: Core, files: FileService) -> None:
        self.core = core
        self.files = files

    # ------------------------------------------------------------------ handlers

    def create(self, req: Request) -> Response:
        body = req.json()
        catalog = load_catalog()
        self.sync()
        request = parse_job_request(body, catalog, self.is_succeeded_model)
        training = self._file_for_job(request.training_file, "training_file")
        validation = self._file_for_job(request.validation_file, "validation_file") if request.validation_file else None
        job_id = ids.new_job_id()
        with self.core.store.write() as db:
            self._sync_in(db)
            self._check_limits(db, catalog.limits)
            now = self.core.now()
            seed = request.seed if request.seed is not None else int(ids.job_hex(job_id)[:8], 16) % MAX_SEED
            plan = self._plan(request, seed, training, validation)
            doc = self._new_doc(job_id, request, seed, now)
            ft_name = f"{request.base_model}.ft-{ids.job_hex(job_id)}" + (
                f"-{request.suffix}" if request.suffix else ""
            )
            job = _Job(0, job_id, doc, SimState(at=now), plan, {"base_model": request.base_model, "ft_name": ft_name})
            db.execute(
                "INSERT INTO jobs(id, active, fine_tuned_model, doc, sim) VALUES (?, 1, NULL, ?, ?)",
                (job_id, dumps(doc), job.sim_json()),
            )
            self._insert_event(db, job_id, now, "Job enqueued. Waiting for jobs ahead to complete.")
        if req.plane is Plane.DATA_V1:
            return json_response(200, doc)
        return json_response(201, doc, {"Location": f"{req.root}/openai/fine_tuning/jobs/{job_id}"})

    def list(self, req: Request) -> Response:
        self.sync()
        wanted = {
            k[len("metadata[") : -1]: v for k, v in req.query.items() if k.startswith("metadata[") and k.endswith("]")
        }
        rows = self.core.store.read().execute("SELECT doc FROM jobs ORDER BY seq DESC").fetchall()
        docs = [loads(r[0]) for r in rows]
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
        self.sync()
        return json_response(200, self._load(self.core.store.read(), req).doc)

    def cancel(self, req: Request) -> Response:
        with self.core.store.write() as db:
            self._sync_in(db)
            job = self._load(db, req)
            if job.state.phase == DONE:
                raise ApiError(400, "unexpectedEntityState", f"The job is already {job.doc['status']}.", "job_id")
            now = self.core.now()
            held = job.state.holds_slot
            done = job.state.steps_done(job.plan)
            billed = round(job.plan.tokens_per_epoch * done / job.plan.steps_per_epoch)
            job.state.phase, job.state.at = DONE, now
            job.doc.update(status="cancelled", finished_at=int(now), estimated_finish=None, trained_tokens=billed)
            self._insert_event(db, job.id, now, "Job cancelled.")
            self._save(db, job, active=False)
            if held:
                self._set_slot_free(db, now)
                self._sync_in(db)
        return json_response(200, job.doc)

    def pause(self, req: Request) -> Response:
        with self.core.store.write() as db:
            self._sync_in(db)
            job = self._load(db, req)
            if job.state.phase != RUNNING or job.state.steps_done(job.plan) < 1:
                raise ApiError(
                    400, "unexpectedEntityState",
                    f"Only running jobs that completed at least one step can be paused (status: {job.doc['status']}).",
                    "job_id",
                )  # fmt: skip
            now = self.core.now()
            job.state.phase, job.state.at = PAUSED, now
            job.doc.update(status="paused", estimated_finish=None)
            self._insert_event(db, job.id, now, "Job paused.")
            self._save(db, job, active=True)
            self._set_slot_free(db, now)
            self._sync_in(db)
        return json_response(200, job.doc)

    def resume(self, req: Request) -> Response:
        with self.core.store.write() as db:
            self._sync_in(db)
            job = self._load(db, req)
            if job.state.phase != PAUSED:
                raise ApiError(
                    400, "unexpectedEntityState", f"Only paused jobs can be resumed (status: {job.doc['status']}).",
                    "job_id",
                )  # fmt: skip
            now = self.core.now()
            job.state.phase, job.state.resumed, job.state.at = WAITING, True, now
            job.doc["status"] = "resuming"
            self._save(db, job, active=True)
            self._sync_in(db)
            job = self._load(db, req)
        return json_response(200, job.doc)

    def delete(self, req: Request) -> Response:
        with self.core.store.write() as db:
            self._sync_in(db)
            job = self._load(db, req)
            if job.state.phase != DONE:
                raise ApiError(409, "conflict", "Only jobs in a terminal state can be deleted; cancel it first.")
            db.execute("DELETE FROM jobs WHERE id = ?", (job.id,))
            db.execute("DELETE FROM job_events WHERE job_id = ?", (job.id,))
            db.execute("DELETE FROM checkpoints WHERE job_id = ?", (job.id,))
        return empty_response(204)

    def events(self, req: Request) -> Response:
        return self._child_list(req, "job_events")

    def checkpoints(self, req: Request) -> Response:
        return self._child_list(req, "checkpoints")

    # ------------------------------------------------------------------ used by ARM

    def is_succeeded_model(self, name: str) -> bool:
        row = self.core.store.read().execute("SELECT 1 FROM jobs WHERE fine_tuned_model = ?", (name,)).fetchone()
        return row is not None

    def deployable_base(self, name: str) -> str | None:
        """The catalog base model behind a deployable fine-tuned model or checkpoint name, else None."""
        self.sync()
        db = self.core.store.read()
        model, mark, step = name.partition(_CHECKPOINT_MARK)
        row = db.execute("SELECT id, sim FROM jobs WHERE fine_tuned_model = ?", (model,)).fetchone()
        if row is None:
            return None
        if mark:
            steps = [
                r[0]
                for r in db.execute(
                    "SELECT json_extract(doc, '$.step_number') FROM checkpoints WHERE job_id = ? ORDER BY seq DESC "
                    "LIMIT ?",
                    (row[0], _DEPLOYABLE_CHECKPOINTS),
                )
            ]
            if not step.isdigit() or int(step) not in steps:
                return None
        return str(loads(row[1])["base_model"])

    # ------------------------------------------------------------------ simulation

    def sync(self) -> None:
        """Bring active jobs up to now (cheap when none is active)."""
        if self.core.store.read().execute("SELECT 1 FROM jobs WHERE active = 1 LIMIT 1").fetchone() is None:
            return
        with self.core.store.write() as db:
            self._sync_in(db)

    def _sync_in(self, db: sqlite3.Connection) -> None:
        rows = db.execute("SELECT seq, id, doc, sim FROM jobs WHERE active = 1 ORDER BY seq").fetchall()
        if not rows:
            return
        now, speed = self.core.now(), self.core.config.speed
        jobs = [_parse(row) for row in rows]
        jobs.sort(key=lambda j: (not j.state.holds_slot, j.seq))  # the slot holder moves first
        slot_free = self._slot_free_at(db)
        for job in jobs:
            if job.state.phase == PAUSED:
                continue
            effects, slot_free = advance(job.state, job.plan, now, speed, slot_free)
            self._apply(db, job, effects)
            if job.state.phase == RUNNING:
                job.doc["estimated_finish"] = int(job.state.at + (job.plan.running_total - job.state.progress) / speed)
            self._save(db, job, active=job.state.phase != DONE)
        db.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (_SLOT_KEY, repr(slot_free)),
        )

    def _apply(self, db: sqlite3.Connection, job: _Job, effects: list[Effect]) -> None:
        for effect in effects:
            if effect.kind == "event":
                self._insert_event(
                    db, job.id, effect.at, effect.message or "", level=effect.level, event_type=effect.event_type,
                    data=effect.data,
                )  # fmt: skip
            elif effect.kind == "status":
                job.doc["status"] = effect.status
                if effect.status == "running":
                    _resolve_hyperparameters(job.doc, job.plan)
            elif effect.kind == "checkpoint":
                self._insert_checkpoint(db, job, effect)
            elif effect.kind == "succeeded":
                self._succeed(db, job, effect.at)
            elif effect.kind == "failed":
                job.doc.update(status="failed", error=effect.error, finished_at=int(effect.at), estimated_finish=None)

    def _succeed(self, db: sqlite3.Connection, job: _Job, at: float) -> None:
        results = self.files.insert(
            filename="results.csv", purpose="fine-tune-results", content=metrics.results_csv(job.plan), created=at,
            processing_s=0.0, analysis=None, db=db,
        )  # fmt: skip
        self._insert_event(db, job.id, at, f"Completed results file: {results['id']}")
        self._insert_event(db, job.id, at, "Job succeeded.")
        job.doc.update(
            status="succeeded",
            fine_tuned_model=job.extra["ft_name"],
            finished_at=int(at),
            estimated_finish=None,
            trained_tokens=job.plan.trained_tokens,
            result_files=[results["id"]],
        )

    # ------------------------------------------------------------------ helpers

    def _file_for_job(self, file_id: str, param: str) -> dict[str, Any]:
        found = self.files.outcome(file_id)
        if found is None:
            raise invalid(f"The file '{file_id}' could not be found.", param)
        doc, outcome = found
        if doc["purpose"] != "fine-tune":
            raise invalid(f"The file '{file_id}' has purpose '{doc['purpose']}', not 'fine-tune'.", param)
        return outcome

    def _check_limits(self, db: sqlite3.Connection, limits: dict[str, int]) -> None:
        total = db.execute("SELECT count(*) FROM jobs").fetchone()[0]
        if total >= limits["jobs_per_resource"]:
            raise ApiError(
                400, "quotaExceeded",
                f"This resource already has {total} fine-tuning jobs (limit {limits['jobs_per_resource']}); "
                "delete finished jobs first.",
            )  # fmt: skip
        queued = db.execute(
            "SELECT count(*) FROM jobs WHERE active = 1 AND json_extract(doc, '$.status') = 'pending'"
        ).fetchone()[0]
        if queued >= limits["queued_jobs_per_resource"]:
            raise ApiError(
                429, "quotaExceeded",
                f"{queued} fine-tuning jobs are already queued (limit {limits['queued_jobs_per_resource']}).",
                headers={"retry-after-ms": "1000"},
            )  # fmt: skip

    def _plan(
        self, request: JobRequest, seed: int, training: dict[str, Any], validation: dict[str, Any] | None
    ) -> JobPlan:
        expected = METHOD_FORMAT[request.method_type]
        error = _file_error(training, expected, request.method_type, "training_file")
        if error is None and validation is not None:
            error = _file_error(validation, expected, request.method_type, "validation_file")
        digest = training["digest"] + (validation["digest"] if validation else "")
        return make_plan(
            method=request.method_type,
            hyperparameters=request.hyperparameters,
            examples=int(training.get("examples") or 1),
            tokens_per_epoch=int(training.get("tokens") or 0),
            has_validation=validation is not None,
            seed=seed,
            data_digest=digest,
            durations=self.core.config.durations,
            error=error,
        )

    @staticmethod
    def _new_doc(job_id: str, request: JobRequest, seed: int, now: float) -> dict[str, Any]:
        hyper = request.hyperparameters

        def echoed(key: str) -> Any:
            value = hyper.get(key, "auto")
            return -1 if value == "auto" else value  # Azure echoes -1 for "auto" until the job starts

        top = {k: echoed(k) for k in ("n_epochs", "batch_size", "learning_rate_multiplier")}
        if request.method_type == "dpo":
            top["beta"] = echoed("beta")
        return {
            "id": job_id,
            "object": "fine_tuning.job",
            "created_at": int(now),
            "status": "pending",
            "model": request.model,
            "fine_tuned_model": None,
            "training_file": request.training_file,
            "validation_file": request.validation_file,
            "result_files": [],
            "finished_at": None,
            "estimated_finish": None,
            "trained_tokens": None,
            "hyperparameters": top,
            "method": request.method,
            "seed": seed,
            "suffix": request.suffix,
            "user_provided_suffix": request.suffix,
            "metadata": request.metadata,
            "integrations": request.integrations,
            "trainingType": request.training_type_wire,
            "error": None,
        }

    def _load(self, db: sqlite3.Connection, req: Request) -> _Job:
        job_id = req.params["job_id"]
        row = db.execute("SELECT seq, id, doc, sim FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise not_found("fine-tuning job", job_id, req.plane)
        return _parse(row)

    @staticmethod
    def _save(db: sqlite3.Connection, job: _Job, *, active: bool) -> None:
        db.execute(
            "UPDATE jobs SET doc = ?, sim = ?, active = ?, fine_tuned_model = ? WHERE id = ?",
            (dumps(job.doc), job.sim_json(), int(active), job.doc.get("fine_tuned_model"), job.id),
        )

    @staticmethod
    def _slot_free_at(db: sqlite3.Connection) -> float:
        row = db.execute("SELECT value FROM meta WHERE key = ?", (_SLOT_KEY,)).fetchone()
        return float(row[0]) if row else 0.0

    @staticmethod
    def _set_slot_free(db: sqlite3.Connection, at: float) -> None:
        db.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (_SLOT_KEY, repr(at)),
        )

    @staticmethod
    def _insert_event(
        db: sqlite3.Connection, job_id: str, at: float, message: str, *, level: str = "info",
        event_type: str = "message", data: dict[str, Any] | None = None,
    ) -> None:  # fmt: skip
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

    @staticmethod
    def _insert_checkpoint(db: sqlite3.Connection, job: _Job, effect: Effect) -> None:
        checkpoint_id = ids.new_checkpoint_id()
        model = f"{job.extra['ft_name']}{_CHECKPOINT_MARK}{effect.step}"
        doc = {
            "id": checkpoint_id,
            "object": "fine_tuning.job.checkpoint",
            "created_at": int(effect.at),
            "fine_tuned_model_checkpoint": model,
            "step_number": effect.step,
            "metrics": effect.metrics,
            "fine_tuning_job_id": job.id,
        }
        db.execute(
            "INSERT INTO checkpoints(id, job_id, model, doc) VALUES (?, ?, ?, ?)",
            (checkpoint_id, job.id, model, dumps(doc)),
        )

    def _child_list(self, req: Request, table: str) -> Response:
        self.sync()
        db = self.core.store.read()
        self._load(db, req)  # 404 for an unknown job
        page = listing.read_page(
            req.query, db, table, default_limit=self.core.config.data_list_default_limit,
            max_limit=self.core.config.data_list_max_limit,
        )  # fmt: skip
        cond, params = listing.where_after(page)
        rows = db.execute(
            f"SELECT doc FROM {table} WHERE job_id = ? AND {cond} ORDER BY {listing.order_by(page)} LIMIT ?",
            (req.params["job_id"], *params, page.limit + 1),
        ).fetchall()
        items = [loads(r[0]) for r in rows[: page.limit]]
        return json_response(200, {"object": "list", "data": items, "has_more": len(rows) > page.limit})


def _parse(row: tuple[Any, ...]) -> _Job:
    seq, job_id, doc, sim = row
    raw = loads(sim)
    state = SimState.from_json(raw.pop("state"))
    plan = JobPlan.from_json(raw.pop("plan"))
    return _Job(int(seq), str(job_id), loads(doc), state, plan, raw)


def _file_error(outcome: dict[str, Any], expected: str, method: str, param: str) -> dict[str, Any] | None:
    label = "training" if param == "training_file" else "validation"
    if outcome.get("status") == "error":
        return {
            "code": f"invalid_{label}_file",
            "message": f"The job failed due to an invalid {label} file. {outcome.get('status_details', '')}".strip(),
            "param": param,
        }
    if outcome.get("format") != expected:
        return {
            "code": f"invalid_{label}_file",
            "message": (
                f"The job failed due to an invalid {label} file: it holds {outcome.get('format')} examples, "
                f"but the {method} method trains on {expected} examples."
            ),
            "param": param,
        }
    return None


def _resolve_hyperparameters(doc: dict[str, Any], plan: JobPlan) -> None:
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


def _limit(query: dict[str, str] | Any, default: int) -> int:
    raw = query.get("limit")
    try:
        limit = default if raw in (None, "") else int(raw)
    except ValueError as exc:
        raise invalid(f"limit must be an integer, got {raw!r}", "limit") from exc
    if not 1 <= limit <= 10_000:
        raise invalid("limit must be between 1 and 10000", "limit")
    return limit
