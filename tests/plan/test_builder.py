"""The pure plan builder, fed plain data: desired resources, a refreshed state and a scripted provider diff.

What a changed attribute means comes from the provider's diff alone; these tests script it to prove the builder
follows it, and use Azure's own rules (`fineplan.providers.azure.diff`, pure) where the Azure behaviour is the
point.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from plan_helpers import (
    BASE,
    ScriptedDiffer,
    actions,
    change,
    dataset,
    deployment,
    job,
    model_of,
    plan_for,
    recorded,
    stacked_on,
)

from fineplan.diagnostics import Location
from fineplan.kinds.deployment import evaluate_gate
from fineplan.plan.costing import Budget
from fineplan.plan.model import Action, GateStatus, Plan, ReasonCode, StageName
from fineplan.pricing import load_price_table
from fineplan.providers.azure import diff as azure
from fineplan.providers.base import DiffResult
from fineplan.resource import KNOWN_AFTER_APPLY, UNKNOWN, Kind
from fineplan.state.drift import Drift, DriftChange


class AzureRules:
    """The real provider's diff (pure: no call to Azure)."""

    def diff(self, kind: Kind, prior: dict, planned: dict) -> DiffResult:  # type: ignore[type-arg]
        return azure.diff(kind, prior, planned)


def _synced() -> tuple[list, list]:  # type: ignore[type-arg]
    d = dataset("train")
    j = job("sft", d)
    dep = deployment("dev", j)
    return [d, j, dep], [recorded(d), recorded(j), recorded(dep, model=model_of(j))]


# ---------------------------------------------------------------------------------------------- basics


def test_empty_state_creates_everything_with_unknown_models() -> None:
    d = dataset("train")
    j = job("sft", d)
    j2 = job("dpo", d, parent=j, method="dpo")
    dep = deployment("dev", j2)
    plan = plan_for([d, j, j2, dep], [])
    assert actions(plan) == {a: Action.CREATE for a in (d.address, j.address, j2.address, dep.address)}
    assert change(plan, j2.address).after["base_model"] == KNOWN_AFTER_APPLY
    assert "base_model" in change(plan, j2.address).after_unknown
    assert change(plan, dep.address).after_unknown == ("model",)
    assert plan.counts() == {"add": 4, "change": 0, "destroy": 0, "wait": 0}
    assert [(s.name, s.addresses) for s in plan.stages] == [
        (StageName.WALK, (d.address, j.address, j2.address, dep.address))
    ]
    assert plan.has_changes and plan.cost == {}  # no price table given: no cost block


def test_in_sync_is_noop_and_has_no_stages() -> None:
    desired, state = _synced()
    plan = plan_for(desired, state)
    assert set(actions(plan).values()) == {Action.NOOP}
    assert not plan.has_changes and plan.stages == ()


def test_desired_order_does_not_matter_dependencies_come_first() -> None:
    d = dataset("train")
    j = job("sft", d)
    dep = deployment("dev", j)
    plan = plan_for([dep, j, d], [])
    assert [c.address for c in plan.resource_changes] == [d.address, j.address, dep.address]


# ---------------------------------------------------------------------------------------------- the provider decides


def test_the_builder_takes_replace_or_update_from_the_providers_diff_alone() -> None:
    desired, state = _synced()
    bigger = [*desired[:2], replace(desired[2], attributes={**desired[2].attributes, "capacity": 20})]
    assert actions(plan_for(bigger, state))["deployment.dev"] is Action.UPDATE

    # The same change, with a provider that says capacity cannot change in place: a replacement.
    scripted = ScriptedDiffer(replaces={Kind.DEPLOYMENT: frozenset({"capacity"})})
    c = change(plan_for(bigger, state, differ=scripted), "deployment.dev")
    assert c.action is Action.CREATE_THEN_DELETE and c.replace_paths == ("capacity",)
    assert c.reasons[0].code is ReasonCode.INPUT_CHANGED and c.reasons[0].attribute == "capacity"

    # ... that it must delete first: the plan says so.
    first = ScriptedDiffer(
        replaces={Kind.DEPLOYMENT: frozenset({"capacity"})}, delete_first=frozenset({Kind.DEPLOYMENT})
    )
    c = change(plan_for(bigger, state, differ=first), "deployment.dev")
    assert c.action is Action.DELETE_THEN_CREATE and c.action.json_actions == ["delete", "create"]

    # A provider that sees no difference: nothing to do, whatever the attributes say.
    class Blind:
        def diff(self, kind: Kind, prior: dict, planned: dict) -> DiffResult:  # type: ignore[type-arg]
            return DiffResult()

    assert set(actions(plan_for(bigger, state, differ=Blind())).values()) == {Action.NOOP}


