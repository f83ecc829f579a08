"""Translate between the provider contract's vocabulary and Azure's wire shapes. Pure functions, no SDK imports.

Inputs are plain JSON-like mappings (SDK objects are turned into dicts at the edge) so that Azure's extra fields
(`trainingType`, `user_provided_suffix`, ...) and both DPO body shapes are read the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from fineplan.catalog import is_fine_tuned_name, load_catalog
from fineplan.errors import ProviderError
from fineplan.providers.base import (
    Checkpoint,
    DeployableModel,
    JobEvent,
    JobMetrics,
    JobRequest,
    RemoteDeployment,
    RemoteFile,
    RemoteJob,
    SkuCapacity,
)

VERSION_UPGRADE_WIRE = {
    "no_auto_upgrade": "NoAutoUpgrade",
    "once_new_default_version_available": "OnceNewDefaultVersionAvailable",
    "once_current_version_expired": "OnceCurrentVersionExpired",
}
_VERSION_UPGRADE_SPEC = {wire.lower(): spec for spec, wire in VERSION_UPGRADE_WIRE.items()}

METHOD_WIRE = {"supervised", "dpo", "reinforcement"}
DEFAULT_MODEL_FORMAT = "OpenAI"


# ---------------------------------------------------------------- files


def file_from_wire(d: Mapping[str, Any]) -> RemoteFile:
    error = d.get("status_details") or d.get("statusDetails") or None
    if isinstance(error, Mapping):
        error = _error_text(error)
    return RemoteFile(
        id=str(d["id"]),
        filename=str(d.get("filename") or ""),
        bytes=int(d.get("bytes") or 0),
        status=str(d.get("status") or "pending"),
        created_at=int(d.get("created_at") or 0),
        error=str(error) if error else None,
    )


# ---------------------------------------------------------------- jobs


def training_type_wire(spec_value: str) -> str:
    try:
        return load_catalog().training_type_wire(spec_value)
    except KeyError:
        raise ProviderError(f"unknown training type {spec_value!r}", code="UnknownTrainingType") from None


def method_body(request: JobRequest) -> dict[str, Any]:
    """The `method` object of a job create body, in the nested form Azure and OpenAI both document."""
    if request.method not in METHOD_WIRE:
        raise ProviderError(f"unknown fine-tuning method {request.method!r}", code="UnknownMethod")
    allowed = load_catalog().method_hyperparameters.get(request.method, ())
    hyper = {k: v for k, v in request.hyperparameters.items() if v is not None and k in allowed}
    inner: dict[str, Any] = {}
    if hyper:
        inner["hyperparameters"] = hyper
    if request.method == "reinforcement":
        if request.grader is not None:
            inner["grader"] = dict(request.grader)
        if request.response_format is not None:
            inner["response_format"] = dict(request.response_format)  # Azure-only field
    body: dict[str, Any] = {"type": request.method}
    if inner:
        body[request.method] = inner
    return body


def job_from_wire(d: Mapping[str, Any]) -> RemoteJob:
    raw_method = d.get("method")
    method: Mapping[str, Any] = raw_method if isinstance(raw_method, Mapping) else {}
    method_type = method.get("type")
    wire_tt = d.get("trainingType") or d.get("training_type")
    return RemoteJob(
        id=str(d["id"]),
        status=str(d.get("status") or "pending"),
        model=str(d.get("model") or ""),
        training_file=str(d.get("training_file") or ""),
        validation_file=d.get("validation_file") or None,
        fine_tuned_model=d.get("fine_tuned_model") or None,
        metadata={str(k): str(v) for k, v in (d.get("metadata") or {}).items()},
        created_at=int(d.get("created_at") or 0),
        finished_at=_int_or_none(d.get("finished_at")),
        estimated_finish=_int_or_none(d.get("estimated_finish")),
        trained_tokens=_int_or_none(d.get("trained_tokens")),
        method=str(method_type) if method_type else None,
        hyperparameters=_job_hyperparameters(d, method, method_type),
        suffix=d.get("user_provided_suffix") or d.get("suffix") or None,
        seed=_int_or_none(d.get("seed")),
        training_type=load_catalog().training_type_from_wire(str(wire_tt)) if wire_tt else None,
        error=_error_text(d.get("error")),
    )


def _job_hyperparameters(d: Mapping[str, Any], method: Mapping[str, Any], method_type: Any) -> dict[str, Any]:
    inner = method.get(method_type) if method_type else None
    hyper: Mapping[str, Any] = {}
    if isinstance(inner, Mapping):
        nested = inner.get("hyperparameters")
        if isinstance(nested, Mapping):
            hyper = nested
        else:  # one Azure doc shows DPO's beta/l2_multiplier directly under "dpo"
            hyper = {k: v for k, v in inner.items() if k not in ("grader", "response_format")}
    if not hyper and isinstance(d.get("hyperparameters"), Mapping):
        hyper = d["hyperparameters"]  # the deprecated top-level echo
    # Azure echoes "auto" as -1 (any hyperparameter, until the job starts): report what was asked for.
    return {str(k): "auto" if v == -1 and not isinstance(v, bool) else v for k, v in hyper.items() if v is not None}


def event_from_wire(d: Mapping[str, Any]) -> JobEvent:
    return JobEvent(
        id=str(d["id"]),
        created_at=int(d.get("created_at") or 0),
        level=str(d.get("level") or "info"),
        message=str(d.get("message") or ""),
        type=str(d.get("type") or "message"),
        data=dict(d.get("data") or {}),
    )


def metrics_from_checkpoints(checkpoints: Iterable[Mapping[str, Any]]) -> JobMetrics:
    """Azure writes one checkpoint per epoch; the latest (highest step) carries the current metrics."""
    ordered = sorted(checkpoints, key=lambda c: int(c.get("step_number") or 0))
    if not ordered:
        return JobMetrics(step=None, epochs_done=0, values={})
    last = ordered[-1]
    metrics = last.get("metrics") or {}
    values = {
        str(k): float(v)
        for k, v in metrics.items()
        if k != "step" and isinstance(v, int | float) and not isinstance(v, bool)
    }
    step = metrics.get("step", last.get("step_number"))
    return JobMetrics(step=_int_or_none(step), epochs_done=len(ordered), values=values)


def checkpoint_from_wire(d: Mapping[str, Any]) -> Checkpoint:
    metrics = d.get("metrics") or {}
    values = {
        str(k): float(v)
        for k, v in metrics.items()
        if k != "step" and isinstance(v, int | float) and not isinstance(v, bool)
    }
    return Checkpoint(
        step=int(d.get("step_number") or metrics.get("step") or 0),
        model=str(d.get("fine_tuned_model_checkpoint") or ""),
        metrics=values,
    )


# ---------------------------------------------------------------- deployments


def model_format(model_name: str) -> str:
    """ARM's `properties.model.format` for a model: its publisher's (OpenAI, "Mistral AI", Meta, ...). A fine-tuned
    model or checkpoint (`{base}.ft-{hex}[-suffix][:ckpt-step-N]`) has its root base model's; unknown: OpenAI."""
    info = load_catalog().model(model_name.split(":", 1)[0])
    return info.format if info is not None else DEFAULT_MODEL_FORMAT


