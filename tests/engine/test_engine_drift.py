"""Drift, classified (deleted outside, changed outside, Developer deployment expired, job cancelled outside), and
the state commands that mend or inspect state: `state rebuild` after losing it, `import`, `state list|show|rm|mv`,
`output`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from engine_helpers import (
    ALL,
    DEPLOYMENT,
    JOBS,
    Emu,
    RunCli,
    StartEmulator,
    actions,
    changes_by_address,
    edit,
    load_state,
    state_path,
)

pytestmark = pytest.mark.slow  # end-to-end: the CLI against the emulator

DAY = 24 * 3600.0


def _plan(cli: RunCli, root: Path) -> dict:  # type: ignore[type-arg]
    result = cli(root, "plan", "--format", "json", "--detailed-exitcode")
    assert result.code in (0, 2), result.text
    return json.loads(result.out)  # type: ignore[no-any-return]


def _changed(plan: dict) -> dict[str, str]:  # type: ignore[type-arg]
    return {a: x for a, x in actions(plan).items() if x != "no-op"}


def _drift(plan: dict) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return [(d["address"], d["change"]) for d in plan["drift"]]


def test_deployment_deleted_outside_is_recreated(project: Path, emu: Emu, cli: RunCli) -> None:
    emu.fast_training()
    assert cli(project, "apply", "--auto-approve").code == 0
    emu.delete_deployment("support-dev")

    plan = _plan(cli, project)
    assert _drift(plan) == [(DEPLOYMENT, "deleted")]
    assert _changed(plan) == {DEPLOYMENT: "create"}
    assert changes_by_address(plan)[DEPLOYMENT]["reasons"][0]["code"] == "deleted_outside"

    assert cli(project, "apply", "--auto-approve").code == 0
    assert [d.name for d in emu.deployments()] == ["support-dev"]
    assert emu.job_counts() == {job: 1 for job in JOBS}  # a lost deployment never retrains its job
    assert cli(project, "plan", "--detailed-exitcode").code == 0


def test_capacity_changed_outside_is_updated_in_place(project: Path, emu: Emu, cli: RunCli) -> None:
    emu.fast_training()
    assert cli(project, "apply", "--auto-approve").code == 0
    created = emu.deployment("support-dev").system_data.created_at
    emu.set_capacity("support-dev", 20)

    plan = _plan(cli, project)
    assert _drift(plan) == [(DEPLOYMENT, "changed")]
    assert "capacity" in plan["drift"][0]["message"]
    assert _changed(plan) == {DEPLOYMENT: "update"}
    assert [r["code"] for r in changes_by_address(plan)[DEPLOYMENT]["reasons"]] == ["drift", "input_changed"]

    assert cli(project, "apply", "--auto-approve").code == 0
    now = emu.deployment("support-dev")
    assert now.sku.capacity == 50 and now.system_data.created_at == created  # in place, not recreated
    assert cli(project, "plan", "--detailed-exitcode").code == 0


def test_developer_deployment_expired_after_a_day_is_recreated(
    project: Path, start_emulator: StartEmulator, cli: RunCli
) -> None:
    # The emulator's clock starts a day and a bit behind fineplan's, then catches up: to fineplan the deployment
    # is more than 24 h old, and the emulator has expired it (Azure deletes Developer deployments after 24 h).
    emu = start_emulator(clock_offset=-(DAY + 600))
    emu.fast_training()
    assert cli(project, "apply", "--auto-approve").code == 0
    assert cli(project, "plan", "--detailed-exitcode").code == 0
    emu.clock.advance(DAY + 900)
    assert emu.deployments() == []

    plan = _plan(cli, project)
    assert _drift(plan) == [(DEPLOYMENT, "expired")]
    assert _changed(plan) == {DEPLOYMENT: "create"}
    reason = changes_by_address(plan)[DEPLOYMENT]["reasons"][0]
    assert reason["code"] == "developer_expired" and "24 h" in reason["message"]

    assert cli(project, "apply", "--auto-approve").code == 0
    assert [d.name for d in emu.deployments()] == ["support-dev"]
    assert emu.job_counts() == {job: 1 for job in JOBS}


def test_job_cancelled_outside_is_retrained(project: Path, emu: Emu, cli: RunCli) -> None:
    emu.hooks.after("create_job", lambda op, req, resp: emu.clock.freeze())  # the job stays queued
    submitted = cli(project, "apply", "--auto-approve", "--no-wait")
    assert submitted.code == 0, submitted.text
    sft = load_state(project).resources["job.support-sft"]
    cancelled = emu.openai.fine_tuning.jobs.cancel(sft.remote_id)
    assert cancelled.status == "cancelled"
    emu.hooks.clear()
    emu.clock.thaw()

    plan = _plan(cli, project)
    assert _drift(plan) == [("job.support-sft", "cancelled")]
    assert actions(plan)["job.support-sft"] == "create-then-delete"
    assert changes_by_address(plan)["job.support-sft"]["reasons"][0]["code"] == "job_cancelled"

    emu.fast_training()
    assert cli(project, "apply", "--auto-approve").code == 0
    state = load_state(project)
    assert state.resources["job.support-sft"].remote_id != sft.remote_id
    assert emu.job_counts() == {job: 1 for job in JOBS}  # the cancelled job was cleaned up after its replacement
    assert cli(project, "plan", "--detailed-exitcode").code == 0


def test_state_lost_then_rebuilt_from_tags_plans_no_changes(project: Path, emu: Emu, cli: RunCli) -> None:
    emu.fast_training()
    assert cli(project, "apply", "--auto-approve").code == 0
    before = load_state(project)
    state_path(project).unlink()

    rebuilt = cli(project, "state", "rebuild")
    assert rebuilt.code == 0, rebuilt.text
    assert "6 resource(s)" in rebuilt.out
    after = load_state(project)
    assert {a: r.remote_id for a, r in after.resources.items()} == {a: r.remote_id for a, r in before.resources.items()}
    unchanged = cli(project, "plan", "--detailed-exitcode")
    assert unchanged.code == 0, unchanged.text


def test_import_adopts_a_deployment_made_outside_fineplan(project: Path, emu: Emu, cli: RunCli) -> None:
    emu.fast_training()
    assert cli(project, "apply", "--auto-approve", "-target", "job.support-dpo").code == 0
    model = load_state(project).resources["job.support-dpo"].attributes["fine_tuned_model"]
    emu.create_deployment("support-dev", model, "DeveloperTier", 50)  # by hand, untagged
    assert _changed(_plan(cli, project)) == {DEPLOYMENT: "create"}

    imported = cli(project, "import", DEPLOYMENT, "local/support-dev")
    assert imported.code == 0, imported.text
    shown = cli(project, "state", "show", DEPLOYMENT)
    assert shown.code == 0
    assert json.loads(shown.out)["attributes"]["model"] == model
    assert cli(project, "plan", "--detailed-exitcode").code == 0

    again = cli(project, "import", DEPLOYMENT, "local/support-dev")
    assert again.code == 1 and "already managed" in again.err
    missing = cli(project, "import", "job.support-sft", "ftjob-00000000000000000000000000000000")
    assert missing.code == 1 and "already managed" in missing.err
    undeclared = cli(project, "import", "deployment.nope", "local/support-dev")
    assert undeclared.code == 1 and "not declared" in undeclared.err
    empty = cli(project, "import", "job.support-sft", "")
    assert empty.code == 1 and "non-empty ID" in empty.err

    # The full ARM id, as `fineplan show` prints it, works too.
    arm_id = load_state(project).resources[DEPLOYMENT].remote_id
    assert arm_id.startswith("/subscriptions/")
    assert cli(project, "state", "rm", DEPLOYMENT).code == 0
    by_arm_id = cli(project, "import", DEPLOYMENT, arm_id)
    assert by_arm_id.code == 0, by_arm_id.text
    assert cli(project, "plan", "--detailed-exitcode").code == 0


def test_import_a_job_after_state_rm(project: Path, emu: Emu, cli: RunCli) -> None:
    emu.fast_training()
    assert cli(project, "apply", "--auto-approve").code == 0
    sft = load_state(project).resources["job.support-sft"]

    removed = cli(project, "state", "rm", "job.support-sft")
    assert removed.code == 0 and "Azure objects are untouched" in removed.out
    assert "job.support-sft" not in cli(project, "state", "list").out.split()
    assert emu.job_counts()["job.support-sft"] == 1
    # `state rm` means "stop managing": the next refresh must not adopt the job back by its tags.
    after_rm = _plan(cli, project)
    assert _changed(after_rm)["job.support-sft"] == "create"
    assert "job.support-sft" not in [d["address"] for d in after_rm["drift"]]

    bogus = cli(project, "import", "job.support-sft", "ftjob-00000000000000000000000000000000")
    assert bogus.code == 1 and "no job" in bogus.err
    assert cli(project, "import", "job.support-sft", sft.remote_id).code == 0
    assert load_state(project).resources["job.support-sft"].remote_id == sft.remote_id
    assert cli(project, "plan", "--detailed-exitcode").code == 0


def test_state_mv_follows_a_renamed_job_without_retraining(project: Path, emu: Emu, cli: RunCli) -> None:
    emu.fast_training()
    assert cli(project, "apply", "--auto-approve").code == 0
    dpo = load_state(project).resources["job.support-dpo"]
    edit(project, "specs/jobs.yaml", "name: support-dpo", "name: support-dpo-v2")
    edit(project, "specs/deployments.yaml", "{job: support-dpo}", "{job: support-dpo-v2}")
    assert _changed(_plan(cli, project)) == {
        "job.support-dpo": "delete",
        "job.support-dpo-v2": "create",
        DEPLOYMENT: "update",
    }

    moved = cli(project, "state", "mv", "job.support-dpo", "job.support-dpo-v2")
    assert moved.code == 0, moved.text
    assert _changed(_plan(cli, project)) == {}
    assert load_state(project).resources["job.support-dpo-v2"].remote_id == dpo.remote_id


def test_state_mv_of_a_deployment_keeps_its_azure_name(project: Path, emu: Emu, cli: RunCli) -> None:
    """A deployment's name is its identity in Azure: moving its address does not rename it, so renaming the spec
    as well is a replacement (create the new name, then delete the old)."""
    emu.fast_training()
    assert cli(project, "apply", "--auto-approve").code == 0
    edit(project, "specs/deployments.yaml", "name: support-dev", "name: support-web")
    assert cli(project, "state", "mv", DEPLOYMENT, "deployment.support-web").code == 0
    assert load_state(project).resources["deployment.support-web"].name == "support-dev"

    plan = _plan(cli, project)
    assert _drift(plan) == []  # still found in Azure under its own name
    assert _changed(plan) == {"deployment.support-web": "create-then-delete"}  # a new name: no outage
    assert changes_by_address(plan)["deployment.support-web"]["replace_paths"] == ["name"]
    assert {s["name"]: s["addresses"] for s in plan["stages"]}["cleanup"] == ["deployment.support-web"]
    assert cli(project, "apply", "--auto-approve").code == 0
    assert [d.name for d in emu.deployments()] == ["support-web"]
    assert cli(project, "plan", "--detailed-exitcode").code == 0


def test_state_list_show_mv_rm_and_output(project: Path, emu: Emu, cli: RunCli) -> None:
    emu.fast_training()
    assert cli(project, "apply", "--auto-approve").code == 0
    state = load_state(project)

    listed = cli(project, "state", "list")
    assert listed.code == 0 and listed.out.split() == sorted(ALL)
    shown = json.loads(cli(project, "state", "show", "job.support-dpo").out)
    assert shown["remote_id"] == state.resources["job.support-dpo"].remote_id
    assert cli(project, "state", "show", "job.nope").code == 1

    assert cli(project, "state", "mv", DEPLOYMENT, "deployment.renamed").code == 0
    assert "deployment.renamed" in cli(project, "state", "list").out.split()
    wrong_kind = cli(project, "state", "mv", "deployment.renamed", "job.renamed")
    assert wrong_kind.code == 1 and "must be deployment.NAME" in wrong_kind.err
    assert cli(project, "state", "mv", "deployment.renamed", DEPLOYMENT).code == 0
    assert cli(project, "state", "rm", "job.nope").code == 1
    assert cli(project, "plan", "--detailed-exitcode").code == 0
    after = load_state(project)
    assert after.lineage == state.lineage and after.serial > state.serial

    out = cli(project, "output", "--json")
    assert out.code == 0
    values = json.loads(out.out)
    assert (
        values["job.support-dpo"]["fine_tuned_model"]
        == state.resources["job.support-dpo"].attributes["fine_tuned_model"]
    )
    assert values[DEPLOYMENT]["deployment"] == "support-dev"
    assert values[DEPLOYMENT]["model"] == values["job.support-dpo"]["fine_tuned_model"]
    one = cli(project, "output", DEPLOYMENT)
    assert one.code == 0 and "support-dev" in one.out
    assert cli(project, "output", "deployment.nope").code == 1
    assert set(json.loads(cli(project, "show", "--json").out)["resources"]) == set(ALL)
