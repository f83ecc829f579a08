"""An Evaluation's graders are checked as RFT graders are, at the grader (in the spec or its graders_file), against
the eval items of its test rows; the real Foundry sample graders pass against their own datasets."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from fineplan.diagnostics import Diagnostic
from fineplan.engine import Engine
from fineplan.lint.evaluation_checks import element_lines

SETTINGS = "project: evals\n"
BASE = "gpt-4.1-mini-2025-04-14"
PRELUDE = f"""kind: Dataset
name: test
spec: {{path: data/test.jsonl, format: chat}}
---
kind: Dataset
name: rl
spec: {{path: data/rl.jsonl, format: reinforcement, split: {{validation: 0.3}}}}
---
kind: Deployment
name: base
spec: {{model: {BASE}, capacity: 10}}
---
"""
EXACT = {
    "type": "string_check",
    "name": "exact",
    "input": "{{sample.output_text}}",
    "reference": "{{item.reference}}",
    "operation": "eq",
}


def _chat(i: int, final: bool = True) -> dict[str, Any]:
    messages = [{"role": "user", "content": f"What is {i} plus {i}?"}]
    if final:
        messages.append({"role": "assistant", "content": f"{2 * i}"})
    return {"messages": messages}


def _rl(i: int, **fields: Any) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": f"What is {i} times 3?"}], **fields}


def _project(root: Path, evaluation: str, files: dict[str, str] | None = None, **rows: list[dict[str, Any]]) -> Path:
    data = {"test": [_chat(i) for i in range(12)], "rl": [_rl(i, answer=str(3 * i)) for i in range(40)], **rows}
    (root / "specs").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "fineplan.yaml").write_text(SETTINGS, encoding="utf-8")
    (root / "specs" / "a.yaml").write_text(PRELUDE + evaluation, encoding="utf-8")
    for name, items in data.items():
        (root / "data" / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in items), encoding="utf-8")
    for rel, text in (files or {}).items():
        (root / rel).write_text(text, encoding="utf-8")
    return root


def _evaluation(graders: str, data: str = "test", subjects: str = "{base: {deployment: base}}") -> str:
    return f"kind: Evaluation\nname: ev\nspec:\n  data: {data}\n{graders}  subjects: {subjects}\n"


def _all(root: Path) -> list[Diagnostic]:
    # budget=False: pricing an Evaluation is the Evaluation kind's part, not lint's
    return Engine(root).lint(budget=False)


def _found(root: Path, *codes: str) -> list[tuple[str, str, int]]:
    return [(d.code, d.location.file, d.location.line) for d in _all(root) if d.location and d.code in codes]


def _lint(root: Path, code: str) -> list[Diagnostic]:
    return [d for d in _all(root) if d.code == code]


def _line(root: Path, needle: str, rel: str = "specs/a.yaml") -> int:
    """The line of `rel` where `needle` first appears (expected lines are found, not counted by hand)."""
    lines = (root / rel).read_text("utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if needle in line)


def test_inline_graders_are_checked_at_each_grader(tmp_path: Path) -> None:
    graders = (
        "  graders:\n"
        f"    - {json.dumps(EXACT)}\n"
        '    - {type: python, name: py, source: "def score(sample): return 1"}\n'
        "    - type: multi\n"
        "      name: combo\n"
        "      graders: {a: " + json.dumps({**EXACT, "name": "a"}) + "}\n"
        "      calculate_output: a + b\n"
        '    - {type: string_check, name: exact, input: "x", reference: "y", operation: equals}\n'
    )
    root = _project(tmp_path, _evaluation(graders))
    first, bad = _line(root, '"name": "exact"'), _line(root, "operation: equals")
    assert sorted(_found(root, "FP460", "FP463", "FP464", "FP468")) == [
        ("FP460", "specs/a.yaml", bad),
        ("FP463", "specs/a.yaml", _line(root, "type: multi")),
        ("FP464", "specs/a.yaml", _line(root, "type: python")),
        ("FP468", "specs/a.yaml", bad),
    ]
    (dup,) = _lint(root, "FP468")
    assert [(o.file, o.line) for o in dup.occurrences] == [("specs/a.yaml", first)]


def test_graders_file_problems_point_at_the_grader_in_the_file(tmp_path: Path) -> None:
    text = json.dumps([EXACT, {**EXACT, "name": "bad", "operation": "is"}, EXACT], indent=2)
    lines = text.splitlines()
    starts = [i + 1 for i, line in enumerate(lines) if line == "  {"]
    assert len(starts) == 3 and element_lines(text) == starts
    root = _project(tmp_path, _evaluation("  graders_file: graders.json\n"), {"graders.json": text})
    assert sorted(_found(root, "FP460", "FP468")) == [
        ("FP460", "graders.json", starts[1]),
        ("FP468", "graders.json", starts[2]),
    ]


def test_a_single_grader_file_is_located_at_its_object(tmp_path: Path) -> None:
    text = '\n\n{"type": "python", "name": "py", "source": "def grade(sample):\\n    return 1\\n"}\n'
    root = _project(tmp_path, _evaluation("  graders_file: grader.json\n"), {"grader.json": text})
    assert _found(root, "FP464") == [("FP464", "grader.json", 3)]


def test_item_fields_are_resolved_in_the_eval_items_of_chat_rows(tmp_path: Path) -> None:
    """A chat row gives item.messages and item.reference: {{item.answer}} exists in no eval item."""
    grader = {**EXACT, "name": "ans", "reference": "{{item.answer}}"}
    root = _project(tmp_path, _evaluation(f"  graders: [{json.dumps(EXACT)}, {json.dumps(grader)}]\n"))
    (d,) = _lint(root, "FP461")
    assert d.location is not None
    assert (d.location.file, d.location.line) == ("specs/a.yaml", _line(root, "graders:"))
    assert d.count == 12 and d.occurrences[0].file == "data/test.jsonl" and d.occurrences[0].line == 1
    assert "{{item.answer}} does not resolve in 12 of 12 row(s)" in d.summary


def test_item_fields_of_a_split_reinforcement_part_name_the_source_line(tmp_path: Path) -> None:
    rows = [_rl(i, answer=str(3 * i)) for i in range(20)]
    rows[4] = _rl(4, target="12")  # source line 5
    rows[15] = _rl(15, target="45")  # source line 16
    grader = {**EXACT, "name": "ans", "reference": "{{item.answer}}"}
    root = _project(tmp_path, _evaluation(f"  graders: [{json.dumps(grader)}]\n", data="rl"), rl=rows)
    (d,) = _lint(root, "FP461")
    assert d.count == 2
    assert sorted((o.file, o.line) for o in d.occurrences) == [("data/rl.jsonl", 5), ("data/rl.jsonl", 16)]
    # Each part alone: the split puts each row in exactly one part, so the parts' findings add up to the whole.
    per_part: list[tuple[str, int]] = []
    for part in ("train", "validation"):
        evaluation = _evaluation(f"  graders: [{json.dumps(grader)}]\n", data=f"{{dataset: rl, split: {part}}}")
        (root / "specs" / "a.yaml").write_text(PRELUDE + evaluation, encoding="utf-8")
        per_part += [(o.file, o.line) for d in _lint(root, "FP461") for o in d.occurrences]
    assert sorted(per_part) == [("data/rl.jsonl", 5), ("data/rl.jsonl", 16)]


def test_chat_rows_without_a_final_assistant_turn_are_located(tmp_path: Path) -> None:
    rows = [_chat(i) for i in range(12)]
    rows[2] = _chat(2, final=False)  # line 3
    rows[8] = {"messages": [*_chat(8)["messages"], {"role": "user", "content": "and 9?"}]}  # line 9
    root = _project(tmp_path, _evaluation(f"  graders: [{json.dumps(EXACT)}]\n"), test=rows)
    (d,) = _lint(root, "FP467")
    assert d.is_error and d.count == 2 and d.location is not None
    assert [(d.location.file, d.location.line), *((o.file, o.line) for o in d.occurrences)] == [
        ("data/test.jsonl", 3),
        ("data/test.jsonl", 9),
    ]
    assert _lint(root, "FP461") == []  # reported once, as FP467


def test_output_json_uses_the_response_format_of_a_subjects_rft_job(tmp_path: Path) -> None:
    grader = {**EXACT, "name": "j", "input": "{{sample.output_json.answer}}"}
    rf = {"type": "json_schema", "json_schema": {"name": "r", "schema": {"type": "object", "properties": {}}}}
    evaluation = _evaluation(f"  graders: [{json.dumps(grader)}]\n")
    root = _project(tmp_path / "a", evaluation)
    (d,) = _lint(root, "FP462")  # only the base model: no response format anywhere
    assert d.is_error and d.location is not None
    assert (d.location.file, d.location.line) == ("specs/a.yaml", _line(root, "graders:"))
    assert "An Evaluation has no response_format of its own" in d.detail

    job = (
        "kind: FineTuningJob\nname: rft\nspec:\n  base_model: o4-mini-2025-04-16\n  method: reinforcement\n"
        "  training_data: {dataset: rl, split: train}\n  validation_data: {dataset: rl, split: validation}\n"
        f"  grader: {json.dumps({**EXACT, 'reference': '{{item.answer}}'})}\n  response_format: {json.dumps(rf)}\n"
        "---\nkind: Deployment\nname: tuned\nspec: {model: {job: rft}, capacity: 10}\n---\n"
    )
    stacked = _evaluation(f"  graders: [{json.dumps(grader)}]\n", subjects="{t: {deployment: tuned}}")
    root = _project(tmp_path / "b", job + stacked)
    (d,) = _lint(root, "FP462")  # the job's schema has no property `answer`
    assert "no property 'answer'" in d.summary
    root = _project(tmp_path / "c", job.replace('properties": {}', 'properties": {"answer": {}}') + stacked)
    assert _lint(root, "FP462") == []


def test_a_test_only_dataset_may_have_fewer_than_ten_rows(tmp_path: Path) -> None:
    few = [_chat(i) for i in range(3)]
    root = _project(tmp_path / "eval", _evaluation(f"  graders: [{json.dumps(EXACT)}]\n"), test=few)
    assert [d for d in _all(root) if d.is_error] == []
    job = f"kind: FineTuningJob\nname: sft\nspec: {{base_model: {BASE}, training_data: test}}\n---\n"
    root = _project(tmp_path / "train", job + _evaluation(f"  graders: [{json.dumps(EXACT)}]\n"), test=few)
    assert ("FP407", "data/test.jsonl", 1) in _found(root, "FP407")


# ---------------------------------------------------------------- the real Foundry samples


def _fixture_project(root: Path, samples: Path, folder: str, specs: str, copies: dict[str, str]) -> Path:
    (root / "specs").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "fineplan.yaml").write_text(SETTINGS, encoding="utf-8")
    (root / "specs" / "a.yaml").write_text(specs, encoding="utf-8")
    for target, source in copies.items():  # copied into the temporary project only, never into the repo
        shutil.copyfile(samples / folder / source, root / target)
    return root


def _job_and_deployments(data: str, validation: str) -> str:
    return (
        f"kind: FineTuningJob\nname: rft\nspec:\n  base_model: o4-mini-2025-04-16\n  method: reinforcement\n"
        f"  training_data: {data}\n  validation_data: {validation}\n  grader_file: job_grader.json\n"
        "  response_format_file: response_schema.json\n---\n"
        "kind: Deployment\nname: tuned\nspec: {model: {job: rft}, capacity: 10}\n---\n"
        f"kind: Deployment\nname: base\nspec: {{model: o4-mini-2025-04-16, capacity: 10}}\n---\n"
    )


def test_clause_matching_graders_pass_as_evaluation_graders(samples: Path, tmp_path: Path) -> None:
    specs = (
        "kind: Dataset\nname: clauses\nspec: {path: data/clauses.jsonl, format: reinforcement, "
        "split: {validation: 0.5}}\n---\n"
        + _job_and_deployments("{dataset: clauses, split: train}", "{dataset: clauses, split: validation}")
        + "kind: Evaluation\nname: ev\nspec:\n  data: {dataset: clauses, split: validation}\n"
        "  graders_file: graders.json\n  subjects: {tuned: {deployment: tuned}, base: {deployment: base}}\n"
    )
    root = _fixture_project(
        tmp_path,
        samples,
        "rft-clause-matching",
        specs,
        {"data/clauses.jsonl": "validation.jsonl", "job_grader.json": "multi_grader.json"},
    )
    shutil.copyfile(samples / "rft-clause-matching" / "response_schema.json", root / "response_schema.json")
    graders = [
        json.loads((samples / "rft-clause-matching" / f).read_text())
        for f in ("multi_grader.json", "model_grader.json")
    ]
    (root / "graders.json").write_text(json.dumps(graders, indent=2), encoding="utf-8")
    found = _all(root)
    # The evaluation tests on the rows the job validates on (the sample ships one file): only that warning.
    assert [(d.code, d.severity.value) for d in found] == [("FP328", "warning")], found


def test_countdown_grader_passes_as_an_evaluation_grader(samples: Path, tmp_path: Path) -> None:
    specs = (
        "kind: Dataset\nname: train\nspec: {path: data/train.jsonl, format: reinforcement, split: {validation: 0.2}}\n"
        "---\nkind: Dataset\nname: test\nspec: {path: data/test.jsonl, format: reinforcement}\n---\n"
        + _job_and_deployments("{dataset: train, split: train}", "{dataset: train, split: validation}")
        + "kind: Evaluation\nname: ev\nspec:\n  data: test\n  graders_file: job_grader.json\n"
        "  subjects: {tuned: {deployment: tuned}, base: {deployment: base}}\n---\n"
        "kind: Deployment\nname: prod\nspec:\n  model: {job: rft}\n  capacity: 10\n"
        "  gate: {evaluation: {evaluation: ev, min_score: {custom_grader: 3}, beats: base}}\n"
    )
    root = _fixture_project(
        tmp_path,
        samples,
        "rft-countdown",
        specs,
        {
            "data/train.jsonl": "train.jsonl",
            "data/test.jsonl": "validation.jsonl",
            "job_grader.json": "score_model_grader.json",
            "response_schema.json": "response_schema.json",
        },
    )
    assert _all(root) == []