def test_the_diff_gets_the_record_and_the_planned_values_with_unknowns_resolved() -> None:
    d = dataset("train")
    j = job("sft", d)
    dep = deployment("dev", j)
    scripted = ScriptedDiffer()
    plan_for(
        [d, j, dep], [recorded(d), recorded(j), recorded(dep, model=model_of(j))], differ=scripted, replace=("job.sft",)
    )
    kind, prior, planned = scripted.calls[-1]
    assert kind is Kind.DEPLOYMENT
    assert prior["model"] == model_of(j) and prior["name"] == "dev"
    assert planned["model"] is UNKNOWN  # the job is replaced: its new model is known after apply


def test_azure_rules_capacity_in_place_type_replaces_deleting_first() -> None:
    d = dataset("train")
    j = job("sft", d)
    st = [recorded(d), recorded(j), recorded(deployment("dev", j), model=model_of(j))]
    assert (
        actions(plan_for([d, j, deployment("dev", j, capacity=20)], st, differ=AzureRules()))["deployment.dev"]
        is Action.UPDATE
    )
    c = change(
        plan_for([d, j, deployment("dev", j, dtype="global_standard")], st, differ=AzureRules()), "deployment.dev"
    )
    # Same name in the same account: Azure holds one deployment of that name, so the old one goes first.
    assert c.action is Action.DELETE_THEN_CREATE and c.replace_paths == ("type",)
    moved = change(plan_for([d, j, deployment("dev", j, account="prod")], st, differ=AzureRules()), "deployment.dev")
    assert moved.action is Action.CREATE_THEN_DELETE and moved.replace_paths == ("account",)


def test_ignore_changes_drops_attributes_from_the_diff() -> None:
    d = dataset("train")
    j = job("sft", d)
    st = [recorded(d), recorded(j), recorded(deployment("dev", j, capacity=10), model=model_of(j))]
    want = deployment("dev", j, capacity=20, ignore_changes=("capacity",))
    assert actions(plan_for([d, j, want], st))["deployment.dev"] is Action.NOOP


def test_unset_rai_policy_accepts_azures_default() -> None:
    d = dataset("train")
    j = job("sft", d)
    dep = deployment("dev", j)  # rai_policy None in the spec
    st = [recorded(d), recorded(j), recorded(dep, model=model_of(j), rai_policy="Microsoft.DefaultV2")]
    assert actions(plan_for([d, j, dep], st, differ=AzureRules()))[dep.address] is Action.NOOP


def test_deployment_whose_azure_name_differs_from_its_spec_is_replaced_new_one_first() -> None:
    d = dataset("train")
    j = job("sft", d)
    old = recorded(deployment("old-name", j), model=model_of(j))
    moved = old.model_copy(update={"address": "deployment.new-name"})
    plan = plan_for([d, j, deployment("new-name", j)], [recorded(d), recorded(j), moved], differ=AzureRules())
    c = change(plan, "deployment.new-name")
    assert c.action is Action.CREATE_THEN_DELETE and c.replace_paths == ("name",)
    assert plan.stage(StageName.CLEANUP) is not None


# ---------------------------------------------------------------------------------------------- jobs


