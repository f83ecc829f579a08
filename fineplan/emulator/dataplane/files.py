"""Files: multipart upload, list, get, delete, content. Processing is simulated: a file reads `pending`, then
`running` half-way through its processing time, then `processed` or `error` (naming the first bad line and rule).
The verdict itself is computed once, at upload, by `datacheck.analyse`; only its reveal waits."""

from __future__ import annotations

import hashlib
import sqlite3
from typing import Any

from fineplan.catalog import load_catalog
from fineplan.emulator import datacheck, ids
from fineplan.emulator.apierror import ApiError, invalid, not_found
from fineplan.emulator.core import Core
from fineplan.emulator.dataplane import listing
from fineplan.emulator.http_types import Plane, Request, Response, json_response
from fineplan.emulator.multipart import parse_multipart
from fineplan.emulator.store import dumps, loads

# What a client may upload (both specs: dated Purpose enum without its read-only *_output / *-results values, and
# v1's AzureCreateFileRequestMultiPart). OpenAI's `vision` and `user_data` are not Azure purposes.
UPLOAD_PURPOSES = ("fine-tune", "assistants", "batch", "evals")
PURPOSES = frozenset({*UPLOAD_PURPOSES, "fine-tune-results", "assistants_output", "batch_output", "evals_output"})
_EXPIRY_RANGE = (1_209_600, 2_592_000)  # seconds, per the dated spec


