"""Issue 5's first "Done when": plan → apply → no changes → a dataset grows → the retrain ripples down the stack →
apply → destroy leaves the emulator empty. Through the CLI, on a temp copy of examples/quickstart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from engine_helpers import ALL, DEPLOYMENT, JOBS, Emu, RunCli, actions, append_row, changes_by_address, load_state

pytestmark = pytest.mark.slow  # end-to-end: the CLI against the emulator


def test_plan_apply_no_changes_retrain_ripple_and_destroy(project: Path, emu: Emu, cli: RunCli) -> None:
    first = cli(project, "plan", "--detailed-exitcode")
    assert first.code == 2, first.text
    assert "6 to add, 0 to change, 0 to destroy" in first.out

    applied = cli(project, "apply", "--auto-approve")
    assert applied.code == 0, applied.text
    assert "Apply complete! Resources: 6 added, 0 changed, 0 destroyed." in applied.out
    state = load_state(project)
    assert sorted(state.resources) == sorted(ALL)
    assert not state.pending
    assert emu.job_counts() == {job: 1 for job in JOBS}
    sft_before = state.resources["job.support-sft"]
    dpo_before = state.resources["job.support-dpo"]
    assert sft_before.status == dpo_before.status == "succeeded"
    deployed = emu.deployment("support-dev")
    assert deployed.properties.model.name == dpo_before.attributes["fine_tuned_model"]
    assert deployed.tags["fineplan-address"] == DEPLOYMENT

    unchanged = cli(project, "plan", "--detailed-exitcode")
    assert unchanged.code == 0, unchanged.text
    assert "No changes" in unchanged.out

    append_row(project, "data/support_chat.jsonl")
    replan = cli(project, "plan", "--detailed-exitcode", "--format", "json")
    assert replan.code == 2, replan.text
    plan = json.loads(replan.out)
    assert actions(plan) == {
        "dataset.support-chat": "create-then-delete",
        "dataset.support-faq": "no-op",
        "dataset.support-prefs": "no-op",
        "job.support-sft": "create-then-delete",
        "job.support-dpo": "create-then-delete",
        DEPLOYMENT: "update",
    }
    # The old upload and jobs go in the cleanup stage, after the deployment has swapped to the new model.
    assert [(s["name"], s["addresses"]) for s in plan["stages"]] == [
        ("walk", ["dataset.support-chat", "job.support-sft", "job.support-dpo", DEPLOYMENT]),
        ("cleanup", ["dataset.support-chat", "job.support-sft", "job.support-dpo"]),
    ]
    changes = changes_by_address(plan)
    sft = changes["job.support-sft"]
    assert sft["actions"] == ["create", "delete"]
    assert sft["replace_paths"] == ["training_data"]
    assert [r["code"] for r in sft["reasons"]] == ["input_changed"]
    assert "training_data content changed" in sft["reasons"][0]["message"]
    dpo = changes["job.support-dpo"]
    assert dpo["replace_paths"] == ["base_model"]
    assert "support-sft will be retrained" in dpo["reasons"][0]["message"]
    assert "base_model" in dpo["after_unknown"]
    dep = changes[DEPLOYMENT]
    assert [r["code"] for r in dep["reasons"]] == ["model_swap"]
    assert dep["after"]["model"] == "(known after apply)"
    assert "model" in dep["after_unknown"]
    assert plan["summary"]["has_changes"] is True

    reapplied = cli(project, "apply", "--auto-approve")
    assert reapplied.code == 0, reapplied.text
    state = load_state(project)
    sft_after, dpo_after = state.resources["job.support-sft"], state.resources["job.support-dpo"]
    assert sft_after.remote_id != sft_before.remote_id and dpo_after.remote_id != dpo_before.remote_id
    # Create-before-destroy: the retrained jobs replaced the old ones, which were cleaned up afterwards.
    assert emu.job_counts() == {job: 1 for job in JOBS}
    assert {j.id for j in emu.jobs()} == {sft_after.remote_id, dpo_after.remote_id}
    assert emu.deployment("support-dev").properties.model.name == dpo_after.attributes["fine_tuned_model"]
    assert len(emu.files()) == 3  # the old upload of support-chat went with its replacement
    assert cli(project, "plan", "--detailed-exitcode").code == 0

    destroyed = cli(project, "destroy", "--auto-approve")
    assert destroyed.code == 0, destroyed.text
    assert "6 destroyed" in destroyed.out
    assert emu.jobs() == [] and emu.files() == [] and emu.deployments() == []
    assert load_state(project).resources == {}
    assert cli(project, "plan", "--detailed-exitcode").code == 2