def test_data_change_replaces_job_names_input_and_cascades() -> None:
    old_d = dataset("train", "aaa")
    old_j = job("sft", old_d)
    old_child = job("dpo", old_d, parent=old_j, method="dpo")
    old_dep = deployment("dev", old_child)
    st = [recorded(old_d), recorded(old_j), stacked_on(old_child, old_j), recorded(old_dep, model=model_of(old_child))]
    new_d = dataset("train", "bbb")
    new_j = job("sft", new_d)
    new_child = job("dpo", new_d, parent=new_j, method="dpo")
    new_dep = deployment("dev", new_child)
    plan = plan_for([new_d, new_j, new_child, new_dep], st)
    acts = actions(plan)
    assert acts[new_d.address] is Action.CREATE_THEN_DELETE
    c = change(plan, new_j.address)
    assert c.action is Action.CREATE_THEN_DELETE and c.retrain
    assert "training_data" in c.replace_paths
    assert any(r.attribute == "training_data" and "content changed" in r.message for r in c.reasons)
    child = change(plan, new_child.address)
    assert child.action is Action.CREATE_THEN_DELETE and "base_model" in child.replace_paths
    assert any(r.code is ReasonCode.DEPENDENCY_REPLACED and "sft will be retrained" in r.message for r in child.reasons)
    dep = change(plan, new_dep.address)
    assert dep.action is Action.UPDATE and dep.reasons[0].code is ReasonCode.MODEL_SWAP
    cleanup = plan.stage(StageName.CLEANUP)
    assert cleanup is not None and cleanup.addresses == (new_d.address, new_j.address, new_child.address)


def test_hyperparameter_change_replaces_with_reason() -> None:
    d = dataset("train")
    j = job("sft", d)
    j2 = job("sft", d, hyperparameters={"n_epochs": 5})
    c = change(plan_for([d, j2], [recorded(d), recorded(j)]), j2.address)
    assert c.action is Action.CREATE_THEN_DELETE and c.replace_paths == ("hyperparameters",)
    assert "n_epochs" in c.reasons[0].message


def test_training_job_waits_and_failed_job_is_retrained() -> None:
    d = dataset("train")
    j = job("sft", d)
    plan = plan_for([d, j], [recorded(d), recorded(j, status="running")])
    assert actions(plan)[j.address] is Action.WAIT
    assert change(plan, j.address).reasons[0].code is ReasonCode.TRAINING
    c = change(plan_for([d, j], [recorded(d), recorded(j, status="failed")]), j.address)
    assert c.action is Action.CREATE_THEN_DELETE and c.reasons[0].code is ReasonCode.JOB_FAILED


def test_stacked_job_retrains_when_its_parent_is_replaced_with_unchanged_inputs() -> None:
    d = dataset("train")
    j = job("sft", d)
    child = job("dpo", d, parent=j, method="dpo")
    plan = plan_for([d, j, child], [recorded(d), recorded(j), stacked_on(child, j)], replace=("job.sft",))
    c = change(plan, child.address)
    assert c.action is Action.CREATE_THEN_DELETE and c.replace_paths == ("base_model",)
    assert any("will be retrained" in r.message for r in c.reasons)


def test_a_stacked_job_left_on_an_old_parent_model_retrains() -> None:
    """The parent was replaced and has trained, but the child still sits on the old parent's model."""
    d = dataset("train")
    j = job("sft", d)
    child = job("dpo", d, parent=j, method="dpo")
    stale = recorded(child, model=f"{BASE}.ft-{'b' * 32}-old")
    c = change(plan_for([d, j, child], [recorded(d), recorded(j), stale]), child.address)
    assert c.action is Action.CREATE_THEN_DELETE and c.replace_paths == ("base_model",)


def test_a_job_adopted_without_its_inputs_is_replaced_for_that_one_reason() -> None:
    d = dataset("train")
    j = job("sft", d)
    adopted = recorded(j, inputs={})  # `state rebuild` found it by its tags, with another inputs digest
    c = change(plan_for([d, j], [recorded(d), adopted]), j.address)
    assert c.action is Action.CREATE_THEN_DELETE
    assert [r.code for r in c.reasons] == [ReasonCode.INPUTS_UNKNOWN]


def test_deployment_of_a_job_still_training_swaps_to_its_model() -> None:
    """The job was replaced with --no-wait and trains: the deployment still serves the old model, so it swaps."""
    d = dataset("train")
    j = job("sft", d)
    dep = deployment("dev", j)
    st = [recorded(d), recorded(j, status="running"), recorded(dep, model=f"{BASE}.ft-{'c' * 32}-old")]
    plan = plan_for([d, j, dep], st)
    assert actions(plan) == {d.address: Action.NOOP, j.address: Action.WAIT, dep.address: Action.UPDATE}


