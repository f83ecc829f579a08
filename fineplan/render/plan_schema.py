"""The JSON Schema (draft 2020-12) of the canonical JSON plan, format_version 2.2 (2.0 and 2.1 plans still validate).

Kept as Python so it ships inside the package (no data file to find at run time); `specs/plan.schema.json` is
its published copy, checked against this by the tests (rewritten by `FINEPLAN_ACCEPT=1`). The prose is in
`specs/plan-format.md`. Objects fineplan controls forbid unknown keys, so the schema and the code cannot drift
apart silently; `before`/`after`/gate checks are open. Every closed vocabulary (actions, reason codes, stages,
drift changes, kinds) is an enum here, taken from the model's own enums.
"""

from __future__ import annotations

from typing import Any

from fineplan.plan.model import FORMAT_VERSION, READABLE_VERSIONS, Action, GateStatus, ReasonCode, StageName
from fineplan.resource import Kind
from fineplan.state.drift import DriftChange

SCHEMA_ID = f"https://fineplan.dev/schemas/plan-{FORMAT_VERSION}.schema.json"

_STR: dict[str, Any] = {"type": "string"}
_BOOL: dict[str, Any] = {"type": "boolean"}
_NUM: dict[str, Any] = {"type": "number"}
_COUNT: dict[str, Any] = {"type": "integer", "minimum": 0}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _closed(properties: dict[str, Any], required: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    """An object with exactly these keys (all required unless `required` says otherwise)."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
        **extra,
    }


def _attributes(description: str) -> dict[str, Any]:
    return {**_nullable({"type": "object"}), "description": description}


def _position() -> dict[str, Any]:
    return _closed({"line": {"type": "integer", "minimum": 1}, "column": {"type": "integer", "minimum": 1}})


def plan_schema() -> dict[str, Any]:
    actions = [a.value for a in Action]
    json_actions = sorted({v for a in Action for v in a.json_actions})
    kinds = [k.value for k in Kind]
    attribute_path = {"type": "string", "description": "A dotted attribute path, e.g. hyperparameters.n_epochs."}
    defs: dict[str, Any] = {
        "reason": _closed(
            {
                "code": {
                    "enum": [r.value for r in ReasonCode],
                    "description": "Machine-readable, from a closed vocabulary (see plan-format.md).",
                },
                "message": {**_STR, "description": "For people: what changed and where."},
                "attribute": attribute_path,
            },
            required=["code", "message"],
            description="Why an action was chosen. Explains; never decides.",
        ),
        "cost_estimate": _closed(
            {
                "kind": {"enum": ["training", "hosting"]},
                "usd": {
                    **_nullable(_NUM),
                    "description": "training: one-off total; hosting: per month. null: not estimated (see notes).",
                },
                "basis": {**_STR, "description": "The arithmetic, for the reader."},
                "approximate": _BOOL,
                "notes": {"type": "array", "items": _STR},
                "usd_per_hour": _nullable(_NUM),
                "usd_per_month": _nullable(_NUM),
                "hours": {**_NUM, "description": "RFT: the training hours priced."},
                "delta": {
                    "const": True,
                    "description": "2.1: hosting of an in-place update, as the change to the bill (may be negative).",
                },
            },
            required=["kind", "usd", "basis", "approximate", "notes"],
        ),
        "resource_change": _closed(
            {
                "address": {**_STR, "pattern": r"^[a-z]+\.[a-z0-9-]+$", "description": "kind.name, e.g. job.sft"},
                "kind": {"enum": kinds},
                "name": _STR,
                "actions": {
                    "type": "array",
                    "items": {"enum": json_actions},
                    "minItems": 1,
                    "description": 'Terraform-style, in the order apply does them: create-then-delete is ["create", '
                    '"delete"], delete-then-create ["delete", "create"].',
                },
                "action": {"enum": actions, "description": "The single action; a replacement names its order."},
                "reasons": {"type": "array", "items": {"$ref": "#/$defs/reason"}},
                "before": _attributes("Attributes as last read (null when the resource does not exist yet)."),
                "after": _attributes("Attributes as planned (null when the resource is being destroyed)."),
                "after_unknown": {
                    "type": "array",
                    "items": attribute_path,
                    "description": "Attributes known only after apply (shown as (known after apply)).",
                },
                "replace_paths": {
                    "type": "array",
                    "items": attribute_path,
                    "description": "Attributes whose change forces replacement.",
                },
                "depends_on": {"type": "array", "items": _STR},
                "inputs_digest": _nullable(_STR),
                "remote_id": _nullable(_STR),
                "blocked": {
                    **_nullable(_STR),
                    "description": "Why apply will skip this change (a failing gate, a blocked dependency).",
                },
                "retrain": {**_BOOL, "description": "The change trains a job (created, or replaced: it costs again)."},
                "cost": {"anyOf": [{"$ref": "#/$defs/cost_estimate"}, {"type": "null"}]},
            }
        ),
        "stage": _closed(
            {
                "name": {
                    "enum": [s.value for s in StageName],
                    "description": "walk, then delete, then cleanup; only stages with something to do are listed.",
                },
                "addresses": {"type": "array", "items": _STR, "description": "The changes this stage performs."},
            }
        ),
        "drift": _closed(
            {
                "address": _STR,
                "kind": {"enum": kinds},
                "name": _STR,
                "change": {"enum": [c.value for c in DriftChange]},
                "message": _STR,
                "before": _attributes("As last recorded in state."),
                "after": _attributes("As refresh found it (null when gone)."),
            }
        ),
        "gate": _closed(
            {
                "address": {**_STR, "description": "The gated deployment."},
                "job": {
                    **_STR,
                    "description": "The job whose metrics are checked (2.2: the evaluation's address for a gate "
                    "on an evaluation alone).",
                },
                "status": {"enum": [g.value for g in GateStatus]},
                "evaluation": {**_STR, "description": "2.2: the Evaluation an evaluation gate reads."},
                "checks": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "description": "One bound of the gate; value and passed are unknown while the job trains. "
                        "2.2: evaluation bounds (min_score, min_pass_rate, beats) name grader and subject; "
                        "`beats` adds other, other_value and delta; `evaluation` (pending) says why it waits.",
                        "properties": {
                            "bound": {
                                **_STR,
                                "description": "The spec key, e.g. max_valid_loss; 2.2: min_score, min_pass_rate, "
                                "beats, evaluation (pending), subject (none serves the gated model).",
                            },
                            "metric": {**_STR, "description": "The job metric, e.g. valid_loss."},
                            "grader": {**_STR, "description": "2.2: the evaluation grader checked."},
                            "subject": {**_STR, "description": "2.2: the subject standing for the gated model."},
                            "other": {**_STR, "description": "2.2 (beats): the subject it must beat."},
                            "other_value": _nullable(_NUM),
                            "delta": _nullable(_NUM),
                            "evaluation": _STR,
                            "pending": _STR,
                            "why": _STR,
                            "limit": _NUM,
                            "value": _nullable(_NUM),
                            "passed": _nullable(_BOOL),
                        },
                        "required": ["bound"],
                    },
                },
            },
            required=["address", "job", "status", "checks"],
        ),
        "hosting": _closed(
            {
                "per_hour_before": _NUM,
                "per_hour_after": _NUM,
                "delta_per_hour": _NUM,
                "per_month_before": _NUM,
                "per_month_after": _NUM,
                "delta_per_month": _NUM,
                "unpriced": _COUNT,
            }
        ),
        "cost": _closed(
            {
                "currency": {**_STR, "description": "ISO 4217, e.g. USD."},
                "as_of": {**_STR, "description": "Date of the price table (YYYY-MM-DD)."},
                "approximate": _BOOL,
                "training_usd": {**_NUM, "description": "One-off spend of the jobs this plan trains (known figures)."},
                "training_unpriced": {**_COUNT, "description": "Jobs without a figure: training_usd is a floor."},
                "hosting": {"$ref": "#/$defs/hosting"},
                "hours_per_month": _COUNT,
                "untracked": _closed(
                    {
                        "jobs": _COUNT,
                        "training_usd": {**_NUM, "description": "What they spend (known figures only)."},
                        "unpriced": {**_COUNT, "description": "Untracked jobs without a figure."},
                    },
                    description="Jobs carrying this project's tags that state does not track, still training.",
                ),
                "budget": _closed(
                    {
                        "max_training_cost_usd": _nullable({"type": "number", "minimum": 0}),
                        "over": {**_BOOL, "description": "apply refuses a plan that is over budget."},
                    }
                ),
            },
            required=[],
            description="Empty when the plan was made without prices; otherwise every key but budget is present.",
            dependentRequired={
                "training_usd": ["training_unpriced", "hosting", "hours_per_month", "approximate"],
            },
        ),
        "superseded": _closed(
            {
                "address": _STR,
                "kind": {"enum": kinds},
                "what": {**_STR, "description": 'The old object, e.g. "job ftjob-…".'},
                "remote_id": _nullable(_STR),
                "kept_for": {
                    **_nullable(_STR),
                    "description": "The resource still built on it; null: the cleanup stage deletes it.",
                },
            },
            description="An old object an earlier replacement left behind, remembered in state.",
        ),
        "range": _closed({"filename": _STR, "start": _position(), "end": _position()}),
        "diagnostic": _closed(
            {
                "severity": {"enum": ["error", "warning", "info"]},
                "code": {**_STR, "pattern": r"^FP\d{3}$"},
                "summary": _STR,
                "detail": _STR,
                "range": {"$ref": "#/$defs/range"},
                "count": {"type": "integer", "minimum": 1},
                "occurrences": {"type": "array", "items": {"$ref": "#/$defs/range"}},
            },
            required=["severity", "code", "summary", "detail"],
        ),
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "fineplan plan",
        "description": "The canonical JSON plan. Human and Markdown output are views of it. See plan-format.md.",
        **_closed(
            {
                "format_version": {"enum": list(READABLE_VERSIONS)},
                "fineplan_version": _STR,
                "created_at": {**_STR, "description": "ISO 8601, UTC."},
                "project": _STR,
                "target": _STR,
                "state": _closed({"lineage": _nullable(_STR), "serial": _nullable({"type": "integer"})}),
                "inputs_digest": _STR,
                "options": _closed(
                    {
                        "destroy": _BOOL,
                        "refresh_only": _BOOL,
                        "targets": {"type": "array", "items": _STR},
                        "replace": {"type": "array", "items": _STR},
                        "refresh": _BOOL,
                    },
                    description="How the plan was asked for; apply uses the same options for a saved plan.",
                ),
                "summary": _closed(
                    {"add": _COUNT, "change": _COUNT, "destroy": _COUNT, "wait": _COUNT, "has_changes": _BOOL}
                ),
                "resource_changes": {"type": "array", "items": {"$ref": "#/$defs/resource_change"}},
                "stages": {"type": "array", "items": {"$ref": "#/$defs/stage"}},
                "drift": {"type": "array", "items": {"$ref": "#/$defs/drift"}},
                "gates": {"type": "array", "items": {"$ref": "#/$defs/gate"}},
                "cost": {"$ref": "#/$defs/cost"},
                "diagnostics": {"type": "array", "items": {"$ref": "#/$defs/diagnostic"}},
                "superseded": {
                    "type": "array",
                    "items": {"$ref": "#/$defs/superseded"},
                    "description": "2.1: old objects of earlier replacements (absent in 2.0 plans).",
                },
            },
            required=[
                "format_version",
                "fineplan_version",
                "created_at",
                "project",
                "target",
                "state",
                "inputs_digest",
                "options",
                "summary",
                "resource_changes",
                "stages",
                "drift",
                "gates",
                "cost",
                "diagnostics",
            ],
        ),
        "$defs": defs,
    }
