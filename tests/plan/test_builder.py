"""The pure plan builder, fed plain data: desired resources and a refreshed state (no provider, no I/O)."""

from __future__ import annotations

from pathlib import Path

from fineplan.plan.builder import UNKNOWN, BuildInput, PlanOptions, build_plan, evaluate_gate
from fineplan.plan.desired import DatasetPart, Desired
from fineplan.plan.digest import digest
from fineplan.plan.model import Action, Drift, Plan
from fineplan.state.model import ResourceState, State


def dataset(name: str, content: str = "aaa") -> Desired:
    attrs = {"format": "chat", "files": {"train": content}}
    part = DatasetPart(Path("x.jsonl"), content, f"f-{content}.jsonl", 10, 1000)
    return Desired(f"dataset.{name}", "Dataset", name, attrs, digest(attrs), (), parts={"train": part})


def job(name: str, data: Desired, parent: Desired | None = None, **over: object) -> Desired:
    base = {"job": parent.name, "inputs": parent.inputs_digest} if parent else "gpt-4.1-mini-2025-04-14"
    attrs = {
        "base_model": base,
        "method": "supervised",
        "training_data": data.attributes["files"]["train"],
        "validation_data": None,
        "hyperparameters": {"n_epochs": 3},
        "training_type": "global",
        "suffix": None,
        "seed": 1,
        "grader": None,
        "response_format": None,
    }
    attrs.update(over)
    deps = (data.address, parent.address) if parent else (data.address,)
    return Desired(
        f"job.{name}",
        "FineTuningJob",
        name,
        attrs,
        digest(attrs),
        deps,
        parent_job=parent.address if parent else None,
        extra={"train_dataset": data.address, "train_part": "train"},
    )


def deployment(
    name: str,
    parent: Desired,
    *,
    capacity: int = 10,
    dtype: str = "standard",
    gate: dict | None = None,
    prevent_destroy: bool = False,
) -> Desired:
    attrs = {
        "model": {"job": parent.name, "inputs": parent.inputs_digest},
        "type": dtype,
        "capacity": capacity,
        "rai_policy": None,
        "version_upgrade": "no_auto_upgrade",
        "account": None,
        "tags": {},
    }
    return Desired(
        f"deployment.{name}",
        "Deployment",
        name,
        attrs,
        digest(attrs),
        (parent.address,),
        parent_job=parent.address,
        extra={"gate": gate},
        prevent_destroy=prevent_destroy,
    )


def recorded(want: Desired, **attrs: object) -> ResourceState:
    status = str(attrs.pop("status", "succeeded" if want.kind == "FineTuningJob" else "ready"))
    base: dict[str, object] = {"inputs": want.attributes}
    if want.kind == "FineTuningJob":
        base["fine_tuned_model"] = f"gpt-4.1-mini-2025-04-14.ft-{'a' * 32}-{want.name}"
    if want.kind == "Deployment":
        base = {k: v for k, v in want.attributes.items()}
        base["model"] = attrs.pop("model", None)
    base.update(attrs)
    return ResourceState(
        address=want.address,
        kind=want.kind,
        name=want.name,
        remote_id=f"id-{want.name}",
        inputs_digest=want.inputs_digest,
        attributes=base,
        status=status,
        dependencies=list(want.depends_on),
    )


def plan_for(
    desired: list[Desired], state: list[ResourceState], drift: list[Drift] | None = None, **opts: object
) -> Plan:
    s = State(target="local")
    for r in state:
        s.put(r)
    return build_plan(
        BuildInput(
            project="p",
            target="local",
            desired={d.address: d for d in desired},
            state=s,
            prior=s,
            drift=drift or [],
            options=PlanOptions(**opts),
        )
    )  # type: ignore[arg-type]


def actions(plan: Plan) -> dict[str, Action]:
    return {c.address: c.action for c in plan.resource_changes}


def test_empty_state_creates_everything_with_unknown_models():
    d = dataset("train")
    j = job("sft", d)
    j2 = job("dpo", d, parent=j, method="dpo")
    dep = deployment("dev", j2)
    plan = plan_for([d, j, j2, dep], [])
    assert actions(plan) == {a: Action.CREATE for a in (d.address, j.address, j2.address, dep.address)}
    assert plan.change(j2.address).after["base_model"] == UNKNOWN
    assert "base_model" in plan.change(j2.address).after_unknown
    assert plan.change(dep.address).after_unknown == ("model",)
    assert plan.counts() == {"add": 4, "change": 0, "destroy": 0, "wait": 0}
    assert plan.has_changes


