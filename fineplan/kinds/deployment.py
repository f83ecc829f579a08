"""Deployments: ARM deployments of a base model or of a job's fine-tuned model, in one account of the target.

A deployment's name is its identity in its account: Azure cannot rename it, so `state mv` keeps the record's name
and a spec of another name replaces it. The provider's diff says what updates in place (model swap, capacity,
RAI policy, upgrade option, tags) and what replaces (type, account, name); a replacement that keeps the account
and name deletes the old deployment first (delete-then-create: it is down until the new one is created), one
that moves creates the new one first and deletes the old one at cleanup.

A gate holds a deployment back until its job's final metrics pass every bound, and (an evaluation gate) until an
Evaluation's recorded results of the subject standing for its model pass every score bound: the gated deployment
depends on the evaluation, so it waits while the evaluation (re)runs, and the gate is re-checked before the put.

`{job: NAME, checkpoint: best | last | STEP}` serves one of the job's checkpoints (fineplan.kinds.checkpoints):
the plan resolves it from the job record's checkpoints and shows the step and why in a `checkpoint` attribute,
which the record keeps; a retrained job with another best checkpoint swaps the model in place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from fineplan.apply.context import ApplyContext, Deferred, GateFailed, Leftover
from fineplan.apply.events import DeploymentProgress
from fineplan.diagnostics import Diagnostic, Location
from fineplan.errors import ConfigError, StateError
from fineplan.kinds.base import KindHandler
from fineplan.kinds.checkpoints import choose, chosen_metrics, deployable, described, missing, recorded
from fineplan.kinds.job import trained_parent
from fineplan.kinds.tags import TAG_ADDRESS, TAG_DIGEST, TAG_PREFIX, TAG_PROJECT
from fineplan.plan.digest import digest
from fineplan.plan.model import Action, ActionReason, GateResult, GateStatus, ReasonCode, ResourceChange
from fineplan.plan.rules import CostContext, CostLine, DesiredContext, GateOutcome, PlanView
from fineplan.pricing import CostEstimate, PriceTable, estimate_deployment, estimate_hosting_change
from fineplan.providers.base import DeploymentRequest, Provider, RemoteDeployment
from fineplan.resource import Desired, Kind, Unknown
from fineplan.spec.models import CheckpointRef, Deployment, EvaluationGate, JobRef
from fineplan.spec.project import ResourceEntry
from fineplan.state.drift import Drift, DriftChange
from fineplan.state.model import ResourceState
from fineplan.state.refresh import AdoptContext, Reads, Refreshed

DEVELOPER_LIFETIME_S: Final = 24 * 3600
# What a deployment's record holds for the diff, the plan's `before` and drift, in this order.
COMPARED: Final = ("model", "type", "capacity", "rai_policy", "version_upgrade", "account", "tags")
GATE_METRICS: Final = {
    "max_train_loss": ("train_loss", "max"),
    "max_valid_loss": ("valid_loss", "max"),
    "min_train_token_accuracy": ("train_mean_token_accuracy", "min"),
    "min_valid_token_accuracy": ("valid_mean_token_accuracy", "min"),
    "min_valid_reward": ("valid_reward_mean", "min"),
}


@dataclass(frozen=True, kw_only=True)
class DeploymentDesired(Desired):
    KIND = Kind.DEPLOYMENT

    model: str | None  # a model name; None when it serves `parent`'s fine-tuned model
    parent: str | None  # the job whose fine-tuned model it serves
    type: str
    capacity: int
    rai_policy: str | None
    version_upgrade: str
    account: str
    tags: Mapping[str, str] = field(default_factory=dict)
    gate: Mapping[str, float] = field(default_factory=dict)  # spec bound → limit (the job's final metrics)
    # An evaluation gate: the EvaluationGate's fields, `evaluation` as an address and `subject` resolved.
    eval_gate: Mapping[str, Any] = field(default_factory=dict)
    checkpoint: str | int | None = None  # best | last | a step of `parent`'s checkpoints; None: its final model
    elsewhere: bool = False  # in another account than the target's default one (the plan's reasons say which)


@dataclass(frozen=True)
class DeploymentIndex:
    """What refresh listed of the deployments, per account."""

    by_name: Mapping[tuple[str, str], RemoteDeployment]  # (account, name)
    default_account: str

    @classmethod
    def of(cls, per_account: Mapping[str, Sequence[RemoteDeployment]], default_account: str) -> DeploymentIndex:
        found = {(account, d.name): d for account, deployments in per_account.items() for d in deployments}
        return cls(found, default_account)


class DeploymentKind(KindHandler):
    kind = Kind.DEPLOYMENT
    name_is_identity = True

    # ------------------------------------------------------------ desired

    def desired(self, entry: ResourceEntry, known: Mapping[str, Desired], ctx: DesiredContext) -> DeploymentDesired:
        dep = entry.resource
        assert isinstance(dep, Deployment)
        s = dep.spec
        parent = f"job.{s.model.job}" if isinstance(s.model, JobRef) else None
        parent_desired = known.get(parent) if parent else None
        checkpoint = s.model.checkpoint if isinstance(s.model, CheckpointRef) else None
        account = s.account or ctx.default_account or ""
        model_ref: dict[str, Any] = {
            # A `{job: X}` stands for X's inputs digest until X has trained (see fineplan.kinds.job).
            "job": parent.partition(".")[2] if parent else "",
            "inputs": parent_desired.inputs_digest if parent_desired else "",
        }
        if checkpoint is not None:
            model_ref["checkpoint"] = checkpoint
        attrs: dict[str, Any] = {
            "model": model_ref if parent else s.model,
            "type": s.type,
            "capacity": s.capacity,
            "rai_policy": s.rai_policy,
            "version_upgrade": s.version_upgrade,
            "account": s.account or ctx.default_account,
            "tags": dict(s.tags),
        }
        inputs_from = {"model": parent} if parent else {}
        if parent and checkpoint is not None:
            attrs["checkpoint"] = {"selector": checkpoint}
            inputs_from["checkpoint"] = parent
        eval_gate = _eval_gate(s.gate.evaluation, attrs["model"], known) if s.gate and s.gate.evaluation else {}
        depends = (parent,) if parent else ()
        if eval_gate:
            depends = (*depends, eval_gate["evaluation"])
        return DeploymentDesired(
            address=entry.address,
            name=dep.name,
            attributes=attrs,
            inputs_digest=digest(attrs),
            depends_on=depends,
            inputs_from=inputs_from,
            prevent_destroy=dep.lifecycle.prevent_destroy,
            ignore_changes=dep.lifecycle.ignore_changes,
            model=None if parent else str(s.model),
            parent=parent,
            type=s.type,
            capacity=s.capacity,
            rai_policy=s.rai_policy,
            version_upgrade=s.version_upgrade,
            account=account,
            tags=dict(s.tags),
            gate=s.gate.model_dump(exclude_none=True, exclude={"evaluation"}) if s.gate else {},
            eval_gate=eval_gate,
            checkpoint=checkpoint,
            elsewhere=bool(s.account) and s.account != ctx.default_account,
        )

    # ------------------------------------------------------------ plan

    def prior(self, record: ResourceState) -> dict[str, Any]:
        return {k: record.attributes.get(k) for k in (*COMPARED, "checkpoint")}

    def before(self, record: ResourceState) -> dict[str, Any]:
        shown = {k: record.attributes.get(k) for k in COMPARED}
        if record.attributes.get("checkpoint"):
            shown["checkpoint"] = record.attributes["checkpoint"]
        return shown

    def input_value(self, want: Desired, attribute: str, source: ResourceState, output: Any) -> Any | None:
        """A checkpoint deployment's model and `checkpoint` from the job record's checkpoints (None: not known)."""
        dep = _want(want)
        if dep.checkpoint is None:
            return output
        checkpoints = recorded(source.attributes.get("checkpoints"))
        choice = choose(checkpoints, dep.checkpoint)
        if attribute == "checkpoint":
            if choice is None:
                return missing(dep.checkpoint, checkpoints) if checkpoints else None
            return described(dep.checkpoint, choice)
        return choice.model if choice is not None else None

    def reason(self, want: Desired, attribute: str, old: Any, new: Any) -> ActionReason:
        found = self._reason(want, attribute, old, new)
        dep = _want(want)
        if dep.elsewhere and attribute in ("model", "checkpoint"):
            return ActionReason(found.code, f"{found.message} (in account {dep.account})", found.attribute)
        return found

    def _reason(self, want: Desired, attribute: str, old: Any, new: Any) -> ActionReason:
        dep = _want(want)
        if attribute == "model":
            message = (
                f"model swaps to the retrained {dep.parent}"
                if isinstance(new, Unknown)
                else f"model swaps {old} → {new}"
            )
            return ActionReason(ReasonCode.MODEL_SWAP, message, attribute)
        if attribute == "checkpoint":
            if isinstance(new, Mapping) and new.get("missing"):
                steps = ", ".join(str(step) for step in new.get("steps") or [])
                message = f"checkpoint step {new.get('selector')} does not exist ({dep.parent} has steps {steps})"
            elif isinstance(new, Mapping) and new.get("step") is not None:
                message = f"checkpoint step {new['step']}: {new.get('why')}"
            else:
                message = f"checkpoint {dep.checkpoint} of the retrained {dep.parent}"
            return ActionReason(ReasonCode.MODEL_SWAP, message, attribute)
        return super().reason(want, attribute, old, new)

    def gate(self, want: Desired, change: ResourceChange, view: PlanView) -> GateOutcome | None:
        dep = _want(want)
        if not change.action.changes or not ((dep.gate and dep.parent) or dep.eval_gate):
            return None
        statuses: list[GateStatus] = []
        checks: list[dict[str, Any]] = []
        if dep.gate and dep.parent:
            job = view.record(dep.parent)
            job_action = view.action_of(dep.parent)
            retrains = job_action is not None and job_action.creates
            metrics = chosen_metrics(job.attributes, dep.checkpoint) if job is not None and not retrains else None
            if not metrics:
                statuses.append(GateStatus.PENDING)
                checks += [{"bound": b, "limit": v} for b, v in dep.gate.items()]
            else:
                status, found = evaluate_gate(dep.gate, metrics)
                statuses.append(status)
                checks += found
        evaluation = None
        if dep.eval_gate:
            evaluation = str(dep.eval_gate["evaluation"])
            action = view.action_of(evaluation)
            record = view.record(evaluation)
            reruns = action is not None and (action.creates or action is Action.WAIT)
            if reruns or record is None or record.status != "completed":
                statuses.append(GateStatus.PENDING)
                why = f"{evaluation} runs first" if reruns or record is None else f"{evaluation} is {record.status}"
                checks.append({"bound": "evaluation", "evaluation": evaluation, "pending": why})
            else:
                status, found = evaluate_eval_gate(dep.eval_gate, record.attributes.get("results") or {})
                statuses.append(status)
                checks += found
        status = (
            GateStatus.FAILED
            if GateStatus.FAILED in statuses
            else GateStatus.PENDING
            if GateStatus.PENDING in statuses
            else GateStatus.PASSED
        )
        result = GateResult(dep.address, dep.parent or evaluation or "", status, tuple(checks), evaluation)
        return GateOutcome(result, f"gate failed: {_failing(checks)}" if status is GateStatus.FAILED else None)

    def cost(self, change: ResourceChange, want: Desired | None, ctx: CostContext) -> CostLine | None:
        serves_job = isinstance(want, DeploymentDesired) and want.parent is not None
        fine_tuned = serves_job or ".ft-" in str((change.before or {}).get("model", ""))
        new = _hosting(change.after, fine_tuned, ctx.prices)
        old = _hosting(change.before, fine_tuned, ctx.prices)
        action = change.action
        if action is Action.DELETE:
            return CostLine(old, removed=(old,)) if old else None
        if new is None:
            return None
        if action is Action.CREATE:
            return CostLine(new, added=(new,))
        if action is Action.UPDATE and old is not None:
            # In place: what the change adds to (or saves on) the bill, not the deployment's whole price.
            shown = estimate_hosting_change(old, new, _what_changed(change.before, change.after))
            return CostLine(shown, added=(new,), removed=(old,))
        if action is Action.UPDATE or action.is_replace:
            return CostLine(new, added=(new,), removed=(old,) if old else ())
        return CostLine(new, unchanged=(new,))

    def preflight(
        self,
        changes: Sequence[ResourceChange],
        desired: Mapping[str, Desired],
        provider: Provider,
        index: object,
        locate: Callable[[str, str], Location | None],
    ) -> list[Diagnostic]:
        from fineplan.kinds.deployment_checks import check_requests, missing_checkpoints, requests_of

        found = missing_checkpoints(changes, desired, lambda address: locate(address, "model.checkpoint"))
        requests = requests_of(changes, desired, provider.default_account, lambda w: _model_of(w, desired))
        if not requests:
            return found
        existing = index.by_name if isinstance(index, DeploymentIndex) else {}
        return found + check_requests(requests, provider, existing, lambda address: locate(address, "capacity"))

    # ------------------------------------------------------------ refresh

    def reads(self, provider: Provider, records: Sequence[ResourceState], wanted: Sequence[Desired]) -> Reads:
        default = provider.default_account
        accounts = {default}
        accounts |= {str(r.attributes.get("account") or default) for r in records}
        accounts |= {_want(w).account or default for w in wanted}
        ordered = sorted(accounts)

        def combine(results: list[object]) -> DeploymentIndex:
            return DeploymentIndex.of(dict(zip(ordered, results, strict=True)), default)  # type: ignore[arg-type]

        return Reads(tuple(_lister(provider, a) for a in ordered), combine)

    def refresh(self, record: ResourceState, index: object, now: float) -> Refreshed:
        idx = _deployments(index)
        account = str(record.attributes.get("account") or idx.default_account)
        dep = idx.by_name.get((account, record.name))
        before = {k: record.attributes.get(k) for k in COMPARED}
        if dep is None:
            created = record.attributes.get("created_at")
            expired = record.attributes.get("type") == "developer" and (
                created is None or now - float(created) >= DEVELOPER_LIFETIME_S - 60
            )
            if expired:
                why, change = (
                    "Developer deployment expired: Azure deletes them 24 h after creation",
                    DriftChange.EXPIRED,
                )
            else:
                why, change = "deployment deleted outside fineplan", DriftChange.DELETED
            return Refreshed(None, Drift(record.address, self.kind, record.name, change, why, before=before))
        attrs = deployment_attributes(dep)
        after = {k: attrs.get(k) for k in COMPARED}
        changed = [k for k in COMPARED if before.get(k) != after.get(k)]
        drift: Drift | None = None
        if changed:
            drift = Drift(
                record.address,
                self.kind,
                record.name,
                DriftChange.CHANGED,
                "changed outside fineplan: " + ", ".join(changed),
                before={k: before[k] for k in changed},
                after={k: after[k] for k in changed},
            )
        if record.attributes.get("checkpoint"):
            attrs["checkpoint"] = record.attributes["checkpoint"]  # Azure does not know it: fineplan's own record
        record.attributes = attrs
        record.remote_id = dep.id or record.remote_id
        record.status = deployment_status(dep)
        return Refreshed(record, drift)

    def adopt(self, want: Desired, index: object, ctx: AdoptContext) -> tuple[ResourceState, Drift] | None:
        dep_want = _want(want)
        idx = _deployments(index)
        dep = idx.by_name.get((dep_want.account or idx.default_account, dep_want.name))
        if (
            dep is None
            or dep.id in ctx.forgotten
            or dep.tags.get(TAG_ADDRESS) != want.address
            or dep.tags.get(TAG_PROJECT) != ctx.project
        ):
            return None
        record = deployment_record(dep_want, dep, inputs_digest=dep.tags.get(TAG_DIGEST, ""))
        return record, Drift(want.address, self.kind, want.name, DriftChange.ADOPTED, "deployment found by its tags")

    def describe(self, record: ResourceState) -> str:
        account = record.attributes.get("account")
        return f"deployment {account}/{record.name}" if account else f"deployment {record.name}"

    # ------------------------------------------------------------ apply

    def apply(self, ctx: ApplyContext, change: ResourceChange, want: Desired) -> str:
        dep = _want(want)
        model = dep.model
        checkpoint: dict[str, Any] | None = None
        if dep.parent:
            model, metrics = trained_parent(ctx, dep.parent)
            if dep.checkpoint is not None:
                model, checkpoint = _checkpoint_of(ctx, dep)
                parent = ctx.state.get(dep.parent)
                metrics = chosen_metrics(parent.attributes, dep.checkpoint) if parent is not None else {}
            if dep.gate:
                status, checks = evaluate_gate(dep.gate, metrics)
                if status is not GateStatus.PASSED:
                    raise GateFailed(f"gate failed: {_failing(checks)}")
        if dep.eval_gate:
            # Re-checked from state now that the evaluation has run: the plan's verdict may predate its results.
            evaluation = str(dep.eval_gate["evaluation"])
            record = ctx.state.get(evaluation)
            if record is None or record.status != "completed":
                raise Deferred(f"waiting for {evaluation} to finish (re-run apply)")
            status, checks = evaluate_eval_gate(dep.eval_gate, record.attributes.get("results") or {})
            if status is not GateStatus.PASSED:
                raise GateFailed(f"gate failed: {_failing(checks)}")
        provider = ctx.provider
        account = dep.account or provider.default_account
        old = ctx.state.get(dep.address)
        if old is not None and change.action.is_replace:
            old_account = str(old.attributes.get("account") or provider.default_account)
            if change.action is Action.DELETE_THEN_CREATE:
                ctx.emit(DeploymentProgress(dep.address, account=old_account, name=old.name, state="Deleting"))
                provider.delete_deployment(old_account, old.name)
            elif (old_account, old.name) != (account, dep.name):
                what = self.describe(old)
                ctx.leave(Leftover(dep.address, what, _deleter(provider, old_account, old.name), record=old))
        tags = {**dep.tags, TAG_ADDRESS: dep.address, TAG_DIGEST: dep.inputs_digest, TAG_PROJECT: ctx.project}
        ctx.emit(DeploymentProgress(dep.address, account=account, name=dep.name, state="Creating"))
        request = DeploymentRequest(
            model_name=str(model),
            deployment_type=dep.type,
            capacity=dep.capacity,
            rai_policy=dep.rai_policy,
            version_upgrade=dep.version_upgrade,
            tags=tags,
        )
        created = provider.put_deployment(account, dep.name, request)
        ctx.emit(DeploymentProgress(dep.address, account=account, name=dep.name, state=created.provisioning_state))
        record = deployment_record(dep, created)
        if checkpoint is not None:
            record.attributes["checkpoint"] = checkpoint
        ctx.store.put(record)
        return f"{account}/{dep.name} ({created.model_name})"

    def delete(self, ctx: ApplyContext, record: ResourceState) -> None:
        account = str(record.attributes.get("account") or ctx.provider.default_account)
        ctx.emit(DeploymentProgress(record.address, account=account, name=record.name, state="Deleting"))
        ctx.provider.delete_deployment(account, record.name)

    # ------------------------------------------------------------ state commands

    def import_record(self, provider: Provider, want: Desired, remote_id: str) -> ResourceState:
        # ACCOUNT/NAME, NAME, or the full ARM id that `fineplan show` prints (…/accounts/A/deployments/N).
        account, _, name = remote_id.rpartition("/")
        account = account.rpartition("/accounts/")[2].removesuffix("/deployments") or provider.default_account
        dep = provider.get_deployment(account, name)
        if dep is None:
            raise StateError(f"no deployment {name} in account {account}")
        return deployment_record(_want(want), dep)

    def outputs(self, record: ResourceState, endpoint: str) -> dict[str, Any] | None:
        return {
            "deployment": record.name,
            "account": record.attributes.get("account"),
            "model": record.attributes.get("model"),
            "endpoint": endpoint,
            "type": record.attributes.get("type"),
        }


# ---------------------------------------------------------------- records


def deployment_attributes(d: RemoteDeployment) -> dict[str, Any]:
    return {
        "model": d.model_name,
        "type": d.deployment_type,
        "sku": d.sku_name,
        "capacity": d.capacity,
        "rai_policy": d.rai_policy,
        "version_upgrade": d.version_upgrade,
        "account": d.account,
        "tags": {k: v for k, v in d.tags.items() if not k.startswith(TAG_PREFIX)},
        "created_at": d.created_at,
        "provisioning_state": d.provisioning_state,
    }


def deployment_status(dep: RemoteDeployment) -> str:
    return "ready" if dep.provisioning_state == "Succeeded" else dep.provisioning_state.lower()


def deployment_record(
    want: DeploymentDesired, dep: RemoteDeployment, *, inputs_digest: str | None = None
) -> ResourceState:
    return ResourceState(
        address=want.address,
        kind=want.kind,
        name=want.name,
        remote_id=dep.id or f"{dep.account}/{dep.name}",
        inputs_digest=want.inputs_digest if inputs_digest is None else inputs_digest,
        attributes=deployment_attributes(dep),
        dependencies=list(want.depends_on),
        status=deployment_status(dep),
    )


def evaluate_gate(gate: Mapping[str, float], metrics: Mapping[str, float]) -> tuple[GateStatus, list[dict[str, Any]]]:
    """Each bound of a gate against a job's final metrics (a missing `valid_*` falls back to `full_valid_*`)."""
    checks: list[dict[str, Any]] = []
    for bound, limit in gate.items():
        metric, sense = GATE_METRICS[bound]
        value = metrics.get(metric)
        if value is None and metric.startswith("valid_"):
            value = metrics.get("full_" + metric)
        passed = value is not None and (value <= limit if sense == "max" else value >= limit)
        checks.append({"bound": bound, "metric": metric, "value": value, "limit": limit, "passed": passed})
    return (GateStatus.PASSED if all(c["passed"] for c in checks) else GateStatus.FAILED), checks


