"""Every project rule runs over its data-driven pass/fail cases (tests/lint/rule_cases/*.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from fineplan.lint.registry import all_rules, get_rule
from fineplan.lint.rule import ProjectRule
from fineplan.spec.loader import load_project

CASES_DIR = Path(__file__).parent / "rule_cases"
DATA = {
    "data/chat.jsonl": '{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}\n',
    "data/prefs.jsonl": '{"input": {"messages": [{"role": "user", "content": "Hi"}]}, "preferred_output": '
    '[{"role": "assistant", "content": "Hello"}], "non_preferred_output": [{"role": "assistant", "content": "No"}]}\n',
    "data/rl.jsonl": '{"messages": [{"role": "user", "content": "2+2?"}], "answer": "4"}\n',
    "data/test.jsonl": '{"messages": [{"role": "user", "content": "Hey"}, {"role": "assistant", "content": "Hi"}]}\n',
    "graders.json": '[{"type": "string_check", "name": "exact", "input": "{{sample.output_text}}", '
    '"reference": "{{item.reference}}", "operation": "eq"}]\n',
    "grader.json": '{"type": "string_check", "name": "g", "input": "{{sample.output_text}}", '
    '"reference": "{{item.answer}}", "operation": "eq"}\n',
}


def _load_cases() -> dict[str, Any]:
    """Cases by code; each case carries the prelude of its own file."""
    cases: dict[str, Any] = {}
    for path in sorted(CASES_DIR.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text("utf-8"))
        prelude = doc.pop("prelude", "")
        for code, by_outcome in doc.items():
            assert code not in cases, f"{code} has cases in two files"
            for outcome in by_outcome.values():
                for case in outcome:
                    case["prelude"] = prelude
            cases[code] = by_outcome
    return cases


CASES = _load_cases()
PARAMS = [
    pytest.param(code, outcome, case, id=f"{code}-{outcome}-{case['name']}")
    for code, by_outcome in sorted(CASES.items())
    for outcome in ("pass", "fail")
    for case in by_outcome.get(outcome, [])
]


def test_every_project_rule_has_pass_and_fail_cases() -> None:
    missing = [
        r.code
        for r in all_rules()
        if issubclass(r, ProjectRule) and not (CASES.get(r.code, {}).get("pass") and CASES.get(r.code, {}).get("fail"))
    ]
    assert not missing, f"rules without pass and fail cases in tests/lint/rule_cases: {missing}"


@pytest.mark.parametrize(("code", "outcome", "case"), PARAMS)
def test_rule_case(code: str, outcome: str, case: dict[str, Any], tmp_path: Path) -> None:
    for rel, text in {
        **DATA,
        "fineplan.yaml": case.get("settings", "project: cases\n"),
        "specs/main.yaml": case["prelude"] + case["specs"],
    }.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    project, diags = load_project(tmp_path)
    assert project is not None
    assert not [d for d in diags if d.is_error], f"the case must load clean: {diags}"
    rule = get_rule(code)
    assert rule is not None and issubclass(rule, ProjectRule)
    found = [d for d in rule().check(project) if d.code == code]
    if outcome == "pass":
        assert found == [], found
        return
    assert found, f"{code} did not report on: {case['name']}"
    offset = case["prelude"].count("\n")
    if "line" in case:
        lines = sorted(d.location.line - offset for d in found if d.location)
        assert case["line"] in lines, f"expected line {case['line']} of the case, got {lines}: {found}"
    assert all(d.severity is rule.severity for d in found)
