"""The Plan: immutable data, and its canonical versioned JSON form. Every other output is a view of it."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

FORMAT_VERSION = "1.0"


class Action(enum.StrEnum):
    """A closed vocabulary. Replacement is never implicit: it is its own action."""

    NOOP = "no-op"
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    WAIT = "wait"  # the remote object exists and is still training; apply waits for it
    READ = "read"  # refresh-only: state will take the remote values

    @property
    def changes(self) -> bool:
        return self in (Action.CREATE, Action.UPDATE, Action.REPLACE, Action.DELETE)

    @property
    def json_actions(self) -> list[str]:
        """Terraform-style action lists: replace is delete+create."""
        if self is Action.REPLACE:
            return ["delete", "create"]
        return [self.value]

    @property
    def symbol(self) -> str:
        return {
            Action.NOOP: " ",
            Action.CREATE: "+",
            Action.UPDATE: "~",
            Action.REPLACE: "-/+",
            Action.DELETE: "-",
            Action.WAIT: "<=",
            Action.READ: "<=",
        }[self]


@dataclass(frozen=True)
class ActionReason:
    """Why an action was chosen. Explains; never decides (renderers only)."""

    code: str  # e.g. "input_changed", "deleted_outside", "developer_expired", "job_failed", "new", "removed"
    message: str
    attribute: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.attribute:
            out["attribute"] = self.attribute
        return out


@dataclass(frozen=True)
class GateResult:
    address: str
    job: str
    status: str  # passed | failed | pending
    checks: tuple[dict[str, Any], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"address": self.address, "job": self.job, "status": self.status, "checks": list(self.checks)}


@dataclass(frozen=True)
class ResourceChange:
    address: str
    kind: str
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
            "kind": self.kind,
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
            kind=d["kind"],
            name=d["name"],
            action=Action(d["action"]),
            reasons=tuple(ActionReason(r["code"], r["message"], r.get("attribute")) for r in d.get("reasons", [])),
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


@dataclass(frozen=True)
class Drift:
    """A difference between the last recorded state and what refresh found (changed outside fineplan)."""

    address: str
    kind: str
    name: str
    change: str  # deleted | changed | expired | failed | cancelled | model_gone | adopted
    message: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "kind": self.kind,
            "name": self.name,
            "change": self.change,
            "message": self.message,
            "before": self.before,
            "after": self.after,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Drift:
        return cls(d["address"], d["kind"], d["name"], d["change"], d["message"], d.get("before"), d.get("after"))


@dataclass(frozen=True)
class Plan:
    project: str
    target: str
    resource_changes: tuple[ResourceChange, ...]
    drift: tuple[Drift, ...] = ()
    gates: tuple[GateResult, ...] = ()
    cost: dict[str, Any] = field(default_factory=dict)
    diagnostics: tuple[dict[str, Any], ...] = ()
    # What the plan was made from: apply refuses it if any of these moved.
    state_lineage: str | None = None
    state_serial: int | None = None
    inputs_digest: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    created_at: str = ""
    fineplan_version: str = ""

    @property
    def has_changes(self) -> bool:
        return any(c.action.changes for c in self.resource_changes) or (
            bool(self.options.get("refresh_only")) and bool(self.drift)
        )

    def counts(self) -> dict[str, int]:
        add = sum(c.action in (Action.CREATE, Action.REPLACE) for c in self.resource_changes)
        change = sum(c.action is Action.UPDATE for c in self.resource_changes)
        destroy = sum(c.action in (Action.DELETE, Action.REPLACE) for c in self.resource_changes)
        wait = sum(c.action is Action.WAIT for c in self.resource_changes)
        return {"add": add, "change": change, "destroy": destroy, "wait": wait}

    def change(self, address: str) -> ResourceChange | None:
        return next((c for c in self.resource_changes if c.address == address), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "fineplan_version": self.fineplan_version,
            "created_at": self.created_at,
            "project": self.project,
            "target": self.target,
            "state": {"lineage": self.state_lineage, "serial": self.state_serial},
            "inputs_digest": self.inputs_digest,
            "options": self.options,
            "summary": {**self.counts(), "has_changes": self.has_changes},
            "resource_changes": [c.to_json() for c in self.resource_changes],
            "drift": [d.to_json() for d in self.drift],
            "gates": [g.to_json() for g in self.gates],
            "cost": self.cost,
            "diagnostics": list(self.diagnostics),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Plan:
        if d.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"unsupported plan format_version {d.get('format_version')!r}")
        return cls(
            project=d["project"],
            target=d["target"],
            resource_changes=tuple(ResourceChange.from_json(c) for c in d["resource_changes"]),
            drift=tuple(Drift.from_json(x) for x in d.get("drift", [])),
            gates=tuple(
                GateResult(g["address"], g["job"], g["status"], tuple(g.get("checks", []))) for g in d.get("gates", [])
            ),
            cost=d.get("cost", {}),
            diagnostics=tuple(d.get("diagnostics", [])),
            state_lineage=d.get("state", {}).get("lineage"),
            state_serial=d.get("state", {}).get("serial"),
            inputs_digest=d.get("inputs_digest", ""),
            options=d.get("options", {}),
            created_at=d.get("created_at", ""),
            fineplan_version=d.get("fineplan_version", ""),
        )