# ---------------------------------------------------------------- helpers


def _checkpoint_of(ctx: ApplyContext, dep: DeploymentDesired) -> tuple[str, dict[str, Any]]:
    """The checkpoint model a deployment serves and its `checkpoint` attribute, from the trained job's record."""
    assert dep.parent is not None and dep.checkpoint is not None
    parent = ctx.state.get(dep.parent)
    checkpoints = recorded(parent.attributes.get("checkpoints")) if parent is not None else []
    choice = choose(checkpoints, dep.checkpoint)
    if choice is None:
        steps = ", ".join(str(c.step) for c in deployable(checkpoints)) or "none"
        raise ConfigError(f"{dep.parent} has no deployable checkpoint {dep.checkpoint} (steps {steps})")
    return choice.model, described(dep.checkpoint, choice)


def evaluate_eval_gate(gate: Mapping[str, Any], results: Mapping[str, Any]) -> tuple[GateStatus, list[dict[str, Any]]]:
    """Each bound of an evaluation gate against the evaluation's recorded results."""
    from fineplan.kinds.evaluation_data import gate_checks

    subject = gate.get("subject")
    if not subject:
        why = f"no subject of {gate['evaluation']} serves this deployment's model"
        return GateStatus.FAILED, [{"bound": "subject", "passed": False, "why": why}]
    checks = list(gate_checks(gate, str(subject), results))
    return (GateStatus.PASSED if all(c["passed"] for c in checks) else GateStatus.FAILED), checks


