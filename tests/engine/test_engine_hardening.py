"""Issue 11's hardening, end to end on the quickstart: old objects of replacements cleaned up across runs, jobs
that state does not track reported with what they cost, retries counted, deployment requests checked before
anything is spent."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from engine_helpers import (
    DEPLOYMENT,
    JOBS,
    Emu,
    RunCli,
    StartEmulator,
    append_row,
    changes_by_address,
    edit,
    load_state,
)

pytestmark = pytest.mark.slow  # end-to-end: several applies against the emulator


def test_an_old_job_kept_by_a_no_wait_replace_is_cleaned_up_by_a_later_apply(
    project: Path, emu: Emu, cli: RunCli
) -> None:
    """`apply -replace job.support-sft --no-wait` submits the new SFT job and must keep the old one (the DPO job
    and the deployment still use what was built on it). The next apply retrains what is stacked on the new SFT
    job and then deletes the old one: it was remembered in state, not left in Azure forever."""
    emu.fast_training()
    assert cli(project, "apply", "--auto-approve").code == 0
    old_sft = load_state(project).resources["job.support-sft"].remote_id
    emu.hooks.clear()  # the new SFT job is still training when the --no-wait apply ends

    first = cli(project, "apply", "-replace", "job.support-sft", "--no-wait", "--auto-approve")
    assert first.code == 0, first.text
    state = load_state(project)
    assert [s.what for s in state.superseded] == [f"job {old_sft}"], first.text
    assert old_sft in {j.id for j in emu.jobs()}

    plan = cli(project, "plan", "--format", "json")
    doc = json.loads(plan.out)
    assert doc["superseded"] == [
        {
            "address": "job.support-sft",
            "kind": "FineTuningJob",
            "what": f"job {old_sft}",
            "remote_id": old_sft,
            "kept_for": None,
        }
    ]
    assert "job.support-sft" in next(s["addresses"] for s in doc["stages"] if s["name"] == "cleanup")
    human = cli(project, "plan")
    assert f"job.support-sft: the old job {old_sft} is deleted in the cleanup stage" in human.out

    emu.fast_training()
    again = cli(project, "apply", "--auto-approve")
    assert again.code == 0, again.text
    assert old_sft not in {j.id for j in emu.jobs()}
    assert not load_state(project).superseded
    assert emu.job_counts() == {job: 1 for job in JOBS}
    assert cli(project, "plan", "--detailed-exitcode").code == 0


def test_an_old_object_still_served_is_kept_and_said_so(project: Path, emu: Emu, cli: RunCli) -> None:
    """A superseded job whose model a deployment still serves (the swap is held back by a gate) stays, and the
    plan names what still uses it; the cleanup stage leaves it alone."""
    emu.fast_training()
    assert cli(project, "apply", "--auto-approve").code == 0
    edit(project, "specs/deployments.yaml", "  capacity: 50\n", "  capacity: 50\n  gate: {max_train_loss: -1.0}\n")
    old_dpo = load_state(project).resources["job.support-dpo"].remote_id
    applied = cli(project, "apply", "-replace", "job.support-dpo", "--auto-approve")
    assert applied.code == 0, applied.text
    assert old_dpo in {j.id for j in emu.jobs()}, "the deployment still serves the old DPO model"
    state = load_state(project)
    assert [s.what for s in state.superseded] == [f"job {old_dpo}"]

    doc = json.loads(cli(project, "plan", "--format", "json").out)
    assert [(s["what"], s["kept_for"]) for s in doc["superseded"]] == [(f"job {old_dpo}", DEPLOYMENT)]
    assert changes_by_address(doc)[DEPLOYMENT]["blocked"]

    edit(project, "specs/deployments.yaml", "  gate: {max_train_loss: -1.0}\n", "")
    assert cli(project, "apply", "--auto-approve").code == 0
    assert old_dpo not in {j.id for j in emu.jobs()}
    assert not load_state(project).superseded


def _extra_sft_job(emu: Emu, project: Path) -> str:
    """What a run that lost its lock leaves: a second job for job.support-sft with fineplan's tags, still training."""
    sft = load_state(project).resources["job.support-sft"]
    tags = emu.job(sft.remote_id).metadata
    job = emu.openai.fine_tuning.jobs.create(
        model="gpt-4.1-nano-2025-04-14",
        training_file=sft.attributes["training_file"],
        metadata={**tags, "fineplan_op": "lost-lock-run"},
        method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 3}}},
        extra_body={"trainingType": "developerTier"},
    )
    return str(job.id)


