"""The canonical JSON plan: render it and load it back (validated against its schema).

The format is documented in specs/plan-format.md; its schema is `plan_schema()` (published as
specs/plan.schema.json). `plan --format json` and `show --json PLANFILE` print `render_plan_json(plan)`.
"""

from __future__ import annotations

import json
from typing import Any

from fineplan.errors import FineplanError
from fineplan.plan.model import READABLE_VERSIONS, Plan
from fineplan.render.plan_schema import plan_schema

_MAX_ERRORS = 10


class PlanFormatError(FineplanError):
    """A JSON plan that is not valid JSON, or does not match the plan schema."""


def render_plan_json(plan: Plan) -> str:
    """The plan as pretty JSON with a trailing newline; key order is the model's, stable across runs."""
    return json.dumps(plan.to_json(), indent=2, ensure_ascii=False) + "\n"


def validate_plan_document(doc: Any) -> list[str]:
    """Schema violations of a decoded JSON plan, as `path: message` strings (empty when valid)."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(plan_schema())
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
    return [f"{_json_path(e.absolute_path)}: {e.message}" for e in errors]


def load_plan_json(text: str | bytes) -> Plan:
    """Parse and validate a JSON plan; raises PlanFormatError saying what is wrong and where."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanFormatError(f"not a JSON plan: {exc}") from None
    version = doc.get("format_version") if isinstance(doc, dict) else None
    if isinstance(doc, dict) and version not in READABLE_VERSIONS:
        readable = " and ".join(READABLE_VERSIONS)
        raise PlanFormatError(f"unsupported plan format_version {version!r}: this fineplan reads {readable}")
    problems = validate_plan_document(doc)
    if problems:
        more = f"\n  … and {len(problems) - _MAX_ERRORS} more" if len(problems) > _MAX_ERRORS else ""
        raise PlanFormatError("invalid JSON plan:\n  " + "\n  ".join(problems[:_MAX_ERRORS]) + more)
    return Plan.from_json(doc)


def _json_path(parts: Any) -> str:
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out