# ---------------------------------------------------------------------------------------------- removals, drift


def test_removed_spec_deletes_dependents_first_in_the_delete_stage() -> None:
    _, state = _synced()
    plan = plan_for([], state)
    order = [c.address for c in plan.resource_changes]
    assert order == ["deployment.dev", "job.sft", "dataset.train"]
    assert all(c.action is Action.DELETE for c in plan.resource_changes)
    assert [(s.name, s.addresses) for s in plan.stages] == [(StageName.DELETE, tuple(order))]
    assert plan.resource_changes[0].reasons[0].code is ReasonCode.REMOVED
    assert plan_for([], state, destroy=True).resource_changes[0].reasons[0].code is ReasonCode.DESTROY


def test_prevent_destroy_is_a_plan_error_on_destroy_and_replace() -> None:
    d = dataset("train")
    j = job("sft", d)
    dep = deployment("dev", j, prevent_destroy=True)
    st = [recorded(d), recorded(j), recorded(dep, model=model_of(j))]
    plan = plan_for([d, j, dep], st, destroy=True)
    assert [x.code for x in plan.errors] == ["FP503"] and "deployment.dev" in plan.errors[0].summary
    replaced = plan_for([d, j, dep], st, replace=("deployment.dev",))
    assert "would replace it" in replaced.errors[0].summary


def test_expired_developer_deployment_is_recreated_with_reason() -> None:
    d = dataset("train")
    j = job("sft", d)
    dep = deployment("dev", j, dtype="developer")
    drift = [Drift(dep.address, Kind.DEPLOYMENT, "dev", DriftChange.EXPIRED, "Developer deployment expired")]
    c = change(plan_for([d, j, dep], [recorded(d), recorded(j)], drift=drift), dep.address)
    assert c.action is Action.CREATE and c.reasons[0].code is ReasonCode.DEVELOPER_EXPIRED


def test_drift_explains_an_update_that_puts_things_back() -> None:
    d = dataset("train")
    j = job("sft", d)
    dep = deployment("dev", j, capacity=10)
    st = [recorded(d), recorded(j), recorded(dep, model=model_of(j), capacity=30)]
    drift = [Drift(dep.address, Kind.DEPLOYMENT, "dev", DriftChange.CHANGED, "changed outside fineplan: capacity")]
    c = change(plan_for([d, j, dep], st, drift=drift), dep.address)
    assert c.action is Action.UPDATE and [r.code for r in c.reasons] == [ReasonCode.DRIFT, ReasonCode.INPUT_CHANGED]


# ------------------------------------------------------------------------------------- gates, targets, -replace


def test_failing_gate_blocks_only_that_deployment_and_keeps_it_out_of_the_stages() -> None:
    d = dataset("train")
    j = job("sft", d)
    ok = deployment("ok", j, gate={"max_train_loss": 2.0})
    bad = deployment("bad", j, gate={"max_train_loss": 0.1})
    st = [recorded(d), recorded(j, metrics={"train_loss": 0.5})]
    plan = plan_for([d, j, ok, bad], st)
    blocked = change(plan, bad.address).blocked
    assert blocked and "gate failed" in blocked
    assert change(plan, ok.address).blocked is None
    assert {g.address: g.status for g in plan.gates} == {ok.address: GateStatus.PASSED, bad.address: GateStatus.FAILED}
    walk = plan.stage(StageName.WALK)
    assert walk is not None and bad.address not in walk.addresses and ok.address in walk.addresses


def test_target_limits_to_address_and_dependencies() -> None:
    d = dataset("train")
    j = job("sft", d)
    other = job("other", d, seed=9)
    plan = plan_for([d, j, other], [], targets=("job.sft",))
    assert set(actions(plan)) == {"dataset.train", "job.sft"}


def test_forced_replace_orders_by_what_the_provider_says() -> None:
    desired, state = _synced()
    jobs = plan_for(desired, state, replace=("job.sft",), differ=AzureRules())
    assert actions(jobs)["job.sft"] is Action.CREATE_THEN_DELETE
    assert change(jobs, "job.sft").reasons[0].code is ReasonCode.REPLACE_REQUESTED
    deployments = plan_for(desired, state, replace=("deployment.dev",), differ=AzureRules())
    assert actions(deployments)["deployment.dev"] is Action.DELETE_THEN_CREATE  # same name, same account


