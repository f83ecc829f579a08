"""The contract of a kind handler: one object per resource kind that owns everything kind-specific.

From a spec entry to its Desired; how its state record reads for the provider's diff and for people; what its
remote status means; what it costs; how refresh lists, reads back and adopts its objects; how apply creates,
replaces, waits for and deletes them; what `import` and `output` show. The generic kernel (plan builder,
refresh, executor) calls these through the protocols it defines (`PlanRules`, `RefreshRules`, `ApplyRules`,
`DesiredRules`) and never names a kind. Which attribute changes force a replacement is not here: that is the
provider's `diff`.

Adding a kind: a spec model (`fineplan.spec.models`), a subclass of `KindHandler` registered in
`fineplan.kinds.REGISTRY`, its diff rules in the provider, and its renderer entry (`fineplan.render.kinds`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from fineplan.apply.context import ApplyContext
from fineplan.diagnostics import Diagnostic, Location
from fineplan.errors import ConfigError
from fineplan.plan.model import ActionReason, ReasonCode, ResourceChange
from fineplan.plan.rules import READY, CostContext, CostLine, DesiredContext, GateOutcome, Health, PlanView
from fineplan.pricing import CostEstimate
from fineplan.providers.base import Provider
from fineplan.resource import Desired, Kind
from fineplan.spec.project import ResourceEntry
from fineplan.state.drift import Drift
from fineplan.state.model import ResourceState
from fineplan.state.refresh import AdoptContext, Reads, Refreshed


class KindHandler(ABC):
    kind: ClassVar[Kind]
    # Creating or replacing one trains (costs training money; the plan flags it `retrain`).
    trains: ClassVar[bool] = False
    # The record's name is the remote object's identity (Azure cannot rename it): `state mv` keeps it.
    name_is_identity: ClassVar[bool] = False

    # ------------------------------------------------------------ desired

    @abstractmethod
    def desired(self, entry: ResourceEntry, known: Mapping[str, Desired], ctx: DesiredContext) -> Desired: ...

    # ------------------------------------------------------------ plan (pure)

    def prior(self, record: ResourceState) -> dict[str, Any]:
        """By default the inputs recorded when the object was made (Azure does not echo them all)."""
        return dict(record.attributes.get("inputs") or {})

    def before(self, record: ResourceState) -> dict[str, Any]:
        return self.prior(record)

    def output(self, record: ResourceState) -> Any | None:
        return None

    def input_value(self, want: Desired, attribute: str, source: ResourceState, output: Any) -> Any | None:
        return output

    def health(self, record: ResourceState) -> Health:
        return READY

    def reason(self, want: Desired, attribute: str, old: Any, new: Any) -> ActionReason:
        return ActionReason(ReasonCode.INPUT_CHANGED, f"{attribute} changed: {old!r} → {new!r}", attribute)

    def gate(self, want: Desired, change: ResourceChange, view: PlanView) -> GateOutcome | None:
        return None

    def cost(self, change: ResourceChange, want: Desired | None, ctx: CostContext) -> CostLine | None:
        return None

    def drift_cost(self, drift: Drift, ctx: CostContext) -> CostEstimate | None:
        """What a drifted object spends that no change of the plan accounts for (an untracked job training)."""
        return None

    # ------------------------------------------------------------ refresh

    @abstractmethod
    def reads(self, provider: Provider, records: Sequence[ResourceState], wanted: Sequence[Desired]) -> Reads: ...

    @abstractmethod
    def refresh(self, record: ResourceState, index: object, now: float) -> Refreshed: ...

    @abstractmethod
    def adopt(self, want: Desired, index: object, ctx: AdoptContext) -> tuple[ResourceState, Drift] | None: ...

    def adopt_replacement(
        self, want: Desired, index: object, ctx: AdoptContext, op_id: str
    ) -> tuple[ResourceState, Drift] | None:
        """Only kinds that journal their creates (jobs) have replacements to adopt."""
        return None

    def untracked(self, index: object, ctx: AdoptContext) -> list[Drift]:
        return []

    # ------------------------------------------------------------ superseded objects

    def describe(self, record: ResourceState) -> str:
        return f"{self.kind.value} {record.remote_id or record.name}"

    def needed_by(self, old: ResourceState, state: Mapping[str, ResourceState]) -> str | None:
        """The address of a record still built on a superseded object (so it must stay), or None."""
        return None

    def preflight(
        self,
        changes: Sequence[ResourceChange],
        desired: Mapping[str, Desired],
        provider: Provider,
        index: object,
        locate: Callable[[str, str], Location | None],
    ) -> list[Diagnostic]:
        """What Azure would refuse of this plan's changes, asked before anything is spent (reads only).
        `locate(address, field)` points at a spec field."""
        return []

    # ------------------------------------------------------------ apply

    @abstractmethod
    def apply(self, ctx: ApplyContext, change: ResourceChange, want: Desired) -> str: ...

    @abstractmethod
    def delete(self, ctx: ApplyContext, record: ResourceState) -> None: ...

    # ------------------------------------------------------------ state commands

    def import_record(self, provider: Provider, want: Desired, remote_id: str) -> ResourceState:
        """The record of an existing remote object (`fineplan import ADDRESS ID`)."""
        raise ConfigError(f"{self.kind.value} resources cannot be imported")

    def outputs(self, record: ResourceState, endpoint: str) -> dict[str, Any] | None:
        """What `fineplan output` shows for the record, or None for nothing."""
        return None
