"""ARM Microsoft.CognitiveServices accounts: get, create (PUT), delete, list (resource group, subscription), and
the model lists of an account and of a location.

An account answers as Azure's do (id, name, type, location, kind, sku, etag, systemData, properties with
provisioningState, endpoint, endpoints, customSubDomainName, dateCreated...). Its `properties.endpoint` is the
data plane the emulator serves for it: the bare root for the default account, `{root}/accounts/{name}/` for any
other, so `AzureOpenAI(azure_endpoint=account.properties.endpoint)` reaches that account's files and jobs.

PUT completes at once (200/201 with provisioningState Succeeded, which the SDK poller accepts without polling).
DELETE removes the account with its deployments and, for an account with its own data plane, its files and jobs
(Azure soft-deletes accounts; the emulator purges at once). The default account cannot be deleted.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from fineplan.catalog.regions import load_regions
from fineplan.emulator.accounts import NAME, PROVIDER, Account, AccountRegistry
from fineplan.emulator.apierror import ApiError
from fineplan.emulator.arm import model_listing
from fineplan.emulator.config import ACCOUNT_KINDS, LOCAL_LOCATION, AccountSpec
from fineplan.emulator.core import Core
from fineplan.emulator.dataplane.jobs import JobService
from fineplan.emulator.http_types import Request, Response, empty_response, json_response

ACCOUNT_TYPE = f"{PROVIDER}/accounts"


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def endpoint_of(account: Account, root: str, default: Account) -> str:
    """The data-plane endpoint the emulator serves for `account` (trailing slash, as Azure writes it)."""
    if account.key == default.key:
        return f"{root}/"
    return f"{root}/accounts/{account.name}/"


class AccountService:
    def __init__(self, core: Core, accounts: AccountRegistry, jobs: JobService) -> None:
        self.core = core
        self.accounts = accounts
        self.jobs = jobs

    # ------------------------------------------------------------------ accounts

    def get(self, req: Request) -> Response:
        p = req.params
        account = self.accounts.require(p["sub"], p["rg"], p["account"], nested=False)
        return json_response(200, self.doc(account, req.root))

    def put(self, req: Request) -> Response:
        p = req.params
        body = req.json()
        if not isinstance(body, dict):
            raise ApiError(400, "InvalidRequestContent", "The request content must be a JSON object.")
        spec = self._spec(p["sub"], p["rg"], p["account"], body)
        tags = body.get("tags")
        if tags is not None and (
            not isinstance(tags, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in tags.items())
        ):
            raise ApiError(400, "InvalidRequestContent", "'tags' must map strings to strings.")
        with self.core.store.write() as db:
            existing = self.accounts.get(spec.subscription, spec.resource_group, spec.name)
            if existing is not None and not existing.implicit and existing.location.lower() != spec.location.lower():
                raise ApiError(
                    400,
                    "InvalidResourceLocation",
                    f"The resource '{spec.name}' already exists in location '{existing.location}' in resource group "
                    f"'{spec.resource_group}'. A resource with the same name cannot be created in location "
                    f"'{spec.location}'. Please select a new resource name.",
                )
            created = existing is None or existing.implicit
            account = self.accounts.create(db, spec, tags, self.core.now())
        return json_response(201 if created else 200, self.doc(account, req.root))

    def delete(self, req: Request) -> Response:
        p = req.params
        account = self.accounts.get(p["sub"], p["rg"], p["account"])
        if account is None or (account.implicit and account.created_at == 0.0):
            return empty_response(204)
        if account.key == self.accounts.default.key:
            raise ApiError(
                409, "Conflict", f"The account '{account.name}' is this emulator's default account; it stays."
            )
        with self.core.store.write() as db:
            db.execute("DELETE FROM deployments WHERE account = ?", (account.key,))
            db.execute("DELETE FROM operations WHERE account = ?", (account.key,))
            if account.own_data_plane:
                ids = [r[0] for r in db.execute("SELECT id FROM jobs WHERE account = ?", (account.data,))]
                for job_id in ids:
                    db.execute("DELETE FROM job_events WHERE job_id = ?", (job_id,))
                    db.execute("DELETE FROM checkpoints WHERE job_id = ?", (job_id,))
                db.execute("DELETE FROM jobs WHERE account = ?", (account.data,))
                db.execute("DELETE FROM files WHERE account = ?", (account.data,))
            self.accounts.delete(db, account)
        return empty_response(200)

    def list_by_resource_group(self, req: Request) -> Response:
        found = self.accounts.listed(req.params["sub"], req.params["rg"])
        return json_response(200, {"value": [self.doc(a, req.root) for a in found]})

    def list_by_subscription(self, req: Request) -> Response:
        found = self.accounts.listed(req.params["sub"])
        return json_response(200, {"value": [self.doc(a, req.root) for a in found]})

    # ------------------------------------------------------------------ models

    def account_models(self, req: Request) -> Response:
        p = req.params
        account = self.accounts.require(p["sub"], p["rg"], p["account"], nested=True)
        fine_tuned = self.jobs.fine_tuned_models(account.data)
        models = model_listing.account_models(account.location, fine_tuned, account.arm_id, self.core)
        return json_response(200, {"value": models})

    def location_models(self, req: Request) -> Response:
        location = req.params["location"]
        if location.lower() != LOCAL_LOCATION and not load_regions().is_region(location):
            raise ApiError(404, "LocationNotFound", f"The provided location '{location}' is not available for models.")
        return json_response(200, {"value": model_listing.location_models("AIServices", self.core, location)})

    # ------------------------------------------------------------------ documents

    def doc(self, account: Account, root: str) -> dict[str, Any]:
        endpoint = endpoint_of(account, root, self.accounts.default)
        created = _iso(account.created_at or self.core.now())
        properties: dict[str, Any] = {
            "provisioningState": "Succeeded",
            "endpoint": endpoint,
            "endpoints": {"OpenAI Language Model Instance API": endpoint},
            "customSubDomainName": account.name,
            "internalId": hashlib.sha256(account.key.encode()).hexdigest()[:32],
            "dateCreated": created,
            "publicNetworkAccess": "Enabled",
            "isMigrated": False,
            "capabilities": [{"name": "FineTuning"}, {"name": "CustomerManagedKey"}],
        }
        if account.kind == "AIServices":
            properties["allowProjectManagement"] = True
        doc: dict[str, Any] = {
            "id": account.arm_id,
            "name": account.name,
            "type": ACCOUNT_TYPE,
            "location": account.location,
            "kind": account.kind,
            "sku": {"name": account.sku},
            "etag": f'"{hashlib.sha256((account.key + created).encode()).hexdigest()[:32]}"',
            "systemData": {
                "createdBy": "fineplan-emulator",
                "createdByType": "Application",
                "createdAt": created,
                "lastModifiedBy": "fineplan-emulator",
                "lastModifiedByType": "Application",
                "lastModifiedAt": created,
            },
            "properties": properties,
        }
        if account.tags:
            doc["tags"] = dict(account.tags)
        return doc

    def _spec(self, sub: str, rg: str, name: str, body: dict[str, Any]) -> AccountSpec:
        if not NAME.match(name):
            raise ApiError(
                400,
                "InvalidResourceName",
                f"The account name '{name}' must be 2-64 characters of letters, digits, '_', '.' and '-', starting "
                "with a letter or digit.",
            )
        location = body.get("location")
        if not isinstance(location, str) or not location:
            raise ApiError(400, "LocationRequired", "The location property is required for this definition.")
        regions = load_regions()
        if location.lower() != LOCAL_LOCATION and not regions.is_region(location):
            allowed = ", ".join(sorted(regions.regions))
            raise ApiError(
                400,
                "LocationNotAvailableForResourceType",
                f"The provided location '{location}' is not available for resource type '{ACCOUNT_TYPE}'. List of "
                f"available regions for the resource type is '{allowed}'.",
            )
        kind = body.get("kind") or "AIServices"
        if kind not in ACCOUNT_KINDS:
            raise ApiError(400, "InvalidApiSetId", f"The account type '{kind}' is either invalid or unavailable.")
        sku = body.get("sku") or {"name": "S0"}
        if not isinstance(sku, dict) or not isinstance(sku.get("name"), str):
            raise ApiError(400, "InvalidRequestContent", "'sku' must be an object with a 'name'.")
        normalised = location if location.lower() == LOCAL_LOCATION else location.replace(" ", "").lower()
        return AccountSpec(name, sub, rg, normalised, str(kind), sku["name"])
