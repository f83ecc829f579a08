"""Answers that must fit a JSON schema (`response_format: json_schema`, RFT response formats).

Rule: an answer that already is JSON valid against the schema is kept. Otherwise an instance is built from the
schema, walking properties in their declared order: the first string slot gets the answer text; other strings
are ""; an `enum` takes the first of its values that occurs in the answer (case-insensitively), else its first
value; numbers and integers take the first number written in the answer, else the schema's `minimum`, else 0;
booleans are false; arrays are empty; objects recurse; `anyOf`/`oneOf` use their first branch.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import jsonschema

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def fits(value: Any, schema: Mapping[str, Any]) -> bool:
    try:
        jsonschema.validators.validator_for(schema)(schema).validate(value)
    except (jsonschema.ValidationError, jsonschema.SchemaError):
        return False
    return True


def fit_schema(text: str, schema: Mapping[str, Any]) -> Any:
    try:
        parsed = json.loads(text)
    except (json.JSONDecodeError, TypeError):
        parsed = None
    if parsed is not None and fits(parsed, schema):
        return parsed
    return _build(schema, text, [False])


def _build(schema: Any, text: str, used: list[bool]) -> Any:
    if not isinstance(schema, Mapping):
        return None
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            return _build(schema[key][0], text, used)
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        lowered = text.casefold()
        return next((v for v in schema["enum"] if str(v).casefold() in lowered), schema["enum"][0])
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or (kind is None and "properties" in schema):
        props = schema.get("properties") if isinstance(schema.get("properties"), Mapping) else {}
        assert isinstance(props, Mapping)
        return {name: _build(sub, text, used) for name, sub in props.items()}
    if kind == "string":
        if used[0]:
            return ""
        used[0] = True
        return text
    if kind in ("number", "integer"):
        m = _NUMBER.search(text)
        value: float = float(m.group()) if m else float(schema.get("minimum", 0))
        return int(value) if kind == "integer" else value
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    return None
