"""Validation of a deployment PUT/PATCH as Azure validates it: the model exists (a catalog base model, or a
succeeded fine-tuned model or deployable checkpoint of this account, or of the account `source` names), its
format is its publisher's, the SKU is allowed for it, the capacity is well-formed. Quota, region and the
fine-tuned deployment limit need the account: see deployments.py and model_source.py.

Error codes are the emulator's choice where Azure's exact code is not documented (DeploymentModelNotSupported,
InvalidSku, InvalidCapacity, InvalidResourceProperties); InsufficientQuota and RequestConflict are Azure's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fineplan.catalog import Catalog, DeploymentType, ModelInfo
from fineplan.emulator.apierror import ApiError
from fineplan.emulator.arm.model_source import check_format, not_supported

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
VERSION_UPGRADE = ("OnceNewDefaultVersionAvailable", "OnceCurrentVersionExpired", "NoAutoUpgrade")
DEFAULT_RAI_POLICY = "Microsoft.DefaultV2"


@dataclass(frozen=True, slots=True)
class DeploymentRequest:
    sku_name: str
    sku_key: str  # canonical SKU, lower-cased: the quota bucket
    capacity: int
    model: dict[str, Any]
    base_model: str
    fine_tuned: bool
    deployment_type: DeploymentType
    rai_policy: str
    version_upgrade: str
    tags: dict[str, str] | None
    extra_properties: dict[str, Any]


def bad(code: str, message: str) -> ApiError:
    return ApiError(400, code, message)


def check_name(name: str) -> None:
    if not NAME.match(name):
        raise bad(
            "InvalidResourceName",
            f"The deployment name '{name}' must be 1-64 characters of letters, digits, "
            "'_', '.' and '-', starting with a letter or digit.",
        )


FineTunedBase = Callable[[Mapping[str, Any]], str | None]  # properties.model -> catalog base, or None


def parse_deployment(body: Any, catalog: Catalog, fine_tuned_base: FineTunedBase) -> DeploymentRequest:
    if not isinstance(body, dict):
        raise bad("InvalidRequestContent", "The request content must be a JSON object.")
    sku = body.get("sku")
    if not isinstance(sku, dict) or not isinstance(sku.get("name"), str):
        raise bad("InvalidResourceProperties", "The deployment needs 'sku' with a 'name'.")
    props = body.get("properties")
    if not isinstance(props, dict) or not isinstance(props.get("model"), dict):
        raise bad("InvalidResourceProperties", "The deployment needs 'properties.model'.")
    model = dict(props["model"])
    name = model.get("name")
    if not isinstance(name, str) or not name:
        raise bad("InvalidResourceProperties", "The deployment needs 'properties.model.name'.")
    base, info, fine_tuned = _resolve_model(model, catalog, fine_tuned_base)
    check_format(model, info.format)
    if fine_tuned:
        model.setdefault("version", "1")
    dtype = catalog.deployment_type_for_sku(sku["name"])
    if dtype is None:
        raise bad("InvalidSku", f"The SKU '{sku['name']}' is not a deployment SKU.")
    if dtype.name not in info.deployment_types or (dtype.fine_tuned_only and not fine_tuned):
        raise bad(
            "DeploymentModelNotSupported",
            f"The model '{name}' cannot be deployed with SKU '{sku['name']}' "
            f"(supported: {', '.join(catalog.deployment_types[t].sku for t in info.deployment_types)}).",
        )
    capacity = _capacity(sku.get("capacity"), dtype)
    upgrade = props.get("versionUpgradeOption")
    if upgrade is None:
        upgrade = "NoAutoUpgrade" if fine_tuned else "OnceNewDefaultVersionAvailable"
    elif upgrade not in VERSION_UPGRADE:
        raise bad("InvalidResourceProperties", f"versionUpgradeOption must be one of {', '.join(VERSION_UPGRADE)}.")
    tags = body.get("tags")
    if tags is not None and (
        not isinstance(tags, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in tags.items())
    ):
        raise bad("InvalidResourceProperties", "'tags' must map strings to strings.")
    extra = {
        k: v
        for k, v in props.items()
        if k in ("scaleSettings", "capacitySettings", "parentDeploymentName", "spilloverDeploymentName")
    }
    return DeploymentRequest(
        sku_name=sku["name"],
        sku_key=dtype.sku.lower(),
        capacity=capacity,
        model=model,
        base_model=base,
        fine_tuned=fine_tuned,
        deployment_type=dtype,
        rai_policy=str(props.get("raiPolicyName") or DEFAULT_RAI_POLICY),
        version_upgrade=str(upgrade),
        tags=dict(tags) if tags is not None else None,
        extra_properties=extra,
    )


def _resolve_model(
    model: dict[str, Any], catalog: Catalog, fine_tuned_base: FineTunedBase
) -> tuple[str, ModelInfo, bool]:
    name, version = model["name"], model.get("version")
    if name in catalog.models:
        return name, catalog.models[name], False
    if isinstance(version, str) and f"{name}-{version}" in catalog.models:
        key = f"{name}-{version}"
        return key, catalog.models[key], False
    base = fine_tuned_base(model)
    if base is not None and base in catalog.models:
        return base, catalog.models[base], True
    raise not_supported({"format": "OpenAI", "version": "1", **model})


def _capacity(raw: Any, dtype: DeploymentType) -> int:
    if raw is None:
        return dtype.min_capacity
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        raise bad("InvalidCapacity", "sku.capacity must be a positive integer.")
    if raw < dtype.min_capacity or (raw - dtype.min_capacity) % dtype.step:
        raise bad(
            "InvalidCapacity",
            f"sku.capacity for {dtype.sku} must be at least {dtype.min_capacity}, "
            f"in steps of {dtype.step} {dtype.unit}.",
        )
    return raw
