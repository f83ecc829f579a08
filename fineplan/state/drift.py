"""Drift: a difference between the last recorded state and what refresh found in Azure (changed outside fineplan).

Kept apart from planned changes so renderers can show what happened outside fineplan on its own
(Terraform's PrevRunState vs PriorState).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from fineplan.resource import Kind


class DriftChange(enum.StrEnum):
    """A closed vocabulary of what refresh can find."""

    DELETED = "deleted"  # gone from Azure
    CHANGED = "changed"  # attributes differ from the last apply
    EXPIRED = "expired"  # a Developer deployment Azure removed after 24 h
    FAILED = "failed"  # a job failed since the last apply
    CANCELLED = "cancelled"  # a job was cancelled outside fineplan
    MODEL_GONE = "model_gone"  # a deployment's model no longer exists
    ADOPTED = "adopted"  # found in Azure by its fineplan tags and taken into state
    UNTRACKED = "untracked"  # carries fineplan's tags, still running, and state does not track it


@dataclass(frozen=True)
class Drift:
    address: str
    kind: Kind
    name: str
    change: DriftChange
    message: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "kind": self.kind.value,
            "name": self.name,
            "change": self.change.value,
            "message": self.message,
            "before": self.before,
            "after": self.after,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Drift:
        return cls(
            d["address"],
            Kind(d["kind"]),
            d["name"],
            DriftChange(d["change"]),
            d["message"],
            d.get("before"),
            d.get("after"),
        )
