"""Findings on transformed or split datasets point at the user's source file and line, not at .fineplan/."""

from __future__ import annotations

import json
from pathlib import Path

from fineplan.engine import Engine


def _project(root: Path, rows: list[dict[str, str]], split: bool) -> None:
    (root / "specs").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "fineplan.yaml").write_text("project: lines\n", encoding="utf-8")
    extra = "\n  split: {validation: 0.3, seed: 3}" if split else ""
    (root / "specs" / "d.yaml").write_text(
        "kind: Dataset\nname: qa\nspec:\n  path: data/raw.jsonl\n  format: chat\n"
        "  transform: {from: prompt_response, prompt_field: q, response_field: a}" + extra + "\n",
        encoding="utf-8",
    )
    (root / "data" / "raw.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def _rows(n: int) -> list[dict[str, str]]:
    return [{"q": f"question number {i}?", "a": f"answer number {i}."} for i in range(n)]


def test_finding_after_transform_and_split_names_the_source_line(tmp_path: Path) -> None:
    rows = _rows(40)
    rows[26] = {"q": "an empty answer", "a": ""}  # source line 27
    _project(tmp_path, rows, split=True)
    found = [d for d in Engine(tmp_path).lint() if d.is_error]
    assert [(d.code, d.location.file, d.location.line) for d in found if d.location] == [
        ("FP424", "data/raw.jsonl", 27)
    ]
    assert "after its transform/split" in found[0].detail


def test_row_the_transform_cannot_convert_is_located_in_the_source(tmp_path: Path) -> None:
    rows = _rows(12)
    rows[4] = {"q": "no answer field"}  # source line 5
    _project(tmp_path, rows, split=False)
    found = [d for d in Engine(tmp_path).lint() if d.is_error]
    assert len(found) == 1
    d = found[0]
    assert d.code == "FP401" and d.location is not None
    assert (d.location.file, d.location.line) == ("data/raw.jsonl", 5)
    assert "'a' is missing" in d.summary


def _rft_project(root: Path, rows: list[dict[str, object]]) -> None:
    """An RFT job whose dataset is split: its grader reads item.answer from rows of generated parts."""
    (root / "specs").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "fineplan.yaml").write_text("project: lines\n", encoding="utf-8")
    (root / "data" / "rft.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (root / "specs" / "d.yaml").write_text(
        "kind: Dataset\nname: math\nspec:\n  path: data/rft.jsonl\n  format: reinforcement\n"
        "  split: {validation: 0.25, seed: 1}\n---\n"
        "kind: FineTuningJob\nname: rft\nspec:\n  base_model: o4-mini-2025-04-16\n  method: reinforcement\n"
        "  training_data: math\n  training_type: global\n"
        "  grader: {type: string_check, name: s, input: '{{sample.output_text}}', reference: '{{item.answer}}',"
        " operation: eq}\n",
        encoding="utf-8",
    )


def test_grader_rows_missing_an_item_are_named_at_their_source_lines(tmp_path: Path) -> None:
    """FP461 used to name rows of the content-addressed parts under .fineplan/ (issue 11, item 10)."""
    rows: list[dict[str, object]] = [
        {"messages": [{"role": "user", "content": f"What is {i} + {i}?"}], "answer": str(2 * i)} for i in range(40)
    ]
    for i in (6, 29):  # source lines 7 and 30
        rows[i] = {"messages": [{"role": "user", "content": f"Question {i}"}], "target": "x"}
    _rft_project(tmp_path, rows)
    found = [d for d in Engine(tmp_path).lint() if d.code == "FP461"]
    assert len(found) == 1
    d = found[0]
    assert d.location is not None and d.location.file == "specs/d.yaml"  # the grader, in the spec
    assert sorted((o.file, o.line) for o in d.occurrences) == [("data/rft.jsonl", 7), ("data/rft.jsonl", 30)]
    assert "rft.jsonl:7" in d.summary and "rft.jsonl:30" in d.summary and ".fineplan" not in d.summary


def test_no_finding_on_generated_parts_names_a_generated_file(tmp_path: Path) -> None:
    """Every location, occurrence and line reference of findings in a transformed, split dataset is a source
    line: FP410 "repeats line N" names the source line of the earlier copy."""
    rows = _rows(40)
    rows[30] = rows[3]  # source line 31 repeats source line 4 (the transform makes the copies identical too)
    rows[35] = {"q": "an empty answer", "a": ""}  # source line 36
    _project(tmp_path, rows, split=True)
    found = Engine(tmp_path).lint()
    locations = [loc for d in found for loc in (d.location, *d.occurrences) if loc is not None]
    assert locations and all(loc.file == "data/raw.jsonl" for loc in locations)
    assert all(".fineplan" not in d.summary + d.detail for d in found)
    dup = next(d for d in found if d.code == "FP410")
    assert (dup.location.line if dup.location else 0, dup.summary) == (31, "repeats line 4 exactly")
    assert [(d.code, d.location.line) for d in found if d.is_error and d.location] == [("FP424", 36)]