def test_in_sync_is_noop():
    d = dataset("train")
    j = job("sft", d)
    dep = deployment("dev", j)
    st = [recorded(d), recorded(j), recorded(dep, model=f"gpt-4.1-mini-2025-04-14.ft-{'a' * 32}-sft")]
    plan = plan_for([d, j, dep], st)
    assert set(actions(plan).values()) == {Action.NOOP}
    assert not plan.has_changes


def test_data_change_replaces_job_names_input_and_cascades():
    old_d = dataset("train", "aaa")
    old_j = job("sft", old_d)
    old_child = job("dpo", old_d, parent=old_j, method="dpo")
    old_dep = deployment("dev", old_child)
    st = [
        recorded(old_d),
        recorded(old_j),
        recorded(old_child),
        recorded(old_dep, model=f"gpt-4.1-mini-2025-04-14.ft-{'a' * 32}-dpo"),
    ]
    new_d = dataset("train", "bbb")
    new_j = job("sft", new_d)
    new_child = job("dpo", new_d, parent=new_j, method="dpo")
    new_dep = deployment("dev", new_child)
    plan = plan_for([new_d, new_j, new_child, new_dep], st)
    acts = actions(plan)
    assert acts[new_j.address] is Action.REPLACE
    change = plan.change(new_j.address)
    assert "training_data" in change.replace_paths
    assert any(r.attribute == "training_data" for r in change.reasons)
    assert change.retrain
    assert acts[new_child.address] is Action.REPLACE
    assert "base_model" in plan.change(new_child.address).replace_paths
    assert acts[new_dep.address] is Action.UPDATE
    assert plan.change(new_dep.address).reasons[0].code == "model_swap"


def test_hyperparameter_change_replaces_with_reason():
    d = dataset("train")
    j = job("sft", d)
    j2 = job("sft", d, hyperparameters={"n_epochs": 5})
    plan = plan_for([d, j2], [recorded(d), recorded(j)])
    c = plan.change(j2.address)
    assert c.action is Action.REPLACE and c.replace_paths == ("hyperparameters",)
    assert "n_epochs" in c.reasons[0].message


def test_capacity_updates_in_place_type_replaces():
    d = dataset("train")
    j = job("sft", d)
    model = f"gpt-4.1-mini-2025-04-14.ft-{'a' * 32}-sft"
    dep_old = deployment("dev", j, capacity=10)
    st = [recorded(d), recorded(j), recorded(dep_old, model=model)]
    plan = plan_for([d, j, deployment("dev", j, capacity=20)], st)
    assert actions(plan)["deployment.dev"] is Action.UPDATE
    plan = plan_for([d, j, deployment("dev", j, dtype="global_standard")], st)
    c = plan.change("deployment.dev")
    assert c.action is Action.REPLACE and c.replace_paths == ("type",)


def test_ignore_changes_suppresses_capacity_update():
    d = dataset("train")
    j = job("sft", d)
    model = f"gpt-4.1-mini-2025-04-14.ft-{'a' * 32}-sft"
    st = [recorded(d), recorded(j), recorded(deployment("dev", j, capacity=10), model=model)]
    want = deployment("dev", j, capacity=20)
    want = Desired(**{**want.__dict__, "ignore_changes": ("capacity",)})
    plan = plan_for([d, j, want], st)
    assert actions(plan)["deployment.dev"] is Action.NOOP


def test_training_job_waits_and_failed_job_is_retrained():
    d = dataset("train")
    j = job("sft", d)
    plan = plan_for([d, j], [recorded(d), recorded(j, status="running")])
    assert actions(plan)[j.address] is Action.WAIT
    plan = plan_for([d, j], [recorded(d), recorded(j, status="failed")])
    c = plan.change(j.address)
    assert c.action is Action.REPLACE and c.reasons[0].code == "job_failed"


def test_removed_spec_deletes_dependents_first():
    d = dataset("train")
    j = job("sft", d)
    dep = deployment("dev", j)
    st = [recorded(d), recorded(j), recorded(dep, model="m")]
    plan = plan_for([], st)
    order = [c.address for c in plan.resource_changes]
    assert order == ["deployment.dev", "job.sft", "dataset.train"]
    assert all(c.action is Action.DELETE for c in plan.resource_changes)


