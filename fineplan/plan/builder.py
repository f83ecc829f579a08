"""The plan builder: desired resources vs the refreshed state → a frozen Plan.

Pure, with no side effects: no I/O, no provider calls, no clock reads beyond what the caller passes. Everything
it needs (desired resources, refreshed and prior state, drift, prices) comes in as arguments, so the builder is
unit-tested with plain data.

Decisions (documented in specs/reference.md):
- Jobs are immutable: a change to anything that affects training replaces (retrains) the job, naming the input.
  A job stacked on one that retrains (for any reason, -replace included) retrains too: its base model changes.
- A job whose remote status is failed or cancelled is replaced; one still training is waited for.
- A deployment's capacity, RAI policy, version upgrade, tags or model (a swap) update in place; its type, account
  or Azure name (after `state mv` to a spec of another name) replace it. A spec without rai_policy accepts the
  policy Azure applies by default.
- Deleting a job spec deletes the remote job (the fine-tuned model goes with it) after the deployments serving
  it. prevent_destroy guards specs that still exist: removing the spec removes its guard (as in Terraform).
- Replacing is create-before-destroy: the new job trains, dependents switch to it, then the old one is deleted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from fineplan import __version__
from fineplan.plan.desired import REPLACE_KEYS, Desired
from fineplan.plan.digest import digest
from fineplan.plan.model import Action, ActionReason, Drift, GateResult, Plan, ResourceChange
from fineplan.state.model import ResourceState, State

UNKNOWN = "(known after apply)"
_GATE_METRIC = {
    "max_train_loss": ("train_loss", "max"),
    "max_valid_loss": ("valid_loss", "max"),
    "min_train_token_accuracy": ("train_mean_token_accuracy", "min"),
    "min_valid_token_accuracy": ("valid_mean_token_accuracy", "min"),
    "min_valid_reward": ("valid_reward_mean", "min"),
}


@dataclass
class PlanOptions:
    destroy: bool = False
    refresh_only: bool = False
    targets: tuple[str, ...] = ()
    replace: tuple[str, ...] = ()
    refreshed: bool = True


@dataclass
class BuildInput:
    project: str
    target: str
    desired: dict[str, Desired]  # in dependency order
    state: State  # refreshed
    prior: State  # as last recorded
    drift: list[Drift] = field(default_factory=list)
    options: PlanOptions = field(default_factory=PlanOptions)
    inputs_digest: str = ""
    created_at: str = ""
    cost: dict[str, Any] = field(default_factory=dict)
    change_costs: dict[str, dict[str, Any]] = field(default_factory=dict)
    diagnostics: tuple[dict[str, Any], ...] = ()


class PlanBuilder:
    """Mutable while building; `build()` returns the frozen Plan."""

    def __init__(self, inp: BuildInput) -> None:
        self.inp = inp
        self.changes: dict[str, ResourceChange] = {}
        self.gates: list[GateResult] = []

    # ------------------------------------------------------------ helpers

    def _action_of(self, address: str) -> Action | None:
        c = self.changes.get(address)
        return c.action if c else None

    def _model_name_of_job(self, job_address: str) -> str | None:
        """The fine-tuned model a job will provide, if already known (trained and not being replaced)."""
        if self._action_of(job_address) in (Action.CREATE, Action.REPLACE, Action.WAIT):
            return None
        res = self.inp.state.get(job_address)
        if res is None or res.status != "succeeded":
            return None
        return res.attributes.get("fine_tuned_model")

    def _resolved(self, want: Desired) -> tuple[dict[str, Any], tuple[str, ...]]:
        """Desired attributes as the user reads them, with `{job: X}` resolved or marked unknown."""
        after = {k: v for k, v in want.attributes.items()}
        unknown: list[str] = []
        key = "base_model" if want.kind == "FineTuningJob" else "model" if want.kind == "Deployment" else None
        if key and isinstance(after.get(key), dict) and want.parent_job:
            name = self._model_name_of_job(want.parent_job)
            if name is None:
                after[key] = UNKNOWN
                unknown.append(key)
            else:
                after[key] = name
        return after, tuple(unknown)

    # ------------------------------------------------------------ per kind

    def _plan_desired(self, want: Desired) -> ResourceChange:
        res = self.inp.state.get(want.address)
        after, unknown = self._resolved(want)
        forced = want.address in self.inp.options.replace
        base = {
            "address": want.address,
            "kind": want.kind,
            "name": want.name,
            "after": after,
            "after_unknown": unknown,
            "depends_on": want.depends_on,
            "inputs_digest": want.inputs_digest,
            "cost": self.inp.change_costs.get(want.address),
        }
        if res is None:
            reasons = self._why_create(want)
            return ResourceChange(action=Action.CREATE, reasons=reasons, retrain=want.kind == "FineTuningJob", **base)
        before = self._before(res)
        base["remote_id"] = res.remote_id
        if want.kind == "Deployment":
            return self._plan_deployment(want, res, before, base, forced)
        replace_paths, reasons = self._changed_inputs(want, res)
        if (
            want.parent_job
            and "base_model" not in replace_paths
            and self._action_of(want.parent_job) in (Action.CREATE, Action.REPLACE)
        ):
            # The parent retrains with unchanged inputs (-replace, failed, deleted outside): its fine-tuned model,
            # this job's base, will be a new one, so this job retrains on it too.
            replace_paths = (*replace_paths, "base_model")
            parent = want.parent_job.partition(".")[2]
            reasons = (*reasons, ActionReason("input_changed", f"base model {parent} will be retrained", "base_model"))
        if want.kind == "FineTuningJob" and res.status in ("failed", "cancelled"):
            reasons = (
                ActionReason("job_" + res.status, f"job {res.remote_id} {res.status}; it will be retrained"),
                *reasons,
            )
        if forced:
            reasons = (ActionReason("replace_requested", "replacement requested with -replace"), *reasons)
        if reasons:
            return ResourceChange(
                action=Action.REPLACE,
                reasons=reasons,
                before=before,
                replace_paths=replace_paths,
                retrain=want.kind == "FineTuningJob",
                **base,
            )
        if want.kind == "FineTuningJob" and res.status not in ("succeeded",):
            return ResourceChange(
                action=Action.WAIT,
                before=before,
                reasons=(ActionReason("training", f"job {res.remote_id} is {res.status}"),),
                **base,
            )
        return ResourceChange(action=Action.NOOP, before=before, **base)

    def _why_create(self, want: Desired) -> tuple[ActionReason, ...]:
        for d in self.inp.drift:
            if d.address == want.address and d.change in ("deleted", "expired"):
                return (ActionReason("deleted_outside" if d.change == "deleted" else "developer_expired", d.message),)
        return (ActionReason("new", f"{want.kind} {want.name} is not in the state"),)

    def _before(self, res: ResourceState) -> dict[str, Any]:
        attrs = dict(res.attributes)
        if res.kind in ("Dataset", "FineTuningJob"):
            shown = dict(attrs.get("inputs") or {})
            if res.kind == "FineTuningJob":
                if isinstance(shown.get("base_model"), dict):
                    shown["base_model"] = attrs.get("model") or shown["base_model"]
                shown["status"] = res.status
                shown["fine_tuned_model"] = attrs.get("fine_tuned_model")
            return shown
        return {
            k: attrs.get(k)
            for k in REPLACE_KEYS["Deployment"] | {"model", "capacity", "rai_policy", "version_upgrade", "tags"}
        }

    def _changed_inputs(self, want: Desired, res: ResourceState) -> tuple[tuple[str, ...], tuple[ActionReason, ...]]:
        if res.inputs_digest == want.inputs_digest:
            return (), ()
        old = res.attributes.get("inputs") or {}
        paths: list[str] = []
        reasons: list[ActionReason] = []
        for key in sorted(REPLACE_KEYS[want.kind]):
            if key in want.ignore_changes:
                continue
            if old.get(key) != want.attributes.get(key):
                paths.append(key)
                reasons.append(self._input_reason(want, key, old.get(key), want.attributes.get(key)))
        if not paths and not old:
            paths, reasons = (
                [],
                [ActionReason("inputs_unknown", "inputs recorded in state differ (adopted or imported)")],
            )
        return tuple(paths), tuple(reasons)

    def _input_reason(self, want: Desired, key: str, old: Any, new: Any) -> ActionReason:
        if key in ("training_data", "validation_data", "files"):
            return ActionReason("input_changed", f"{key} content changed ({_short(old)} → {_short(new)})", key)
        if key == "base_model" and isinstance(new, dict):
            return ActionReason("input_changed", f"base model {new.get('job')} will be retrained", key)
        return ActionReason("input_changed", f"{key} changed: {old!r} → {new!r}", key)

    def _plan_deployment(
        self, want: Desired, res: ResourceState, before: dict[str, Any], base: dict[str, Any], forced: bool
    ) -> ResourceChange:
        after = base["after"]
        ignore = set(want.ignore_changes)
        replace_paths = [
            k
            for k in sorted(REPLACE_KEYS["Deployment"])
            if k not in ignore and _norm(k, before.get(k)) != _norm(k, after.get(k))
        ]
        reasons = tuple(
            ActionReason("input_changed", f"{k} changed: {before.get(k)!r} → {after.get(k)!r}", k)
            for k in replace_paths
        )
        if res.name != want.name:  # the address was moved (state mv) to a spec of another name: Azure can't rename
            replace_paths.insert(0, "name")
            reasons = (ActionReason("input_changed", f"name changed: {res.name!r} → {want.name!r}", "name"), *reasons)
        if replace_paths or forced:
            if forced:
                reasons = (ActionReason("replace_requested", "replacement requested with -replace"), *reasons)
            return ResourceChange(
                action=Action.REPLACE, reasons=reasons, before=before, replace_paths=tuple(replace_paths), **base
            )
        updates: list[ActionReason] = []
        for k in ("model", "capacity", "rai_policy", "version_upgrade", "tags"):
            if k in ignore:
                continue
            if k == "rai_policy" and after.get(k) is None:
                continue  # not set in the spec: Azure applies its default policy, which is not drift
            if k == "model" and after.get(k) == UNKNOWN:
                if self._action_of(want.parent_job or "") in (Action.CREATE, Action.REPLACE):
                    updates.append(ActionReason("model_swap", f"model swaps to the retrained {want.parent_job}", k))
                continue
            if _norm(k, before.get(k)) != _norm(k, after.get(k)):
                msg = (
                    f"model swaps {before.get(k)} → {after.get(k)}"
                    if k == "model"
                    else f"{k} {before.get(k)!r} → {after.get(k)!r}"
                )
                updates.append(ActionReason("model_swap" if k == "model" else "input_changed", msg, k))
        for d in self.inp.drift:
            if d.address == want.address and d.change == "changed" and updates:
                updates.insert(0, ActionReason("drift", d.message))
        if updates:
            return ResourceChange(action=Action.UPDATE, reasons=tuple(updates), before=before, **base)
        return ResourceChange(action=Action.NOOP, before=before, **base)

    def _plan_orphan(self, res: ResourceState) -> ResourceChange:
        before = self._before(res)
        reasons = (ActionReason("removed", f"{res.kind} {res.name} is no longer in the configuration"),)
        if self.inp.options.destroy:
            reasons = (ActionReason("destroy", "destroy requested"),)
        return ResourceChange(
            address=res.address,
            kind=res.kind,
            name=res.name,
            action=Action.DELETE,
            reasons=reasons,
            before=before,
            remote_id=res.remote_id,
            depends_on=tuple(res.dependencies),
        )

    # ------------------------------------------------------------ gates

    def _gate(self, want: Desired, change: ResourceChange) -> ResourceChange:
        gate = want.extra.get("gate")
        if not gate or not want.parent_job or not change.action.changes:
            return change
        res = self.inp.state.get(want.parent_job)
        job_action = self._action_of(want.parent_job)
        metrics = res.attributes.get("metrics") if res and job_action not in (Action.CREATE, Action.REPLACE) else None
        if not metrics:
            self.gates.append(
                GateResult(
                    want.address, want.parent_job, "pending", tuple({"bound": b, "limit": v} for b, v in gate.items())
                )
            )
            return change
        status, checks = evaluate_gate(gate, metrics)
        self.gates.append(GateResult(want.address, want.parent_job, status, tuple(checks)))
        if status == "failed":
            failing = "; ".join(f"{c['metric']} = {c['value']} (limit {c['limit']})" for c in checks if not c["passed"])
            from dataclasses import replace

            return replace(change, blocked=f"gate failed: {failing}")
        return change

    # ------------------------------------------------------------ build

    def build(self) -> Plan:
        opts = self.inp.options
        if opts.refresh_only:
            changes: list[ResourceChange] = []
        else:
            desired = {} if opts.destroy else self.inp.desired
            for want in desired.values():
                change = self._plan_desired(want)
                if want.kind == "Deployment":
                    change = self._gate(want, change)
                self.changes[want.address] = change
            orphans = [r for a, r in self.inp.state.resources.items() if a not in desired]
            for res in _reverse_dependency_order(orphans):
                self.changes[res.address] = self._plan_orphan(res)
            changes = list(self.changes.values())
            changes = _propagate_blocks(changes)
            if opts.targets:
                keep = _with_dependencies(opts.targets, changes)
                changes = [c for c in changes if c.address in keep]
        guard = self._prevent_destroy(changes)
        return Plan(
            project=self.inp.project,
            target=self.inp.target,
            resource_changes=tuple(changes),
            drift=tuple(self.inp.drift),
            gates=tuple(self.gates),
            cost=self.inp.cost,
            diagnostics=(*self.inp.diagnostics, *guard),
            state_lineage=self.inp.prior.lineage if self.inp.prior.serial or self.inp.prior.resources else None,
            state_serial=self.inp.prior.serial,
            inputs_digest=self.inp.inputs_digest,
            options={
                "destroy": opts.destroy,
                "refresh_only": opts.refresh_only,
                "targets": list(opts.targets),
                "replace": list(opts.replace),
                "refresh": opts.refreshed,
            },
            created_at=self.inp.created_at,
            fineplan_version=__version__,
        )

    def _prevent_destroy(self, changes: list[ResourceChange]) -> list[dict[str, Any]]:
        """lifecycle.prevent_destroy turns any delete or replace of that resource into a plan error."""
        out: list[dict[str, Any]] = []
        for c in changes:
            want = self.inp.desired.get(c.address)
            if want is None or not want.prevent_destroy or c.action not in (Action.DELETE, Action.REPLACE):
                continue
            out.append(
                {
                    "severity": "error",
                    "code": "FP503",
                    "summary": f"{c.address} has lifecycle.prevent_destroy, but this plan would "
                    + ("destroy" if c.action is Action.DELETE else "replace")
                    + " it",
                    "detail": "Remove prevent_destroy from its spec first if this is really intended.",
                }
            )
        return out


def evaluate_gate(gate: dict[str, float], metrics: dict[str, float]) -> tuple[str, list[dict[str, Any]]]:
    checks: list[dict[str, Any]] = []
    for bound, limit in gate.items():
        metric, sense = _GATE_METRIC[bound]
        value = metrics.get(metric)
        if value is None and metric.startswith("valid_"):
            value = metrics.get("full_" + metric)
        passed = value is not None and (value <= limit if sense == "max" else value >= limit)
        checks.append({"bound": bound, "metric": metric, "value": value, "limit": limit, "passed": passed})
    return ("passed" if all(c["passed"] for c in checks) else "failed"), checks


def _norm(key: str, value: Any) -> Any:
    if key == "tags":
        return dict(value or {})
    return value


def _short(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {str(v)[:12]}" for k, v in value.items())
    return str(value)[:12] if value is not None else "none"


def _reverse_dependency_order(resources: list[ResourceState]) -> list[ResourceState]:
    """Dependents before what they depend on: deployments, stacked jobs, jobs, datasets."""
    rank = {"Deployment": 0, "FineTuningJob": 1, "Dataset": 2}
    by_addr = {r.address: r for r in resources}

    def depth(r: ResourceState, seen: frozenset[str] = frozenset()) -> int:
        parents = [by_addr[d] for d in r.dependencies if d in by_addr and d not in seen]
        return 1 + max((depth(p, seen | {r.address}) for p in parents), default=0)

    return sorted(resources, key=lambda r: (rank.get(r.kind, 3), -depth(r), r.address))


def _propagate_blocks(changes: list[ResourceChange]) -> list[ResourceChange]:
    from dataclasses import replace

    blocked = {c.address: c.blocked for c in changes if c.blocked}
    out: list[ResourceChange] = []
    for c in changes:
        if not c.blocked and c.action.changes:
            parent = next((d for d in c.depends_on if d in blocked), None)
            if parent:
                c = replace(c, blocked=f"depends on {parent}, which is blocked")
                blocked[c.address] = c.blocked
        out.append(c)
    return out


def _with_dependencies(targets: Iterable[str], changes: list[ResourceChange]) -> set[str]:
    by_addr = {c.address: c for c in changes}
    keep: set[str] = set()
    todo = list(targets)
    while todo:
        a = todo.pop()
        if a in keep or a not in by_addr:
            continue
        keep.add(a)
        todo.extend(by_addr[a].depends_on)
    return keep


def inputs_fingerprint(desired: dict[str, Desired], settings: dict[str, Any]) -> str:
    return digest({"resources": {a: d.inputs_digest for a, d in desired.items()}, "settings": settings})


def build_plan(inp: BuildInput) -> Plan:
    return PlanBuilder(inp).build()
