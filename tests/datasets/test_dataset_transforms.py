"""Transforms and splits: content-addressed outputs, untouched sources, stable splits."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from dataset_helpers import write_jsonl

from fineplan.datasets.check import check_dataset
from fineplan.datasets.transforms import TransformError, materialize
from fineplan.errors import ConfigError
from fineplan.spec.models import DatasetSpec


def _spec(**kw: Any) -> DatasetSpec:
    return DatasetSpec.model_validate({"path": "data/raw.jsonl", **kw})


def _project(tmp_path: Path, rows: list[Any]) -> Path:
    (tmp_path / "data").mkdir(exist_ok=True)
    write_jsonl(tmp_path / "data" / "raw.jsonl", rows)
    return tmp_path


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_no_transform_no_split_is_the_source(tmp_path: Path) -> None:
    root = _project(tmp_path, [{"messages": []}])
    m = materialize(root, _spec())
    assert m.train == (root / "data" / "raw.jsonl").resolve() and m.validation is None
    assert m.train_digest == _sha(m.train)
    assert not (root / ".fineplan").exists()


def test_prompt_response_with_system_message(tmp_path: Path) -> None:
    rows = [{"q": f"question {i}", "a": f"answer {i}"} for i in range(12)]
    root = _project(tmp_path, rows)
    src_before = _sha(root / "data" / "raw.jsonl")
    spec = _spec(
        transform={"from": "prompt_response", "prompt_field": "q", "response_field": "a", "system_message": "Be brief."}
    )
    m = materialize(root, spec)
    assert _sha(root / "data" / "raw.jsonl") == src_before  # the source is never modified
    assert m.train.parent == (root / ".fineplan" / "datasets").resolve()
    assert m.train.name == f"{m.train_digest}.jsonl" and _sha(m.train) == m.train_digest
    assert _read(m.train)[3] == {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "question 3"},
            {"role": "assistant", "content": "answer 3"},
        ]
    }
    assert check_dataset(m.train, "chat").diagnostics == []
    assert materialize(root, spec) == m  # unchanged source: served from the index


def test_prompt_completion_and_nested_fields(tmp_path: Path) -> None:
    rows = [{"in": {"text": f"p{i}"}, "completion": f"c{i}"} for i in range(10)]
    root = _project(tmp_path, rows)
    m = materialize(root, _spec(transform={"from": "prompt_completion", "prompt_field": "in.text"}))
    assert _read(m.train)[0]["messages"] == [
        {"role": "user", "content": "p0"},
        {"role": "assistant", "content": "c0"},
    ]


def test_preference_rows_become_dpo(tmp_path: Path) -> None:
    rows = [{"prompt": f"p{i}", "good": f"yes {i}", "bad": f"no {i}"} for i in range(10)]
    root = _project(tmp_path, rows)
    spec = _spec(
        format="preference",
        transform={"from": "preference", "chosen_field": "good", "rejected_field": "bad", "system_message": "S"},
    )
    m = materialize(root, spec)
    first = _read(m.train)[0]
    assert first == {
        "input": {"messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "p0"}]},
        "preferred_output": [{"role": "assistant", "content": "yes 0"}],
        "non_preferred_output": [{"role": "assistant", "content": "no 0"}],
    }
    assert check_dataset(m.train, "preference").diagnostics == []


def test_missing_field_names_the_line(tmp_path: Path) -> None:
    root = _project(tmp_path, [{"prompt": "a", "response": "b"}, {"prompt": "c"}])
    with pytest.raises(TransformError, match="line 2: field 'response' is missing"):
        materialize(root, _spec(transform={"from": "prompt_response"}))
    assert not list((root / ".fineplan" / "datasets").glob("*.jsonl"))  # no half-written output


def test_path_outside_the_project_is_refused(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    write_jsonl(tmp_path / "outside.jsonl", [{"messages": []}])
    with pytest.raises(ConfigError):
        materialize(tmp_path / "p", DatasetSpec.model_validate({"path": "../outside.jsonl"}))


def test_split_is_deterministic_and_content_addressed(tmp_path: Path) -> None:
    rows = [
        {"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": f"a{i}"}]}
        for i in range(400)
    ]
    root = _project(tmp_path, rows)
    spec = _spec(split={"validation": 0.2, "seed": 42})
    m1 = materialize(root, spec)
    assert m1.validation is not None and m1.validation_digest == _sha(m1.validation)
    train1, val1 = _read(m1.train), _read(m1.validation)
    assert (len(train1), len(val1)) == (320, 80) == (m1.train_rows, m1.validation_rows)
    assert not {json.dumps(r) for r in train1} & {json.dumps(r) for r in val1}
    assert materialize(root, spec) == m1  # served from the index, row counts included

    other_seed = materialize(root, _spec(split={"validation": 0.2, "seed": 7}))
    assert other_seed.validation_digest != m1.validation_digest
    assert other_seed.validation_rows == 80


def test_transform_then_split_of_the_real_sarcasm_rows(samples: Path, tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "raw.jsonl").write_bytes((samples / "sft-sarcasm" / "qa.jsonl").read_bytes())
    spec = _spec(
        transform={"from": "prompt_response", "prompt_field": "question", "response_field": "answer"},
        split={"validation": 0.1, "seed": 1},
    )
    m = materialize(tmp_path, spec)
    assert m.validation is not None
    train = check_dataset(m.train, "chat")
    val = check_dataset(m.validation, "chat", validation_of=m.train)
    assert not train.has_errors and not val.has_errors
    assert train.stats.examples + val.stats.examples == 500
    # identical rows always land on the same side, so the split itself never leaks
    assert "FP411" not in {d.code for d in val.diagnostics}
