"""Validation of a fine-tuning job creation body, as Azure validates it: required fields, suffix, seed, metadata
limits, method shape (both DPO shapes), hyperparameter ranges, the training tier, and the model catalog
(method × model × training type). Produces the normalised request the job service stores."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fineplan.catalog import Catalog, ModelInfo, fine_tuned_base
from fineplan.emulator.apierror import invalid

METHODS = ("supervised", "dpo", "reinforcement")
GRADER_TYPES = frozenset({"string_check", "text_similarity", "score_model", "label_model", "python", "multi"})
MAX_SEED = 2_147_483_647
_TIER_LABEL = {"standard": "Standard", "global": "GlobalStandard", "developer": "Developer"}


@dataclass(frozen=True, slots=True)
class JobRequest:
    model: str
    base_model: str  # the catalog entry's name (the root of a chain of fine-tuned models)
    info: ModelInfo
    training_file: str
    validation_file: str | None
    method_type: str
    method: dict[str, Any]  # normalised, nested form, as echoed
    hyperparameters: dict[str, Any]  # the method's hyperparameters as sent ("auto" kept)
    suffix: str | None
    seed: int | None
    metadata: dict[str, str] | None
    integrations: list[Any] | None
    training_type: str  # spec value: standard | global | developer
    training_type_wire: str


def parse_job_request(body: Any, catalog: Catalog, is_succeeded_model: Callable[[str], bool]) -> JobRequest:
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object.")
    model = _required_str(body, "model")
    training_file = _required_str(body, "training_file")
    validation_file = _optional_str(body, "validation_file")
    base_model, info = _resolve_model(model, catalog, is_succeeded_model)

    method_type, method, hyper = _method(body)
    if method_type not in info.methods:
        raise invalid(f"The model '{model}' does not support fine-tuning method '{method_type}'.", "method")
    _check_hyperparameters(hyper, method_type, catalog)
    if method_type in info.requires_validation_for and not validation_file:
        raise invalid(f"The '{method_type}' method on '{model}' requires a validation_file.", "validation_file")

    tier, tier_wire = _training_type(body, info, catalog, model)
    return JobRequest(
        model=model,
        base_model=base_model,
        info=info,
        training_file=training_file,
        validation_file=validation_file,
        method_type=method_type,
        method=method,
        hyperparameters=hyper,
        suffix=_suffix(body, catalog),
        seed=_seed(body),
        metadata=_metadata(body),
        integrations=body.get("integrations"),
        training_type=tier,
        training_type_wire=tier_wire,
    )


def _required_str(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise invalid(f"Missing required parameter: '{key}'.", key)
    return value


def _optional_str(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise invalid(f"'{key}' must be a non-empty string.", key)
    return value


def _resolve_model(model: str, catalog: Catalog, is_succeeded_model: Callable[[str], bool]) -> tuple[str, ModelInfo]:
    info = catalog.models.get(model)
    if info is not None:
        return model, info
    base = fine_tuned_base(model)
    if base is not None and base in catalog.models and is_succeeded_model(model):
        return base, catalog.models[base]
    raise invalid(
        f"The specified base model '{model}' does not support fine-tuning, or is not a succeeded fine-tuned model "
        "of this resource.",
        "model",
    )


def _method(body: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    raw = body.get("method")
    legacy = body.get("hyperparameters")
    if raw is None:
        hyper = dict(legacy) if isinstance(legacy, dict) else {}
        return "supervised", {"type": "supervised", "supervised": {"hyperparameters": hyper}}, hyper
    if not isinstance(raw, dict) or raw.get("type") not in METHODS:
        raise invalid(f"'method.type' must be one of {', '.join(METHODS)}.", "method.type")
    method_type = str(raw["type"])
    config = raw.get(method_type) or {}
    if not isinstance(config, dict):
        raise invalid(f"'method.{method_type}' must be an object.", f"method.{method_type}")
    config = dict(config)
    hyper = dict(config.get("hyperparameters") or {})
    if method_type == "dpo":
        # One Azure doc puts beta / l2_multiplier directly under `dpo`; accept it, echo the nested form.
        for key in ("beta", "l2_multiplier"):
            if key in config:
                hyper.setdefault(key, config.pop(key))
    if method_type == "supervised" and isinstance(legacy, dict):
        hyper = {**legacy, **hyper}
    if method_type == "reinforcement":
        grader = config.get("grader")
        if not isinstance(grader, dict) or grader.get("type") not in GRADER_TYPES:
            raise invalid(
                f"'method.reinforcement.grader' must be one grader of type {', '.join(sorted(GRADER_TYPES))}.",
                "method.reinforcement.grader",
            )
    config["hyperparameters"] = hyper
    return method_type, {"type": method_type, method_type: config}, hyper


def _check_hyperparameters(hyper: dict[str, Any], method_type: str, catalog: Catalog) -> None:
    allowed = catalog.method_hyperparameters[method_type]
    for key, value in hyper.items():
        param = f"method.{method_type}.hyperparameters.{key}"
        if key not in allowed:
            raise invalid(f"Unknown hyperparameter '{key}' for method '{method_type}'.", param)
        if value == "auto":
            continue
        rule = catalog.hyperparameters[key]
        if "choices" in rule:
            if value not in rule["choices"]:
                raise invalid(f"'{key}' must be one of {rule['choices']}.", param)
            continue
        kind = int if rule.get("type") == "int" else float
        if isinstance(value, bool) or not isinstance(value, int | float) or (kind is int and value != int(value)):
            raise invalid(f"'{key}' must be 'auto' or a{'n integer' if kind is int else ' number'}.", param)
        if not rule["min"] <= value <= rule["max"]:
            raise invalid(f"'{key}' must be within {rule['min']}..{rule['max']}.", param)


def _training_type(body: dict[str, Any], info: ModelInfo, catalog: Catalog, model: str) -> tuple[str, str]:
    raw = body.get("trainingType")
    if raw is None:
        tier = "standard" if "standard" in info.training_types else info.training_types[0]
    else:
        if not isinstance(raw, str):
            raise invalid("'trainingType' must be a string.", "trainingType")
        found = catalog.training_type_from_wire(raw)
        if found is None:
            raise invalid(
                f"Unknown trainingType '{raw}'; use one of {', '.join(catalog.training_types.values())}.",
                "trainingType",
            )
        tier = found
    if tier not in info.training_types:
        raise invalid(
            f"The model '{model}' does not support fine-tuning with {_TIER_LABEL.get(tier, tier)} TrainingType.",
            "trainingType",
        )
    return tier, catalog.training_type_wire(tier)


def _suffix(body: dict[str, Any], catalog: Catalog) -> str | None:
    suffix = body.get("suffix")
    if suffix is None:
        return None
    if (
        not isinstance(suffix, str)
        or not suffix
        or len(suffix) > catalog.suffix_max_length
        or not re.match(catalog.suffix_pattern, suffix)
    ):
        raise invalid(
            f"'suffix' must be 1..{catalog.suffix_max_length} characters of letters, digits, '-' and '_'.", "suffix"
        )
    return suffix


def _seed(body: dict[str, Any]) -> int | None:
    seed = body.get("seed")
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise invalid(f"'seed' must be an integer within 0..{MAX_SEED}.", "seed")
    return seed


def _metadata(body: dict[str, Any]) -> dict[str, str] | None:
    metadata = body.get("metadata")
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        raise invalid("'metadata' must be an object of strings.", "metadata")
    if len(metadata) > 16:
        raise invalid("'metadata' may hold at most 16 pairs.", "metadata")
    for key, value in metadata.items():
        if len(key) > 64:
            raise invalid(f"metadata key '{key[:20]}…' is longer than 64 characters.", "metadata")
        if not isinstance(value, str) or len(value) > 512:
            raise invalid(f"metadata['{key}'] must be a string of at most 512 characters.", "metadata")
    return dict(metadata)