def test_prevent_destroy_is_a_plan_error_on_destroy():
    d = dataset("train")
    j = job("sft", d)
    dep = deployment("dev", j, prevent_destroy=True)
    st = [recorded(d), recorded(j), recorded(dep, model="m")]
    plan = plan_for([d, j, dep], st, destroy=True)
    assert any(x["code"] == "FP503" and "deployment.dev" in x["summary"] for x in plan.diagnostics)


def test_expired_developer_deployment_is_recreated_with_reason():
    d = dataset("train")
    j = job("sft", d)
    dep = deployment("dev", j, dtype="developer")
    drift = [Drift(dep.address, "Deployment", "dev", "expired", "Developer deployment expired")]
    plan = plan_for([d, j, dep], [recorded(d), recorded(j)], drift=drift)
    c = plan.change(dep.address)
    assert c.action is Action.CREATE and c.reasons[0].code == "developer_expired"


def test_failing_gate_blocks_only_that_deployment():
    d = dataset("train")
    j = job("sft", d)
    ok = deployment("ok", j, gate={"max_train_loss": 2.0})
    bad = deployment("bad", j, gate={"max_train_loss": 0.1})
    st = [recorded(d), recorded(j, metrics={"train_loss": 0.5})]
    plan = plan_for([d, j, ok, bad], st)
    assert plan.change(bad.address).blocked and "gate failed" in plan.change(bad.address).blocked
    assert plan.change(ok.address).blocked is None
    assert {g.address: g.status for g in plan.gates} == {ok.address: "passed", bad.address: "failed"}


def test_target_limits_to_address_and_dependencies():
    d = dataset("train")
    j = job("sft", d)
    other = job("other", d, seed=9)
    plan = plan_for([d, j, other], [], targets=("job.sft",))
    assert set(actions(plan)) == {"dataset.train", "job.sft"}


def test_forced_replace():
    d = dataset("train")
    j = job("sft", d)
    plan = plan_for([d, j], [recorded(d), recorded(j)], replace=("job.sft",))
    assert plan.change("job.sft").action is Action.REPLACE


def test_plan_json_round_trip():
    d = dataset("train")
    plan = plan_for([d, job("sft", d)], [])
    assert Plan.from_json(plan.to_json()).to_json() == plan.to_json()


def test_evaluate_gate_uses_full_valid_metric_when_valid_missing():
    status, checks = evaluate_gate({"max_valid_loss": 1.0}, {"full_valid_loss": 0.8})
    assert status == "passed" and checks[0]["value"] == 0.8
    status, _ = evaluate_gate({"min_valid_token_accuracy": 0.9}, {"valid_mean_token_accuracy": 0.5})
    assert status == "failed"


def test_stacked_job_retrains_when_its_parent_is_replaced_with_unchanged_inputs():
    d = dataset("train")
    j = job("sft", d)
    child = job("dpo", d, parent=j, method="dpo")
    st = [recorded(d), recorded(j), recorded(child)]
    plan = plan_for([d, j, child], st, replace=("job.sft",))
    c = plan.change(child.address)
    assert c.action is Action.REPLACE
    assert "base_model" in c.replace_paths
    assert any("will be retrained" in r.message for r in c.reasons)


def test_unset_rai_policy_accepts_azures_default():
    d = dataset("train")
    j = job("sft", d)
    model = f"gpt-4.1-mini-2025-04-14.ft-{'a' * 32}-sft"
    dep = deployment("dev", j)  # rai_policy None in the spec
    st = [recorded(d), recorded(j), recorded(dep, model=model, rai_policy="Microsoft.DefaultV2")]
    assert actions(plan_for([d, j, dep], st))[dep.address] is Action.NOOP


def test_deployment_whose_azure_name_differs_from_its_spec_is_replaced():
    d = dataset("train")
    j = job("sft", d)
    model = f"gpt-4.1-mini-2025-04-14.ft-{'a' * 32}-sft"
    old = recorded(deployment("old-name", j), model=model)
    moved = ResourceState(**{**old.model_dump(), "address": "deployment.new-name"})
    plan = plan_for([d, j, deployment("new-name", j)], [recorded(d), recorded(j), moved])
    c = plan.change("deployment.new-name")
    assert c.action is Action.REPLACE and c.replace_paths[0] == "name"
