"""JSON Schema export of the spec language (one schema per kind, plus fineplan.yaml)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from fineplan.spec.models import KINDS, ProjectSettings

SCHEMA_BASE = "https://fineplan.dev/schemas"
SCHEMA_NAMES: dict[str, type[BaseModel]] = {**KINDS, "Project": ProjectSettings}


def schema_for(kind: str) -> dict[str, Any]:
    model = SCHEMA_NAMES[kind]
    schema = model.model_json_schema(by_alias=True)
    out: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{SCHEMA_BASE}/{schema_file(kind)}",
    }
    out.update(schema)
    return out


def schema_file(kind: str) -> str:
    return ("fineplan-project" if kind == "Project" else kind.lower()) + ".schema.json"


def all_schemas() -> dict[str, dict[str, Any]]:
    return {schema_file(k): schema_for(k) for k in SCHEMA_NAMES}