def test_an_untracked_live_job_is_drift_with_its_cost_and_can_be_cancelled(
    project: Path, emu: Emu, cli: RunCli
) -> None:
    emu.fast_training()
    assert cli(project, "apply", "--auto-approve").code == 0
    emu.hooks.clear()
    extra = _extra_sft_job(emu, project)

    plan = cli(project, "plan", "--format", "json")
    doc = json.loads(plan.out)
    untracked = [d for d in doc["drift"] if d["change"] == "untracked"]
    assert [(d["address"], d["after"]["id"]) for d in untracked] == [("job.support-sft", extra)]
    message = untracked[0]["message"]
    assert message.startswith(f"untracked job {extra} for job.support-sft, still training")
    assert f"fineplan job cancel {extra}" in message
    cost = untracked[0]["after"]["cost"]
    assert cost["kind"] == "training" and cost["usd"] > 0, cost  # training-file tokens × 3 epochs, priced
    assert doc["cost"]["untracked"] == {"jobs": 1, "training_usd": cost["usd"], "unpriced": 0}
    assert doc["cost"]["training_usd"] == 0  # this plan trains nothing itself
    assert all(c["action"] == "no-op" for c in doc["resource_changes"]), "state keeps its own job"

    human = cli(project, "plan").out
    assert "job.support-sft has a job state does not track, still training" in human
    assert "1 untracked job still training spends $" in human

    refused = cli(project, "job", "cancel", load_state(project).resources["job.support-sft"].remote_id)
    assert refused.code == 1 and "in the state" in refused.err
    cancelled = cli(project, "job", "cancel", extra)
    assert cancelled.code == 0 and f"Cancelled {extra}" in cancelled.out
    assert emu.job(extra).status == "cancelled"
    again = json.loads(cli(project, "plan", "--format", "json").out)
    assert not [d for d in again["drift"] if d["change"] == "untracked"]
    assert "untracked" not in again["cost"]


def test_a_crashed_create_is_still_adopted_not_reported_as_untracked(project: Path, emu: Emu, cli: RunCli) -> None:
    """Adoption stays as it was: a job with the spec's inputs digest and no tracked job is the crash's job."""
    emu.fast_training()
    assert cli(project, "apply", "--auto-approve").code == 0
    emu.hooks.clear()
    extra = _extra_sft_job(emu, project)
    assert cli(project, "state", "rm", "job.support-sft").code == 0
    doc = json.loads(cli(project, "plan", "--format", "json").out)
    drift = {(d["address"], d["change"]) for d in doc["drift"]}
    assert ("job.support-sft", "untracked") not in drift
    assert changes_by_address(doc)["job.support-sft"]["remote_id"] == extra


def test_an_apply_that_retried_says_how_many_calls_and_why(
    project: Path, start_emulator: StartEmulator, cli: RunCli
) -> None:
    """One 503 on a job create (fineplan's own retry loop), one 429 on a job list (the openai SDK's retries) and
    one 500 on the deployment PUT (azure-core's retry policy, or fineplan's loop around the whole write)."""
    emu = start_emulator(faults="fail=create_job:1:503,list_jobs:1:429,put_deployment:1:500")
    emu.fast_training()
    applied = cli(project, "apply", "--auto-approve")
    assert applied.code == 0, applied.text
    line = next(ln for ln in applied.out.splitlines() if "retried" in ln)
    assert line == (
        "3 calls were retried: 1 × 429 Too Many Requests, 1 × 500 Internal Server Error, 1 × 503 Service Unavailable."
    )
    assert applied.out.rstrip().endswith(line)


