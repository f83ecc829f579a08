"""Money safety under crashes: an apply SIGKILLed at each dangerous point, then re-applied, converges with exactly
one job per spec, no duplicate uploads, and a state that loads. Also Ctrl-C (exit 130, state kept) and two
concurrent applies (one fails fast on the lock, naming the holder).

The kill is delivered from inside the emulator (a hook), so it lands exactly at the named point: e.g. "after job
create" means the job exists in the emulator but its id never reached the apply process.
"""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path

import pytest
from engine_helpers import ALL, DATASETS, DEPLOYMENT, JOBS, After, Emu, RunCli, Spawn, Spawned, load_state, poll

from fineplan.emulator.http_types import Request, Response
from fineplan.state.local import LocalBackend
from fineplan.state.model import State

pytestmark = pytest.mark.slow  # end-to-end: CLI subprocesses killed and re-applied


def _dead(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


class Killer:
    """Kills the apply process (SIGKILL) from inside the emulator at the chosen call, once."""

    def __init__(self) -> None:
        self.proc: Spawned | None = None
        self.ready = threading.Event()
        self.fired = threading.Event()

    def kill_now(self) -> None:
        self.fired.set()  # first: the test thread sees the process die the moment the signal lands
        self.ready.wait(30)
        assert self.proc is not None
        self.proc.signal(signal.SIGKILL)
        poll(lambda: _dead(self.proc.pid), 10, "the killed apply to die")  # type: ignore[union-attr]

    def before(self, op: str, req: Request) -> None:
        if self.fired.is_set():
            return
        self.kill_now()
        raise ConnectionAbortedError("killed before handling")  # the request is never handled

    def after(self, nth: int = 1, status: str | None = None) -> After:
        seen = {"n": 0}

        def hook(op: str, req: Request, resp: Response) -> None:
            if self.fired.is_set():
                return
            if status is not None and json.loads(resp.body).get("status") != status:
                return
            seen["n"] += 1
            if seen["n"] == nth:
                self.kill_now()  # handled and committed; the answer never reaches the apply

        return hook


POINTS = {
    # name: (operation, "before" | "after", nth call, status the answer must carry)
    "upload-done-not-recorded": ("create_file", "after", 1, None),
    "intent-journaled-job-not-sent": ("create_job", "before", 1, None),
    "job-created-not-recorded": ("create_job", "after", 1, None),
    "mid-wait-training": ("get_job", "after", 1, "running"),
    "stacked-job-created-not-recorded": ("create_job", "after", 2, None),
    "deployment-accepted-not-recorded": ("put_deployment", "after", 1, None),
    "mid-deployment-polling": ("get_operation_status", "after", 1, None),
}


def _left_as_described(point: str, state: State, emu: Emu) -> None:
    """What the killed apply left: proof the kill landed where the point's name says."""
    remote_jobs = {j.metadata.get("fineplan_address"): j for j in emu.jobs()}
    pending = {i.address: i for i in state.pending}
    if point == "upload-done-not-recorded":
        recorded = {f["id"] for r in state.resources.values() for f in r.attributes.get("files", {}).values()}
        assert {f.id for f in emu.files()} - recorded, "an uploaded file the state does not know"
        assert not remote_jobs
    elif point == "intent-journaled-job-not-sent":
        assert set(pending) == {"job.support-sft"} and not remote_jobs
    elif point in ("job-created-not-recorded", "stacked-job-created-not-recorded"):
        address = "job.support-sft" if point == "job-created-not-recorded" else "job.support-dpo"
        assert address not in state.resources and set(pending) == {address}
        assert remote_jobs[address].metadata["fineplan_op"] == pending[address].op_id
    elif point == "mid-wait-training":
        sft = state.resources["job.support-sft"]
        assert sft.remote_id == remote_jobs["job.support-sft"].id and not pending
    else:  # the deployment was accepted by ARM, its record never written
        assert DEPLOYMENT not in state.resources and [d.name for d in emu.deployments()] == ["support-dev"]
        assert set(state.resources) == {*DATASETS, *JOBS}


@pytest.mark.parametrize("point", list(POINTS))
def test_sigkill_at_any_point_then_reapply_converges(
    point: str, project: Path, emu: Emu, cli: RunCli, spawn: Spawn
) -> None:
    op, when, nth, status = POINTS[point]
    if status is None:
        emu.fast_training()  # no need to watch the training go by on the way to this point
    killer = Killer()
    if when == "before":
        emu.hooks.before(op, killer.before)
    else:
        emu.hooks.after(op, killer.after(nth, status))
    killer.proc = spawn(project, "apply", "--auto-approve")
    killer.ready.set()
    code = killer.proc.wait(60)
    assert killer.fired.is_set(), f"the apply never reached {point}:\n{killer.proc.output()}"
    assert code == -signal.SIGKILL
    emu.hooks.clear()
    emu.fast_training()
    _left_as_described(point, load_state(project), emu)  # and whatever the kill left behind parses and validates

    again = cli(project, "apply", "--auto-approve")
    assert again.code == 0, again.text
    state = load_state(project)
    assert sorted(state.resources) == sorted(ALL)
    assert not state.pending, "every journaled intent is settled"
    assert emu.job_counts() == {job: 1 for job in JOBS}, "a spec was trained twice"
    ids = {state.resources[j].remote_id for j in JOBS}
    assert ids == {j.id for j in emu.jobs()}
    files = emu.files()
    assert len(files) == 3 and len({f.filename for f in files}) == 3, "a dataset was uploaded twice"
    assert len(emu.deployments()) == 1
    settled = cli(project, "plan", "--detailed-exitcode")
    assert settled.code == 0, settled.text


def test_job_created_but_answer_lost_is_not_created_twice(project: Path, emu: Emu, cli: RunCli) -> None:
    """Azure created the job, then the answer failed (a 500 on the way back): the SDK's automatic retry of the
    POST must not create a second job for the spec."""
    lost = {"n": 0}

    def lose_answer(op: str, req: Request, resp: Response) -> Response | None:
        lost["n"] += 1
        if lost["n"] == 1:
            return Response(500, b'{"error": {"code": "internalFailure", "message": "lost on the way back"}}')
        return None

    emu.hooks.after("create_job", lose_answer)
    emu.fast_training()
    applied = cli(project, "apply", "--auto-approve")
    assert lost["n"] >= 1
    if applied.code != 0:  # reported as failed is acceptable; training twice is not
        applied = cli(project, "apply", "--auto-approve")
    assert applied.code == 0, applied.text
    assert emu.job_counts() == {job: 1 for job in JOBS}
    assert cli(project, "plan", "--detailed-exitcode").code == 0


def test_ctrl_c_during_the_wait_exits_130_with_state_saved(project: Path, emu: Emu, cli: RunCli, spawn: Spawn) -> None:
    holder: dict[str, Spawned] = {}
    ready, sent = threading.Event(), threading.Event()

    def interrupt(op: str, req: Request, resp: Response) -> None:
        if not sent.is_set() and json.loads(resp.body).get("status") == "running":
            ready.wait(30)
            holder["proc"].signal(signal.SIGINT)
            sent.set()

    emu.hooks.after("get_job", interrupt)
    holder["proc"] = proc = spawn(project, "apply", "--auto-approve")
    ready.set()
    code = proc.wait(60)
    assert sent.is_set(), proc.output()
    assert code == 130, proc.output()
    assert "interrupted" in proc.output().lower()
    emu.hooks.clear()

    state = load_state(project)
    sft = state.resources["job.support-sft"]
    assert sft.remote_id and sft.remote_id.startswith("ftjob-")
    assert not state.pending
    assert "job.support-dpo" not in state.resources
    assert emu.job_counts() == {"job.support-sft": 1}
    emu.fast_training()

    again = cli(project, "apply", "--auto-approve")
    assert again.code == 0, again.text
    assert load_state(project).resources["job.support-sft"].remote_id == sft.remote_id  # waited for, not retrained
    assert emu.job_counts() == {job: 1 for job in JOBS}


def test_two_concurrent_applies_one_fails_fast_naming_the_holder(
    project: Path, emu: Emu, cli: RunCli, spawn: Spawn
) -> None:
    entered, release = threading.Event(), threading.Event()

    def hold(op: str, req: Request) -> None:
        entered.set()
        release.wait(30)  # the first apply sits in its training wait, holding the lock

    emu.hooks.before("get_job", hold)
    first = spawn(project, "apply", "--auto-approve")
    try:
        assert entered.wait(60), first.output()
        holder = LocalBackend(project / ".fineplan" / "state" / "local.json", "local").lock_holder()
        assert holder is not None and holder.pid == first.pid and holder.operation == "apply"

        second = cli(project, "apply", "--auto-approve")
        assert second.code == 1
        assert f"locked by apply (pid {first.pid}" in second.err
        assert f"fineplan force-unlock {holder.id}" in second.err
        planned = cli(project, "plan")
        assert planned.code == 1 and "locked by apply" in planned.err
    finally:
        emu.hooks.clear()
        emu.fast_training()
        release.set()
    assert first.wait(60) == 0, first.output()
    state = load_state(project)
    assert sorted(state.resources) == sorted(ALL) and not state.pending
    assert emu.job_counts() == {job: 1 for job in JOBS}
    assert cli(project, "plan", "--detailed-exitcode").code == 0


def test_replace_killed_before_the_stacked_job_retrains_leaves_a_plan_that_retrains_it(
    project: Path, emu: Emu, cli: RunCli, spawn: Spawn
) -> None:
    """`apply -replace job.support-sft` SIGKILLed once the new SFT job has trained, just before the DPO job
    stacked on it is created: the next plan must still see that the DPO job (and the deployment serving it) was
    trained on the replaced SFT model, and the next apply retrains it exactly once and swaps the deployment."""
    emu.fast_training()
    assert cli(project, "apply", "--auto-approve").code == 0
    before = load_state(project)
    old_sft, old_dpo = (before.resources[j] for j in JOBS)

    killer = Killer()
    creates = {"n": 0}

    def kill_at_the_stacked_create(op: str, req: Request) -> None:
        creates["n"] += 1
        if creates["n"] == 2:  # the first create is the new SFT job; the second would be the DPO on top
            killer.before(op, req)

    emu.hooks.before("create_job", kill_at_the_stacked_create)
    emu.fast_training()
    killer.proc = spawn(project, "apply", "-replace", "job.support-sft", "--auto-approve")
    killer.ready.set()
    assert killer.proc.wait(60) == -signal.SIGKILL, killer.proc.output()
    assert killer.fired.is_set()
    emu.hooks.clear()
    emu.fast_training()

    killed = load_state(project)
    new_sft = killed.resources["job.support-sft"]
    assert new_sft.remote_id != old_sft.remote_id and new_sft.status == "succeeded"
    assert killed.resources["job.support-dpo"].remote_id == old_dpo.remote_id

    plan = cli(project, "plan", "--detailed-exitcode", "--format", "json")
    assert plan.code == 2, plan.text
    changes = {c["address"]: c for c in json.loads(plan.out)["resource_changes"]}
    assert changes["job.support-sft"]["action"] == "no-op"
    dpo = changes["job.support-dpo"]
    assert dpo["action"] == "create-then-delete"
    assert [r["code"] for r in dpo["reasons"]] == ["dependency_replaced"]
    assert "trained on a replaced parent" in dpo["reasons"][0]["message"]
    assert changes[DEPLOYMENT]["action"] == "update"

    again = cli(project, "apply", "--auto-approve")
    assert again.code == 0, again.text
    state = load_state(project)
    dpo_after = state.resources["job.support-dpo"]
    assert dpo_after.remote_id != old_dpo.remote_id
    assert dpo_after.attributes["trained_on"] == new_sft.attributes["fine_tuned_model"]
    assert emu.job_counts()["job.support-dpo"] == 1, "the stacked job was retrained more than once"
    assert emu.deployment("support-dev").properties.model.name == dpo_after.attributes["fine_tuned_model"]
    assert cli(project, "plan", "--detailed-exitcode").code == 0


def test_replace_killed_after_the_new_job_was_created_adopts_it_as_the_replacement(
    project: Path, emu: Emu, cli: RunCli, spawn: Spawn
) -> None:
    """`apply -replace job.support-sft` SIGKILLed the moment Azure created the new SFT job, before its id was
    recorded: the next plan adopts that job as the replacement (it was paid for) instead of leaving it training
    unseen next to the old one, retrains what is stacked on it, and the old SFT job is cleaned up afterwards."""
    emu.fast_training()
    assert cli(project, "apply", "--auto-approve").code == 0
    old_sft = load_state(project).resources["job.support-sft"]

    killer = Killer()
    emu.hooks.after("create_job", killer.after(1))
    killer.proc = spawn(project, "apply", "-replace", "job.support-sft", "--auto-approve")
    killer.ready.set()
    assert killer.proc.wait(60) == -signal.SIGKILL, killer.proc.output()
    emu.hooks.clear()
    emu.fast_training()
    killed = load_state(project)
    assert killed.resources["job.support-sft"].remote_id == old_sft.remote_id
    assert [i.operation for i in killed.pending] == ["replace"]
    new_sft = next(j for j in emu.jobs() if j.metadata.get("fineplan_op") == killed.pending[0].op_id)

    plan = cli(project, "plan", "--detailed-exitcode", "--format", "json")
    assert plan.code == 2, plan.text
    doc = json.loads(plan.out)
    changes = {c["address"]: c for c in doc["resource_changes"]}
    assert changes["job.support-sft"]["remote_id"] == new_sft.id
    assert changes["job.support-sft"]["action"] in ("no-op", "wait")
    assert changes["job.support-dpo"]["action"] == "create-then-delete"
    assert any(d["address"] == "job.support-sft" and d["change"] == "adopted" for d in doc["drift"])

    again = cli(project, "apply", "--auto-approve")
    assert again.code == 0, again.text
    state = load_state(project)
    assert state.resources["job.support-sft"].remote_id == new_sft.id
    assert emu.job_counts() == {job: 1 for job in JOBS}, "the old SFT job is cleaned up, nothing trained twice"
    assert old_sft.remote_id not in {j.id for j in emu.jobs()}
    assert cli(project, "plan", "--detailed-exitcode").code == 0
