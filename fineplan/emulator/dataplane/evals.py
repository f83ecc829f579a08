"""The Evals API's evals: create, list, get, update (name, metadata), delete — dated `/openai/evals?api-version=`
and v1 `/openai/v1/evals` (which requires the `aoai-evals: preview` header, see eval_requests.py).

An eval holds a `custom` data source config (its item schema, and the sample schema when include_sample_schema)
and testing criteria. Each criterion keeps its name and gets an `id` = name + "-" + a UUID, as OpenAI's service
assigns; runs report per-criterion results and output item results under that id. Create answers 201 in the
dated style and 200 in v1, as the two specs say.
"""

from __future__ import annotations

import copy
import sqlite3
import uuid
from typing import Any

from fineplan.emulator import ids
from fineplan.emulator.apierror import invalid, not_found
from fineplan.emulator.core import Core
from fineplan.emulator.dataplane.eval_requests import (
    SAMPLE_SCHEMA,
    check_criteria,
    check_item_schema,
    check_metadata,
    page,
    require_preview_header,
)
from fineplan.emulator.dataplane.eval_store import ensure_schema
from fineplan.emulator.http_types import Plane, Request, Response, json_response
from fineplan.emulator.store import dumps, loads


class EvalService:
    def __init__(self, core: Core) -> None:
        self.core = core
        ensure_schema(core.store)

    def create(self, req: Request) -> Response:
        require_preview_header(req)
        body = req.json()
        if not isinstance(body, dict):
            raise invalid("The request body must be a JSON object.")
        item_schema, include_sample = check_item_schema(body.get("data_source_config"))
        criteria = check_criteria(body.get("testing_criteria"), item_schema, include_sample)
        metadata = check_metadata(body.get("metadata"))
        name = body.get("name")
        if name is not None and not isinstance(name, str):
            raise invalid("name must be a string.", "name")
        now = self.core.now()
        eval_id = ids.new_eval_id()
        properties: dict[str, Any] = {"item": item_schema}
        if include_sample:
            properties["sample"] = SAMPLE_SCHEMA
        doc = {
            "object": "eval",
            "id": eval_id,
            "name": name or eval_id,
            "data_source_config": {
                "type": "custom",
                "schema": {"type": "object", "properties": properties, "required": list(properties)},
            },
            "testing_criteria": [{**copy.deepcopy(g), "id": f"{g['name']}-{uuid.uuid4()}"} for g in criteria],
            "created_at": int(now),
            "metadata": metadata or {},
        }
        with self.core.store.write() as db:
            db.execute(
                "INSERT INTO evals(id, created_at, updated_at, doc, account) VALUES (?, ?, ?, ?, ?)",
                (eval_id, int(now), now, dumps(doc), req.data_account),
            )
        return json_response(200 if req.plane is Plane.DATA_V1 else 201, doc)

    def list_evals(self, req: Request) -> Response:
        require_preview_header(req)
        rows = (
            self.core.store.read()
            .execute("SELECT doc, updated_at FROM evals WHERE account = ? ORDER BY seq", (req.data_account,))
            .fetchall()
        )
        order_by = req.query.get("order_by") or "created_at"
        if order_by not in ("created_at", "updated_at"):
            raise invalid("order_by must be created_at or updated_at.", "order_by")
        docs = [{**loads(d), "_updated": u} for d, u in rows]
        body = page(docs, req.query, key="_updated" if order_by == "updated_at" else "created_at")
        for d in body["data"]:
            d.pop("_updated", None)
        return json_response(200, body)

    def get(self, req: Request) -> Response:
        require_preview_header(req)
        return json_response(200, self.load(self.core.store.read(), req))

    def update(self, req: Request) -> Response:
        require_preview_header(req)
        body = req.json()
        if not isinstance(body, dict):
            raise invalid("The request body must be a JSON object.")
        with self.core.store.write() as db:
            doc = self.load(db, req)
            if "name" in body and body["name"] is not None:
                if not isinstance(body["name"], str):
                    raise invalid("name must be a string.", "name")
                doc["name"] = body["name"]
            if "metadata" in body:
                doc["metadata"] = check_metadata(body["metadata"]) or {}
            db.execute(
                "UPDATE evals SET doc = ?, updated_at = ? WHERE id = ?", (dumps(doc), self.core.now(), doc["id"])
            )
        return json_response(200, doc)

    def delete(self, req: Request) -> Response:
        require_preview_header(req)
        eval_id = req.params["eval_id"]
        with self.core.store.write() as db:
            self.load(db, req)
            db.execute(
                "DELETE FROM eval_output_items WHERE run_id IN (SELECT id FROM eval_runs WHERE eval_id = ?)", (eval_id,)
            )
            db.execute("DELETE FROM eval_runs WHERE eval_id = ?", (eval_id,))
            db.execute("DELETE FROM evals WHERE id = ?", (eval_id,))
        return json_response(200, {"object": "eval.deleted", "deleted": True, "eval_id": eval_id})

    @staticmethod
    def load(db: sqlite3.Connection, req: Request) -> dict[str, Any]:
        eval_id = req.params["eval_id"]
        row = db.execute("SELECT doc FROM evals WHERE id = ? AND account = ?", (eval_id, req.data_account)).fetchone()
        if row is None:
            raise not_found("eval", eval_id, req.plane)
        doc: dict[str, Any] = loads(row[0])
        return doc
