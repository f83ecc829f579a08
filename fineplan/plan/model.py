"""The Plan: immutable data, and its canonical versioned JSON form. Every other output is a view of it.

Closed vocabularies throughout: what will happen to a resource (`Action`, replacement order included), why
(`ReasonCode`), and in which stage of apply (`StageName`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, fields
from typing import Any, Final

from fineplan.diagnostics import Diagnostic
from fineplan.resource import Kind
from fineplan.state.drift import Drift

FORMAT_VERSION: Final = "2.2"
READABLE_VERSIONS: Final = ("2.0", "2.1", "2.2")  # 2.1 and 2.2 only add optional keys and values


class Action(enum.StrEnum):
    """What apply does to one resource. Replacement is never implicit, and its order is part of the action."""

    NOOP = "no-op"
    CREATE = "create"
    UPDATE = "update"
    CREATE_THEN_DELETE = "create-then-delete"  # replace: the new object first, the old one deleted at cleanup
    DELETE_THEN_CREATE = "delete-then-create"  # replace: the old object must go first (unavailable in between)
    DELETE = "delete"
    WAIT = "wait"  # the remote object exists and is still training; apply waits for it
    READ = "read"  # refresh-only: state will take the remote values

    @property
    def changes(self) -> bool:
        """The action changes something in Azure."""
        return self in _CHANGES

    @property
    def is_replace(self) -> bool:
        return self in (Action.CREATE_THEN_DELETE, Action.DELETE_THEN_CREATE)

    @property
    def creates(self) -> bool:
        """A new remote object comes into being (create, or either replacement)."""
        return self is Action.CREATE or self.is_replace

    @property
    def destroys(self) -> bool:
        """A remote object goes away (delete, or either replacement)."""
        return self is Action.DELETE or self.is_replace

    @property
    def json_actions(self) -> list[str]:
        """Terraform's action lists, in the order apply performs them: ["create", "delete"] for
        create-then-delete, ["delete", "create"] for delete-then-create."""
        return list(_JSON_ACTIONS.get(self, (self.value,)))

    @property
    def symbol(self) -> str:
        return _SYMBOL[self]


_CHANGES: Final = frozenset(
    {Action.CREATE, Action.UPDATE, Action.CREATE_THEN_DELETE, Action.DELETE_THEN_CREATE, Action.DELETE}
)
_JSON_ACTIONS: Final = {
    Action.CREATE_THEN_DELETE: ("create", "delete"),
    Action.DELETE_THEN_CREATE: ("delete", "create"),
}
_SYMBOL: Final = {
    Action.NOOP: " ",
    Action.CREATE: "+",
    Action.UPDATE: "~",
    Action.CREATE_THEN_DELETE: "+/-",
    Action.DELETE_THEN_CREATE: "-/+",
    Action.DELETE: "-",
    Action.WAIT: "<=",
    Action.READ: "<=",
}


class ReasonCode(enum.StrEnum):
    """Why an action was chosen. A closed vocabulary; `summary` says what each code means."""

    NEW = "new"
    INPUT_CHANGED = "input_changed"
    DEPENDENCY_REPLACED = "dependency_replaced"
    MODEL_SWAP = "model_swap"
    DRIFT = "drift"
    DELETED_OUTSIDE = "deleted_outside"
    DEVELOPER_EXPIRED = "developer_expired"
    JOB_FAILED = "job_failed"
    JOB_CANCELLED = "job_cancelled"
    TRAINING = "training"
    EVAL_FAILED = "eval_failed"
    EVALUATING = "evaluating"
    REPLACE_REQUESTED = "replace_requested"
    INPUTS_UNKNOWN = "inputs_unknown"
    REMOVED = "removed"
    DESTROY = "destroy"

    @property
    def summary(self) -> str:
        return _REASON_SUMMARY[self]


_REASON_SUMMARY: Final = {
    ReasonCode.NEW: "not in the state yet",
    ReasonCode.INPUT_CHANGED: "an input in the spec or its data changed",
    ReasonCode.DEPENDENCY_REPLACED: "an input comes from a resource that will be created anew",
    ReasonCode.MODEL_SWAP: "a deployment's model changes",
    ReasonCode.DRIFT: "the remote object was changed outside fineplan",
    ReasonCode.DELETED_OUTSIDE: "the remote object was deleted outside fineplan",
    ReasonCode.DEVELOPER_EXPIRED: "Azure deleted the Developer deployment after 24 h",
    ReasonCode.JOB_FAILED: "the job failed",
    ReasonCode.JOB_CANCELLED: "the job was cancelled",
    ReasonCode.TRAINING: "the job is still training",
    ReasonCode.EVAL_FAILED: "an eval run failed or was canceled",
    ReasonCode.EVALUATING: "the evaluation is still running",
    ReasonCode.REPLACE_REQUESTED: "replacement requested with -replace",
    ReasonCode.INPUTS_UNKNOWN: "the inputs recorded in state are unknown (adopted or imported)",
    ReasonCode.REMOVED: "no longer in the configuration",
    ReasonCode.DESTROY: "destroy requested",
}


@dataclass(frozen=True)
class ActionReason:
    """Why an action was chosen. Explains; never decides (renderers only)."""

    code: ReasonCode
    message: str
    attribute: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code.value, "message": self.message}
        if self.attribute:
            out["attribute"] = self.attribute
        return out

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ActionReason:
        return cls(ReasonCode(d["code"]), d["message"], d.get("attribute"))


class GateStatus(enum.StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    PENDING = "pending"


@dataclass(frozen=True)
class GateResult:
    address: str
    job: str
    status: GateStatus
    checks: tuple[dict[str, Any], ...] = ()
    evaluation: str | None = None  # the Evaluation an evaluation gate reads (format 2.2)

    def to_json(self) -> dict[str, Any]:
        out = {"address": self.address, "job": self.job, "status": self.status.value, "checks": list(self.checks)}
        if self.evaluation is not None:
            out["evaluation"] = self.evaluation
        return out

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> GateResult:
        return cls(d["address"], d["job"], GateStatus(d["status"]), tuple(d.get("checks", [])), d.get("evaluation"))


@dataclass(frozen=True)
class ResourceChange:
    address: str
    kind: Kind
    name: str
    action: Action
    reasons: tuple[ActionReason, ...] = ()
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    after_unknown: tuple[str, ...] = ()  # attributes known only after apply
    replace_paths: tuple[str, ...] = ()  # attributes that force replacement
    depends_on: tuple[str, ...] = ()
    inputs_digest: str | None = None
    remote_id: str | None = None
    blocked: str | None = None  # why apply will skip it (failing gate, blocked dependency)
    cost: dict[str, Any] | None = None
    retrain: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "kind": self.kind.value,
            "name": self.name,
            "actions": self.action.json_actions,
            "action": self.action.value,
            "reasons": [r.to_json() for r in self.reasons],
            "before": self.before,
            "after": self.after,
            "after_unknown": list(self.after_unknown),
            "replace_paths": list(self.replace_paths),
            "depends_on": list(self.depends_on),
            "inputs_digest": self.inputs_digest,
            "remote_id": self.remote_id,
            "blocked": self.blocked,
            "retrain": self.retrain,
            "cost": self.cost,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ResourceChange:
        return cls(
            address=d["address"],
            kind=Kind(d["kind"]),
            name=d["name"],
            action=Action(d["action"]),
            reasons=tuple(ActionReason.from_json(r) for r in d.get("reasons", [])),
            before=d.get("before"),
            after=d.get("after"),
            after_unknown=tuple(d.get("after_unknown", [])),
            replace_paths=tuple(d.get("replace_paths", [])),
            depends_on=tuple(d.get("depends_on", [])),
            inputs_digest=d.get("inputs_digest"),
            remote_id=d.get("remote_id"),
            blocked=d.get("blocked"),
            cost=d.get("cost"),
            retrain=bool(d.get("retrain", False)),
        )


class StageName(enum.StrEnum):
    """The stages of apply, in the order they run. The executor runs exactly the stages the plan lists."""

    WALK = "walk"
    DELETE = "delete"
    CLEANUP = "cleanup"

    @property
    def summary(self) -> str:
        return _STAGE_SUMMARY[self]


_STAGE_SUMMARY: Final = {
    StageName.WALK: "create, update, replace and wait in dependency order, independent resources in parallel",
    StageName.DELETE: "delete what the configuration no longer declares, dependents first",
    StageName.CLEANUP: "delete what replacements superseded, once the new objects and what is built on them are done",
}


@dataclass(frozen=True)
class Stage:
    name: StageName
    addresses: tuple[str, ...]  # in the order the plan lists them; the walk follows their depends_on

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name.value, "addresses": list(self.addresses)}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Stage:
        return cls(StageName(d["name"]), tuple(d.get("addresses", [])))


@dataclass(frozen=True)
class SupersededObject:
    """An old object an earlier replacement left behind (remembered in state). `kept_for` names what still needs
    it; None: this plan's cleanup stage deletes it."""

    address: str
    kind: Kind
    what: str  # "job ftjob-…", "file file-…"
    remote_id: str | None = None
    kept_for: str | None = None

    @property
    def goes(self) -> bool:
        return self.kept_for is None

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "kind": self.kind.value,
            "what": self.what,
            "remote_id": self.remote_id,
            "kept_for": self.kept_for,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> SupersededObject:
        return cls(d["address"], Kind(d["kind"]), d["what"], d.get("remote_id"), d.get("kept_for"))


