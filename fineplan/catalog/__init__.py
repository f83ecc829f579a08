"""The packaged model catalog: which base model supports which method, training type and deployment type.

Loaded lazily from `models.yaml` (a data file with an as-of date) and cached. Fine-tuned model names
(`{base}.ft-{hex}[-{suffix}]`) resolve to their base model's entry.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

_FT_NAME = re.compile(r"^(?P<base>.+?)\.ft-(?P<hex>[0-9a-f]{32})(?:-(?P<suffix>[A-Za-z0-9_-]+))?$")


@dataclass(frozen=True, slots=True)
class ModelInfo:
    name: str
    family: str
    methods: tuple[str, ...]
    training_types: tuple[str, ...]
    deployment_types: tuple[str, ...]
    max_tokens_per_example: int
    encoding: str
    encoding_exact: bool
    vision: bool
    foundry_only: bool
    requires_validation_for: tuple[str, ...]
    format: str = "OpenAI"  # ARM properties.model.format: the publisher's format (see models.yaml)
    capacity: dict[str, tuple[int, int]] = field(default_factory=dict)  # deployment type -> (minimum, step)
    default_quota: dict[str, int] = field(default_factory=dict)  # deployment type -> Default-tier quota (approx.)


@dataclass(frozen=True, slots=True)
class DeploymentType:
    name: str
    sku: str
    unit: str
    fine_tuned_only: bool
    min_capacity: int
    step: int
    max_capacity: int = 2_147_483_647  # ARM's sku.capacity is an int32


@dataclass(frozen=True, slots=True)
class CapacityRule:
    """What one deployment of a model may ask for with one deployment type, in the type's unit."""

    minimum: int
    step: int
    maximum: int
    unit: str
    default_quota: int | None = None  # above it a deployment needs a raised quota (approximate)

    def allows(self, capacity: int) -> bool:
        return self.minimum <= capacity <= self.maximum and (capacity - self.minimum) % self.step == 0


@dataclass(frozen=True, slots=True)
class Catalog:
    as_of: str
    models: dict[str, ModelInfo]
    training_types: dict[str, str]
    deployment_types: dict[str, DeploymentType]
    hyperparameters: dict[str, dict[str, Any]]
    method_hyperparameters: dict[str, tuple[str, ...]]
    suffix_max_length: int
    suffix_pattern: str
    limits: dict[str, int]

    def model(self, name: str) -> ModelInfo | None:
        """The entry for a base model, or for the base of a fine-tuned model name."""
        info = self.models.get(name)
        if info is None:
            base = fine_tuned_base(name)
            if base is not None:
                info = self.models.get(base)
        return info

    def capacity_rule(self, deployment_type: str, model: ModelInfo | None = None) -> CapacityRule:
        """The capacity bounds of `deployment_type` (a spec value), refined for `model` where Azure's differ."""
        dt = self.deployment_types[deployment_type]
        minimum, step = (
            model.capacity.get(deployment_type, (dt.min_capacity, dt.step))
            if model
            else (
                dt.min_capacity,
                dt.step,
            )
        )
        quota = model.default_quota.get(deployment_type) if model else None
        return CapacityRule(minimum, step, dt.max_capacity, dt.unit, quota)

    def training_type_wire(self, spec_value: str) -> str:
        return self.training_types[spec_value]

    def training_type_from_wire(self, wire: str) -> str | None:
        lowered = wire.replace("_", "").lower()
        for spec_value, sent in self.training_types.items():
            if lowered in (sent.lower(), spec_value):
                return spec_value
        return "global" if lowered == "globalstandard" else None

    def deployment_type_for_sku(self, sku: str) -> DeploymentType | None:
        lowered = sku.lower()
        if lowered in ("developer", "developertier"):
            return self.deployment_types["developer"]
        for dt in self.deployment_types.values():
            if dt.sku.lower() == lowered:
                return dt
        return None


def fine_tuned_base(name: str) -> str | None:
    """`gpt-4.1-mini-2025-04-14.ft-<32 hex>-v01` → `gpt-4.1-mini-2025-04-14`; None for a base model name."""
    m = _FT_NAME.match(name)
    return m.group("base") if m else None


def is_fine_tuned_name(name: str) -> bool:
    return _FT_NAME.match(name) is not None


@functools.cache
def load_catalog() -> Catalog:
    raw = yaml.safe_load(resources.files("fineplan.catalog").joinpath("models.yaml").read_text("utf-8"))
    models = {
        name: ModelInfo(
            name=name,
            family=m["family"],
            methods=tuple(m["methods"]),
            training_types=tuple(m["training_types"]),
            deployment_types=tuple(m["deployment_types"]),
            max_tokens_per_example=int(m["max_tokens_per_example"]),
            encoding=m["encoding"],
            encoding_exact=bool(m.get("encoding_exact", True)),
            vision=bool(m.get("vision", False)),
            foundry_only=bool(m.get("foundry_only", False)),
            requires_validation_for=tuple(m.get("requires_validation_for", ())),
            format=str(m.get("format", "OpenAI")),
            capacity={t: (int(c["min"]), int(c["step"])) for t, c in (m.get("capacity") or {}).items()},
            default_quota={t: int(q) for t, q in (m.get("default_quota") or {}).items()},
        )
        for name, m in raw["models"].items()
    }
    dtypes = {
        name: DeploymentType(
            name=name,
            sku=d["sku"],
            unit=d["unit"],
            fine_tuned_only=bool(d.get("fine_tuned_only", False)),
            min_capacity=int(d.get("min_capacity", 1)),
            step=int(d.get("step", 1)),
            max_capacity=int(d.get("max_capacity", 2_147_483_647)),
        )
        for name, d in raw["deployment_types"].items()
    }
    return Catalog(
        as_of=str(raw["as_of"]),
        models=models,
        training_types=dict(raw["training_types"]),
        deployment_types=dtypes,
        hyperparameters=dict(raw["hyperparameters"]),
        method_hyperparameters={k: tuple(v) for k, v in raw["method_hyperparameters"].items()},
        suffix_max_length=int(raw["suffix"]["max_length"]),
        suffix_pattern=str(raw["suffix"]["pattern"]),
        limits={k: int(v) for k, v in raw["limits"].items()},
    )
