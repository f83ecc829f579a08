"""Job control on a hand-moved clock: queueing behind the single training slot, pause / resume / cancel, billing
for work done, per-resource limits. Time only moves when the test says so, so nothing here sleeps."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
from emulator_helpers import DATED, azure_openai, http, upload

from fineplan.emulator.clock import ManualClock
from fineplan.emulator.datacheck import analyse
from fineplan.emulator.embedded import EmbeddedEmulator

BASE = "gpt-4.1-mini-2025-04-14"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def slow(tmp_path: Path, clock: ManualClock) -> Iterator[EmbeddedEmulator]:
    with EmbeddedEmulator(tmp_path / "emu", speed=1.0, clock=clock) as emu:
        yield emu


def test_queue_pause_resume_cancel(slow: EmbeddedEmulator, clock: ManualClock, samples: Path) -> None:
    client = azure_openai(slow)
    path = samples / "sft-gsm8k" / "validation.jsonl"
    chat = upload(client, path)
    assert client.files.retrieve(chat).status == "pending"
    clock.advance(11)  # file processing takes 20 simulated seconds
    assert client.files.retrieve(chat).status == "running"
    clock.advance(10)
    assert client.files.retrieve(chat).status == "processed"
    jobs = client.fine_tuning.jobs
    a = jobs.create(
        model=BASE,
        training_file=chat,
        method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 2}}},
    )
    b = jobs.create(
        model=BASE,
        training_file=chat,
        method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 2}}},
    )

    clock.advance(59)
    assert [jobs.retrieve(a.id).status, jobs.retrieve(b.id).status] == ["pending", "pending"]
    clock.advance(2)  # the queue delay (60 s) is over: one training slot, so A runs and B waits
    assert [jobs.retrieve(a.id).status, jobs.retrieve(b.id).status] == ["running", "pending"]
    assert jobs.retrieve(a.id).hyperparameters.batch_size == 1  # "auto" resolved when the job started
    assert jobs.retrieve(a.id).estimated_finish is not None
    with pytest.raises(openai.BadRequestError) as info:
        jobs.pause(a.id)  # no training step yet
    assert info.value.code == "unexpectedEntityState"

    status, _, body = http("DELETE", f"{slow.url}/openai/fine_tuning/jobs/{a.id}?api-version={DATED}")
    assert status == 409 and body["error"]["code"] == "conflict"

    clock.advance(90)
    paused = jobs.pause(a.id)
    assert paused.status == "paused" and paused.estimated_finish is None
    assert jobs.retrieve(b.id).status == "running"  # the freed slot goes to the next job at once
    events_when_paused = len(list(jobs.list_events(a.id, limit=100)))
    clock.advance(100)  # B trains meanwhile; A stays where it was
    assert jobs.retrieve(a.id).status == "paused"
    assert len(list(jobs.list_events(a.id, limit=100))) == events_when_paused
    assert list(jobs.checkpoints.list(a.id)) == []

    assert jobs.resume(a.id).status == "resuming"  # waits for the slot B holds
    with pytest.raises(openai.BadRequestError):
        jobs.resume(a.id)
    partial_b = jobs.retrieve(b.id)
    assert partial_b.status == "running"
    cancelled = jobs.cancel(b.id)
    assert cancelled.status == "cancelled" and cancelled.finished_at is not None
    full = analyse(path.read_bytes()).tokens * 2
    assert 0 < cancelled.trained_tokens < full  # billed for the work done
    with pytest.raises(openai.BadRequestError):
        jobs.cancel(b.id)

    resumed = jobs.retrieve(a.id)
    assert resumed.status == "running"
    assert "Job resumed." in [e.message for e in jobs.list_events(a.id, limit=100)]
    clock.advance(100_000)
    done = jobs.retrieve(a.id)
    assert done.status == "succeeded" and done.trained_tokens == full
    assert len(list(jobs.checkpoints.list(a.id))) == 2


def test_queued_jobs_are_limited_to_20(slow: EmbeddedEmulator, samples: Path) -> None:
    client = azure_openai(slow, max_retries=0)
    chat = upload(client, samples / "sft-gsm8k" / "validation.jsonl")
    for _ in range(20):
        client.fine_tuning.jobs.create(model=BASE, training_file=chat)
    with pytest.raises(openai.RateLimitError) as info:
        client.fine_tuning.jobs.create(model=BASE, training_file=chat)
    assert info.value.code == "quotaExceeded"
    assert int(info.value.response.headers["retry-after-ms"]) > 0


def test_a_resource_holds_at_most_100_jobs(slow: EmbeddedEmulator, samples: Path) -> None:
    client = azure_openai(slow, max_retries=0)
    chat = upload(client, samples / "sft-gsm8k" / "validation.jsonl")
    first = None
    for _ in range(5):
        batch = [client.fine_tuning.jobs.create(model=BASE, training_file=chat).id for _ in range(20)]
        first = first or batch[0]
        for job_id in batch:
            client.fine_tuning.jobs.cancel(job_id)
    with pytest.raises(openai.BadRequestError) as info:
        client.fine_tuning.jobs.create(model=BASE, training_file=chat)
    assert info.value.code == "quotaExceeded"
    status, _, _ = http("DELETE", f"{slow.url}/openai/fine_tuning/jobs/{first}?api-version={DATED}")
    assert status == 204
    assert client.fine_tuning.jobs.create(model=BASE, training_file=chat).status == "pending"