def _eval_gate(gate: EvaluationGate, model: Any, known: Mapping[str, Desired]) -> dict[str, Any]:
    """The gate with its evaluation as an address and its subject resolved: by default the subject whose
    deployment serves the same model as this deployment."""
    address = f"evaluation.{gate.evaluation}"
    out = gate.model_dump(exclude_none=True)
    out["evaluation"] = address
    out["graders"] = list(gate.graders)
    if gate.subject is None:
        ev = known.get(address)
        models: Mapping[str, Any] = getattr(ev, "subject_models", {}) or {}
        matching = [s for s, m in sorted(models.items()) if m == model and s != gate.beats]
        if matching:
            out["subject"] = matching[0]
    return out


def _failing(checks: list[dict[str, Any]]) -> str:
    from fineplan.kinds.evaluation_data import describe_check

    return "; ".join(str(c.get("why")) if "why" in c else describe_check(c) for c in checks if not c.get("passed"))


def _hosting(attrs: Mapping[str, Any] | None, fine_tuned: bool, prices: PriceTable) -> CostEstimate | None:
    dtype = (attrs or {}).get("type")
    if not dtype:
        return None
    capacity = int((attrs or {}).get("capacity") or 1)
    return estimate_deployment(prices, deployment_type=str(dtype), capacity=capacity, fine_tuned=fine_tuned)


