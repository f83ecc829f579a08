"""The data plane's view of ARM deployments: which model a deployment name serves, as Azure resolves it for
inference and eval runs. The one place the data plane reads deployments.

Accounts (accounts.py): a data-plane request carries its account. An account with a data plane of its own (every
declared account, and any created by ARM PUT) serves its own deployments only: `data_plane_account(req)` is its
key (`sub/rg/account`, lower-cased, as ARM stores it) and the lookup is exact. In open mode the default account's
data plane is shared by every account that sprang into being, so it is None there and a name is looked up across
accounts: the first (oldest) Succeeded deployment of that name wins.

A deployment that is not Succeeded (still creating, being deleted) is not served: Azure answers 404
DeploymentNotFound for it as for an unknown name, with the message below (Azure's own).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fineplan.catalog import load_catalog
from fineplan.emulator.apierror import ApiError
from fineplan.emulator.arm.deployments import SUCCEEDED, DeploymentService
from fineplan.emulator.http_types import Request
from fineplan.emulator.store import loads

DEPLOYMENT_NOT_FOUND = (
    "The API deployment for this resource does not exist. If you created the deployment within the last 5 "
    "minutes, please wait a moment and try again."
)


@dataclass(frozen=True, slots=True)
class DeploymentTarget:
    account: str
    name: str
    model: str  # the model name Azure reports in responses: a catalog base model, a fine-tuned model or checkpoint
    sku: str


def deployment_not_found() -> ApiError:
    return ApiError(404, "DeploymentNotFound", DEPLOYMENT_NOT_FOUND)


def data_plane_account(req: Request) -> str | None:
    """The ARM account whose deployments this request's data plane serves; None: all of this emulator's."""
    account = req.account
    if account is None or account.shared_plane:
        return None
    return account.key


def find_deployment(service: DeploymentService, name: str, account: str | None) -> DeploymentTarget | None:
    db = service.core.store.read()
    if account is not None:
        accounts = [account]
    else:
        accounts = [r[0] for r in db.execute("SELECT DISTINCT account FROM deployments WHERE name = ?", (name,))]
    for acc in accounts:
        service.settle(acc)
    params: tuple[Any, ...] = (name,) if account is None else (name, account)
    where = "name = ?" if account is None else "name = ? AND account = ?"
    for acc, raw in db.execute(f"SELECT account, doc FROM deployments WHERE {where} ORDER BY seq", params):
        doc = loads(raw)
        props = doc.get("properties") or {}
        if props.get("provisioningState") != SUCCEEDED:
            continue
        return DeploymentTarget(str(acc), name, _model_name(props.get("model") or {}), str(doc["sku"]["name"]))
    return None


def require_deployment(service: DeploymentService, name: str, account: str | None) -> DeploymentTarget:
    target = find_deployment(service, name, account)
    if target is None:
        raise deployment_not_found()
    return target


def _model_name(model: dict[str, Any]) -> str:
    name, version = str(model.get("name") or ""), model.get("version")
    dated = f"{name}-{version}"
    return dated if name not in load_catalog().models and dated in load_catalog().models else name