def test_a_plan_that_retried_says_so_on_stderr_under_json(
    project: Path, start_emulator: StartEmulator, cli: RunCli
) -> None:
    start_emulator(faults="fail=list_files:1:503")
    plan = cli(project, "plan", "--format", "json")
    assert plan.code == 0, plan.text
    json.loads(plan.out)  # stdout stays one JSON document
    assert "1 call was retried: 1 × 503 Service Unavailable." in plan.err
    quiet = cli(project, "plan")
    assert "retried" not in quiet.text


def test_output_of_one_value_raw_and_json_and_show_with_iso_times(project: Path, emu: Emu, cli: RunCli) -> None:
    emu.fast_training()
    assert cli(project, "apply", "--auto-approve").code == 0
    model = load_state(project).resources["job.support-sft"].attributes["fine_tuned_model"]

    raw = cli(project, "output", "-raw", "job.support-sft.fine_tuned_model")
    assert (raw.code, raw.out) == (0, f"{model}\n")
    assert cli(project, "output", "--raw", "job.support-sft.fine_tuned_model").out == f"{model}\n"
    assert cli(project, "output", "job.support-sft.fine_tuned_model").out == f'"{model}"\n'
    assert json.loads(cli(project, "output", "--json", "job.support-sft.fine_tuned_model").out) == model
    assert json.loads(cli(project, "output", "--json", "job.support-sft").out)["job.support-sft"]["status"] == (
        "succeeded"
    )

    typo = cli(project, "output", "job.support-sft.fine_tuned")
    assert typo.code == 1
    assert 'job.support-sft has no output "fine_tuned"; did you mean "job.support-sft.fine_tuned_model"?' in typo.err
    nope = cli(project, "output", "job.support-stf.fine_tuned_model")
    assert nope.code == 1 and 'did you mean "job.support-sft.fine_tuned_model"?' in nope.err
    whole = cli(project, "output", "-raw", "job.support-sft")
    assert whole.code == 1 and "-raw needs one output" in whole.err

    shown = cli(project, "show")
    assert shown.code == 0
    for block in shown.out.split("\n\n"):
        keys = [line.split("=")[0].strip() for line in block.splitlines()[1:]]
        assert len(keys) == len(set(keys)), f"a field shown twice:\n{block}"
    iso = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
    assert re.search(rf"finished_at\s+= {iso}\n", shown.out), shown.out
    assert re.search(rf"created_at\s+= {iso}\n", shown.out)
    assert not re.search(r"_at\s+= \d+(\.\d+)?\n", shown.out), "an epoch number shown as a time"


def test_a_deployment_the_account_refuses_stops_plan_and_apply_before_anything_is_spent(
    project: Path, emu: Emu, cli: RunCli
) -> None:
    """The emulated account's GlobalStandard quota is 1,000 (thousand TPM): a deployment asking 1,500 lints
    (gpt-4.1-nano's default quota is 5 M TPM), but the account would refuse it. The plan says so with FP332 and
    apply refuses before uploading or training anything, instead of failing at the deployment after training."""
    edit(project, "specs/deployments.yaml", "  type: developer  # fineplan: ignore[FP312] evaluation only; recreated "
         "when Azure expires it\n  capacity: 50\n", "  type: global_standard\n  capacity: 1500\n")  # fmt: skip
    emu.fast_training()
    assert cli(project, "lint").code == 0
    plan = cli(project, "plan", "--format", "json")
    assert plan.code == 1, plan.text
    (refused,) = [d for d in json.loads(plan.out)["diagnostics"] if d["code"] == "FP332"]
    assert refused["severity"] == "error" and refused["summary"].startswith(DEPLOYMENT)
    assert "1,000" in refused["summary"] and refused["range"]["start"]["line"] == 6
    applied = cli(project, "apply", "--auto-approve")
    assert applied.code == 1 and "apply refused before changing anything" in applied.err
    assert emu.is_empty(), "nothing uploaded, trained or deployed"

    edit(project, "specs/deployments.yaml", "  capacity: 1500\n", "  capacity: 1000\n")
    assert cli(project, "apply", "--auto-approve").code == 0
    assert emu.deployment("support-dev").sku.capacity == 1000

    with (project / "specs" / "deployments.yaml").open("a", encoding="utf-8") as fh:
        fh.write("---\nkind: Deployment\nname: support-two\nspec:\n  model: {job: support-dpo}\n")
        fh.write("  type: global_standard\n  capacity: 100\n")
    shared = json.loads(cli(project, "plan", "--format", "json").out)
    (over,) = [d for d in shared["diagnostics"] if d["code"] == "FP332"]
    assert over["summary"].startswith("deployment.support-two:")
    assert "would need 1,100 of its 1,000 (1,000 in use by deployments this plan keeps, 100 asked" in over["summary"]


