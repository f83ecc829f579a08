"""What stops or limits an apply: a failing gate (that deployment alone), the training budget (nothing created),
lifecycle.prevent_destroy, and `--no-wait` (submit, exit, continue later)."""

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
    actions,
    append_row,
    changes_by_address,
    edit,
    load_state,
    state_path,
)

pytestmark = pytest.mark.slow  # end-to-end: the CLI against the emulator

SECOND_DEPLOYMENT = """---
kind: Deployment
name: support-sft-dev
spec:
  model: {job: support-sft}
  type: developer  # fineplan: ignore[FP312] evaluation only
  capacity: 10
"""


def test_failing_gate_blocks_that_deployment_alone(project: Path, emu: Emu, cli: RunCli) -> None:
    edit(project, "specs/deployments.yaml", "  capacity: 50\n", "  capacity: 50\n  gate: {max_train_loss: 0.001}\n")
    with (project / "specs" / "deployments.yaml").open("a", encoding="utf-8") as fh:
        fh.write(SECOND_DEPLOYMENT)
    emu.fast_training()

    applied = cli(project, "apply", "--auto-approve")
    assert applied.code == 0, applied.text
    assert "skipped deployment.support-dev: gate failed: train_loss = " in applied.out
    assert [d.name for d in emu.deployments()] == ["support-sft-dev"]  # the ungated one went ahead
    assert DEPLOYMENT not in load_state(project).resources

    plan = json.loads(cli(project, "plan", "--format", "json").out)
    assert [(g["address"], g["status"]) for g in plan["gates"]] == [(DEPLOYMENT, "failed")]
    blocked = changes_by_address(plan)[DEPLOYMENT]
    assert blocked["action"] == "create" and blocked["blocked"].startswith("gate failed")

    edit(project, "specs/deployments.yaml", "max_train_loss: 0.001", "max_train_loss: 10")
    assert cli(project, "apply", "--auto-approve").code == 0
    assert sorted(d.name for d in emu.deployments()) == ["support-dev", "support-sft-dev"]
    assert emu.job_counts() == {job: 1 for job in JOBS}


def test_budget_refuses_the_apply_before_anything_is_created(project: Path, emu: Emu, cli: RunCli) -> None:
    refused = cli(project, "apply", "--auto-approve", "--max-cost", "0.000001")
    assert refused.code == 1
    assert "exceeds the budget" in refused.err and "apply refused before changing anything" in refused.err
    assert emu.is_empty()
    assert not state_path(project).exists() or not load_state(project).resources
    planned = cli(project, "plan", "--max-cost", "0.000001")
    assert planned.code == 1 and "FP501" in planned.out
    # The budget came from the flag, so the finding points at no line of fineplan.yaml.
    as_json = json.loads(cli(project, "plan", "--max-cost", "0.000001", "--format", "json").out)
    budget = [d for d in as_json["diagnostics"] if d["code"] == "FP501"]
    assert budget and "range" not in budget[0]
    from_file = json.loads(cli(project, "plan", "--format", "json").out)  # quickstart budget: $25, not exceeded
    assert not [d for d in from_file["diagnostics"] if d["code"] == "FP501"]


def test_prevent_destroy_refuses_destroy_and_replacement(project: Path, emu: Emu, cli: RunCli) -> None:
    edit(project, "specs/jobs.yaml", "name: support-sft\n", "name: support-sft\nlifecycle: {prevent_destroy: true}\n")
    emu.fast_training()
    assert cli(project, "apply", "--auto-approve").code == 0

    destroy = cli(project, "destroy", "--auto-approve")
    assert destroy.code == 1
    assert "job.support-sft has lifecycle.prevent_destroy" in destroy.err
    append_row(project, "data/support_chat.jsonl")
    retrain = cli(project, "apply", "--auto-approve")
    assert retrain.code == 1 and "would replace it" in retrain.err
    assert sorted(load_state(project).resources) == sorted(ALL)
    assert emu.job_counts() == {job: 1 for job in JOBS} and len(emu.deployments()) == 1


