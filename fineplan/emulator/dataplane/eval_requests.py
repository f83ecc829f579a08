"""Validation shared by the Evals API handlers: the `aoai-evals` preview header, metadata, testing criteria and
in-memory cursor paging (evals and runs per resource are few)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jsonschema

from fineplan.datasets import codes as C
from fineplan.datasets.graders import check_grader
from fineplan.diagnostics import Location
from fineplan.emulator.apierror import ApiError, invalid
from fineplan.emulator.http_types import Plane, Request
from fineplan.graders.templates import references

# The graders Azure's Evals API takes as testing criteria (both specs; `multi` is RFT-only).
CRITERIA_TYPES = ("label_model", "string_check", "text_similarity", "python", "score_model")
SAMPLE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "model": {"type": "string"},
        "choices": {"type": "array"},
        "tools": {"type": "array"},
        "output_text": {"type": "string"},
        "output_json": {"type": "object"},
        "output_tools": {"type": "array"},
    },
    "required": ["model", "choices"],
}


def require_preview_header(req: Request) -> None:
    """The v1 spec makes `aoai-evals: preview` a required header on every /openai/v1/evals operation; the dated
    (authoring 2025-04-01-preview) spec has no such header. Send it with `default_headers=` on the client."""
    if req.plane is Plane.DATA_V1 and req.headers.get("aoai-evals", "").strip().lower() != "preview":
        raise ApiError(
            400,
            "BadRequest",
            "AOAI Evals is a preview feature of the v1 API: set the 'aoai-evals' header to 'preview'.",
            "aoai-evals",
        )


def check_metadata(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    ok = (
        isinstance(value, dict)
        and len(value) <= 16
        and all(isinstance(k, str) and len(k) <= 64 and isinstance(v, str) and len(v) <= 512 for k, v in value.items())
    )
    if not ok:
        raise invalid("metadata: at most 16 string pairs, keys up to 64 and values up to 512 characters.", "metadata")
    return dict(value)


def check_item_schema(config: Any) -> tuple[dict[str, Any], bool]:
    if not isinstance(config, dict) or config.get("type") not in ("custom", "logs", "stored_completions"):
        raise invalid("data_source_config.type must be one of custom, logs, stored_completions.", "data_source_config")
    if config["type"] != "custom":
        raise invalid(
            f"data_source_config type '{config['type']}' reads stored completions, which the emulator does not keep; "
            "use 'custom'.",
            "data_source_config.type",
        )
    schema = config.get("item_schema")
    if not isinstance(schema, dict):
        raise invalid("data_source_config.item_schema must be a JSON schema object.", "data_source_config.item_schema")
    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise invalid(f"data_source_config.item_schema is not a valid JSON schema: {exc.message}") from exc
    include = config.get("include_sample_schema", False)
    if not isinstance(include, bool):
        raise invalid("data_source_config.include_sample_schema must be a boolean.")
    return schema, include


def check_criteria(criteria: Any, item_schema: Mapping[str, Any], include_sample: bool) -> list[dict[str, Any]]:
    """The testing criteria, checked with the RFT grader checks (fineplan.datasets.graders) plus what the Evals
    API adds: the allowed types, text_similarity's required pass_threshold, and templates that match the data
    source config (`item.<field>` among the item schema's properties when it lists them; `sample.*` only with
    include_sample_schema)."""
    if not isinstance(criteria, list) or not criteria:
        raise invalid("testing_criteria must be a non-empty list of graders.", "testing_criteria")
    props = item_schema.get("properties") if isinstance(item_schema.get("properties"), dict) else None
    for i, g in enumerate(criteria):
        where = f"testing_criteria[{i}]"
        if not isinstance(g, dict) or g.get("type") not in CRITERIA_TYPES:
            kind = g.get("type") if isinstance(g, dict) else None
            raise invalid(f"{where}: type must be one of {', '.join(CRITERIA_TYPES)}, not {kind!r}.", where)
        problems = [d.summary for d in check_grader(g, None, [], Location(where)) if d.code != C.GRADER_OUTPUT_JSON]
        if g["type"] == "text_similarity" and g.get("pass_threshold") is None:
            problems.append("grader: text_similarity needs a pass_threshold")
        for ref in references({k: v for k, v in g.items() if k in ("input", "reference")}):
            head, _, rest = ref.partition(".")
            field = rest.partition(".")[0]
            if head == "item" and props is not None and field and field not in props:
                problems.append(f"{{{{{ref}}}}} is not a property of the item_schema ({', '.join(sorted(props))})")
            if head == "sample" and not include_sample:
                problems.append(f"{{{{{ref}}}}} needs data_source_config.include_sample_schema: true")
        if problems:
            raise invalid(f"{where}: " + "; ".join(p.removeprefix("grader: ") for p in problems), where)
    return criteria


def page(
    docs: list[dict[str, Any]], query: Mapping[str, str], *, key: str = "created_at", default_order: str = "asc"
) -> dict[str, Any]:
    """A list page over `docs` (already filtered): `order` by `key` (stable), `after` an id, `limit` 1..100."""
    order = (query.get("order") or default_order).lower()
    if order not in ("asc", "desc"):
        raise invalid("order must be asc or desc.", "order")
    raw_limit = query.get("limit") or "20"
    try:
        limit = int(raw_limit)
    except ValueError as exc:
        raise invalid(f"limit must be an integer, got {raw_limit!r}.", "limit") from exc
    if not 1 <= limit <= 100:
        raise invalid("limit must be between 1 and 100.", "limit")
    # Ties (same second) keep creation order, reversed with it for desc.
    ranked = sorted(enumerate(docs), key=lambda p: (p[1].get(key) or 0, p[0]), reverse=order == "desc")
    ordered = [d for _, d in ranked]
    after = query.get("after")
    if after:
        position = next((i for i, d in enumerate(ordered) if d["id"] == after), None)
        if position is None:
            raise invalid(f"The cursor 'after={after}' does not name a known item.", "after")
        ordered = ordered[position + 1 :]
    data = ordered[:limit]
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": len(ordered) > limit,
    }