def test_plans_show_the_rows_of_each_dataset_part_next_to_its_digest(project: Path, emu: Emu, cli: RunCli) -> None:
    chat = (project / "data" / "support_chat.jsonl").read_text(encoding="utf-8")
    rows = [line for line in (chat * 3).splitlines() if line.strip()]
    turn = [{"role": "user", "content": "And?"}, {"role": "assistant", "content": "Nothing else."}]
    # 60 distinct examples: each gets its own numbered closing turn
    unique = [
        json.dumps({"messages": json.loads(r)["messages"] + [dict(turn[0], content=f"And {i}?"), turn[1]]})
        for i, r in enumerate(rows[:60])
    ]
    (project / "data" / "big.jsonl").write_text("\n".join(unique) + "\n", "utf-8")
    with (project / "specs" / "datasets.yaml").open("a", encoding="utf-8") as fh:
        fh.write("---\nkind: Dataset\nname: big\nspec: {path: data/big.jsonl, split: {validation: 0.2}}\n")

    planned = cli(project, "plan", "--format", "json")
    assert planned.code == 0, planned.text
    changes = changes_by_address(json.loads(planned.out))
    big = changes["dataset.big"]["after"]
    assert set(big["files"]) == set(big["rows"]) == {"train", "validation"}
    assert big["rows"] == {"train": len(unique) - 12, "validation": 12}  # round(0.2 × 60)
    assert changes["dataset.support-faq"]["after"]["rows"] == {"train": 12}  # rows the transform wrote
    assert changes["dataset.support-chat"]["after"]["rows"] == {"train": 24}  # the untouched source, counted
    markdown = cli(project, "plan", "--format", "markdown").out
    assert "| `dataset.big` | create | train 48 rows · validation 12 rows | train `" in markdown
    human = cli(project, "plan").out
    assert "+ rows   = {" in human and "+ validation = 12" in human

    emu.fast_training()
    assert cli(project, "apply", "--auto-approve").code == 0
    append_row(project)
    again = changes_by_address(json.loads(cli(project, "plan", "--format", "json").out))["dataset.support-chat"]
    assert (again["before"]["rows"], again["after"]["rows"]) == ({"train": 24}, {"train": 25})


def test_a_second_destroy_says_there_is_nothing_to_destroy(project: Path, emu: Emu, cli: RunCli) -> None:
    emu.fast_training()
    assert cli(project, "apply", "--auto-approve").code == 0
    assert cli(project, "destroy", "--auto-approve").code == 0
    again = cli(project, "destroy", "--auto-approve")
    assert again.code == 0, again.text
    assert "No changes. No objects need to be destroyed." in again.out
    assert "matches the configuration" not in again.out


def test_lint_prices_every_job_but_a_plan_only_what_it_trains(project: Path, emu: Emu, cli: RunCli) -> None:
    """Once the jobs have trained, a budget below their total stops lint (it reads no state: every job counts as
    created) but not a plan that trains nothing: plan and apply check the budget on what they change."""
    emu.fast_training()
    assert cli(project, "apply", "--auto-approve").code == 0
    edit(project, "fineplan.yaml", "max_training_cost_usd: 25", "max_training_cost_usd: 0.001")
    linted = cli(project, "lint")
    assert linted.code == 1 and "FP501" in linted.out and "as if every job were created" in linted.out
    assert cli(project, "plan", "--detailed-exitcode").code == 0
    assert cli(project, "apply", "--auto-approve").code == 0
