"""specs/reference.md stays in step with the models, the rule registry and the catalog; its examples are valid."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from pydantic import BaseModel

from fineplan.catalog import load_catalog
from fineplan.lint.registry import get_rule
from fineplan.spec.models import KINDS, ProjectSettings
from fineplan.spec.pydantic_errors import _members
from fineplan.spec.schema import schema_file


@pytest.fixture(scope="module")
def reference(repo_root: Path) -> str:
    return (repo_root / "specs" / "reference.md").read_text("utf-8")


def _models(root: type[BaseModel]) -> list[type[BaseModel]]:
    """Every model reachable from `root` through its fields."""
    seen: list[type[BaseModel]] = []
    todo = [root]
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.append(model)
        for field in model.model_fields.values():
            stack: list[Any] = [field.annotation]
            while stack:
                for member in _members(stack.pop()):
                    if isinstance(member, type) and issubclass(member, BaseModel):
                        todo.append(member)
                    else:
                        stack.extend(a for a in getattr(member, "__args__", ()) if a is not type(None))
    return seen


ALL_MODELS = sorted({m for root in [*KINDS.values(), ProjectSettings] for m in _models(root)}, key=lambda m: m.__name__)


@pytest.mark.parametrize("model", ALL_MODELS, ids=[m.__name__ for m in ALL_MODELS])
def test_every_field_is_documented(model: type[BaseModel], reference: str) -> None:
    missing = [f.alias or name for name, f in model.model_fields.items() if f"`{f.alias or name}`" not in reference]
    assert not missing, f"specs/reference.md does not mention {model.__name__} fields {missing}"


def test_every_code_mentioned_exists(reference: str) -> None:
    codes = set(re.findall(r"\bFP\d{3}\b", reference))
    assert codes, "the reference names no diagnostic codes"
    assert not [c for c in sorted(codes) if get_rule(c) is None]


def _number(value: float) -> str:
    return format(Decimal(str(value)).normalize(), "f")


def test_hyperparameter_ranges_match_the_catalog(reference: str) -> None:
    for name, spec in load_catalog().hyperparameters.items():
        if "min" not in spec:
            continue
        row = next((ln for ln in reference.splitlines() if ln.startswith(f"| `{name}` |")), None)
        assert row is not None, name
        assert f"{_number(spec['min'])}–{_number(spec['max'])}" in row, (name, row)


def _yaml_blocks(reference: str) -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", reference, flags=re.DOTALL)


def test_examples_are_valid(reference: str, repo_root: Path) -> None:
    schemas = repo_root / "specs" / "schemas"

    def validator(kind: str) -> Draft202012Validator:
        return Draft202012Validator(json.loads((schemas / schema_file(kind)).read_text("utf-8")))

    checked = 0
    for block in _yaml_blocks(reference):
        for doc in yaml.safe_load_all(block):
            if isinstance(doc, dict) and "kind" in doc:
                kind = doc["kind"]
            elif isinstance(doc, dict) and "project" in doc:
                kind = "Project"
            else:
                continue
            errors = [e.message for e in validator(kind).iter_errors(doc)]
            assert not errors, f"{kind} example in specs/reference.md: {errors}"
            checked += 1
    assert checked >= 7