def test_no_wait_submits_and_a_later_apply_continues(project: Path, emu: Emu, cli: RunCli) -> None:
    emu.hooks.after("create_job", lambda op, req, resp: emu.clock.freeze())  # training stands still meanwhile
    submitted = cli(project, "apply", "--auto-approve", "--no-wait")
    assert submitted.code == 0, submitted.text
    assert "training continues" in submitted.out
    state = load_state(project)
    assert state.resources["job.support-sft"].status not in ("succeeded", "failed", "cancelled")
    assert "job.support-dpo" not in state.resources and DEPLOYMENT not in state.resources
    emu.hooks.clear()
    emu.clock.thaw()

    plan = json.loads(cli(project, "plan", "--format", "json").out)
    assert {a: x for a, x in actions(plan).items() if x != "no-op"} == {
        "job.support-sft": "wait",
        "job.support-dpo": "create",
        DEPLOYMENT: "create",
    }
    emu.fast_training()
    emu.clock.advance(5)  # the submitted job finishes while nobody watches
    continued = cli(project, "apply", "--auto-approve")
    assert continued.code == 0, continued.text
    after = load_state(project)
    assert after.resources["job.support-sft"].remote_id == state.resources["job.support-sft"].remote_id
    assert sorted(after.resources) == sorted(ALL)
    assert emu.job_counts() == {job: 1 for job in JOBS}
    assert cli(project, "plan", "--detailed-exitcode").code == 0


def test_removing_a_job_spec_deletes_the_job_and_what_serves_it(project: Path, emu: Emu, cli: RunCli) -> None:
    """The documented decision: a job whose spec is gone is deleted (its fine-tuned model goes with it), after the
    deployments that served it; the job it was stacked on stays."""
    emu.fast_training()
    assert cli(project, "apply", "--auto-approve").code == 0
    sft = load_state(project).resources["job.support-sft"].remote_id
    jobs = (project / "specs" / "jobs.yaml").read_text(encoding="utf-8")
    (project / "specs" / "jobs.yaml").write_text(jobs.split("---\n")[0], encoding="utf-8")
    (project / "specs" / "deployments.yaml").unlink()

    plan = json.loads(cli(project, "plan", "--format", "json").out)
    removed = {a: x for a, x in actions(plan).items() if x != "no-op"}
    assert removed == {"job.support-dpo": "delete", DEPLOYMENT: "delete"}
    assert next(c["address"] for c in plan["resource_changes"] if c["action"] == "delete") == DEPLOYMENT
    assert all(changes_by_address(plan)[a]["reasons"][0]["code"] == "removed" for a in removed)

    assert cli(project, "apply", "--auto-approve").code == 0
    assert [j.id for j in emu.jobs()] == [sft] and emu.deployments() == []
    assert cli(project, "plan", "--detailed-exitcode").code == 0


def test_apply_without_a_terminal_or_auto_approve_changes_nothing(project: Path, emu: Emu, cli: RunCli) -> None:
    refused = cli(project, "apply")
    assert refused.code == 1 and "pass --auto-approve" in refused.err
    assert emu.is_empty()


def test_timeout_gives_up_waiting_keeps_state_and_a_later_apply_continues(project: Path, emu: Emu, cli: RunCli) -> None:
    emu.hooks.after("create_job", lambda op, req, resp: emu.clock.freeze())  # the job never progresses
    timed_out = cli(project, "apply", "--auto-approve", "--timeout", "1")
    assert timed_out.code == 1
    assert "timed out waiting for ftjob-" in timed_out.out
    sft = load_state(project).resources["job.support-sft"]
    emu.hooks.clear()
    emu.clock.thaw()
    emu.fast_training()
    emu.clock.advance(5)

    assert cli(project, "apply", "--auto-approve").code == 0
    assert load_state(project).resources["job.support-sft"].remote_id == sft.remote_id
    assert emu.job_counts() == {job: 1 for job in JOBS}
