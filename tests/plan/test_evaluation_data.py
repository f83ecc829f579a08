"""An Evaluation's pure parts: test rows → eval items, multi graders → criteria and back to one score per item,
scores per grader with errored items, and the bounds of an evaluation gate."""

from __future__ import annotations

import pytest

from fineplan.kinds.evaluation_data import criteria, describe_check, gate_checks, item_schema, score_run, to_item
from fineplan.providers.base import EvalOutputItem

MULTI = {
    "type": "multi",
    "name": "blend",
    "graders": {"a": {"type": "string_check", "name": "a"}, "b": {"type": "string_check", "name": "b"}},
    "calculate_output": "0.25 * a + 0.75 * b",
    "pass_threshold": 0.5,
}
EXACT = {"type": "string_check", "name": "exact"}


def test_chat_rows_become_the_conversation_before_the_last_assistant_turn_and_its_text() -> None:
    row = {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello", "weight": 0},
            {"role": "user", "content": "2+2?"},
            {"role": "assistant", "content": [{"type": "text", "text": "4"}]},
        ]
    }
    item = to_item(row, "chat")
    assert [m["content"] for m in item["messages"]] == ["Be brief.", "Hi", "Hello", "2+2?"]
    assert "weight" not in item["messages"][2] and item["reference"] == "4"


def test_reinforcement_rows_keep_their_fields_for_the_graders() -> None:
    item = to_item({"messages": [{"role": "user", "content": "q"}], "answer": "42", "tools": []}, "reinforcement")
    # The row itself, as lint resolves `{{item.*}}` against it (fineplan.datasets.eval_items).
    assert item == {"messages": [{"role": "user", "content": "q"}], "answer": "42", "tools": []}
    schema = item_schema([item])
    assert set(schema["properties"]) == {"messages", "answer", "tools"} and schema["required"] == ["messages"]


def test_multi_graders_are_sent_as_sub_graders_and_combined_per_item() -> None:
    sent = criteria([EXACT, MULTI])
    assert [c["name"] for c in sent] == ["exact", "blend.a", "blend.b"]
    ids = {"exact": "exact-1", "blend.a": "blend.a-2", "blend.b": "blend.b-3"}
    items = [
        EvalOutputItem(0, "pass", {"exact-1": (1.0, True), "blend.a-2": (1.0, True), "blend.b-3": (1.0, True)}),
        EvalOutputItem(1, "fail", {"exact-1": (0.0, False), "blend.a-2": (1.0, True), "blend.b-3": (0.0, False)}),
        EvalOutputItem(2, "error", {"exact-1": (None, False)}),
    ]
    scores = score_run([EXACT, MULTI], ids, items)
    assert scores["exact"] == {"score": 0.5, "pass_rate": 0.333333, "passed": 1, "failed": 1, "errored": 1, "total": 3}
    assert scores["blend"] == {
        "score": 0.625,
        "pass_rate": 0.333333,
        "passed": 1,
        "failed": 1,
        "errored": 1,
        "total": 3,
    }


def test_gate_checks_min_score_pass_rate_and_beats() -> None:
    results = {
        "tuned": {"graders": {"exact": {"score": 0.8, "pass_rate": 0.7}, "sim": {"score": 0.5, "pass_rate": 0.4}}},
        "base": {"graders": {"exact": {"score": 0.1, "pass_rate": 0.0}, "sim": {"score": 0.45, "pass_rate": 0.3}}},
    }
    gate = {"min_score": {"exact": 0.9}, "min_pass_rate": {"exact": 0.5}, "beats": "base", "by": 0.1}
    checks = list(gate_checks(gate, "tuned", results))
    assert [(c["bound"], c["grader"], c["passed"]) for c in checks] == [
        ("min_score", "exact", False),
        ("min_pass_rate", "exact", True),
        ("beats", "exact", True),
        ("beats", "sim", False),
    ]
    assert describe_check(checks[0]) == "exact score of tuned = 0.800 (min 0.900)"
    assert describe_check(checks[3]) == "sim: tuned 0.500 vs base 0.450 (delta 0.050, needs ≥ 0.100)"
    only = list(gate_checks({"beats": "base", "graders": ["exact"]}, "tuned", results))
    assert [c["grader"] for c in only] == ["exact"]
    missing = list(gate_checks({"min_score": {"nope": 0.1}}, "tuned", results))
    assert missing[0]["value"] is None and missing[0]["passed"] is False


def test_cost_is_inference_per_subject_plus_model_graders() -> None:
    from pathlib import Path

    from fineplan.kinds.dataset import DatasetDesired, DatasetPart
    from fineplan.kinds.deployment import DeploymentDesired
    from fineplan.kinds.evaluation import EvaluationDesired, estimate_evaluation
    from fineplan.plan.rules import CostContext
    from fineplan.pricing import load_price_table

    def dep(name: str) -> DeploymentDesired:
        return DeploymentDesired(
            address=f"deployment.{name}",
            name=name,
            attributes={},
            inputs_digest="d",
            model="gpt-4.1-mini-2025-04-14",
            parent=None,
            type="global_standard",
            capacity=1,
            rai_policy=None,
            version_upgrade="no_auto_upgrade",
            account="local",
        )

    part = DatasetPart(Path("test.jsonl"), "sha256:x", "f.jsonl", examples=100, tokens=1_000_000)
    ds = DatasetDesired(address="dataset.test", name="test", attributes={}, inputs_digest="t", format="chat",
                        parts={"train": part})  # fmt: skip
    judge = {"type": "score_model", "name": "judge", "model": "gpt-4.1-nano-2025-04-14", "input": []}
    ev = EvaluationDesired(
        address="evaluation.q",
        name="q",
        attributes={},
        inputs_digest="e",
        dataset="dataset.test",
        part="train",
        data_path=None,
        data_format="chat",
        graders=(EXACT, judge),
        sampling={"max_completion_tokens": 10_000},
        subjects={"tuned": "deployment.a", "base": "deployment.b"},
    )
    desired = {d.address: d for d in (ds, dep("a"), dep("b"), ev)}
    cost = estimate_evaluation(ev, CostContext(load_price_table(), desired))
    # per subject: 1M in × $0.40 + 1M out × $1.60 = $2.00; judge per subject: 2M in × $0.10 + 1,600 out × $0.40
    assert cost.usd == pytest.approx(2 * 2.0 + 2 * 0.20064)
    assert "tuned: 1,000,000 in × $0.40/1M + 1,000,000 out × $1.60/1M" in cost.basis
    assert "grader judge: 4,000,000 in + 3,200 out (gpt-4.1-nano-2025-04-14)" in cost.basis
    assert any("up to 10000 completion tokens" in n for n in cost.notes)
    assert any("list prices" in n and "gpt-4.1-mini-2025-04-14, gpt-4.1-nano-2025-04-14" in n for n in cost.notes)

    # Prices set in fineplan.yaml are used, and the estimate no longer calls them list prices.
    from fineplan.spec.models import Prices

    mini, nano = "gpt-4.1-mini-2025-04-14", "gpt-4.1-nano-2025-04-14"
    own = Prices(
        inference_input_per_1m_tokens={mini: 1.0, nano: 0.0},
        inference_output_per_1m_tokens={mini: 3.0, nano: 0.0},
    )
    priced = estimate_evaluation(ev, CostContext(load_price_table(own), desired))
    assert priced.usd == pytest.approx(2 * (1.0 + 3.0))
    assert not any("list prices" in n for n in priced.notes)
