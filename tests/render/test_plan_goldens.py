"""Goldens: every case rendered human, Markdown and JSON; every JSON golden validates against the schema."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from render_cases import CASES

from fineplan.render.human import render_human
from fineplan.render.markdown import render_markdown
from fineplan.render.plan_json import load_plan_json, render_plan_json

GOLDENS = Path(__file__).parent / "goldens"
RENDERERS: dict[str, Callable[..., str]] = {
    "txt": render_human,
    "md": render_markdown,
    "json": render_plan_json,
}


@pytest.mark.parametrize("ext", sorted(RENDERERS))
@pytest.mark.parametrize("case", sorted(CASES))
def test_rendering_matches_golden(case: str, ext: str, golden: Callable[[str, str], None]) -> None:
    golden(f"{case}.{ext}", RENDERERS[ext](CASES[case]()))


@pytest.mark.parametrize("case", sorted(CASES))
def test_json_golden_validates_against_published_schema(case: str, repo_root: Path) -> None:
    schema = json.loads((repo_root / "specs" / "plan.schema.json").read_text(encoding="utf-8"))
    doc = json.loads((GOLDENS / f"{case}.json").read_text(encoding="utf-8"))
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in Draft202012Validator(schema).iter_errors(doc)]
    assert errors == []


@pytest.mark.parametrize("case", sorted(CASES))
def test_json_golden_loads_back_to_the_same_plan(case: str) -> None:
    plan = load_plan_json((GOLDENS / f"{case}.json").read_text(encoding="utf-8"))
    assert plan == CASES[case]()


def test_every_golden_case_is_covered() -> None:
    wanted = {
        "create-only",
        "mixed",
        "replace-with-reason",
        "replace-order",
        "drift",
        "destroy",
        "blocked-gate",
        "over-budget",
        "no-changes",
        "checkpoint-promotion",
        "evaluation-gate",
    }
    assert set(CASES) == wanted
    on_disk = {p.name for p in GOLDENS.iterdir()}
    assert on_disk == {f"{c}.{ext}" for c in wanted for ext in RENDERERS}
