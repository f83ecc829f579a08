"""ARM deployments of Microsoft.CognitiveServices accounts, with Azure's awkward parts: every write is a
long-running operation taking simulated time (absolute `Azure-AsyncOperation` URL, `retry-after-ms`), a second
write while one is in flight in the same account gets 409 RequestConflict, capacity counts against a per-SKU
account quota (InsufficientQuota), at most 5 fine-tuned deployments per account, and Developer deployments vanish
24 simulated hours after creation. The account of a request (`Request.account`, see accounts.py) must exist;
in open mode an implicit one springs into being on its first write, as before. Fine-tuned models deploy from
their own account, or from another one named by `properties.model.source`, where the region allows the type
(model_source.py).

Completion is lazy, as for jobs: any request touching an account first settles its due operations and expiries.
"""

from __future__ import annotations

import math
import sqlite3
import uuid
from datetime import UTC, datetime
from typing import Any

from fineplan.catalog import load_catalog
from fineplan.emulator import ids
from fineplan.emulator.accounts import PROVIDER, Account, AccountRegistry
from fineplan.emulator.apierror import ApiError, not_found
from fineplan.emulator.arm import model_listing
from fineplan.emulator.arm.deployment_request import DeploymentRequest, check_name, parse_deployment
from fineplan.emulator.arm.model_source import ModelLocator, check_region, not_supported
from fineplan.emulator.core import Core
from fineplan.emulator.http_types import Plane, Request, Response, empty_response, json_response
from fineplan.emulator.store import dumps, loads

