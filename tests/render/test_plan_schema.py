"""The plan JSON Schema: published copy in sync, valid itself, and strict about what it accepts."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from golden_files import check_golden
from jsonschema import Draft202012Validator
from render_cases import CASES

from fineplan.plan.model import FORMAT_VERSION
from fineplan.render.plan_json import PlanFormatError, load_plan_json, validate_plan_document
from fineplan.render.plan_schema import plan_schema


def test_published_schema_is_the_packaged_one(repo_root: Path) -> None:
    check_golden(repo_root / "specs" / "plan.schema.json", json.dumps(plan_schema(), indent=2) + "\n")


def test_schema_is_valid_draft_2020_12() -> None:
    Draft202012Validator.check_schema(plan_schema())
    assert FORMAT_VERSION in plan_schema()["properties"]["format_version"]["enum"]


def test_schema_covers_every_key_the_model_writes() -> None:
    """additionalProperties is false, so a key added to the model without the schema fails here first."""
    doc = CASES["mixed"]().to_json()
    assert validate_plan_document(doc) == []
    props = plan_schema()["properties"]
    assert set(doc) == set(props) - {"superseded"}  # 2.1's optional key: written only when there are any
    assert set(doc["resource_changes"][0]) == set(plan_schema()["$defs"]["resource_change"]["properties"])


def _doc() -> dict[str, Any]:
    return copy.deepcopy(CASES["mixed"]().to_json())


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda d: d["resource_changes"][0].update(action="recreate"), "$.resource_changes[0].action"),
        (lambda d: d["resource_changes"][1].update(action="replace"), "$.resource_changes[1].action"),
        (
            lambda d: d["resource_changes"][1]["reasons"][0].update(code="felt_like_it"),
            "$.resource_changes[1].reasons[0].code",
        ),
        (lambda d: d["stages"][0].update(name="later"), "$.stages[0].name"),
        (lambda d: d["options"].update(surprise=True), "$.options"),
        (lambda d: d["resource_changes"][1].pop("after_unknown"), "$.resource_changes[1]"),
        (lambda d: d["resource_changes"][1].update(surprise=1), "$.resource_changes[1]"),
        (lambda d: d["cost"].update(training_usd="12"), "$.cost.training_usd"),
        (lambda d: d["cost"].pop("hosting"), "$.cost"),
        (lambda d: d["summary"].update(add=-1), "$.summary.add"),
        (
            lambda d: d["diagnostics"].append({"severity": "fatal", "code": "FP501", "summary": "", "detail": ""}),
            "$.diagnostics[0].severity",
        ),
    ],
)
def test_schema_rejects_malformed_plans(mutate: Any, where: str) -> None:
    doc = _doc()
    mutate(doc)
    problems = validate_plan_document(doc)
    assert problems, "the schema accepted a malformed plan"
    assert any(p.startswith(where + ":") for p in problems), problems
    with pytest.raises(PlanFormatError, match="invalid JSON plan"):
        load_plan_json(json.dumps(doc))


def test_cost_block_may_be_empty_when_unpriced() -> None:
    doc = _doc()
    doc["cost"] = {}
    assert validate_plan_document(doc) == []


def test_load_rejects_other_versions_and_non_json() -> None:
    doc = _doc()
    doc["format_version"] = "1.0"  # the format before replacement order and stages: refused, not misread
    with pytest.raises(PlanFormatError, match=re.escape("format_version '1.0'")):
        load_plan_json(json.dumps(doc))
    with pytest.raises(PlanFormatError, match="not a JSON plan"):
        load_plan_json("{not json")
