"""The Evals API's runs and output items: create, list, get, cancel, delete; list and get output items.

A run is computed in full when it is created (like a file's verdict at upload) and revealed lazily with
simulated time, like a job: `queued` for `durations.eval_queue`, then `in_progress` while one item per
`durations.eval_item` is sampled and graded, then `completed`. Counts, usage and output items only ever show the
items done by now; a cancel keeps those and drops the rest (`canceled`).

Decisions where the spec leaves room:
- A `completions` run whose `model` names no Succeeded deployment is accepted (201) and fails when it leaves the
  queue, with `error: {code: "DeploymentNotFound", message: <Azure's message>}`: the service samples
  asynchronously, and EvalRun carries an `error` for exactly this. A file_id source that does not exist is a 400;
  a file line that is not `{"item": {...}, "sample"?: {...}}` fails the run (`InvalidDataSource`).
- `responses` data sources and `stored_completions` sources are refused (400): the emulator keeps neither.
- `model` on the run is the deployment name asked for (null for jsonl runs); `per_model_usage` names the model
  behind the deployment, and the grader models by the name their grader gives.
- `report_url` points at the run in this emulator (there is no portal).
- Cancelling a run that already finished answers 400 unexpectedEntityState, like cancelling a finished job.
"""

from __future__ import annotations

import math
import sqlite3
from typing import Any

import orjson

from fineplan.emulator import ids
from fineplan.emulator.apierror import ApiError, invalid, not_found
from fineplan.emulator.arm.deployments import DeploymentService
from fineplan.emulator.core import Core
from fineplan.emulator.dataplane.deployment_lookup import DEPLOYMENT_NOT_FOUND, data_plane_account, find_deployment
from fineplan.emulator.dataplane.emulated_models import EmulatedModels
from fineplan.emulator.dataplane.eval_execution import ItemOutcome, Sampler, run_items
from fineplan.emulator.dataplane.eval_requests import check_metadata, page, require_preview_header
from fineplan.emulator.dataplane.evals import EvalService
from fineplan.emulator.dataplane.inference import encoder_for, sampling_params
from fineplan.emulator.http_types import Request, Response, json_response
from fineplan.emulator.simulation.completion import SamplingParams
from fineplan.emulator.store import dumps, loads
from fineplan.graders import GradingSession

_EPS = 1e-9
_ACTIVE = ("queued", "in_progress")


class RunError(Exception):
    """The run is accepted but fails when it leaves the queue."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.error = {"code": code, "message": message}


def _rows_of(content: bytes, where: str) -> list[tuple[Any, Any]]:
    rows: list[tuple[Any, Any]] = []
    for n, line in enumerate(content.removeprefix(b"\xef\xbb\xbf").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise RunError("InvalidDataSource", f"{where} line {n} is not JSON: {exc}") from exc
        if not isinstance(row, dict) or not isinstance(row.get("item"), dict):
            raise RunError("InvalidDataSource", f"{where} line {n} must be an object with an 'item' object")
        rows.append((row["item"], row.get("sample")))
    return rows


def _response_format(value: Any) -> dict[str, Any] | None:
    """Chat-style response format from Azure's sampling_params (Responses-style `{type, name, schema}` too)."""
    if not isinstance(value, dict):
        return None
    if value.get("type") == "json_schema" and "json_schema" not in value:
        return {"type": "json_schema", "json_schema": {k: v for k, v in value.items() if k != "type"}}
    return value


