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
