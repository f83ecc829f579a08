"""An unreliable Azure: with 10 % of all calls answered 429, 500 or 503, apply, plan and destroy still converge and
never train a spec twice."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import pytest
from engine_helpers import ACCOUNT, ALL, JOBS, RESOURCE_GROUP, RunCli, StartEmulator, load_state

from fineplan.emulator.http_types import Request, Response

pytestmark = pytest.mark.slow  # end-to-end: the CLI against a faulty emulator


@pytest.mark.parametrize("seed", [7, 11])
def test_apply_converges_with_ten_percent_faults(
    seed: int, project: Path, start_emulator: StartEmulator, cli: RunCli
) -> None:
    emu = start_emulator(faults=f"rate=0.1;codes=429,500,503;seed={seed};retry_after_ms=5")
    emu.fast_training()
    injected: Counter[int] = Counter()
    emu.hooks.after("*", lambda op, req, resp: _count_injected(injected, resp))
    applied = cli(project, "apply", "--auto-approve")
    assert applied.code == 0, applied.text
    state = load_state(project)
    assert sorted(state.resources) == sorted(ALL) and not state.pending
    assert cli(project, "plan", "--detailed-exitcode").code == 0
    destroyed = cli(project, "destroy", "--auto-approve")
    assert destroyed.code == 0, destroyed.text
    assert sum(injected.values()) >= 3, injected  # the faults really were there
    emu.hooks.clear()
    assert emu.is_empty()


def _count_injected(counter: Counter[int], resp: Response) -> None:
    if resp.status >= 400 and b"Injected fault" in resp.body:
        counter[resp.status] += 1


def test_every_job_create_failing_once_still_trains_each_spec_once(
    project: Path, start_emulator: StartEmulator, cli: RunCli
) -> None:
    emu = start_emulator(faults="fail=create_job:1:503,create_job:3:429,put_deployment:1:500")
    emu.fast_training()
    applied = cli(project, "apply", "--auto-approve")
    assert applied.code == 0, applied.text
    assert emu.job_counts() == {job: 1 for job in JOBS}
    assert cli(project, "plan", "--detailed-exitcode").code == 0


def test_deployments_of_one_account_are_serialised_and_retried_on_conflict(
    project: Path, start_emulator: StartEmulator, cli: RunCli
) -> None:
    """Two deployments of one model become ready at the same moment, and someone else starts an operation in the
    account just then: ARM answers 409 to a second operation in flight, so the apply must serialise and retry.

    The emulator's clock stands still from the outside PUT until fineplan's PUT has been answered: otherwise, on
    a loaded machine, the outside operation (60 simulated seconds, 0.15 s of real time) could finish before
    fineplan's PUT is handled, and no conflict would happen (a flake once seen in a full run)."""
    with (project / "specs" / "deployments.yaml").open("a", encoding="utf-8") as fh:
        fh.write("---\nkind: Deployment\nname: support-dev-2\nspec:\n  model: {job: support-dpo}\n")
        fh.write("  type: developer  # fineplan: ignore[FP312]\n  capacity: 10\n")
    emu = start_emulator()
    emu.fast_training()
    outside = emu.arm_deployment_body("gpt-4.1-nano-2025-04-14", "Standard", 1)
    started = threading.Event()

    answered = threading.Event()

    def someone_else_first(op: str, req: Request) -> None:
        if not started.is_set():  # a portal user's deployment, in flight when fineplan's first PUT arrives
            started.set()  # first: the portal's own PUT comes through this hook too
            emu.clock.freeze()  # the outside operation stays in flight until fineplan's PUT has met it
            emu.arm.deployments.begin_create_or_update(RESOURCE_GROUP, ACCOUNT, "outside", outside)

    statuses: Counter[int] = Counter()
    counting = threading.Lock()

    def count(op: str, req: Request, resp: Response) -> None:
        with counting:
            statuses[resp.status] += 1
        if "/deployments/outside" not in req.path and not answered.is_set():
            answered.set()
            emu.clock.thaw()  # fineplan's first PUT has its answer: the outside operation may now finish

    emu.hooks.before("put_deployment", someone_else_first)
    emu.hooks.after("put_deployment", count)
    applied = cli(project, "apply", "--auto-approve")
    assert applied.code == 0, applied.text
    assert sorted(d.name for d in emu.deployments()) == ["outside", "support-dev", "support-dev-2"]
    assert statuses[409] >= 1, statuses  # the conflict really happened
    assert statuses[201] == 3  # outside's and fineplan's two, each created once
