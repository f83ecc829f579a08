"""Checkpoint deployments end to end: `model: {job: NAME, checkpoint: best | last | STEP}` serves the checkpoint's
`fine_tuned_model_checkpoint`, the plan says which step and why, a missing step is a located FP334, and a retrained
job with another best checkpoint swaps the model in place. Through the CLI, on a temp copy of examples/quickstart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from engine_helpers import Emu, RunCli, append_row, changes_by_address, edit, load_state, state_path

pytestmark = pytest.mark.slow  # end-to-end: the CLI against the emulator

SFT_BEST = """\
---
kind: Deployment
name: sft-best
spec:
  model: {job: support-sft, checkpoint: best}
  type: developer  # fineplan: ignore[FP312] evaluation only
  capacity: 10
"""
ADDRESS = "deployment.sft-best"


def _with_checkpoint_deployment(project: Path) -> None:
    path = project / "specs" / "deployments.yaml"
    path.write_text(path.read_text(encoding="utf-8") + SFT_BEST, encoding="utf-8")


def _checkpoints(emu: Emu, job_id: str) -> list[dict[str, object]]:
    return [c.to_dict() for c in emu.openai.fine_tuning.jobs.checkpoints.list(job_id)]


def test_best_checkpoint_is_deployed_and_explained(project: Path, emu: Emu, cli: RunCli) -> None:
    _with_checkpoint_deployment(project)
    first = cli(project, "plan", "--format", "json")
    assert first.code == 0, first.text
    planned = changes_by_address(json.loads(first.out))[ADDRESS]
    assert planned["after"]["model"] == planned["after"]["checkpoint"] == "(known after apply)"

    applied = cli(project, "apply", "--auto-approve")
    assert applied.code == 0, applied.text
    state = load_state(project)
    job = state.resources["job.support-sft"]
    checkpoints = _checkpoints(emu, str(job.remote_id))
    assert len(checkpoints) >= 2
    best = min(checkpoints, key=lambda c: (c["metrics"]["valid_loss"], -c["step_number"]))  # type: ignore[index]
    record = state.resources[ADDRESS]
    assert record.attributes["model"] == best["fine_tuned_model_checkpoint"]
    assert record.attributes["checkpoint"]["step"] == best["step_number"]
    assert record.attributes["checkpoint"]["selector"] == "best"
    assert record.attributes["checkpoint"]["why"].startswith("lowest valid loss ")
    assert emu.deployment("sft-best").properties.model.name == best["fine_tuned_model_checkpoint"]

    unchanged = cli(project, "plan", "--detailed-exitcode")
    assert unchanged.code == 0, unchanged.text
    assert "No changes" in unchanged.out

    # best → last: an in-place model swap to the highest step, with the step and why in the plan.
    edit(project, "specs/deployments.yaml", "checkpoint: best", "checkpoint: last")
    last = max(checkpoints, key=lambda c: c["step_number"])  # type: ignore[arg-type,return-value]
    human = cli(project, "plan", "--detailed-exitcode")
    assert human.code == 2, human.text
    assert f"checkpoint step {last['step_number']}: last checkpoint" in human.out
    as_json = json.loads(cli(project, "plan", "--format", "json").out)
    change = changes_by_address(as_json)[ADDRESS]
    if last["step_number"] != best["step_number"]:
        assert change["actions"] == ["update"]
        assert change["after"]["model"] == last["fine_tuned_model_checkpoint"]
    assert change["after"]["checkpoint"] == {"selector": "last", "step": last["step_number"], "why": "last checkpoint"}


def test_a_step_that_does_not_exist_is_a_located_error(project: Path, emu: Emu, cli: RunCli) -> None:
    _with_checkpoint_deployment(project)
    assert cli(project, "apply", "--auto-approve").code == 0
    job = load_state(project).resources["job.support-sft"]
    steps = [c["step_number"] for c in _checkpoints(emu, str(job.remote_id))]
    edit(project, "specs/deployments.yaml", "checkpoint: best", "checkpoint: 7")
    assert 7 not in steps
    planned = cli(project, "plan")
    assert planned.code == 1, planned.text
    text = planned.text
    assert "FP334" in text
    lines = (project / "specs" / "deployments.yaml").read_text(encoding="utf-8").splitlines()
    line = next(i for i, t in enumerate(lines, 1) if "checkpoint: 7" in t)
    assert f"on specs/deployments.yaml line {line}, column" in text
    assert "checkpoint step 7 does not exist (job.support-sft has steps" in text
    assert "job.support-sft has no checkpoint at step 7" in text
    assert ", ".join(map(str, sorted(steps))) in text
    # A step that does exist deploys it.
    edit(project, "specs/deployments.yaml", "checkpoint: 7", f"checkpoint: {steps[0]}")
    assert cli(project, "apply", "--auto-approve").code == 0
    record = load_state(project).resources[ADDRESS]
    assert record.attributes["checkpoint"] == {"selector": steps[0], "step": steps[0], "why": "step asked for"}
    assert record.attributes["model"].endswith(f":ckpt-step-{steps[0]}")


def test_a_retrain_swaps_the_checkpoint_model_in_place(project: Path, emu: Emu, cli: RunCli) -> None:
    _with_checkpoint_deployment(project)
    assert cli(project, "apply", "--auto-approve").code == 0
    before = load_state(project).resources[ADDRESS]
    append_row(project, "data/support_chat.jsonl")
    plan = json.loads(cli(project, "plan", "--format", "json").out)
    change = changes_by_address(plan)[ADDRESS]
    assert change["actions"] == ["update"]
    assert change["after"]["model"] == change["after"]["checkpoint"] == "(known after apply)"
    assert cli(project, "apply", "--auto-approve").code == 0
    state = load_state(project)
    after = state.resources[ADDRESS]
    new_job = state.resources["job.support-sft"]
    assert after.remote_id == before.remote_id  # the same deployment, its model swapped
    assert after.attributes["model"] != before.attributes["model"]
    assert after.attributes["model"].startswith(new_job.attributes["fine_tuned_model"] + ":ckpt-step-")
    assert emu.deployment("sft-best").properties.model.name == after.attributes["model"]
    assert cli(project, "plan", "--detailed-exitcode").code == 0


def test_a_job_recorded_without_its_checkpoints_has_them_read_at_refresh(project: Path, emu: Emu, cli: RunCli) -> None:
    """A job trained before checkpoints were recorded (or adopted, or imported): refresh reads them once."""
    assert cli(project, "apply", "--auto-approve").code == 0
    path = state_path(project)
    doc = json.loads(path.read_text(encoding="utf-8"))
    del doc["resources"]["job.support-sft"]["attributes"]["checkpoints"]
    path.write_text(json.dumps(doc), encoding="utf-8")
    _with_checkpoint_deployment(project)
    plan = json.loads(cli(project, "plan", "--format", "json").out)
    change = changes_by_address(plan)[ADDRESS]
    assert change["actions"] == ["create"]
    job_id = str(load_state(project).resources["job.support-sft"].remote_id)
    steps = {c["step_number"] for c in _checkpoints(emu, job_id)}
    assert change["after"]["checkpoint"]["step"] in steps  # resolved at plan time, not known after apply
    assert change["after"]["model"].endswith(f":ckpt-step-{change['after']['checkpoint']['step']}")
    assert cli(project, "apply", "--auto-approve").code == 0
    assert load_state(project).resources["job.support-sft"].attributes["checkpoints"]  # kept from then on


def test_a_job_deleted_outside_fineplan_before_its_checkpoints_were_read_is_drift(
    project: Path, emu: Emu, cli: RunCli
) -> None:
    assert cli(project, "apply", "--auto-approve").code == 0
    path = state_path(project)
    doc = json.loads(path.read_text(encoding="utf-8"))
    del doc["resources"]["job.support-sft"]["attributes"]["checkpoints"]
    path.write_text(json.dumps(doc), encoding="utf-8")
    job_id = doc["resources"]["job.support-sft"]["remote_id"]
    emu.openai.delete(f"/fine_tuning/jobs/{job_id}", cast_to=type(None))
    planned = cli(project, "plan", "--detailed-exitcode", "--format", "json")
    assert planned.code == 2, planned.text
    plan = json.loads(planned.out)
    assert [d["address"] for d in plan["drift"] if d["change"] == "deleted"] == ["job.support-sft"]
    assert changes_by_address(plan)["job.support-sft"]["actions"] == ["create"]