def _model_of(want: Desired, desired: Mapping[str, Desired]) -> tuple[str, str | None, bool]:
    """(model to look up, its catalog base model, fine-tuned) of a deployment; a job's model is its root base."""
    from fineplan.catalog import fine_tuned_base, is_fine_tuned_name
    from fineplan.kinds.job import JobDesired, root_base_model

    dep = _want(want)
    if dep.parent:
        parent = desired.get(dep.parent)
        base = root_base_model(parent, desired) if isinstance(parent, JobDesired) else None
        return base or "", base, True
    model = dep.model or ""
    return model, fine_tuned_base(model) or model, is_fine_tuned_name(model)


def _what_changed(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> str:
    """`capacity 15 → 25 PTU` for a capacity change; otherwise the attributes that change in place."""
    before, after = before or {}, after or {}
    if before.get("capacity") != after.get("capacity"):
        from fineplan.catalog import load_catalog

        dtype = load_catalog().deployment_types.get(str(after.get("type")))
        unit = f" {dtype.unit}" if dtype else ""
        return f"capacity {before.get('capacity')} → {after.get('capacity')}{unit}"
    # An unset computed value (rai_policy: Azure's default) is not a change.
    changed = [k for k in (*COMPARED, "checkpoint") if after.get(k) is not None and before.get(k) != after.get(k)]
    return ", ".join(changed) + " changed" if changed else "updated in place"


def _lister(provider: Provider, account: str) -> Callable[[], object]:
    return lambda: provider.list_deployments(account)


def _deleter(provider: Provider, account: str, name: str) -> Callable[[], None]:
    return lambda: provider.delete_deployment(account, name)


def _deployments(index: object) -> DeploymentIndex:
    assert isinstance(index, DeploymentIndex), index
    return index


def _want(want: Desired) -> DeploymentDesired:
    assert isinstance(want, DeploymentDesired), want
    return want
