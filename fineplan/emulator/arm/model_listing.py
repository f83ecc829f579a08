"""The ARM model lists, built from the catalog: what an account or a location can deploy, with SKUs and capacity.

- `accounts/{a}/models` (SDK `accounts.list_models`): AccountModel entries for every catalog base model, then the
  account's succeeded fine-tuned models (format and SKUs of their base model; Developer only for them).
- `locations/{l}/models` (SDK `models.list`): Model entries ({kind, skuName, model}) for the catalog base models.
- `accounts/{a}/deployments/{d}/skus` (SDK `deployments.list_skus`): the SKUs a deployment's model can use, with
  the capacity range of each (minimum and step from the catalog, maximum the account's quota for the SKU).

SKUs of fine-tuned models follow the region table (a type it rules out in the location is left out). Capacity
maxima are the emulator's quotas, not Azure's (which vary by subscription). Deprecation dates are not modelled:
the catalog has none, so `deprecation` is left out rather than invented.
"""

from __future__ import annotations

import re
from typing import Any

from fineplan.catalog import DeploymentType, ModelInfo, load_catalog
from fineplan.catalog.regions import Availability, load_regions
from fineplan.emulator.core import Core

RESOURCE_TYPE = "Microsoft.CognitiveServices/accounts/deployments"
_DATED = re.compile(r"^(?P<name>.+)-(?P<version>\d{4}-\d{2}-\d{2})$")


def split_name(catalog_name: str) -> tuple[str, str]:
    """`gpt-4.1-mini-2025-04-14` → ("gpt-4.1-mini", "2025-04-14"), as ARM names models; others are version 1."""
    m = _DATED.match(catalog_name)
    return (m.group("name"), m.group("version")) if m else (catalog_name, "1")


def _types(info: ModelInfo, fine_tuned: bool, location: str) -> list[DeploymentType]:
    catalog, regions = load_catalog(), load_regions()
    out = []
    for name in info.deployment_types:
        dtype = catalog.deployment_types[name]
        if dtype.fine_tuned_only and not fine_tuned:
            continue
        if fine_tuned and regions.fine_tuned_deployment(name, info.name, location) is Availability.UNAVAILABLE:
            continue
        out.append(dtype)
    return out


def _capacity(dtype: DeploymentType, core: Core) -> dict[str, Any]:
    maximum = max(dtype.min_capacity, core.config.quota_for(dtype.sku))
    return {"minimum": dtype.min_capacity, "maximum": maximum, "step": dtype.step, "default": dtype.min_capacity}


def _model_skus(info: ModelInfo, name: str, fine_tuned: bool, location: str, core: Core) -> list[dict[str, Any]]:
    publisher = info.format.replace(" ", "")
    return [
        {"name": dtype.sku, "usageName": f"{publisher}.{dtype.sku}.{name}", "capacity": _capacity(dtype, core)}
        for dtype in _types(info, fine_tuned, location)
    ]


def _account_model(info: ModelInfo, name: str, version: str, *, fine_tuned: bool, location: str, core: Core,
                   source: str | None = None) -> dict[str, Any]:  # fmt: skip
    skus = _model_skus(info, name, fine_tuned, location, core)
    model: dict[str, Any] = {
        "format": info.format,
        "name": name,
        "version": version,
        "isDefaultVersion": True,
        "skus": skus,
        "maxCapacity": max((s["capacity"]["maximum"] for s in skus), default=0),
        "capabilities": {"chatCompletion": "true", **({} if fine_tuned else {"fineTune": "true"})},
        "lifecycleStatus": "GenerallyAvailable",
    }
    if not fine_tuned:
        model["finetuneCapabilities"] = {
            "chatCompletion": "true",
            "FineTuneTokensMaxValue": str(info.max_tokens_per_example),
        }
    if source is not None:
        model["source"] = source
    return model


def account_models(location: str, fine_tuned: list[tuple[str, str]], source: str, core: Core) -> list[dict[str, Any]]:
    """Base models, then the account's fine-tuned models ((name, base model) pairs)."""
    catalog = load_catalog()
    out = []
    for catalog_name, info in catalog.models.items():
        name, version = split_name(catalog_name)
        out.append(_account_model(info, name, version, fine_tuned=False, location=location, core=core))
    for model_name, base in fine_tuned:
        if base in catalog.models:
            base_info = catalog.models[base]
            out.append(
                _account_model(base_info, model_name, "1", fine_tuned=True, location=location, core=core, source=source)
            )
    return out


def location_models(kind: str, core: Core, location: str) -> list[dict[str, Any]]:
    out = []
    for catalog_name, info in load_catalog().models.items():
        name, version = split_name(catalog_name)
        model = _account_model(info, name, version, fine_tuned=False, location=location, core=core)
        out.append({"kind": kind, "skuName": "S0", "model": model, "description": f"{info.format} {name}"})
    return out


def deployment_skus(base_model: str, fine_tuned: bool, location: str, core: Core) -> list[dict[str, Any]]:
    info = load_catalog().models[base_model]
    return [
        {
            "resourceType": RESOURCE_TYPE,
            "sku": {"name": dtype.sku, "capacity": dtype.min_capacity},
            "capacity": _capacity(dtype, core),
        }
        for dtype in _types(info, fine_tuned, location)
    ]