class RunService:
    def __init__(self, core: Core, evals: EvalService, deployments: DeploymentService, models: EmulatedModels) -> None:
        self.core = core
        self.evals = evals
        self.deployments = deployments
        self.models = models

    # ------------------------------------------------------------------ handlers

    def create(self, req: Request) -> Response:
        require_preview_header(req)
        eval_doc = self.evals.load(self.core.store.read(), req)
        body = req.json()
        if not isinstance(body, dict) or not isinstance(body.get("data_source"), dict):
            raise invalid("Missing required parameter: 'data_source'.", "data_source")
        ds = body["data_source"]
        metadata = check_metadata(body.get("metadata"))
        if ds.get("type") not in ("jsonl", "completions"):
            raise invalid(
                f"data_source.type {ds.get('type')!r} is not supported by the emulator (jsonl, completions).",
                "data_source.type",
            )
        run_id = ids.new_eval_run_id()
        error: dict[str, Any] | None = None
        outcomes: list[ItemOutcome] = []
        try:
            rows = self._rows(ds.get("source"), req.data_account)
            sampler = self._sampler(req, ds) if ds["type"] == "completions" else None
            schema = eval_doc["data_source_config"]["schema"]["properties"]["item"]
            with GradingSession(python_timeout_s=self.core.config.python_grader_timeout_s) as session:
                outcomes = run_items(
                    eval_doc["testing_criteria"], schema, rows, sampler, session, encoder_for(""), run_id
                )
        except RunError as exc:
            error = exc.error
        now = self.core.now()
        durations = self.core.config.durations
        sim = {
            "created": now,
            "queue_end": now + self.core.real_seconds(durations.eval_queue),
            "item_s": self.core.real_seconds(durations.eval_item),
            "total": len(outcomes),
            "error": error,
            "canceled_at": None,
        }
        doc = {
            "object": "eval.run",
            "id": run_id,
            "eval_id": eval_doc["id"],
            "model": ds.get("model") if ds["type"] == "completions" else None,
            "name": body.get("name") or f"{eval_doc['name']}-{run_id[-8:]}",
            "created_at": int(now),
            "data_source": ds,
            "metadata": metadata or {},
            "criteria": [g.get("id") or g.get("name") for g in eval_doc["testing_criteria"]],
        }
        with self.core.store.write() as db:
            db.execute(
                "INSERT INTO eval_runs(id, eval_id, doc, sim) VALUES (?, ?, ?, ?)",
                (run_id, eval_doc["id"], dumps(doc), dumps(sim)),
            )
            for idx, o in enumerate(outcomes):
                item_doc = {
                    "object": "eval.run.output_item",
                    "id": ids.new_output_item_id(),
                    "run_id": run_id,
                    "eval_id": eval_doc["id"],
                    "status": o.status,
                    "datasource_item_id": idx,
                    "datasource_item": o.item,
                    "results": o.results,
                    "sample": o.sample,
                }
                db.execute(
                    "INSERT INTO eval_output_items(id, run_id, idx, status, usage, doc) VALUES (?, ?, ?, ?, ?, ?)",
                    (item_doc["id"], run_id, idx, o.status, dumps(o.usage), dumps(item_doc)),
                )
            view = self._view(db, doc, sim, req)
        return json_response(201, view)

    def list_runs(self, req: Request) -> Response:
        require_preview_header(req)
        db = self.core.store.read()
        eval_doc = self.evals.load(db, req)
        rows = db.execute("SELECT doc, sim FROM eval_runs WHERE eval_id = ? ORDER BY seq", (eval_doc["id"],))
        views = [self._view(db, loads(d), loads(s), req) for d, s in rows.fetchall()]
        wanted = req.query.get("status")
        if wanted:
            views = [v for v in views if v["status"] == wanted]
        return json_response(200, page(views, req.query))

    def get(self, req: Request) -> Response:
        require_preview_header(req)
        db = self.core.store.read()
        doc, sim = self._load(db, req)
        return json_response(200, self._view(db, doc, sim, req))

    def cancel(self, req: Request) -> Response:
        require_preview_header(req)
        with self.core.store.write() as db:
            doc, sim = self._load(db, req)
            now = self.core.now()
            status = _status(sim, now)
            if status not in _ACTIVE:
                raise ApiError(400, "unexpectedEntityState", f"The run is already {status}.", "run_id")
            sim["canceled_at"] = now
            db.execute("DELETE FROM eval_output_items WHERE run_id = ? AND idx >= ?", (doc["id"], _done(sim, now)))
            db.execute("UPDATE eval_runs SET sim = ? WHERE id = ?", (dumps(sim), doc["id"]))
            view = self._view(db, doc, sim, req)
        return json_response(200, view)

    def delete(self, req: Request) -> Response:
        require_preview_header(req)
        with self.core.store.write() as db:
            doc, _ = self._load(db, req)
            db.execute("DELETE FROM eval_output_items WHERE run_id = ?", (doc["id"],))
            db.execute("DELETE FROM eval_runs WHERE id = ?", (doc["id"],))
        return json_response(200, {"object": "eval.run.deleted", "deleted": True, "run_id": doc["id"]})

    def list_items(self, req: Request) -> Response:
        require_preview_header(req)
        db = self.core.store.read()
        doc, sim = self._load(db, req)
        items = self._items(db, doc["id"], sim)
        wanted = req.query.get("status")
        if wanted:
            if wanted not in ("pass", "fail"):
                raise invalid("status must be pass or fail.", "status")
            items = [i for i in items if i["status"] == wanted]
        return json_response(200, page(items, req.query, key="datasource_item_id"))

    def get_item(self, req: Request) -> Response:
        require_preview_header(req)
        db = self.core.store.read()
        doc, sim = self._load(db, req)
        for item in self._items(db, doc["id"], sim):
            if item["id"] == req.params["item_id"]:
                return json_response(200, item)
        raise not_found("output item", req.params["item_id"], req.plane)

    # ------------------------------------------------------------------ building a run

    def _rows(self, source: Any, account: str) -> list[tuple[Any, Any]]:
        if not isinstance(source, dict):
            raise invalid("data_source.source must be an object with a type.", "data_source.source")
        kind = source.get("type")
        if kind == "file_content":
            content = source.get("content")
            if not isinstance(content, list) or not all(
                isinstance(r, dict) and isinstance(r.get("item"), dict) for r in content
            ):
                raise invalid(
                    "data_source.source.content must be a list of {item: {...}, sample?: {...}} objects.",
                    "data_source.source.content",
                )
            return [(r["item"], r.get("sample")) for r in content]
        if kind == "file_id":
            file_id = source.get("id")
            row = (
                self.core.store.read()
                .execute("SELECT content FROM files WHERE id = ? AND account = ?", (file_id, account))
                .fetchone()
            )
            if row is None:
                raise invalid(f"The file '{file_id}' could not be found.", "data_source.source.id")
            return _rows_of(bytes(row[0]), f"file {file_id}")
        raise invalid(
            f"data_source.source.type {kind!r} is not supported by the emulator (file_content, file_id).",
            "data_source.source.type",
        )

    def _sampler(self, req: Request, ds: dict[str, Any]) -> Sampler:
        model = ds.get("model")
        if not isinstance(model, str) or not model:
            raise invalid("A completions data source needs 'model' (a deployment name).", "data_source.model")
        messages = ds.get("input_messages")
        if not isinstance(messages, dict) or messages.get("type") not in ("template", "item_reference"):
            raise invalid(
                "A completions data source needs input_messages of type template or item_reference.",
                "data_source.input_messages",
            )
        if messages["type"] == "template" and not isinstance(messages.get("template"), list):
            raise invalid("input_messages.template must be a list of messages.", "data_source.input_messages")
        raw = ds.get("sampling_params") if isinstance(ds.get("sampling_params"), dict) else {}
        assert isinstance(raw, dict)
        max_tokens = raw.get("max_completion_tokens", raw.get("max_tokens"))
        chat = sampling_params(
            {
                "temperature": raw.get("temperature"),
                "max_completion_tokens": max_tokens,
                "response_format": _response_format(raw.get("response_format")),
                "tools": raw.get("tools"),
            }
        )
        target = find_deployment(self.deployments, model, data_plane_account(req))
        if target is None:
            raise RunError("DeploymentNotFound", DEPLOYMENT_NOT_FOUND)
        echo = {
            "temperature": chat.temperature,
            "max_completion_tokens": max_tokens if isinstance(max_tokens, int) else 0,
            "top_p": raw.get("top_p") if isinstance(raw.get("top_p"), int | float) else 1.0,
            "seed": raw.get("seed") if isinstance(raw.get("seed"), int) else 42,
        }
        params = SamplingParams(
            n=1,
            temperature=chat.temperature,
            max_tokens=chat.max_tokens,
            response_format=chat.response_format,
            tools=chat.tools,
        )
        return Sampler(self.models.get(target.model), target.model, messages, params, encoder_for(target.model), echo)

    # ------------------------------------------------------------------ views

    def _load(self, db: sqlite3.Connection, req: Request) -> tuple[dict[str, Any], dict[str, Any]]:
        self.evals.load(db, req)
        row = db.execute(
            "SELECT doc, sim FROM eval_runs WHERE id = ? AND eval_id = ?", (req.params["run_id"], req.params["eval_id"])
        ).fetchone()
        if row is None:
            raise not_found("eval run", req.params["run_id"], req.plane)
        return loads(row[0]), loads(row[1])

    def _items(self, db: sqlite3.Connection, run_id: str, sim: dict[str, Any]) -> list[dict[str, Any]]:
        done = _done(sim, self.core.now())
        rows = db.execute(
            "SELECT idx, doc FROM eval_output_items WHERE run_id = ? AND idx < ? ORDER BY idx", (run_id, done)
        ).fetchall()
        out = []
        for idx, raw in rows:
            item = loads(raw)
            item["created_at"] = int(sim["queue_end"] + (idx + 1) * sim["item_s"])
            out.append(item)
        return out

    def _view(self, db: sqlite3.Connection, doc: dict[str, Any], sim: dict[str, Any], req: Request) -> dict[str, Any]:
        now = self.core.now()
        status = _status(sim, now)
        counts = {"total": 0, "errored": 0, "failed": 0, "passed": 0}
        criteria: dict[str, list[int]] = {c: [0, 0] for c in doc["criteria"]}
        usage: dict[str, list[int]] = {}
        rows = db.execute(
            "SELECT status, usage, doc FROM eval_output_items WHERE run_id = ? AND idx < ?",
            (doc["id"], _done(sim, now)),
        ).fetchall()
        for item_status, item_usage, raw in rows:
            counts["total"] += 1
            counts[{"pass": "passed", "fail": "failed"}.get(item_status, "errored")] += 1
            for result in loads(raw)["results"]:
                tally = criteria.setdefault(str(result["name"]), [0, 0])
                tally[0 if result["passed"] else 1] += 1
            for model, (calls, prompt, completion) in loads(item_usage).items():
                entry = usage.setdefault(model, [0, 0, 0])
                entry[0] += calls
                entry[1] += prompt
                entry[2] += completion
        view = {k: v for k, v in doc.items() if k != "criteria"}
        view.update(
            status=status,
            report_url=f"{req.root}/openai/v1/evals/{doc['eval_id']}/runs/{doc['id']}",
            result_counts=counts,
            per_testing_criteria_results=[
                {"testing_criteria": name, "passed": p, "failed": f} for name, (p, f) in criteria.items()
            ],
            per_model_usage=[
                {
                    "model_name": model,
                    "invocation_count": calls,
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "total_tokens": prompt + completion,
                    "cached_tokens": 0,
                }
                for model, (calls, prompt, completion) in usage.items()
            ],
            error=sim["error"] if status == "failed" else None,
        )
        return view


def _done(sim: dict[str, Any], now: float) -> int:
    """How many items are sampled and graded by `now` (or by the cancel, if earlier)."""
    if sim["error"] is not None:
        return 0
    t = min(now, sim["canceled_at"]) if sim["canceled_at"] is not None else now
    if t < sim["queue_end"]:
        return 0
    if sim["item_s"] <= 0:
        return int(sim["total"])
    return min(int(sim["total"]), math.floor((t - sim["queue_end"]) / sim["item_s"] + _EPS))


def _status(sim: dict[str, Any], now: float) -> str:
    if sim["canceled_at"] is not None:
        return "canceled"
    if now < sim["queue_end"]:
        return "queued"
    if sim["error"] is not None:
        return "failed"
    return "completed" if _done(sim, now) >= sim["total"] else "in_progress"