def is_fine_tuned_model(model_name: str) -> bool:
    return is_fine_tuned_name(model_name.split(":", 1)[0])


def account_resource_id(subscription_id: str, resource_group: str, account: str) -> str:
    """The ARM id of an account, as `properties.model.source` names the account a fine-tuned model lives in."""
    return (
        f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/Microsoft.CognitiveServices"
        f"/accounts/{account}"
    )


def sku_for(deployment_type: str) -> str:
    dt = load_catalog().deployment_types.get(deployment_type)
    if dt is None:
        raise ProviderError(f"unknown deployment type {deployment_type!r}", code="UnknownDeploymentType")
    return dt.sku


def deployment_type_for_sku(sku: str) -> str | None:
    dt = load_catalog().deployment_type_for_sku(sku)
    return dt.name if dt else None


def version_upgrade_wire(spec_value: str) -> str:
    try:
        return VERSION_UPGRADE_WIRE[spec_value]
    except KeyError:
        raise ProviderError(f"unknown version upgrade option {spec_value!r}", code="UnknownVersionUpgrade") from None


def version_upgrade_from_wire(wire: str | None) -> str | None:
    return _VERSION_UPGRADE_SPEC.get(str(wire).lower()) if wire else None


def deployable_from_sdk(obj: Any) -> DeployableModel:
    """From an SDK `AccountModel`. A dated version joins its name as the catalog spells it
    (gpt-4.1-mini + 2025-04-14 → gpt-4.1-mini-2025-04-14); a fine-tuned model keeps its own name."""
    name = str(getattr(obj, "name", "") or "")
    version = str(getattr(obj, "version", "") or "")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", version) and not name.endswith(version):
        name = f"{name}-{version}"
    skus: dict[str, SkuCapacity] = {}
    for sku in getattr(obj, "skus", None) or ():
        cap = getattr(sku, "capacity", None)
        sku_name = str(getattr(sku, "name", "") or "")
        skus[sku_name.lower()] = SkuCapacity(
            sku_name,
            minimum=_int_or_none(getattr(cap, "minimum", None)),
            maximum=_int_or_none(getattr(cap, "maximum", None)),
            step=_int_or_none(getattr(cap, "step", None)),
        )
    return DeployableModel(name, skus)


def deployment_from_sdk(account: str, obj: Any) -> RemoteDeployment:
    """From an azure-mgmt-cognitiveservices `Deployment` (read by attribute, so any object of that shape works)."""
    sku = getattr(obj, "sku", None)
    props = getattr(obj, "properties", None)
    model = getattr(props, "model", None)
    system = getattr(obj, "system_data", None)
    sku_name = str(getattr(sku, "name", "") or "")
    return RemoteDeployment(
        account=account,
        name=str(obj.name),
        model_name=str(getattr(model, "name", "") or ""),
        model_version=str(getattr(model, "version", "") or ""),
        deployment_type=deployment_type_for_sku(sku_name) if sku_name else None,
        sku_name=sku_name,
        capacity=int(getattr(sku, "capacity", 0) or 0),
        rai_policy=getattr(props, "rai_policy_name", None),
        version_upgrade=version_upgrade_from_wire(_enum_text(getattr(props, "version_upgrade_option", None))),
        tags=dict(getattr(obj, "tags", None) or {}),
        provisioning_state=_enum_text(getattr(props, "provisioning_state", None)) or "Unknown",
        created_at=_epoch(getattr(system, "created_at", None)),
        id=str(getattr(obj, "id", "") or ""),
    )


# ---------------------------------------------------------------- helpers


def _error_text(error: Any) -> str | None:
    if not isinstance(error, Mapping):
        return str(error) if error else None
    code, message = error.get("code"), error.get("message")
    if not code and not message:
        return None
    return f"{code}: {message}" if code and message else str(code or message)


def _enum_text(value: Any) -> str | None:
    if value is None:
        return None
    return str(getattr(value, "value", value))


def _int_or_none(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _epoch(value: Any) -> float | None:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    return None
