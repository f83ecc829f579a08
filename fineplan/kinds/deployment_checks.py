"""Deployment requests checked against the account before apply spends anything (FP332).

Lint bounds capacity by the catalog (FP313, FP330, FP331). What the account itself will take is known only by
asking it: ARM's `accounts/{a}/models` lists every model it can deploy with each SKU's capacity range (the
maximum follows the account's quota), and refresh already listed the account's deployments (their capacity
counts against the same quota). A plan whose deployments the account would refuse carries an FP332 error, so
apply refuses it before uploading or training anything, instead of failing at the deployment after the jobs it
serves have been paid for.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from fineplan.catalog import fine_tuned_base, load_catalog
from fineplan.diagnostics import Diagnostic, Location, Severity
from fineplan.errors import ProviderError
from fineplan.plan.model import ResourceChange
from fineplan.providers.base import DeployableModel, Provider, RemoteDeployment, SkuCapacity
from fineplan.resource import Desired

CODE = "FP332"
Locate = Callable[[str], Location | None]  # address → where its capacity is written


@dataclass(frozen=True)
class Request:
    """One deployment this plan creates or changes, as ARM will see it."""

    address: str
    name: str
    account: str
    model: str  # the model to look up: a catalog name, or a fine-tuned name (falls back to its base)
    base_model: str | None  # the catalog model under it
    fine_tuned: bool
    sku: str
    capacity: int


def check_requests(
    requests: Sequence[Request],
    provider: Provider,
    existing: Mapping[tuple[str, str], RemoteDeployment],
    locate: Locate,
) -> list[Diagnostic]:
    """FP332 for every request the account would refuse; a warning when an account's models cannot be read."""
    out: list[Diagnostic] = []
    by_account: dict[str, list[Request]] = {}
    for r in requests:
        by_account.setdefault(r.account, []).append(r)
    for account, wanted in sorted(by_account.items()):
        try:
            models = {m.name: m for m in provider.deployable_models(account)}
        except ProviderError as exc:
            why = f"Deployment requests for account {account} were checked against the catalog only: {exc}"
            out.append(Diagnostic(Severity.WARNING, CODE, f"Cannot read what account {account} can deploy", why))
            continue
        planned = {r.name for r in wanted}
        for r in wanted:
            problem = _refusal(r, models, account)
            if problem is None:
                problem = _over_quota(r, wanted, models, existing, planned, account)
            if problem is not None:
                detail = "fineplan apply refuses this plan before uploading or training anything."
                out.append(Diagnostic(Severity.ERROR, CODE, f"{r.address}: {problem}", detail, locate(r.address)))
    return out


def _entry(r: Request, models: Mapping[str, DeployableModel]) -> DeployableModel | None:
    return models.get(r.model) or (models.get(r.base_model) if r.base_model else None)


def _range(r: Request, models: Mapping[str, DeployableModel]) -> SkuCapacity | None:
    entry = _entry(r, models)
    found = entry.skus.get(r.sku.lower()) if entry else None
    if found is None and r.fine_tuned and r.base_model:
        # Base models do not list the Developer tier: another fine-tuned model of the same base shows its range.
        siblings = (m for m in models.values() if fine_tuned_base(m.name) == r.base_model)
        found = next((m.skus[r.sku.lower()] for m in siblings if r.sku.lower() in m.skus), None)
    return found


def _refusal(r: Request, models: Mapping[str, DeployableModel], account: str) -> str | None:
    entry = _entry(r, models)
    if entry is None:
        return None  # a model the account does not list (yet): nothing to compare with
    sku = _range(r, models)
    if sku is None:
        developer = load_catalog().deployment_types["developer"].sku
        if r.fine_tuned and r.sku == developer:
            return None  # base models do not list the Developer tier; their fine-tuned models have it
        offered = ", ".join(s.sku for s in entry.skus.values()) or "none"
        return f"account {account} does not offer {r.sku} for {entry.name} (it offers: {offered})"
    if sku.minimum is not None and r.capacity < sku.minimum:
        return f"capacity {r.capacity:,} is below the {sku.minimum:,} account {account} takes for {r.sku}"
    if sku.maximum is not None and r.capacity > sku.maximum:
        return f"capacity {r.capacity:,} is more than the {sku.maximum:,} account {account} allows for {r.sku}"
    if sku.step and sku.minimum is not None and (r.capacity - sku.minimum) % sku.step:
        return f"capacity {r.capacity:,} is not {sku.minimum:,} plus a multiple of {sku.step} ({r.sku})"
    return None


def _over_quota(
    r: Request,
    wanted: Sequence[Request],
    models: Mapping[str, DeployableModel],
    existing: Mapping[tuple[str, str], RemoteDeployment],
    planned: set[str],
    account: str,
) -> str | None:
    """The account's quota for a SKU is shared by its deployments of that SKU: the ones it keeps and the ones this
    plan creates or changes must fit together."""
    sku = _range(r, models)
    if sku is None or sku.maximum is None:
        return None
    kept = sum(
        d.capacity
        for (acct, name), d in existing.items()
        if acct == account and name not in planned and d.sku_name.lower() == r.sku.lower()
    )
    asked = sum(w.capacity for w in wanted if w.sku.lower() == r.sku.lower())
    if kept + asked <= sku.maximum:
        return None
    return (
        f"{r.sku} deployments of account {account} would need {kept + asked:,} of its {sku.maximum:,} "
        f"({kept:,} in use by deployments this plan keeps, {asked:,} asked by this plan)"
    )


def requests_of(
    changes: Sequence[ResourceChange],
    desired: Mapping[str, Desired],
    default_account: str,
    base_of: Callable[[Desired], tuple[str, str | None, bool]],
) -> list[Request]:
    """The deployment requests of the changes that create or change a deployment (not blocked ones)."""
    from fineplan.kinds.deployment import DeploymentDesired

    out: list[Request] = []
    catalog = load_catalog()
    for c in changes:
        want = desired.get(c.address)
        if not isinstance(want, DeploymentDesired) or c.blocked or not (c.action.creates or c.action.changes):
            continue
        if c.action.destroys and not c.action.creates:
            continue
        model, base, fine_tuned = base_of(want)
        out.append(
            Request(
                address=want.address,
                name=want.name,
                account=want.account or default_account,
                model=model,
                base_model=base or (fine_tuned_base(model) if model else None),
                fine_tuned=fine_tuned,
                sku=catalog.deployment_types[want.type].sku,
                capacity=want.capacity,
            )
        )
    return out


CHECKPOINT_CODE = "FP334"


def missing_checkpoints(
    changes: Sequence[ResourceChange], desired: Mapping[str, Desired], locate: Locate
) -> list[Diagnostic]:
    """FP334 for a `{job: NAME, checkpoint: STEP}` whose trained job has no such step (the plan resolved it to
    a `missing` checkpoint attribute: fineplan.kinds.checkpoints.missing)."""
    out: list[Diagnostic] = []
    for change in changes:
        after = change.after or {}
        checkpoint = after.get("checkpoint")
        if not isinstance(checkpoint, Mapping) or not checkpoint.get("missing") or change.address not in desired:
            continue
        job = desired[change.address].depends_on[0] if desired[change.address].depends_on else "the job"
        steps = ", ".join(str(s) for s in checkpoint.get("steps") or []) or "none"
        out.append(
            Diagnostic(
                Severity.ERROR,
                CHECKPOINT_CODE,
                f"{job} has no checkpoint at step {checkpoint.get('selector')}",
                f"Its deployable checkpoints are at steps {steps} (Azure deploys the final one and the two "
                "before it); use one of them, best or last.",
                locate(change.address),
            )
        )
    return out
