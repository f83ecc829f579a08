"""The engine with its state in Azure Blob Storage (Azurite): apply, a concurrent apply refused on the lease naming
its holder, an apply SIGKILLed mid-wait whose lease `fineplan force-unlock` breaks, then a re-apply that converges.
The blob backend's own lease-loss and concurrent-writer tests live in tests/state/test_state_blob.py."""

from __future__ import annotations

import json
import re
import signal
import threading
import uuid
from pathlib import Path

import pytest
from engine_helpers import ALL, JOBS, Emu, RunCli, Spawn, Spawned, poll

from fineplan.emulator.http_types import Request, Response
from fineplan.state.model import State

pytestmark = pytest.mark.slow  # end-to-end: the CLI against the emulator, state in Azurite

CONNECTION_ENV = "FINEPLAN_TEST_STATE_BLOB"


def _blob_state(azurite: str, container: str) -> State | None:
    from azure.storage.blob import BlobServiceClient

    blob = BlobServiceClient.from_connection_string(azurite).get_blob_client(container, "quickstart/local.json")
    raw = blob.download_blob().readall()
    return State.from_json(raw, source="blob") if raw else None


def test_apply_with_blob_state_locks_survives_a_kill_and_converges(
    project: Path, emu: Emu, cli: RunCli, spawn: Spawn, azurite: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    container = f"engine-{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv(CONNECTION_ENV, azurite)
    with (project / "fineplan.yaml").open("a", encoding="utf-8") as fh:
        fh.write(f"state: {{backend: azure_blob, connection_string_env: {CONNECTION_ENV}, container: {container}}}\n")

    # 1. An apply holds the lease while it waits for training; a second one is refused at once, naming it.
    entered, release = threading.Event(), threading.Event()
    holder: dict[str, Spawned] = {}

    def hold_then_die(op: str, req: Request, resp: Response) -> None:
        if json.loads(resp.body).get("status") != "running" or entered.is_set():
            return
        entered.set()
        release.wait(30)
        holder["proc"].signal(signal.SIGKILL)  # 2. ...and is killed mid-wait: its lease stays behind
        poll(lambda: holder["proc"].proc.poll() is not None, 10, "the apply to die")

    emu.hooks.after("get_job", hold_then_die)
    holder["proc"] = first = spawn(project, "apply", "--auto-approve")
    try:
        assert entered.wait(60), first.output()
        second = cli(project, "apply", "--auto-approve")
        assert second.code == 1
        assert f"locked by apply (pid {first.pid}" in second.err
        lock_id = re.search(r"fineplan force-unlock (\S+)", second.err)
        assert lock_id is not None
    finally:
        release.set()
    assert first.wait(60) == -signal.SIGKILL
    emu.hooks.clear()
    emu.fast_training()

    still = cli(project, "plan")
    assert still.code == 1 and "locked by apply" in still.err  # the lease outlives its holder for up to 60 s
    unlocked = cli(project, "force-unlock", lock_id.group(1), "--force")
    assert unlocked.code == 0, unlocked.text

    # 3. The re-apply adopts the job the killed run submitted: one job per spec, state in the blob.
    again = cli(project, "apply", "--auto-approve")
    assert again.code == 0, again.text
    state = _blob_state(azurite, container)
    assert state is not None and sorted(state.resources) == sorted(ALL) and not state.pending
    assert emu.job_counts() == {job: 1 for job in JOBS}
    assert cli(project, "plan", "--detailed-exitcode").code == 0
    assert not (project / ".fineplan" / "state").exists()