class FileService:
    def __init__(self, core: Core) -> None:
        self.core = core

    # ------------------------------------------------------------------ handlers

    def create(self, req: Request) -> Response:
        parts = parse_multipart(req.headers.get("content-type", ""), req.body)
        if "file" not in parts:
            raise invalid("Missing required parameter: 'file'.", "file")
        purpose = parts["purpose"].text() if "purpose" in parts else ""
        if purpose not in UPLOAD_PURPOSES:
            raise invalid(
                f"Invalid value for 'purpose': {purpose!r}; supported values are {', '.join(UPLOAD_PURPOSES)}.",
                "purpose",
            )
        upload = parts["file"]
        if len(upload.data) > load_catalog().limits["max_file_bytes"]:
            raise ApiError(413, "invalidPayload", "The file exceeds the 512 MB limit; use the Uploads API.", "file")
        anchor = _part_text(parts, "expires_after[anchor]", "expires_after.anchor")
        seconds = _part_text(parts, "expires_after[seconds]", "expires_after.seconds")
        now = self.core.now()
        expires_at = _expiry(now, anchor, seconds)
        analysis = datacheck.analyse(upload.data) if purpose == "fine-tune" else None
        doc = self.insert(
            filename=upload.filename or "file.jsonl",
            purpose=purpose,
            content=upload.data,
            created=now,
            processing_s=self.core.config.durations.file_processing,
            analysis=analysis,
            expires_at=expires_at,
            account=req.data_account,
        )
        view = self._view(doc, now, now + self.core.real_seconds(self.core.config.durations.file_processing), None)
        if req.plane is Plane.DATA_V1:
            return json_response(200, view)
        return json_response(201, view, {"Location": f"{req.root}/openai/files/{doc['id']}"})

    def list_files(self, req: Request) -> Response:
        db = self.core.store.read()
        page = listing.read_page(
            req.query,
            db,
            "files",
            default_limit=self.core.config.data_list_max_limit,
            max_limit=self.core.config.data_list_max_limit,
            allow_order=True,
            account=req.data_account,
        )
        cond, params = listing.where_after(page)
        cond += " AND account = ?"
        params = (*params, req.data_account)
        purpose = req.query.get("purpose")
        if purpose:
            cond += " AND purpose = ?"
            params = (*params, purpose)
        rows = db.execute(
            f"SELECT doc, ready_at, outcome FROM files WHERE {cond} ORDER BY {listing.order_by(page)} LIMIT ?",
            (*params, page.limit + 1),
        ).fetchall()
        now = self.core.now()
        items = [self._view(loads(d), now, r, loads(o)) for d, r, o in rows[: page.limit]]
        return json_response(200, listing.list_body(items, len(rows) > page.limit))

    def get(self, req: Request) -> Response:
        doc, ready_at, outcome = self._row(req)
        return json_response(200, self._view(doc, self.core.now(), ready_at, outcome))

    def delete(self, req: Request) -> Response:
        file_id = req.params["file_id"]
        with self.core.store.write() as db:
            cur = db.execute("DELETE FROM files WHERE id = ? AND account = ?", (file_id, req.data_account))
        if cur.rowcount == 0:
            raise not_found("file", file_id, req.plane)
        return json_response(200, {"id": file_id, "object": "file", "deleted": True})

    def content(self, req: Request) -> Response:
        file_id = req.params["file_id"]
        row = (
            self.core.store.read()
            .execute("SELECT content FROM files WHERE id = ? AND account = ?", (file_id, req.data_account))
            .fetchone()
        )
        if row is None:
            raise not_found("file", file_id, req.plane)
        return Response(200, bytes(row[0]), {}, content_type="application/octet-stream")

    def import_(self, req: Request) -> Response:
        body = req.json()
        url = body.get("content_url") if isinstance(body, dict) else None
        if not url:
            raise invalid("Missing required parameter: 'content_url'.", "content_url")
        raise ApiError(
            400,
            "fileImportFailed",
            "The emulator works offline and cannot download content_url; upload the file instead.",
            "content_url",
        )

    # ------------------------------------------------------------------ used by jobs

    def insert(
        self,
        *,
        filename: str,
        purpose: str,
        content: bytes,
        created: float,
        processing_s: float,
        analysis: datacheck.FileAnalysis | None,
        expires_at: int | None = None,
        db: sqlite3.Connection | None = None,
        account: str = "",
    ) -> dict[str, Any]:
        file_id = ids.new_file_id()
        doc: dict[str, Any] = {
            "id": file_id,
            "object": "file",
            "bytes": len(content),
            "created_at": int(created),
            "filename": filename,
            "purpose": purpose,
        }
        if expires_at is not None:
            doc["expires_at"] = expires_at
        outcome = _outcome(analysis, content)
        ready_at = created + self.core.real_seconds(processing_s)
        outcome["running_at"] = created + self.core.real_seconds(processing_s / 2)
        row = (file_id, account, int(created), purpose, ready_at, dumps(doc), dumps(outcome), content)
        sql = (
            "INSERT INTO files(id, account, created_at, purpose, ready_at, doc, outcome, content) "
            "VALUES (?,?,?,?,?,?,?,?)"
        )
        if db is not None:
            db.execute(sql, row)
        else:
            with self.core.store.write() as wdb:
                wdb.execute(sql, row)
        return doc

    def outcome(self, file_id: str, account: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """(doc, outcome) of a file of this data plane, or None. The outcome holds the analysis jobs plan with."""
        row = (
            self.core.store.read()
            .execute("SELECT doc, outcome FROM files WHERE id = ? AND account = ?", (file_id, account))
            .fetchone()
        )
        return None if row is None else (loads(row[0]), loads(row[1]))

    # ------------------------------------------------------------------ helpers

    def _row(self, req: Request) -> tuple[dict[str, Any], float, dict[str, Any]]:
        file_id = req.params["file_id"]
        row = (
            self.core.store.read()
            .execute(
                "SELECT doc, ready_at, outcome FROM files WHERE id = ? AND account = ?", (file_id, req.data_account)
            )
            .fetchone()
        )
        if row is None:
            raise not_found("file", file_id, req.plane)
        return loads(row[0]), float(row[1]), loads(row[2])

    @staticmethod
    def _view(doc: dict[str, Any], now: float, ready_at: float, outcome: dict[str, Any] | None) -> dict[str, Any]:
        view = dict(doc)
        if outcome is None:
            view["status"] = "pending"
        elif now < ready_at:
            view["status"] = "running" if now >= outcome.get("running_at", ready_at) else "pending"
        else:
            view["status"] = outcome["status"]
            if outcome.get("status_details"):
                view["status_details"] = outcome["status_details"]
        return view


def _outcome(analysis: datacheck.FileAnalysis | None, content: bytes) -> dict[str, Any]:
    digest = hashlib.sha256(content).hexdigest()
    if analysis is None:
        return {"status": "processed", "digest": digest}
    out: dict[str, Any] = {
        "status": "processed" if analysis.ok else "error",
        "digest": digest,
        "format": analysis.format,
        "examples": analysis.examples,
        "tokens": analysis.tokens,
    }
    if analysis.error is not None:
        out["status_details"] = analysis.describe_error()
        out["error"] = list(analysis.error)
    return out


def _part_text(parts: dict[str, Any], *names: str) -> str | None:
    for name in names:
        if name in parts:
            return str(parts[name].text())
    return None


def _expiry(now: float, anchor: str | None, seconds: str | None) -> int | None:
    if anchor is None and seconds is None:
        return None
    if anchor != "created_at":
        raise invalid("expires_after.anchor must be 'created_at'.", "expires_after.anchor")
    try:
        value = int(seconds or "")
    except ValueError as exc:
        raise invalid("expires_after.seconds must be an integer.", "expires_after.seconds") from exc
    lo, hi = _EXPIRY_RANGE
    if not lo <= value <= hi:
        raise invalid(f"expires_after.seconds must be within {lo}..{hi}.", "expires_after.seconds")
    return int(now) + value
