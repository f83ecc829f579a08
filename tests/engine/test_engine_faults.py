"""An unreliable Azure: with 10 % of all calls answered 429, 500 or 503, apply, plan and destroy still converge and
never train a spec twice."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from conftest import RunCli, StartEmulator
from engine_helpers import ALL, JOBS, load_state

from fineplan.emulator.http_types import Response


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
