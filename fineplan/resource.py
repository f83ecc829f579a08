"""The vocabulary every layer shares: resource kinds, addresses and what the project asks for at an address.

No dependencies inside fineplan, so the spec, the state, the provider contract, the plan and the kind handlers can
all speak it without importing each other.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final


class Kind(enum.StrEnum):
    """A resource kind, spelled as in the specs' `kind:` key. Its address prefix names it in addresses."""

    DATASET = "Dataset"
    JOB = "FineTuningJob"
    DEPLOYMENT = "Deployment"
    EVALUATION = "Evaluation"

    @property
    def prefix(self) -> str:
        """`dataset`, `job`, `deployment`: the first part of an address (`job.support-sft`)."""
        return _PREFIX[self]

    def address(self, name: str) -> str:
        return f"{self.prefix}.{name}"

    @classmethod
    def of_address(cls, address: str) -> Kind | None:
        """The kind an address names by its prefix, or None for an unknown prefix."""
        return _BY_PREFIX.get(address.partition(".")[0])


_PREFIX: Final = {
    Kind.DATASET: "dataset",
    Kind.JOB: "job",
    Kind.DEPLOYMENT: "deployment",
    Kind.EVALUATION: "evaluation",
}
_BY_PREFIX: Final = {prefix: kind for kind, prefix in _PREFIX.items()}


class Unknown:
    """An attribute value known only after apply (a fine-tuned model name before its job has trained)."""

    _instance: ClassVar[Unknown | None] = None

    def __new__(cls) -> Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return KNOWN_AFTER_APPLY


UNKNOWN: Final = Unknown()
KNOWN_AFTER_APPLY: Final = "(known after apply)"  # how an unknown value is written in the JSON plan


@dataclass(frozen=True, kw_only=True)
class Desired:
    """What the project asks for at one address. Each kind subclasses it with its own typed fields.

    `attributes` are the resource's inputs as fineplan records and compares them (JSON values; the provider's
    diff decides what a difference means); `inputs_digest` covers them. `inputs_from` names the attributes whose
    value is another resource's output (a job's fine-tuned model): attribute → that resource's address.
    `shown` holds values the plan shows next to them in `after` but never compares or digests (a dataset's rows
    per part): facts about the inputs, not inputs.
    """

    KIND: ClassVar[Kind]

    address: str
    name: str
    attributes: Mapping[str, Any]
    inputs_digest: str
    depends_on: tuple[str, ...] = ()
    inputs_from: Mapping[str, str] = field(default_factory=dict)
    prevent_destroy: bool = False
    ignore_changes: tuple[str, ...] = ()
    shown: Mapping[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> Kind:
        return self.KIND
