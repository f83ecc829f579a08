"""What the pure plan builder asks of a resource kind (implemented per kind in `fineplan.kinds`).

The builder knows no kind. Which attribute changes force a replacement is the provider's answer (`Differ.diff`);
everything else kind-specific that a plan needs comes through `PlanRules`: how a record reads for the diff and
for people, what the remote object's status means, what a change costs, and the deployment's gate.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from fineplan.plan.model import Action, ActionReason, GateResult, ResourceChange
from fineplan.pricing import CostEstimate, PriceTable
from fineplan.resource import Desired
from fineplan.spec.project import Project, ResourceEntry
from fineplan.state.drift import Drift
from fineplan.state.model import ResourceState


class Condition(enum.Enum):
    READY = "ready"  # usable as it is
    PENDING = "pending"  # still being made (a job training): apply waits for it
    TAINTED = "tainted"  # unusable (a failed job): replaced


@dataclass(frozen=True)
class Health:
    """What a record's remote status means for the plan, and why (for PENDING and TAINTED)."""

    condition: Condition
    reason: ActionReason | None = None


READY = Health(Condition.READY)


class PlanView(Protocol):
    """The plan as built so far, for rules that look at other resources (a gate reads its job)."""

    def action_of(self, address: str) -> Action | None: ...

    def record(self, address: str) -> ResourceState | None: ...


@dataclass(frozen=True)
class GateOutcome:
    result: GateResult
    blocked: str | None = None  # set when the gate holds the change back


@dataclass(frozen=True)
class CostContext:
    prices: PriceTable
    desired: Mapping[str, Desired]
    records: Mapping[str, ResourceState] = field(default_factory=dict)  # the refreshed state's records


@dataclass(frozen=True)
class CostLine:
    """A change's money: the estimate shown on it, and how it moves the plan's totals."""

    shown: CostEstimate | None
    added: tuple[CostEstimate, ...] = ()  # created, and the new side of replacements and updates
    removed: tuple[CostEstimate, ...] = ()  # destroyed, and the old side of replacements and updates
    unchanged: tuple[CostEstimate, ...] = ()  # stays as it is (its hosting counts before and after)


@dataclass(frozen=True)
class DesiredContext:
    project: Project
    with_stats: bool = True  # read datasets for token statistics (costing); a freshness check does not need them
    default_account: str | None = None  # the target's account, written into resources that name none


class DesiredRules(Protocol):
    def desired(self, entry: ResourceEntry, known: Mapping[str, Desired], ctx: DesiredContext) -> Desired:
        """The Desired of one spec entry; `known` holds what it depends on (computed first)."""
        ...


class PlanRules(Protocol):
    @property
    def trains(self) -> bool:
        """Creating or replacing one costs training (the plan flags it `retrain`)."""
        ...

    def prior(self, record: ResourceState) -> dict[str, Any]:
        """The record's values for the provider's diff, keyed like the Desired's attributes."""
        ...

    def before(self, record: ResourceState) -> dict[str, Any]:
        """The record as the plan shows it (`before`)."""
        ...

    def output(self, record: ResourceState) -> Any | None:
        """The value resources built on this one take from it (a job's fine-tuned model); None until known."""
        ...

    def input_value(self, want: Desired, attribute: str, source: ResourceState, output: Any) -> Any | None:
        """The value `want`'s `attribute` takes from its source's record, whose output is `output` (not None);
        None while it is not known. Usually the output itself (a job's fine-tuned model)."""
        ...

    def health(self, record: ResourceState) -> Health: ...

    def reason(self, want: Desired, attribute: str, old: Any, new: Any) -> ActionReason:
        """Why a changed attribute matters, in this kind's words."""
        ...

    def gate(self, want: Desired, change: ResourceChange, view: PlanView) -> GateOutcome | None: ...

    def cost(self, change: ResourceChange, want: Desired | None, ctx: CostContext) -> CostLine | None: ...

    def drift_cost(self, drift: Drift, ctx: CostContext) -> CostEstimate | None:
        """What a drifted object spends that no change accounts for (an untracked job still training)."""
        ...

    def needed_by(self, old: ResourceState, state: Mapping[str, ResourceState]) -> str | None:
        """The address of a record still built on a superseded old object, or None."""
        ...
