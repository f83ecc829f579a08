"""Saved plans and the plan flags: `plan -out` + `apply FILE`, stale plans refused (state changed, inputs changed,
state was empty), `-target`, `-replace`, `-refresh=false`, `plan -refresh-only`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from engine_helpers import ALL, DEPLOYMENT, JOBS, Emu, RunCli, actions, append_row, changes_by_address, edit, load_state

pytestmark = pytest.mark.slow  # end-to-end: the CLI against the emulator


def _plan_json(cli: RunCli, root: Path, *flags: str) -> dict:  # type: ignore[type-arg]
    result = cli(root, "plan", "--format", "json", *flags)
    assert result.code in (0, 2), result.text
    return json.loads(result.out)  # type: ignore[no-any-return]


def test_saved_plan_is_applied_as_shown(project: Path, emu: Emu, cli: RunCli, tmp_path: Path) -> None:
    emu.fast_training()
    saved = tmp_path / "quickstart.plan.json"
    planned = cli(project, "plan", "-out", saved, "--detailed-exitcode")
    assert planned.code == 2, planned.text
    assert f"fineplan apply {saved}" in planned.out
    shown = cli(project, "show", saved, "--json")
    assert shown.code == 0 and json.loads(shown.out)["summary"]["add"] == 6
    assert emu.is_empty()  # planning changed nothing

    applied = cli(project, "apply", saved)
    assert applied.code == 0, applied.text
    assert sorted(load_state(project).resources) == sorted(ALL)
    assert cli(project, "plan", "--detailed-exitcode").code == 0


def test_saved_plan_is_refused_once_the_state_has_moved(project: Path, emu: Emu, cli: RunCli, tmp_path: Path) -> None:
    emu.fast_training()
    assert cli(project, "apply", "--auto-approve").code == 0
    edit(project, "specs/deployments.yaml", "capacity: 50", "capacity: 60")
    saved = tmp_path / "capacity.plan.json"
    assert cli(project, "plan", "-out", saved).code == 0
    assert cli(project, "apply", "--auto-approve").code == 0  # someone else applied in between

    stale = cli(project, "apply", saved)
    assert stale.code == 1
    assert "state changed since the plan was made" in stale.err


def test_saved_plan_is_refused_when_a_dataset_changed(project: Path, emu: Emu, cli: RunCli, tmp_path: Path) -> None:
    saved = tmp_path / "first.plan.json"
    assert cli(project, "plan", "-out", saved).code == 0
    append_row(project, "data/support_chat.jsonl")
    stale = cli(project, "apply", saved)
    assert stale.code == 1
    assert "specs or datasets changed since the plan was made" in stale.err
    assert emu.is_empty()


def test_saved_plan_from_an_empty_state_is_refused_after_an_apply(
    project: Path, emu: Emu, cli: RunCli, tmp_path: Path
) -> None:
    emu.fast_training()
    saved = tmp_path / "empty.plan.json"
    assert cli(project, "plan", "-out", saved).code == 0
    assert cli(project, "apply", "--auto-approve").code == 0

    stale = cli(project, "apply", saved)
    assert stale.code == 1
    assert "made from an empty state" in stale.err
    assert emu.job_counts() == {job: 1 for job in JOBS}


def test_target_limits_plan_and_apply_to_a_resource_and_its_dependencies(project: Path, emu: Emu, cli: RunCli) -> None:
    emu.fast_training()
    plan = _plan_json(cli, project, "-target", "job.support-sft")
    assert actions(plan) == {
        "dataset.support-chat": "create",
        "dataset.support-faq": "create",
        "job.support-sft": "create",
    }
    applied = cli(project, "apply", "--auto-approve", "-target", "job.support-sft")
    assert applied.code == 0, applied.text
    assert sorted(load_state(project).resources) == ["dataset.support-chat", "dataset.support-faq", "job.support-sft"]
    assert emu.job_counts() == {"job.support-sft": 1}
    rest = _plan_json(cli, project)
    assert {a: x for a, x in actions(rest).items() if x != "no-op"} == {
        "dataset.support-prefs": "create",
        "job.support-dpo": "create",
        DEPLOYMENT: "create",
    }


def test_a_target_or_replace_address_that_names_nothing_is_an_error_not_an_empty_plan(
    project: Path, emu: Emu, cli: RunCli
) -> None:
    typo = cli(project, "plan", "--detailed-exitcode", "-target", "job.support-sfft")
    assert typo.code == 1, typo.text
    assert 'did you mean "job.support-sft"' in typo.err
    unknown = cli(project, "apply", "--auto-approve", "-replace", "nope")
    assert unknown.code == 1, unknown.text
    assert "-replace nope: no such resource" in unknown.err
    assert emu.job_counts() == {}
    mixed_up = cli(project, "plan", "--target", "job.support-sft")
    assert mixed_up.code == 1
    assert "use -target job.support-sft" in mixed_up.err


def test_replace_forces_a_deployment_to_be_recreated(project: Path, emu: Emu, cli: RunCli) -> None:
    emu.fast_training()
    assert cli(project, "apply", "--auto-approve").code == 0
    created = emu.deployment("support-dev").system_data.last_modified_at

    plan = _plan_json(cli, project, "-replace", DEPLOYMENT)
    # Same name in the same account: the old deployment must go first, and the plan says so.
    assert {a: x for a, x in actions(plan).items() if x != "no-op"} == {DEPLOYMENT: "delete-then-create"}
    assert changes_by_address(plan)[DEPLOYMENT]["actions"] == ["delete", "create"]
    assert changes_by_address(plan)[DEPLOYMENT]["reasons"][0]["code"] == "replace_requested"
    assert [s["name"] for s in plan["stages"]] == ["walk"]  # nothing left for cleanup
    human = cli(project, "plan", "-replace", DEPLOYMENT)
    assert "the old deployment is deleted first, so it is unavailable until the new one is created" in human.out

    applied = cli(project, "apply", "--auto-approve", "-replace", DEPLOYMENT)
    assert applied.code == 0, applied.text
    assert "1 added, 0 changed, 1 destroyed" in applied.out
    assert emu.deployment("support-dev").system_data.last_modified_at > created
    assert cli(project, "plan", "--detailed-exitcode").code == 0


def test_replacing_a_job_retrains_the_jobs_stacked_on_it(project: Path, emu: Emu, cli: RunCli) -> None:
    emu.fast_training()
    assert cli(project, "apply", "--auto-approve").code == 0
    before = load_state(project)

    plan = _plan_json(cli, project, "-replace", "job.support-sft")
    assert {a: x for a, x in actions(plan).items() if x != "no-op"} == {
        "job.support-sft": "create-then-delete",
        "job.support-dpo": "create-then-delete",
        DEPLOYMENT: "update",
    }
    dpo = changes_by_address(plan)["job.support-dpo"]
    assert dpo["replace_paths"] == ["base_model"]

    assert cli(project, "apply", "--auto-approve", "-replace", "job.support-sft").code == 0
    after = load_state(project)
    for job in JOBS:
        assert after.resources[job].remote_id != before.resources[job].remote_id
    dpo_model = after.resources["job.support-dpo"].attributes["fine_tuned_model"]
    assert (
        emu.job(after.resources["job.support-dpo"].remote_id).model
        == (after.resources["job.support-sft"].attributes["fine_tuned_model"])
    )
    assert emu.deployment("support-dev").properties.model.name == dpo_model
    assert emu.job_counts() == {job: 1 for job in JOBS}
    assert cli(project, "plan", "--detailed-exitcode").code == 0


def test_refresh_false_trusts_the_state_and_refresh_only_shows_drift_alone(
    project: Path, emu: Emu, cli: RunCli
) -> None:
    emu.fast_training()
    assert cli(project, "apply", "--auto-approve").code == 0
    emu.set_capacity("support-dev", 20)

    assert cli(project, "plan", "-refresh=false", "--detailed-exitcode").code == 0  # Azure not read

    drift_only = cli(project, "plan", "-refresh-only", "--format", "json", "--detailed-exitcode")
    assert drift_only.code == 2, drift_only.text
    plan = json.loads(drift_only.out)
    assert plan["resource_changes"] == []
    assert [(d["address"], d["change"]) for d in plan["drift"]] == [(DEPLOYMENT, "changed")]
    assert plan["drift"][0]["before"] == {"capacity": 50} and plan["drift"][0]["after"] == {"capacity": 20}

    full = _plan_json(cli, project, "--detailed-exitcode")
    assert {a: x for a, x in actions(full).items() if x != "no-op"} == {DEPLOYMENT: "update"}


def test_a_deployment_without_rai_policy_keeps_azures_default_without_a_diff(
    project: Path, emu: Emu, cli: RunCli
) -> None:
    edit(project, "specs/deployments.yaml", "  rai_policy: Microsoft.DefaultV2\n", "")
    emu.fast_training()
    assert cli(project, "apply", "--auto-approve").code == 0
    assert emu.deployment("support-dev").properties.rai_policy_name == "Microsoft.DefaultV2"  # Azure's choice
    assert cli(project, "plan", "--detailed-exitcode").code == 0


def test_init_scaffold_applies_and_converges(emu: Emu, cli: RunCli, tmp_path: Path) -> None:
    """`fineplan init` trains on one split dataset (train and validation parts): it must plan and apply."""
    emu.fast_training()
    root = tmp_path / "scaffold"
    assert cli(tmp_path, "init", "scaffold").code == 0
    applied = cli(root, "apply", "--auto-approve")
    assert applied.code == 0, applied.text
    job = load_state(root).resources["job.assistant-sft"].attributes
    assert job["validation_file"] and job["validation_file"] != job["training_file"]
    assert cli(root, "plan", "--detailed-exitcode").code == 0


def test_a_plan_file_that_is_not_a_valid_plan_is_refused_before_anything_runs(
    project: Path, emu: Emu, cli: RunCli, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    wrong_shape = tmp_path / "shape.json"
    wrong_shape.write_text(json.dumps({"format_version": "1.0", "resource_changes": "nope"}), encoding="utf-8")
    for path in (broken, wrong_shape, tmp_path / "missing.json"):
        refused = cli(project, "apply", str(path))
        assert refused.code == 1, refused.text
        assert f"plan file {path}" in refused.err and "Traceback" not in refused.err
    assert emu.is_empty()
