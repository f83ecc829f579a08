"""Costing on its own: each change's estimate from its kind, the plan's totals and the budget findings."""

from __future__ import annotations

from dataclasses import replace

import pytest
from plan_helpers import change, dataset, deployment, job, model_of, plan_for, recorded

from fineplan.diagnostics import Location, Severity
from fineplan.kinds import REGISTRY
from fineplan.plan.costing import Budget, price_changes
from fineplan.plan.model import Action
from fineplan.pricing import load_price_table
from fineplan.spec.models import Prices

TABLE = load_price_table()


def test_a_new_job_is_priced_from_its_training_tokens_and_a_stacked_one_at_its_root_model() -> None:
    d = dataset("train", tokens=1_000_000, examples=100)
    sft = job("sft", d, hyperparameters={"n_epochs": 2})
    dpo = job("dpo", d, parent=sft, method="dpo", hyperparameters={"n_epochs": 1})
    plan = plan_for([d, sft, dpo], [], prices=TABLE)
    # gpt-4.1-mini: $5/1M × 0.8 (global): 2,000,000 billed tokens → $8.00; the DPO job trains 1,000,000 → $4.00
    assert change(plan, sft.address).cost["usd"] == pytest.approx(8.0)
    assert "gpt-4.1-mini-2025-04-14" in change(plan, dpo.address).cost["basis"]
    assert change(plan, dpo.address).cost["usd"] == pytest.approx(4.0)
    assert plan.cost["training_usd"] == pytest.approx(12.0)
    assert change(plan, d.address).cost is None  # uploads cost nothing


def test_a_job_that_stays_costs_nothing_and_one_that_retrains_costs_again() -> None:
    d = dataset("train", tokens=1_000_000, examples=100)
    sft = job("sft", d, hyperparameters={"n_epochs": 1})
    same = plan_for([d, sft], [recorded(d), recorded(sft)], prices=TABLE)
    assert same.cost["training_usd"] == 0 and change(same, sft.address).cost is None
    again = plan_for([d, sft], [recorded(d), recorded(sft)], prices=TABLE, replace=("job.sft",))
    assert change(again, sft.address).action is Action.CREATE_THEN_DELETE
    assert again.cost["training_usd"] == pytest.approx(4.0)


def test_hosting_moves_with_deployments_created_updated_kept_and_deleted() -> None:
    d = dataset("train")
    sft = job("sft", d)
    kept = deployment("kept", sft, dtype="standard")
    grown = deployment("grown", sft, dtype="global_standard", capacity=20)
    state = [
        recorded(d),
        recorded(sft),
        recorded(kept, model=model_of(sft)),
        recorded(deployment("grown", sft, dtype="global_standard", capacity=10), model=model_of(sft)),
        recorded(deployment("gone", sft, dtype="standard"), model=model_of(sft)),
    ]
    plan = plan_for([d, sft, kept, grown], state, prices=TABLE)
    assert change(plan, "deployment.gone").action is Action.DELETE
    hosting = plan.cost["hosting"]
    # Fine-tuned Standard and Global Standard: $1.70/h each, whatever the capacity.
    assert hosting["per_hour_before"] == pytest.approx(3 * 1.70)
    assert hosting["per_hour_after"] == pytest.approx(2 * 1.70)
    assert hosting["delta_per_hour"] == pytest.approx(-1.70)
    assert change(plan, "deployment.gone").cost["usd_per_hour"] == pytest.approx(1.70)


def test_budget_findings_point_at_the_budget_or_at_nothing_for_the_flag() -> None:
    d = dataset("train", tokens=1_000_000, examples=100)
    sft = job("sft", d)
    at = Location("fineplan.yaml", 7, 27)
    in_file = plan_for([d, sft], [], prices=TABLE, budget=Budget(1.0, at))
    (over,) = in_file.errors
    assert (
        over.code == "FP501"
        and over.location == at
        and in_file.cost["budget"] == {"max_training_cost_usd": 1.0, "over": True}
    )
    from_flag = plan_for([d, sft], [], prices=TABLE, budget=Budget(1.0, None))
    assert from_flag.errors[0].location is None
    within = plan_for([d, sft], [], prices=TABLE, budget=Budget(1000.0, at))
    assert within.errors == () and within.cost["budget"]["over"] is False


def test_an_unpriced_job_is_a_warning_naming_it_and_leaves_the_total_a_floor() -> None:
    d = dataset("train")
    odd = job("odd", d, training_type="standard")
    odd = replace(odd, base_model="Ministral-3B")
    plan = plan_for([d, odd], [], prices=load_price_table(Prices(training_per_1m_tokens={})))
    unpriced = [x for x in plan.diagnostics if x.code == "FP502"]
    assert unpriced and unpriced[0].severity is Severity.WARNING and "job.odd" in unpriced[0].summary
    assert plan.cost["training_unpriced"] == 1


def test_without_a_price_table_nothing_is_priced() -> None:
    d = dataset("train")
    changes = plan_for([d, job("sft", d)], []).resource_changes
    priced, doc, findings = price_changes(changes, {}, REGISTRY, None, Budget(0.0))
    assert priced == changes and doc == {} and findings == []


def test_with_a_budget_an_unpriced_job_is_an_error_unless_the_project_prices_it() -> None:
    d = dataset("train", tokens=1_000_000, examples=100)
    odd = replace(job("odd", d), base_model="Ministral-3B")
    at = Location("fineplan.yaml", 7, 27)
    refused = plan_for([d, odd], [], prices=TABLE, budget=Budget(100.0, at))
    (finding,) = [x for x in refused.diagnostics if x.code == "FP502"]
    assert finding.severity is Severity.ERROR and finding in refused.errors
    assert "job.odd" in finding.summary and "prices.training_per_1m_tokens" in finding.detail
    table = load_price_table(Prices(training_per_1m_tokens={"Ministral-3B": 2.0}))
    priced = plan_for([d, odd], [], prices=table, budget=Budget(100.0, at))
    assert not [x for x in priced.diagnostics if x.code == "FP502"] and priced.errors == ()
    assert priced.cost["training_usd"] > 0


def test_an_in_place_capacity_change_shows_the_hosting_delta_not_the_full_price() -> None:
    d = dataset("train")
    sft = job("sft", d)
    tpm = deployment("tpm", sft, dtype="global_standard", capacity=20)
    ptu = deployment("ptu", sft, dtype="provisioned", capacity=25)
    state = [
        recorded(d),
        recorded(sft),
        recorded(deployment("tpm", sft, dtype="global_standard", capacity=10), model=model_of(sft)),
        recorded(deployment("ptu", sft, dtype="provisioned", capacity=15), model=model_of(sft)),
    ]
    plan = plan_for([d, sft, tpm, ptu], state, prices=TABLE)
    grown, more_ptu = change(plan, "deployment.tpm"), change(plan, "deployment.ptu")
    assert grown.action is Action.UPDATE and more_ptu.action is Action.UPDATE
    # Fine-tuned Global Standard pays $1.70/h whatever the capacity: the change adds nothing.
    assert grown.cost["delta"] is True and grown.cost["usd_per_hour"] == 0 and grown.cost["usd"] == 0
    assert "1.70" in grown.cost["basis"]
    # Provisioned: 10 more PTUs at $2.00/PTU-hour.
    assert more_ptu.cost["usd_per_hour"] == pytest.approx(20.0)
    assert more_ptu.cost["usd"] == pytest.approx(20.0 * 730)
    assert "15 → 25 PTU" in more_ptu.cost["basis"]
    assert plan.cost["hosting"]["delta_per_hour"] == pytest.approx(20.0)
