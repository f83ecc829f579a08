"""Cost figures in the plan, checked against hand-computed values, and the plan's cost block."""

from __future__ import annotations

import pytest
from render_cases import CASES, TABLE, hosting, sft_cost

from fineplan.plan.costing import cost_document
from fineplan.pricing import summarize


def test_create_only_training_figures() -> None:
    plan = CASES["create-only"]()
    sft = plan.change("job.support-sft")
    dpo = plan.change("job.support-dpo")
    assert sft is not None and dpo is not None and sft.cost is not None and dpo.cost is not None
    # 1,236,000 billed tokens × $1.50/1M (gpt-4.1-nano) × 0.4 (developer) = $0.7416
    assert sft.cost["usd"] == pytest.approx(0.7416, abs=1e-12)
    # 568,000 × $1.50/1M × 0.4 = $0.3408
    assert dpo.cost["usd"] == pytest.approx(0.3408, abs=1e-12)
    assert plan.cost["training_usd"] == pytest.approx(1.0824, abs=1e-12)
    assert plan.cost["hosting"]["per_hour_after"] == 0.0  # Developer: no hosting fee
    assert plan.cost["budget"] == {"max_training_cost_usd": 25, "over": False}


def test_mixed_plan_totals_and_hosting_delta() -> None:
    cost = CASES["mixed"]().cost
    # new gpt-4.1-mini global job: 1,500,000 × $5/1M × 0.8 = $6.00; retrained nano job: $0.7416
    assert cost["training_usd"] == pytest.approx(6.7416, abs=1e-12)
    # standard 10 → 20 capacity is one flat $1.70/h either way; the destroyed Developer deployment was free
    assert cost["hosting"]["per_hour_before"] == pytest.approx(1.70)
    assert cost["hosting"]["per_hour_after"] == pytest.approx(1.70)
    assert cost["hosting"]["delta_per_month"] == 0.0


def test_over_budget_case() -> None:
    plan = CASES["over-budget"]()
    assert plan.cost["training_usd"] == 150.0  # 6,000,000 × $25/1M × 1.0 (standard)
    assert plan.cost["budget"] == {"max_training_cost_usd": 25, "over": True}
    assert [d.code for d in plan.diagnostics] == ["FP501"]


def test_cost_document_shape() -> None:
    summary = summarize(added=[sft_cost(), hosting("global_standard", 5)])
    doc = cost_document(summary, price_table=TABLE, max_training_cost_usd=0.5)
    assert doc["currency"] == "USD" and doc["as_of"] == TABLE.as_of
    assert doc["hosting"]["delta_per_month"] == pytest.approx(1241.0)  # $1.70 × 730 h
    assert doc["budget"] == {"max_training_cost_usd": 0.5, "over": True}  # $0.7416 > $0.50
    assert "currency" not in cost_document(summary)