IN_PROGRESS, SUCCEEDED = "InProgress", "Succeeded"


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class DeploymentService:
    def __init__(self, core: Core, accounts: AccountRegistry, locator: ModelLocator) -> None:
        self.core = core
        self.accounts = accounts
        self.locator = locator

    # ------------------------------------------------------------------ handlers

    def list_deployments(self, req: Request) -> Response:
        account = self._account_key(req)
        self._settle(account)
        db = self.core.store.read()
        after = req.query.get("$skipToken") or req.query.get("$skiptoken")
        try:
            after_seq = int(after) if after else 0
        except ValueError as exc:
            raise ApiError(400, "InvalidSkipToken", f"The $skipToken '{after}' is not valid.") from exc
        size = self.core.config.deployment_page_size
        rows = db.execute(
            "SELECT seq, doc FROM deployments WHERE account = ? AND seq > ? ORDER BY seq LIMIT ?",
            (account, after_seq, size + 1),
        ).fetchall()
        page = rows[:size]
        body = b'{"value":[' + b",".join(bytes(r[1]) for r in page) + b"]"
        if len(rows) > size:
            next_link = f"{req.root}{req.path}?api-version={req.api_version}&$skipToken={page[-1][0]}"
            body += b',"nextLink":' + dumps(next_link)
        return Response(200, body + b"}")

    def get(self, req: Request) -> Response:
        account = self._account_key(req)
        self._settle(account)
        doc = self._doc(self.core.store.read(), account, req.params["name"])
        if doc is None:
            raise not_found("deployment", req.params["name"], Plane.ARM)
        return Response(200, doc)

    def put(self, req: Request) -> Response:
        name = req.params["name"]
        check_name(name)
        target = _account(req)
        request = self._parse(req.json(), target)
        account = target.key
        with self.core.store.write() as db:
            self.accounts.persist(db, target, self.core.now())
            self._settle_in(db, account)
            self._refuse_if_busy(db, req, account)
            raw = self._doc(db, account, name)
            self._check_quota(db, account, name, request)
            now = self.core.now()
            created = raw is None
            doc = self._build_doc(req, name, request, now, None if raw is None else loads(raw))
            doc["properties"]["provisioningState"] = "Creating" if created else "Accepted"
            self._write(db, account, name, request, doc, now, created)
            op = self._start_operation(db, account, name, "create" if created else "update", now)
        return json_response(201 if created else 200, doc, self._operation_headers(req, op))

    def patch(self, req: Request) -> Response:
        name = req.params["name"]
        body = req.json()
        if not isinstance(body, dict):
            raise ApiError(400, "InvalidRequestContent", "The request content must be a JSON object.")
        account = self._account_key(req)
        with self.core.store.write() as db:
            self._settle_in(db, account)
            raw = self._doc(db, account, name)
            if raw is None:
                raise not_found("deployment", name, Plane.ARM)
            self._refuse_if_busy(db, req, account)
            current = loads(raw)
            merged = {
                "sku": {**current["sku"], **(body.get("sku") or {})},
                "properties": current["properties"],
                "tags": body["tags"] if "tags" in body else current.get("tags"),
            }
            request = self._parse(merged, _account(req))
            self._check_quota(db, account, name, request)
            now = self.core.now()
            doc = self._build_doc(req, name, request, now, current)
            doc["properties"]["provisioningState"] = "Accepted"
            self._write(db, account, name, request, doc, now, created=False)
            op = self._start_operation(db, account, name, "update", now)
        return empty_response(202, self._operation_headers(req, op, with_location=True))

    def delete(self, req: Request) -> Response:
        name = req.params["name"]
        account = self._account_key(req)
        with self.core.store.write() as db:
            self._settle_in(db, account)
            raw = self._doc(db, account, name)
            if raw is None:
                return empty_response(204)
            self._refuse_if_busy(db, req, account)
            doc = loads(raw)
            doc["properties"]["provisioningState"] = "Deleting"
            db.execute("UPDATE deployments SET doc = ? WHERE account = ? AND name = ?", (dumps(doc), account, name))
            op = self._start_operation(db, account, name, "delete", self.core.now())
        return empty_response(202, self._operation_headers(req, op, with_location=True))

    def operation_status(self, req: Request) -> Response:
        op = self._operation(req)
        body: dict[str, Any] = {
            "id": req.path,
            "name": op["id"],
            "status": op["status"],
            "startTime": _iso(op["started_at"]),
        }
        headers: dict[str, str] = {}
        if op["status"] == IN_PROGRESS:
            headers["retry-after-ms"] = self._retry_after_ms(op["done_at"])
        else:
            body["endTime"] = _iso(op["done_at"])
        return json_response(200, body, headers)

    def operation_result(self, req: Request) -> Response:
        op = self._operation(req)
        if op["status"] == IN_PROGRESS:
            return empty_response(
                202,
                {
                    "Location": f"{req.root}{req.path}?api-version={req.api_version}",
                    "retry-after-ms": self._retry_after_ms(op["done_at"]),
                },
            )
        if op["kind"] == "delete":
            return empty_response(204)
        doc = self._doc(self.core.store.read(), op["account"], op["deployment"])
        if doc is None:
            raise not_found("deployment", op["deployment"], Plane.ARM)
        return Response(200, doc)

    # ------------------------------------------------------------------ settling (lazy completion, expiry)

    def settle(self, account: str) -> None:
        """Complete an account's due operations and expiries (the data plane reads deployments too)."""
        self._settle(account)

    def _settle(self, account: str) -> None:
        db = self.core.store.read()
        now = self.core.now()
        due = (
            db.execute(
                "SELECT 1 FROM operations WHERE account = ? AND status = ? AND done_at <= ? LIMIT 1",
                (account, IN_PROGRESS, now),
            ).fetchone()
            or db.execute(
                "SELECT 1 FROM deployments WHERE account = ? AND expires_at <= ? LIMIT 1", (account, now)
            ).fetchone()
        )
        if due:
            with self.core.store.write() as wdb:
                self._settle_in(wdb, account)

    def _settle_in(self, db: sqlite3.Connection, account: str) -> None:
        now = self.core.now()
        for op_id, name, kind in db.execute(
            "SELECT id, deployment, kind FROM operations WHERE account = ? AND status = ? AND done_at <= ?",
            (account, IN_PROGRESS, now),
        ).fetchall():
            if kind == "delete":
                db.execute("DELETE FROM deployments WHERE account = ? AND name = ?", (account, name))
            else:
                raw = self._doc(db, account, name)
                if raw is not None:
                    doc = loads(raw)
                    doc["properties"]["provisioningState"] = SUCCEEDED
                    db.execute(
                        "UPDATE deployments SET doc = ? WHERE account = ? AND name = ?", (dumps(doc), account, name)
                    )
            db.execute("UPDATE operations SET status = ? WHERE id = ?", (SUCCEEDED, op_id))
        # Developer deployments are removed by Azure 24 h after creation, whatever their use.
        db.execute(
            "DELETE FROM deployments WHERE account = ? AND expires_at <= ? AND name NOT IN "
            "(SELECT deployment FROM operations WHERE account = ? AND status = ?)",
            (account, now, account, IN_PROGRESS),
        )

    def list_skus(self, req: Request) -> Response:
        """The SKUs the deployment could move to, with their capacity ranges (DeploymentSkuListResult)."""
        account = _account(req)
        self._settle(account.key)
        raw = self._doc(self.core.store.read(), account.key, req.params["name"])
        if raw is None:
            raise not_found("deployment", req.params["name"], Plane.ARM)
        doc = loads(raw)
        request = self._parse({"sku": doc["sku"], "properties": {"model": doc["properties"]["model"]}}, account)
        skus = model_listing.deployment_skus(request.base_model, request.fine_tuned, account.location, self.core)
        return json_response(200, {"value": skus})

    # ------------------------------------------------------------------ helpers

    def _parse(self, body: Any, target: Account) -> DeploymentRequest:
        def fine_tuned_base(model: Any) -> str | None:
            base = self.locator.fine_tuned_base(model, target)
            if base is None:
                hint = self.locator.where_it_lives(model, target)
                raise not_supported({"format": "OpenAI", "version": "1", **model}, hint)
            return base

        request = parse_deployment(body, load_catalog(), fine_tuned_base)
        if request.fine_tuned:
            dtype = request.deployment_type.name
            check_region(request.sku_name, dtype, request.base_model, request.model, target.location)
        return request

    @staticmethod
    def _account_key(req: Request) -> str:
        return _account(req).key

    @staticmethod
    def _doc(db: sqlite3.Connection, account: str, name: str) -> bytes | None:
        row = db.execute("SELECT doc FROM deployments WHERE account = ? AND name = ?", (account, name)).fetchone()
        return None if row is None else bytes(row[0])

    def _refuse_if_busy(self, db: sqlite3.Connection, req: Request, account: str) -> None:
        busy = db.execute(
            "SELECT deployment FROM operations WHERE account = ? AND status = ? LIMIT 1", (account, IN_PROGRESS)
        ).fetchone()
        if busy:
            parent = _account(req).arm_id
            raise ApiError(
                409,
                "RequestConflict",
                f"Another operation is being performed on the parent resource '{parent}'. Please try again later.",
            )

    def _check_quota(self, db: sqlite3.Connection, account: str, name: str, request: DeploymentRequest) -> None:
        limit = self.core.config.quota_for(request.sku_key)
        used = db.execute(
            "SELECT coalesce(sum(capacity), 0) FROM deployments WHERE account = ? AND sku = ? AND name != ?",
            (account, request.sku_key, name),
        ).fetchone()[0]
        if used + request.capacity > limit:
            raise ApiError(
                400,
                "InsufficientQuota",
                f"This operation require {request.capacity} new capacity in quota {request.deployment_type.sku} "
                f"({request.deployment_type.unit}) - {request.base_model}, which is bigger than the current available "
                f"capacity {max(0, limit - used)}. The current quota usage is {used} and the quota limit is {limit}.",
            )
        if request.fine_tuned:
            limit_ft = load_catalog().limits["fine_tuned_deployments_per_resource"]
            count = db.execute(
                "SELECT count(*) FROM deployments WHERE account = ? AND fine_tuned = 1 AND name != ?", (account, name)
            ).fetchone()[0]
            if count >= limit_ft:
                raise ApiError(
                    400,
                    "QuotaExceeded",
                    f"The account already has {count} fine-tuned model deployments (limit {limit_ft}).",
                )

    def _build_doc(
        self, req: Request, name: str, request: DeploymentRequest, now: float, current: dict[str, Any] | None
    ) -> dict[str, Any]:
        created_at = current["systemData"]["createdAt"] if current else _iso(now)
        doc: dict[str, Any] = {
            "id": f"{_account(req).arm_id}/deployments/{name}",
            "name": name,
            "type": f"{PROVIDER}/accounts/deployments",
            "sku": {"name": request.sku_name, "capacity": request.capacity},
            "etag": f'"{uuid.uuid4()}"',
            "systemData": {
                "createdBy": "fineplan-emulator",
                "createdByType": "Application",
                "createdAt": created_at,
                "lastModifiedBy": "fineplan-emulator",
                "lastModifiedByType": "Application",
                "lastModifiedAt": _iso(now),
            },
            "properties": {
                "model": request.model,
                "provisioningState": SUCCEEDED,
                "raiPolicyName": request.rai_policy,
                "versionUpgradeOption": request.version_upgrade,
                # Azure also returns read-only `rateLimits`; left out because nothing reads them and they double
                # what azure-mgmt spends deserialising a long list.
                "capabilities": {"chatCompletion": "true"},
                "currentCapacity": request.capacity,
                **request.extra_properties,
            },
        }
        if request.tags is not None:
            doc["tags"] = request.tags
        return doc

    def _write(
        self,
        db: sqlite3.Connection,
        account: str,
        name: str,
        request: DeploymentRequest,
        doc: dict[str, Any],
        now: float,
        created: bool,
    ) -> None:
        expires_at: float | None = None
        if request.deployment_type.name == "developer":
            lifetime_s = load_catalog().limits["developer_deployment_lifetime_hours"] * 3600.0
            row = db.execute(
                "SELECT expires_at FROM deployments WHERE account = ? AND name = ?", (account, name)
            ).fetchone()
            kept = row[0] if row is not None else None
            expires_at = kept if kept is not None else now + self.core.real_seconds(lifetime_s)
        values = (request.sku_key, request.capacity, int(request.fine_tuned), expires_at, dumps(doc))
        if created:
            db.execute(
                "INSERT INTO deployments(account, name, sku, capacity, fine_tuned, expires_at, doc) "
                "VALUES (?,?,?,?,?,?,?)",
                (account, name, *values),
            )
        else:
            db.execute(
                "UPDATE deployments SET sku = ?, capacity = ?, fine_tuned = ?, expires_at = ?, doc = ? "
                "WHERE account = ? AND name = ?",
                (*values, account, name),
            )

    def _start_operation(
        self, db: sqlite3.Connection, account: str, name: str, kind: str, now: float
    ) -> dict[str, Any]:
        durations = self.core.config.durations
        simulated = {
            "create": durations.deployment_create,
            "update": durations.deployment_update,
            "delete": durations.deployment_delete,
        }[kind]
        op = {
            "id": ids.new_operation_id(),
            "account": account,
            "deployment": name,
            "kind": kind,
            "started_at": now,
            "done_at": now + self.core.real_seconds(simulated),
            "status": IN_PROGRESS,
        }
        db.execute(
            "INSERT INTO operations(id, account, deployment, kind, started_at, done_at, status) VALUES (?,?,?,?,?,?,?)",
            (op["id"], account, name, kind, now, op["done_at"], IN_PROGRESS),
        )
        return op

    def _operation_headers(self, req: Request, op: dict[str, Any], *, with_location: bool = False) -> dict[str, str]:
        account = _account(req)
        base = f"{req.root}/subscriptions/{account.subscription}/providers/{PROVIDER}/locations/{account.location}"
        query = f"?api-version={req.api_version}"
        headers = {
            "Azure-AsyncOperation": f"{base}/operationStatuses/{op['id']}{query}",
            "retry-after-ms": self._retry_after_ms(op["done_at"]),
        }
        if with_location:
            headers["Location"] = f"{base}/operationResults/{op['id']}{query}"
        return headers

    def _retry_after_ms(self, done_at: float) -> str:
        # Never 0: the azure SDK treats a zero delay as absent and falls back to its 30 s default.
        remaining = math.ceil(max(0.0, done_at - self.core.now()) * 1000)
        return str(min(self.core.config.max_retry_after_ms, max(1, remaining)))

    def _operation(self, req: Request) -> dict[str, Any]:
        op_id = req.params["op_id"]
        row = (
            self.core.store.read()
            .execute(
                "SELECT id, account, deployment, kind, started_at, done_at, status FROM operations WHERE id = ?",
                (op_id,),
            )
            .fetchone()
        )
        if row is None:
            raise ApiError(404, "OperationNotFound", f"The operation '{op_id}' was not found.")
        keys = ("id", "account", "deployment", "kind", "started_at", "done_at", "status")
        op = dict(zip(keys, row, strict=True))
        if op["status"] == IN_PROGRESS and op["done_at"] <= self.core.now():
            self._settle(op["account"])
            op["status"] = SUCCEEDED
        return op


def _account(req: Request) -> Account:
    if req.account is None:  # the router resolves it for every route under accounts/{a}
        raise RuntimeError("ARM deployment request without an account")
    return req.account