def test_evaluate_gate_uses_full_valid_metric_when_valid_missing() -> None:
    status, checks = evaluate_gate({"max_valid_loss": 1.0}, {"full_valid_loss": 0.8})
    assert status is GateStatus.PASSED and checks[0]["value"] == 0.8
    status, _ = evaluate_gate({"min_valid_token_accuracy": 0.9}, {"valid_mean_token_accuracy": 0.5})
    assert status is GateStatus.FAILED


# ---------------------------------------------------------------------------------------------- the whole plan


def test_cost_and_budget_are_part_of_the_built_plan() -> None:
    d = dataset("train", tokens=2_000_000, examples=100)
    j = job("sft", d)
    at = Location("fineplan.yaml", 3, 5)
    plan = plan_for([d, j], [], prices=load_price_table(), budget=Budget(0.01, at))
    assert plan.cost["training_usd"] > 0.01 and plan.cost["budget"]["over"] is True
    assert change(plan, j.address).cost["kind"] == "training"
    over = [x for x in plan.errors if x.code == "FP501"]
    assert over and over[0].location == at


def test_refresh_only_plans_carry_drift_and_no_changes() -> None:
    desired, state = _synced()
    drift = [Drift("deployment.dev", Kind.DEPLOYMENT, "dev", DriftChange.CHANGED, "capacity")]
    plan = plan_for(desired, state, drift=drift, refresh_only=True)
    assert plan.resource_changes == () and plan.stages == () and plan.has_changes


@pytest.mark.parametrize("with_prices", [False, True])
def test_plan_json_round_trip(with_prices: bool) -> None:
    d = dataset("train")
    desired, state = _synced()
    plan = plan_for([*desired, job("other", d)], state[:2], prices=load_price_table() if with_prices else None)
    assert Plan.from_json(plan.to_json()) == plan


# ---------------------------------------------------------------------------------------------- superseded objects


def test_an_old_job_goes_at_cleanup_unless_a_deployment_this_plan_leaves_on_it_still_serves_it() -> None:
    """A superseded job whose model a deployment serves is kept while the deployment stays on it (a capacity
    change does not move it); a deployment swapping to the new model frees it for this plan's cleanup."""
    d = dataset("train")
    sft = job("sft", d)
    old = recorded(sft).model_copy(update={"remote_id": "ftjob-old"})
    old.attributes["fine_tuned_model"] = "old-model"
    served_by_old = recorded(deployment("dev", sft, capacity=1), model="old-model")

    grown = deployment("dev", sft, capacity=2)  # pinned to the old model by name, and given more capacity
    pinned = replace(
        grown,
        attributes={**grown.attributes, "model": "old-model"},
        inputs_from={},
        depends_on=(),
        parent=None,
        model="old-model",
    )
    resized = plan_for([d, sft, pinned], [recorded(d), recorded(sft), served_by_old],
                       superseded=[(old, "job ftjob-old")])  # fmt: skip
    assert change(resized, "deployment.dev").action is Action.UPDATE
    assert change(resized, "deployment.dev").after["model"] == "old-model"
    assert [(s.what, s.kept_for) for s in resized.superseded] == [("job ftjob-old", "deployment.dev")]
    assert not resized.cleanup_due and resized.stage(StageName.CLEANUP) is None

    swapped = plan_for([d, sft, deployment("dev", sft)], [recorded(d), recorded(sft), served_by_old],
                       superseded=[(old, "job ftjob-old")])  # fmt: skip
    assert change(swapped, "deployment.dev").action is Action.UPDATE  # the model swaps to sft's current one
    assert [(s.what, s.kept_for) for s in swapped.superseded] == [("job ftjob-old", None)]
    cleanup = swapped.stage(StageName.CLEANUP)
    assert cleanup is not None and cleanup.addresses == ("job.sft",)

    alone = plan_for([d, sft], [recorded(d), recorded(sft)], superseded=[(old, "job ftjob-old")])
    assert alone.has_changes and [s.address for s in alone.cleanup_due] == ["job.sft"]
    assert all(c.action is Action.NOOP for c in alone.resource_changes)
