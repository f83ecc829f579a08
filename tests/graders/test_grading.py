"""GradingSession over every grader type, including python graders in their worker process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fineplan.graders import GradingSession, sample_from_text


@pytest.fixture
def session() -> Iterator[GradingSession]:
    with GradingSession(python_timeout_s=5.0, memory_bytes=512 * 1024**2) as s:
        yield s


def test_pass_threshold_and_default_midpoint(session: GradingSession) -> None:
    g: dict[str, Any] = {
        "type": "text_similarity",
        "name": "t",
        "input": "{{sample.output_text}}",
        "reference": "{{item.ref}}",
        "evaluation_metric": "rouge_1",
    }
    item, sample = {"ref": "a b c d"}, sample_from_text("a b")  # F1 = 2·(1·0.5)/1.5 = 2/3
    assert session.grade({**g, "pass_threshold": 0.7}, item, sample).passed is False
    result = session.grade(g, item, sample)
    assert result.score == pytest.approx(2 / 3) and result.passed is True


def test_clause_multi_grader_from_the_samples(session: GradingSession, samples: Path) -> None:
    grader = json.loads((samples / "rft-clause-matching" / "multi_grader.json").read_text())
    row = json.loads((samples / "rft-clause-matching" / "validation.jsonl").read_text().splitlines()[0])
    exact = sample_from_text(json.dumps({"clause_type": row["clause_type"], "extracted_text": row["extracted_text"]}))
    assert session.grade(grader, row, exact).score == pytest.approx(1.0)
    wrong_type = sample_from_text(json.dumps({"clause_type": "Other", "extracted_text": row["extracted_text"]}))
    result = session.grade(grader, row, wrong_type)
    assert result.score == pytest.approx(0.5) and result.passed is False  # pass_threshold 0.65
    assert result.sub_results["clause_string_check"].score == 0.0
    assert session.grade(grader, row, sample_from_text("not json")).score == pytest.approx(0.0)


def test_score_model_maps_judge_similarity_into_its_range(session: GradingSession, samples: Path) -> None:
    grader = json.loads((samples / "rft-clause-matching" / "model_grader.json").read_text())
    grader["range"] = [0, 5]
    row = {"extracted_text": "no competing business", "clause_type": "Non-Compete"}
    same = session.grade(grader, row, sample_from_text(json.dumps(row)))
    other = session.grade(grader, row, sample_from_text(json.dumps({"x": "something else entirely"})))
    assert same.score == pytest.approx(5 * same_f1(row)) and other.score == 0.0
    assert same.model_calls[0].model == "gpt-4o-2024-08-06"
    assert "no competing business" in same.model_calls[0].input[0]["content"]


def same_f1(row: dict[str, str]) -> float:
    # S = the rendered {{sample.output_json}} (keys and values), R = the two item values
    shown = {"extracted", "text", "no", "competing", "business", "clause", "type", "non", "compete"}
    known = {"no", "competing", "business", "non", "compete"}
    p, r = len(known) / len(shown), 1.0
    return 2 * p * r / (p + r)


def test_label_model_picks_by_similarity(session: GradingSession) -> None:
    grader = {
        "type": "label_model",
        "name": "l",
        "model": "judge",
        "labels": ["good", "bad"],
        "passing_labels": ["good"],
        "input": [{"role": "user", "content": "Reference: {{item.answer}} Answer: {{sample.output_text}}"}],
    }
    hit = session.grade(grader, {"answer": "Paris"}, sample_from_text("Paris"))
    miss = session.grade(grader, {"answer": "Paris"}, sample_from_text("London"))
    assert (hit.passed, hit.score, hit.sample and hit.sample["output"][0]["content"]) == (True, 1.0, "good")
    assert (miss.passed, miss.score) == (False, 0.0)


def test_python_grader_scores_errors_and_timeouts(session: GradingSession) -> None:
    source = (
        "def grade(sample, item):\n"
        "    print('noise on stdout')\n"
        "    if item.get('mode') == 'loop':\n"
        "        while True: pass\n"
        "    if item.get('mode') == 'raise':\n"
        "        raise ValueError('bad item')\n"
        "    if item.get('mode') == 'net':\n"
        "        import socket; socket.create_connection(('127.0.0.1', 9))\n"
        "    if item.get('mode') == 'text':\n"
        "        return 'high'\n"
        "    return 1.0 if sample['output_text'] == item['answer'] else 0.25\n"
    )
    g = {"type": "python", "name": "py", "source": source, "pass_threshold": 0.5}
    ok = session.grade(g, {"answer": "42"}, sample_from_text("42"))
    assert (ok.score, ok.passed, ok.error) == (1.0, True, None)
    assert session.grade(g, {"answer": "42"}, sample_from_text("41")).score == 0.25
    raised = session.grade(g, {"mode": "raise"}, sample_from_text(""))
    assert raised.errored and "ValueError: bad item" in (raised.error or "")
    net = session.grade(g, {"mode": "net"}, sample_from_text(""))
    assert "network access is disabled" in (net.error or "")
    assert "finite number" in (session.grade(g, {"mode": "text"}, sample_from_text("")).error or "")


def test_python_grader_time_limit_kills_and_recovers() -> None:
    source = "def grade(sample, item):\n    while item['loop']: pass\n    return 0.75\n"
    g = {"type": "python", "name": "py", "source": source}
    with GradingSession(python_timeout_s=0.5) as session:
        slow = session.grade(g, {"loop": True}, sample_from_text(""))
        assert slow.errored and "did not finish within 0.5 s" in (slow.error or "")
        assert session.grade(g, {"loop": False}, sample_from_text("")).score == 0.75  # a fresh worker


def test_python_grader_memory_limit(session: GradingSession) -> None:
    g = {"type": "python", "name": "py", "source": "def grade(s, i):\n    b = bytearray(2 * 1024**3)\n    return 1\n"}
    result = session.grade(g, {}, sample_from_text(""))
    assert result.errored and "MemoryError" in (result.error or "")


def test_python_grader_that_does_not_load(session: GradingSession) -> None:
    g = {"type": "python", "name": "py", "source": "import not_a_module_anywhere\ndef grade(s, i):\n    return 1\n"}
    assert "ModuleNotFoundError" in (session.grade(g, {}, sample_from_text("")).error or "")
