"""Plan totals, the hosting delta and the budget guard."""

from __future__ import annotations

import pytest

from fineplan.pricing import estimate_deployment, estimate_job, load_price_table, over_budget, summarize


def test_totals_and_delta() -> None:
    table = load_price_table()
    sft = estimate_job(
        table,
        base_model="gpt-4.1-mini-2025-04-14",
        method="supervised",
        training_type="global",
        billed_tokens=3_000_000,
    )  # $12.00
    unpriced = estimate_job(table, base_model="Qwen-32B", method="supervised", training_type="global", billed_tokens=1)
    new_std = estimate_deployment(table, deployment_type="standard", capacity=1)  # $1.70/h
    old_ptu = estimate_deployment(table, deployment_type="provisioned", capacity=15)  # $30/h
    kept = estimate_deployment(table, deployment_type="global_standard", capacity=1)  # $1.70/h
    destroyed_job = estimate_job(
        table,
        base_model="gpt-4o-2024-08-06",
        method="supervised",
        training_type="standard",
        billed_tokens=1_000_000,
    )

    s = summarize(added=[sft, unpriced, new_std], removed=[old_ptu, destroyed_job], unchanged=[kept])

    assert s.training_usd == 12.0  # destroying a job refunds nothing
    assert (s.training_unpriced, s.training_complete) == (1, False)
    assert s.hosting_per_hour_before == 31.7  # 1.70 kept + 30 removed
    assert s.hosting_per_hour_after == 3.4  # 1.70 kept + 1.70 added
    assert s.hosting_delta_per_hour == -28.3
    assert s.hosting_per_month_after == 2482.0  # 3.40 × 730
    assert s.hosting_delta_per_month == -20659.0  # -28.30 × 730
    assert s.approximate is True
    assert s.to_json()["hosting"]["delta_per_month"] == -20659.0


def test_capacity_update_of_a_flat_priced_deployment_costs_nothing_more() -> None:
    table = load_price_table()
    before = estimate_deployment(table, deployment_type="global_standard", capacity=10)
    after = estimate_deployment(table, deployment_type="global_standard", capacity=50)
    s = summarize(added=[after], removed=[before])
    assert (s.hosting_delta_per_hour, s.training_usd, s.training_complete) == (0.0, 0.0, True)


def test_empty_plan() -> None:
    s = summarize()
    assert (s.training_usd, s.hosting_per_month_after, s.approximate) == (0.0, 0.0, False)


@pytest.mark.parametrize(
    ("total", "budget", "over"),
    [(12.0, 10.0, True), (12.0, 12.0, False), (12.01, 12.0, True), (None, 5.0, False), (12.0, None, False)],
)
def test_over_budget(total: float | None, budget: float | None, over: bool) -> None:
    assert over_budget(total, budget) is over