@dataclass(frozen=True)
class PlanOptions:
    """How the plan was asked for. A saved plan is applied with the options it was made with."""

    destroy: bool = False
    refresh_only: bool = False
    targets: tuple[str, ...] = ()
    replace: tuple[str, ...] = ()
    refresh: bool = True  # false: the state was trusted without reading Azure (-refresh=false)

    def to_json(self) -> dict[str, Any]:
        return {f.name: list(v) if isinstance(v := getattr(self, f.name), tuple) else v for f in fields(self)}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> PlanOptions:
        return cls(
            destroy=bool(d.get("destroy", False)),
            refresh_only=bool(d.get("refresh_only", False)),
            targets=tuple(d.get("targets", ())),
            replace=tuple(d.get("replace", ())),
            refresh=bool(d.get("refresh", True)),
        )


@dataclass(frozen=True)
class Plan:
    project: str
    target: str
    resource_changes: tuple[ResourceChange, ...]
    stages: tuple[Stage, ...] = ()
    drift: tuple[Drift, ...] = ()
    gates: tuple[GateResult, ...] = ()
    cost: dict[str, Any] = field(default_factory=dict)
    diagnostics: tuple[Diagnostic, ...] = ()
    superseded: tuple[SupersededObject, ...] = ()  # old objects of earlier replacements
    # What the plan was made from: apply refuses it if any of these moved.
    state_lineage: str | None = None
    state_serial: int | None = None
    inputs_digest: str = ""
    options: PlanOptions = field(default_factory=PlanOptions)
    created_at: str = ""
    fineplan_version: str = ""

    @property
    def has_changes(self) -> bool:
        if self.options.refresh_only:
            return bool(self.drift)
        return any(c.action.changes for c in self.resource_changes) or bool(self.cleanup_due)

    @property
    def cleanup_due(self) -> tuple[SupersededObject, ...]:
        """Old objects of earlier replacements this plan's cleanup stage deletes."""
        return tuple(s for s in self.superseded if s.goes)

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """Error diagnostics: apply refuses a plan that has any and would change something."""
        return tuple(d for d in self.diagnostics if d.is_error)

    def counts(self) -> dict[str, int]:
        add = sum(c.action.creates for c in self.resource_changes)
        change = sum(c.action is Action.UPDATE for c in self.resource_changes)
        destroy = sum(c.action.destroys for c in self.resource_changes)
        wait = sum(c.action is Action.WAIT for c in self.resource_changes)
        return {"add": add, "change": change, "destroy": destroy, "wait": wait}

    def change(self, address: str) -> ResourceChange | None:
        return next((c for c in self.resource_changes if c.address == address), None)

    def stage(self, name: StageName) -> Stage | None:
        return next((s for s in self.stages if s.name is name), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "fineplan_version": self.fineplan_version,
            "created_at": self.created_at,
            "project": self.project,
            "target": self.target,
            "state": {"lineage": self.state_lineage, "serial": self.state_serial},
            "inputs_digest": self.inputs_digest,
            "options": self.options.to_json(),
            "summary": {**self.counts(), "has_changes": self.has_changes},
            "resource_changes": [c.to_json() for c in self.resource_changes],
            "stages": [s.to_json() for s in self.stages],
            "drift": [d.to_json() for d in self.drift],
            "gates": [g.to_json() for g in self.gates],
            "cost": self.cost,
            "diagnostics": [d.to_json() for d in self.diagnostics],
            # 2.1, optional: present only when an earlier replacement left old objects behind
            **({"superseded": [s.to_json() for s in self.superseded]} if self.superseded else {}),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Plan:
        if d.get("format_version") not in READABLE_VERSIONS:
            raise ValueError(f"unsupported plan format_version {d.get('format_version')!r}")
        return cls(
            project=d["project"],
            target=d["target"],
            resource_changes=tuple(ResourceChange.from_json(c) for c in d["resource_changes"]),
            stages=tuple(Stage.from_json(s) for s in d.get("stages", [])),
            drift=tuple(Drift.from_json(x) for x in d.get("drift", [])),
            gates=tuple(GateResult.from_json(g) for g in d.get("gates", [])),
            cost=d.get("cost", {}),
            diagnostics=tuple(Diagnostic.from_json(x) for x in d.get("diagnostics", [])),
            superseded=tuple(SupersededObject.from_json(x) for x in d.get("superseded", [])),
            state_lineage=d.get("state", {}).get("lineage"),
            state_serial=d.get("state", {}).get("serial"),
            inputs_digest=d.get("inputs_digest", ""),
            options=PlanOptions.from_json(d.get("options", {})),
            created_at=d.get("created_at", ""),
            fineplan_version=d.get("fineplan_version", ""),
        )
