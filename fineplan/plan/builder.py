"""The plan builder: desired resources vs the refreshed state → the whole frozen Plan (priced, staged, guarded).

Pure, with no side effects: no I/O, no provider calls beyond the provider's pure `diff`, no clock reads. Everything
it needs (desired resources, refreshed and prior state, drift, the provider's differ, the kind rules, prices and
the budget) comes in as arguments, so the builder is unit-tested with plain data and a scripted differ.

Decisions (documented in specs/reference.md):
- What a changed attribute means is the provider's answer alone (`Differ.diff`): replace or update in place,
  and for a replacement whether the old object must be deleted first. lifecycle.ignore_changes drops attributes
  from that answer, as in Terraform.
- An attribute fed by another resource's output (a stacked job's base model, a deployment's model) is unknown
  while that resource is created, replaced or still training: a retrained job retrains every job stacked on it
  and swaps the model of every deployment serving it.
- A remote object its kind calls tainted (a failed or cancelled job) is replaced; a pending one (still training)
  is waited for. -replace forces a replacement.
- A resource in state but not in the configuration is deleted, dependents first. prevent_destroy guards specs
  that still exist: removing the spec removes its guard (as in Terraform).
- The order of apply is part of the plan (`fineplan.plan.stages`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from fineplan import __version__
from fineplan.diagnostics import Diagnostic
from fineplan.graph.dag import DAG
from fineplan.plan.budget import prevent_destroy_diagnostics
from fineplan.plan.costing import Budget, price_changes, price_drift
from fineplan.plan.model import (
    Action,
    ActionReason,
    GateResult,
    Plan,
    PlanOptions,
    ReasonCode,
    ResourceChange,
    SupersededObject,
)
from fineplan.plan.rules import Condition, PlanRules
from fineplan.plan.stages import plan_stages
from fineplan.pricing import PriceTable
from fineplan.providers.base import Differ
from fineplan.resource import KNOWN_AFTER_APPLY, UNKNOWN, Desired, Kind
from fineplan.state.drift import Drift, DriftChange
from fineplan.state.model import ResourceState, State


@dataclass(frozen=True)
class BuildInput:
    project: str
    target: str
    desired: Mapping[str, Desired]
    state: State  # refreshed
    prior: State  # as last recorded
    differ: Differ  # the provider: what a difference means
    rules: Mapping[Kind, PlanRules]
    drift: tuple[Drift, ...] = ()
    options: PlanOptions = field(default_factory=PlanOptions)
    prices: PriceTable | None = None  # None: a plan without cost
    budget: Budget = field(default_factory=Budget)
    inputs_digest: str = ""
    created_at: str = ""
    diagnostics: tuple[Diagnostic, ...] = ()  # lint findings to carry


class PlanBuilder:
    """Mutable while building; `build()` returns the frozen Plan. Also the `PlanView` kind rules look through."""

    def __init__(self, inp: BuildInput) -> None:
        self.inp = inp
        self.changes: dict[str, ResourceChange] = {}
        self.gates: list[GateResult] = []

    # ------------------------------------------------------------ PlanView

    def action_of(self, address: str) -> Action | None:
        c = self.changes.get(address)
        return c.action if c else None

    def record(self, address: str) -> ResourceState | None:
        return self.inp.state.get(address)

    # ------------------------------------------------------------ build

    def build(self) -> Plan:
        inp, opts = self.inp, self.inp.options
        changes = [] if opts.refresh_only else self._changes()
        priced, cost, budget_findings = price_changes(
            changes, inp.desired, inp.rules, inp.prices, inp.budget, records=inp.state.resources
        )
        drift = price_drift(inp.drift, inp.desired, inp.rules, inp.prices, inp.state.resources, cost)
        guards = prevent_destroy_diagnostics(priced, inp.desired)
        superseded = () if opts.refresh_only else self._superseded(priced)
        return Plan(
            project=inp.project,
            target=inp.target,
            resource_changes=priced,
            stages=plan_stages(priced, cleanup=[s.address for s in superseded if s.goes]),
            drift=drift,
            superseded=superseded,
            gates=tuple(self.gates),
            cost=cost,
            diagnostics=(*inp.diagnostics, *guards, *budget_findings),
            state_lineage=inp.prior.lineage if inp.prior.serial or inp.prior.resources else None,
            state_serial=inp.prior.serial,
            inputs_digest=inp.inputs_digest,
            options=opts,
            created_at=inp.created_at,
            fineplan_version=__version__,
        )

    def _changes(self) -> list[ResourceChange]:
        opts = self.inp.options
        desired = {} if opts.destroy else self.inp.desired
        for address in DAG.of({a: w.depends_on for a, w in desired.items()}).topological():
            want = desired[address]
            change = self._plan_desired(want)
            gate = self.inp.rules[want.kind].gate(want, change, self)
            if gate is not None:
                self.gates.append(gate.result)
                if gate.blocked:
                    change = replace(change, blocked=gate.blocked)
            self.changes[address] = change
        orphans = {a: r for a, r in self.inp.state.resources.items() if a not in desired}
        for address in DAG.of({a: r.dependencies for a, r in orphans.items()}).reverse_topological():
            self.changes[address] = self._plan_orphan(orphans[address])
        changes = _propagate_blocks(list(self.changes.values()))
        if opts.targets:
            keep = DAG.of({c.address: c.depends_on for c in changes}).with_dependencies(opts.targets)
            changes = [c for c in changes if c.address in keep]
        return changes

    # ------------------------------------------------------------ one desired resource

    def _plan_desired(self, want: Desired) -> ResourceChange:
        rules = self.inp.rules[want.kind]
        planned, unknown = self._resolved(want)
        res = self.inp.state.get(want.address)
        action, reasons, replace_paths = self._decide(want, rules, planned, res)
        return ResourceChange(
            address=want.address,
            kind=want.kind,
            name=want.name,
            action=action,
            reasons=reasons,
            before=rules.before(res) if res is not None else None,
            after={**{k: KNOWN_AFTER_APPLY if v is UNKNOWN else v for k, v in planned.items()}, **want.shown},
            after_unknown=unknown,
            replace_paths=replace_paths,
            depends_on=want.depends_on,
            inputs_digest=want.inputs_digest,
            remote_id=res.remote_id if res is not None else None,
            retrain=rules.trains and action.creates,
        )

    def _decide(
        self, want: Desired, rules: PlanRules, planned: dict[str, Any], res: ResourceState | None
    ) -> tuple[Action, tuple[ActionReason, ...], tuple[str, ...]]:
        """(action, reasons, attributes forcing replacement), from the provider's diff and the record's health."""
        if res is None:
            return Action.CREATE, self._why_create(want), ()
        recorded = rules.prior(res)
        prior = {"name": res.name, **recorded}
        proposed = {"name": want.name, **planned}
        diff = self.inp.differ.diff(want.kind, prior, proposed).without(want.ignore_changes)
        health = rules.health(res)

        replacing: list[ActionReason] = []
        if want.address in self.inp.options.replace:
            replacing.append(ActionReason(ReasonCode.REPLACE_REQUESTED, "replacement requested with -replace"))
        if health.condition is Condition.TAINTED and health.reason is not None:
            replacing.append(health.reason)
        if diff.replaces and not recorded:  # adopted by its tags with another inputs digest: nothing to compare
            why = "the inputs it was made from are not recorded (adopted with another inputs digest)"
            replacing.append(ActionReason(ReasonCode.INPUTS_UNKNOWN, why))
        else:
            replacing += [rules.reason(want, p, prior.get(p), proposed.get(p)) for p in diff.replaces]
        if replacing:
            action = Action.DELETE_THEN_CREATE if diff.delete_before_replace else Action.CREATE_THEN_DELETE
            return action, tuple(replacing), diff.replaces
        if diff.updates:
            updating = [rules.reason(want, p, prior.get(p), proposed.get(p)) for p in diff.updates]
            drifted = [d for d in self.inp.drift if d.address == want.address and d.change is DriftChange.CHANGED]
            updating[:0] = [ActionReason(ReasonCode.DRIFT, d.message) for d in drifted]
            return Action.UPDATE, tuple(updating), ()
        if health.condition is Condition.PENDING:
            return Action.WAIT, (health.reason,) if health.reason else (), ()
        return Action.NOOP, (), ()

    def _resolved(self, want: Desired) -> tuple[dict[str, Any], tuple[str, ...]]:
        """The Desired's attributes with other resources' outputs filled in, or UNKNOWN while that resource is
        created, replaced or still training (its output will be a new one)."""
        values = dict(want.attributes)
        unknown: list[str] = []
        for attribute, source in want.inputs_from.items():
            value: Any = None
            action = self.action_of(source)
            source_kind = Kind.of_address(source)
            record = self.inp.state.get(source)
            if action is not None and not action.creates and action is not Action.WAIT and record and source_kind:
                value = self.inp.rules[source_kind].output(record)
                if value is not None:
                    value = self.inp.rules[want.kind].input_value(want, attribute, record, value)
            if value is None:
                values[attribute] = UNKNOWN
                unknown.append(attribute)
            else:
                values[attribute] = value
        return values, tuple(unknown)

    def _why_create(self, want: Desired) -> tuple[ActionReason, ...]:
        for d in self.inp.drift:
            if d.address == want.address and d.change is DriftChange.DELETED:
                return (ActionReason(ReasonCode.DELETED_OUTSIDE, d.message),)
            if d.address == want.address and d.change is DriftChange.EXPIRED:
                return (ActionReason(ReasonCode.DEVELOPER_EXPIRED, d.message),)
        return (ActionReason(ReasonCode.NEW, f"{want.kind.value} {want.name} is not in the state"),)

    # ------------------------------------------------------------ old objects of earlier replacements

    def _superseded(self, changes: Sequence[ResourceChange]) -> tuple[SupersededObject, ...]:
        """Each one goes at cleanup unless a record that this plan leaves alone is still built on it (a
        deployment serving the old model); one whose dependent changes in this plan is re-checked at cleanup."""
        by_address = {c.address: c for c in changes if not c.blocked}
        planned = {c.address for c in changes}
        out: list[SupersededObject] = []
        for old in self.inp.state.superseded:
            kind = Kind(old.record.kind)
            needer = self.inp.rules[kind].needed_by(old.record, self.inp.state.resources)
            moving = needer is not None and needer in by_address and _moves_off(by_address[needer], old.record)
            kept_for = needer if needer is not None and not moving else None
            if self.inp.options.targets and old.record.address not in planned:
                continue  # -target: only what the targeted resources need is touched
            out.append(SupersededObject(old.record.address, kind, old.what, old.record.remote_id, kept_for))
        return tuple(out)

    # ------------------------------------------------------------ a record without a spec

    def _plan_orphan(self, res: ResourceState) -> ResourceChange:
        kind = Kind(res.kind)
        if self.inp.options.destroy:
            reason = ActionReason(ReasonCode.DESTROY, "destroy requested")
        else:
            reason = ActionReason(ReasonCode.REMOVED, f"{kind.value} {res.name} is no longer in the configuration")
        return ResourceChange(
            address=res.address,
            kind=kind,
            name=res.name,
            action=Action.DELETE,
            reasons=(reason,),
            before=self.inp.rules[kind].before(res),
            remote_id=res.remote_id,
            depends_on=tuple(res.dependencies),
        )


def _moves_off(change: ResourceChange, old: ResourceState) -> bool:
    """Whether `change` stops using the old object: it is replaced or deleted, or an attribute that names the old
    object (its id, or a value it provides such as a fine-tuned model) takes another value."""
    if change.action.creates or change.action.destroys:
        return True
    if not change.action.changes:
        return False
    names = {str(v) for v in old.attributes.values() if isinstance(v, str) and v} | {str(old.remote_id)}
    before, after = change.before or {}, change.after or {}
    return any(str(v) in names and after.get(k) != v for k, v in before.items())


def _propagate_blocks(changes: list[ResourceChange]) -> list[ResourceChange]:
    """A change that depends on a blocked one is blocked too (changes come in dependency order)."""
    blocked = {c.address for c in changes if c.blocked}
    out: list[ResourceChange] = []
    for c in changes:
        if not c.blocked and c.action.changes:
            parent = next((d for d in c.depends_on if d in blocked), None)
            if parent:
                c = replace(c, blocked=f"depends on {parent}, which is blocked")
                blocked.add(c.address)
        out.append(c)
    return out


def build_plan(inp: BuildInput) -> Plan:
    """The frozen Plan for `inp`. No side effects."""
    return PlanBuilder(inp).build()
