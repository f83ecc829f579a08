"""The real Foundry samples validate cleanly; mutated copies trigger the expected codes at the expected lines."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fineplan.datasets import first_error
from fineplan.datasets.check import Fmt, check_dataset
from fineplan.datasets.graders import check_grader
from fineplan.datasets.transforms import materialize
from fineplan.diagnostics import Location
from fineplan.spec.models import DatasetSpec

SAMPLES = [
    ("sft-gsm8k/train.jsonl", "chat", 449),
    ("sft-gsm8k/validation.jsonl", "chat", 50),
    ("sft-tool-calling/train.jsonl", "chat", 86),
    ("sft-tool-calling/validation.jsonl", "chat", 10),
    ("dpo-orca/pairs.jsonl", "preference", 284),
    ("rft-countdown/train.jsonl", "reinforcement", 100),
    ("rft-countdown/validation.jsonl", "reinforcement", 50),
    ("rft-clause-matching/validation.jsonl", "reinforcement", 40),
]


@pytest.mark.parametrize(("rel", "fmt", "examples"), SAMPLES, ids=[s[0] for s in SAMPLES])
def test_sample_validates_without_errors(samples: Path, rel: str, fmt: str, examples: int) -> None:
    report = check_dataset(samples / rel, fmt, "gpt-4.1-2025-04-14")  # type: ignore[arg-type]
    assert [d for d in report.diagnostics if d.is_error] == []
    assert report.stats.examples == examples
    assert report.stats.counted == examples
    assert not report.stats.estimated  # small files are counted exactly
    assert report.stats.tokens_min <= report.stats.tokens_p50 <= report.stats.tokens_p95 <= report.stats.tokens_max
    assert first_error(samples / rel, fmt) is None


def test_sample_warnings_are_only_known_ones(samples: Path) -> None:
    """The samples are clean apart from nothing: no warnings either."""
    for rel, fmt, _ in SAMPLES:
        report = check_dataset(samples / rel, fmt)  # type: ignore[arg-type]
        assert report.diagnostics == [], (rel, [d.summary for d in report.diagnostics])


def test_training_and_validation_samples_do_not_leak(samples: Path) -> None:
    for folder in ("sft-gsm8k", "sft-tool-calling", "rft-countdown"):
        fmt: Fmt = "reinforcement" if folder.startswith("rft") else "chat"
        report = check_dataset(
            samples / folder / "validation.jsonl", fmt, validation_of=samples / folder / "train.jsonl"
        )
        assert [d.code for d in report.diagnostics] == []


def test_sarcasm_rows_validate_after_the_transform(samples: Path, tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "qa.jsonl").write_bytes((samples / "sft-sarcasm" / "qa.jsonl").read_bytes())
    raw = check_dataset(tmp_path / "data" / "qa.jsonl", "chat")
    assert raw.has_errors  # {question, answer} rows are not chat examples yet

    spec = DatasetSpec.model_validate(
        {
            "path": "data/qa.jsonl",
            "transform": {"from": "prompt_response", "prompt_field": "question", "response_field": "answer"},
        }
    )
    m = materialize(tmp_path, spec)
    report = check_dataset(m.train, "chat")
    assert [d for d in report.diagnostics if d.is_error] == []
    assert report.stats.examples == 500
    # The sample really holds 20 repeated rows: a warning, not an error.
    assert [(d.code, d.count) for d in report.diagnostics] == [("FP410", 20)]


def test_sample_graders_cross_check_cleanly(samples: Path) -> None:
    where = Location("specs/jobs.yaml", 12)
    cm = samples / "rft-clause-matching"
    schema = json.loads((cm / "response_schema.json").read_text())
    for grader in ("multi_grader.json", "model_grader.json"):
        g = json.loads((cm / grader).read_text())
        assert check_grader(g, schema, [cm / "validation.jsonl"], where) == []
    cd = samples / "rft-countdown"
    g = json.loads((cd / "score_model_grader.json").read_text())
    rf = json.loads((cd / "response_schema.json").read_text())
    assert check_grader(g, rf, [cd / "train.jsonl", cd / "validation.jsonl"], where) == []


# ---------------------------------------------------------------- mutated copies


def _mutate(lines: list[str], line: int, fn: Callable[[dict[str, Any]], Any]) -> None:
    row = json.loads(lines[line - 1])
    out = fn(row)
    lines[line - 1] = out if isinstance(out, str) else json.dumps(row)


def _set(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(row: dict[str, Any]) -> None:
        node: Any = row
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return apply


MUTATIONS: list[tuple[str, str, list[tuple[int, Callable[[dict[str, Any]], Any]]], str, list[int]]] = [
    ("sft-gsm8k/train.jsonl", "chat", [(7, _set(["messages", 1, "role"], "human"))], "FP423", [7]),
    (
        "sft-gsm8k/train.jsonl",
        "chat",
        [(3, _set(["messages", 2, "content"], "")), (9, _set(["messages", 2, "content"], " "))],
        "FP424",
        [3, 9],
    ),
    ("sft-gsm8k/train.jsonl", "chat", [(5, _set(["messages", 0, "weight"], 1))], "FP426", [5]),
    ("sft-gsm8k/train.jsonl", "chat", [(11, lambda r: r["messages"].pop())], "FP434", [11]),
    ("sft-gsm8k/train.jsonl", "chat", [(4, lambda r: json.dumps(r)[:-2])], "FP402", [4]),
    ("sft-gsm8k/train.jsonl", "chat", [(6, lambda r: "")], "FP404", [6]),
    ("sft-gsm8k/train.jsonl", "chat", [(30, lambda r: json.dumps(r["messages"]))], "FP403", [30]),
    (
        "sft-tool-calling/train.jsonl",
        "chat",
        [(3, _set(["messages", 2, "tool_calls", 0, "function", "arguments"], {"symbol": "MSFT"}))],
        "FP428",
        [3],
    ),
    (
        "sft-tool-calling/train.jsonl",
        "chat",
        [(8, _set(["messages", 2, "tool_calls", 0, "function", "name"], "get_price"))],
        "FP437",
        [8],
    ),
    ("sft-tool-calling/train.jsonl", "chat", [(2, _set(["tools", 0], {"name": "x"}))], "FP432", [2]),
    (
        "dpo-orca/pairs.jsonl",
        "preference",
        [(10, lambda r: r.__setitem__("non_preferred_output", r["preferred_output"]))],
        "FP443",
        [10],
    ),
    (
        "dpo-orca/pairs.jsonl",
        "preference",
        [(20, lambda r: r.__setitem__("chosen", r.pop("preferred_output")))],
        "FP440",
        [20],
    ),
    ("dpo-orca/pairs.jsonl", "preference", [(33, _set(["preferred_output", 0, "role"], "user"))], "FP442", [33]),
    (
        "rft-countdown/train.jsonl",
        "reinforcement",
        [(5, lambda r: r["messages"].append({"role": "assistant", "content": "77"}))],
        "FP450",
        [5],
    ),
    ("rft-countdown/validation.jsonl", "reinforcement", [(2, _set(["messages", 0, "role"], "robot"))], "FP423", [2]),
]


@pytest.mark.parametrize(("rel", "fmt", "edits", "code", "lines"), MUTATIONS, ids=[f"{m[0]}-{m[3]}" for m in MUTATIONS])
def test_mutated_sample_reports_code_at_line(
    samples: Path, tmp_path: Path, rel: str, fmt: str, edits: list[Any], code: str, lines: list[int]
) -> None:
    text = (samples / rel).read_text("utf-8").splitlines()
    for line, fn in edits:
        _mutate(text, line, fn)
    path = tmp_path / Path(rel).name
    path.write_text("\n".join(text) + "\n", "utf-8")
    report = check_dataset(path, fmt)  # type: ignore[arg-type]
    found = [d for d in report.diagnostics if d.code == code]
    assert len(found) == 1, [f"{d.code}@{d.location.line if d.location else '?'}" for d in report.diagnostics]
    d = found[0]
    assert [d.location.line if d.location else 0, *(o.line for o in d.occurrences)] == lines
    assert d.count == len(lines)
    first = first_error(path, fmt)
    if d.is_error:
        assert first is not None and first[0] == lines[0]


def test_duplicated_and_leaked_rows_in_copies(samples: Path, tmp_path: Path) -> None:
    train = (samples / "sft-gsm8k" / "train.jsonl").read_text().splitlines()
    val = (samples / "sft-gsm8k" / "validation.jsonl").read_text().splitlines()
    train.append(train[0])  # line 450 repeats line 1
    val[4] = train[100]  # validation line 5 is training line 101
    val[7] = train[200]
    (tmp_path / "t.jsonl").write_text("\n".join(train) + "\n")
    (tmp_path / "v.jsonl").write_text("\n".join(val) + "\n")
    t = check_dataset(tmp_path / "t.jsonl", "chat")
    assert [(d.code, d.location.line if d.location else 0, d.count) for d in t.diagnostics] == [("FP410", 450, 1)]
    v = check_dataset(tmp_path / "v.jsonl", "chat", validation_of=tmp_path / "t.jsonl")
    leak = [d for d in v.diagnostics if d.code == "FP411"]
    assert len(leak) == 1 and leak[0].count == 2
    assert leak[0].location is not None and leak[0].location.line == 5
    assert "training line 101" in leak[0].summary
    assert [o.line for o in leak[0].occurrences] == [8]


def test_bom_copy_is_accepted_with_a_warning(samples: Path, tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + (samples / "sft-gsm8k" / "validation.jsonl").read_bytes())
    report = check_dataset(path, "chat")
    assert [(d.code, d.severity.value) for d in report.diagnostics] == [("FP405", "warning")]
    assert report.stats.examples == 50
    assert first_error(path, "chat") is None


def test_grader_item_renamed_in_some_rows_names_them(samples: Path, tmp_path: Path) -> None:
    cm = samples / "rft-clause-matching"
    rows = (cm / "validation.jsonl").read_text().splitlines()
    for line in (4, 17):
        _mutate(rows, line, lambda r: r.__setitem__("type_of_clause", r.pop("clause_type")))
    path = tmp_path / "validation.jsonl"
    path.write_text("\n".join(rows) + "\n")
    grader = json.loads((cm / "multi_grader.json").read_text())
    schema = json.loads((cm / "response_schema.json").read_text())
    diags = check_grader(grader, schema, [path], Location("specs/job.yaml", 9))
    assert [(d.code, d.count) for d in diags] == [("FP461", 2)]
    assert [o.line for o in diags[0].occurrences] == [4, 17]
    assert "{{item.clause_type}}" in diags[0].summary and "validation.jsonl:4" in diags[0].summary
