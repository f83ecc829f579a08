"""Region availability of fine-tuned model deployments (`regions.yaml`, with its as-of date and source).

    regions = load_regions()
    regions.fine_tuned_deployment("standard", "gpt-4.1-mini-2025-04-14", "eastus2")  # -> Availability.UNAVAILABLE

Three answers, never two: the table is partial, and a lint rule or the emulator must refuse only what the docs
rule out. A location that is not an Azure OpenAI region in the table (the emulator's `local`) is UNKNOWN.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

import yaml


class Availability(enum.Enum):
    AVAILABLE = "available"
    UNAVAILABLE = "unavailable"
    UNKNOWN = "unknown"  # the sources say nothing (or disagree): do not refuse


@dataclass(frozen=True, slots=True)
class TypeAvailability:
    complete: bool  # the docs' table is exhaustive: a model missing from `models` is unavailable everywhere
    models: Mapping[str, frozenset[str]]  # base model -> regions


@dataclass(frozen=True, slots=True)
class RegionTable:
    as_of: str
    source: str
    regions: frozenset[str]
    fine_tuned: Mapping[str, TypeAvailability]  # deployment type (catalog vocabulary) -> availability

    def is_region(self, location: str) -> bool:
        return normalise(location) in self.regions

    def fine_tuned_deployment(self, deployment_type: str, base_model: str, location: str) -> Availability:
        """May a model fine-tuned from `base_model` be deployed as `deployment_type` in `location`?"""
        region = normalise(location)
        table = self.fine_tuned.get(deployment_type)
        if table is None or region not in self.regions:
            return Availability.UNKNOWN
        regions = table.models.get(base_model)
        if regions is None:
            return Availability.UNAVAILABLE if table.complete else Availability.UNKNOWN
        return Availability.AVAILABLE if region in regions else Availability.UNAVAILABLE

    def fine_tuned_regions(self, deployment_type: str, base_model: str) -> frozenset[str] | None:
        """The regions the table allows, or None when it does not know."""
        table = self.fine_tuned.get(deployment_type)
        if table is None:
            return None
        regions = table.models.get(base_model)
        if regions is None:
            return frozenset() if table.complete else None
        return regions


def normalise(location: str) -> str:
    """ARM accepts "East US 2" and "eastus2" alike."""
    return location.replace(" ", "").lower()


@functools.cache
def load_regions() -> RegionTable:
    raw = yaml.safe_load(resources.files("fineplan.catalog").joinpath("regions.yaml").read_text("utf-8"))
    regions = frozenset(normalise(r) for r in raw["regions"])
    fine_tuned: dict[str, TypeAvailability] = {}
    for dtype, entry in raw["fine_tuned_deployments"].items():
        models = {
            model: regions if where == "all" else frozenset(normalise(r) for r in where)
            for model, where in entry["models"].items()
        }
        fine_tuned[dtype] = TypeAvailability(complete=bool(entry["complete"]), models=models)
    return RegionTable(as_of=str(raw["as_of"]), source=str(raw["source"]), regions=regions, fine_tuned=fine_tuned)
