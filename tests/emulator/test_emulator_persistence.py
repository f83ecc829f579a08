"""SQLite persistence: a restart keeps everything; concurrent clients (threads, and two emulators sharing one data
dir) neither lose nor duplicate anything."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from emulator_helpers import FAST, arm_client, azure_openai, http, upload, wait_job

from fineplan.emulator.clock import ManualClock
from fineplan.emulator.embedded import EmbeddedEmulator

BASE = "gpt-4.1-mini-2025-04-14"
MINI = {
    "sku": {"name": "GlobalStandard", "capacity": 1},
    "properties": {"model": {"format": "OpenAI", "name": "gpt-4.1-mini", "version": "2025-04-14"}},
}


def test_a_restart_keeps_files_jobs_and_deployments(tmp_path: Path, samples: Path) -> None:
    data_dir = tmp_path / "emu"
    with EmbeddedEmulator(data_dir, speed=FAST) as emu:
        client = azure_openai(emu)
        chat = upload(client, samples / "sft-gsm8k" / "validation.jsonl")
        job = wait_job(client, client.fine_tuning.jobs.create(model=BASE, training_file=chat, metadata={"k": "v"}).id)
        arm_client(emu).deployments.begin_create_or_update(
            "rg",
            "acct",
            "d1",
            {**MINI, "tags": {"t": "1"}},  # type: ignore[arg-type]
        ).result()
    with EmbeddedEmulator(data_dir, speed=FAST) as emu:  # another port, the same data
        client = azure_openai(emu)
        again = client.fine_tuning.jobs.retrieve(job.id)
        assert again.model_dump() == job.model_dump()
        assert client.files.content(chat).content == (samples / "sft-gsm8k" / "validation.jsonl").read_bytes()
        assert len(list(client.fine_tuning.jobs.list_events(job.id, limit=100))) > 3
        dep = arm_client(emu).deployments.get("rg", "acct", "d1")
        assert dep.tags == {"t": "1"} and dep.properties.provisioning_state == "Succeeded"


def test_a_job_keeps_running_across_a_restart(tmp_path: Path, samples: Path) -> None:
    clock = ManualClock()
    data_dir = tmp_path / "emu"
    with EmbeddedEmulator(data_dir, speed=1.0, clock=clock) as emu:
        client = azure_openai(emu)
        chat = upload(client, samples / "sft-gsm8k" / "validation.jsonl")
        job_id = client.fine_tuning.jobs.create(model=BASE, training_file=chat).id
        clock.advance(100)
        assert client.fine_tuning.jobs.retrieve(job_id).status == "running"
    clock.advance(100_000)  # time passes while nothing serves: the job finishes when next looked at
    with EmbeddedEmulator(data_dir, speed=1.0, clock=clock) as emu:
        assert azure_openai(emu).fine_tuning.jobs.retrieve(job_id).status == "succeeded"


def test_concurrent_clients_are_safe(tmp_path: Path, samples: Path) -> None:
    data_dir = tmp_path / "emu"
    errors: list[BaseException] = []
    with EmbeddedEmulator(data_dir, speed=FAST) as one, EmbeddedEmulator(data_dir, speed=FAST) as two:
        chat = upload(azure_openai(one), samples / "sft-gsm8k" / "validation.jsonl")

        def work(emu: EmbeddedEmulator, worker: int) -> None:
            try:
                client, arm = azure_openai(emu, max_retries=0), arm_client(emu, retry_total=0)
                for i in range(4):
                    client.fine_tuning.jobs.create(model=BASE, training_file=chat, metadata={"w": f"{worker}-{i}"})
                    client.fine_tuning.jobs.list()
                    arm.deployments.begin_create_or_update(f"rg{worker}", "acct", f"d{i}", MINI).result()  # type: ignore[arg-type]
            except BaseException as exc:  # collected: a thread's failure must fail the test
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(one if w % 2 else two, w)) for w in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        client = azure_openai(one)
        jobs = list(client.fine_tuning.jobs.list(limit=100))
        assert sorted(j.metadata["w"] for j in jobs) == sorted(f"{w}-{i}" for w in range(4) for i in range(4))
        assert all(wait_job(client, j.id).status == "succeeded" for j in jobs)
        arm = arm_client(two)
        assert all(len(list(arm.deployments.list(f"rg{w}", "acct"))) == 4 for w in range(4))


def test_client_connections_do_not_leak_database_connections(emulator: EmbeddedEmulator) -> None:
    store = emulator.server.emulator.store
    for _ in range(30):
        http("GET", f"{emulator.url}/openai/v1/files")  # a new TCP connection each time
    # Each server thread releases its connection just after answering; allow it a moment to get there.
    deadline = time.monotonic() + 10
    while store.open_connections > 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert store.open_connections <= 1
