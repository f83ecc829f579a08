"""Emulator latency benchmark: median GET on loopback (target ≤ 5 ms) and listing 1,000 deployments (≤ 200 ms).

    /tmp/venv/bin/python benchmarks/bench_emulator.py [--gets 500] [--deployments 1000] [--runs 15]

Measures both the raw HTTP round trip (one keep-alive connection) and the official SDK call, since the SDKs add
their own cost; prints each figure beside its target and the ratio figure/target (≤ 1 meets it). Also checks that
`latency_ms` injection adds its delay per request. Not part of the test run.
"""

from __future__ import annotations

import argparse
import functools
import http.client
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO.parent / "shared" / "fixtures" / "foundry-samples" / "sft-gsm8k" / "validation.jsonl"
DATED = "2025-04-01-preview"
ARM_PATH = "/subscriptions/bench/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/acct/deployments"


def timed(fn: Callable[[], object], n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def raw_get(conn: http.client.HTTPConnection, path: str) -> bytes:
    conn.request("GET", path, headers={"api-key": "bench", "Authorization": "Bearer bench"})
    resp = conn.getresponse()
    body = resp.read()
    assert resp.status == 200, (resp.status, body[:200])
    return body


def raw_list_all(conn: http.client.HTTPConnection, path: str) -> int:
    count, next_path = 0, path
    while next_path:
        page = json.loads(raw_get(conn, next_path))
        count += len(page["value"])
        link = page.get("nextLink")
        next_path = (urlsplit(link).path + "?" + urlsplit(link).query) if link else ""
    return count


def report(name: str, samples: list[float], target_ms: float) -> None:
    median = statistics.median(samples)
    p90 = statistics.quantiles(samples, n=10)[-1] if len(samples) >= 10 else max(samples)
    verdict = "ok" if median <= target_ms else "OVER"
    print(
        f"{name:<44} median {median:8.2f} ms  p90 {p90:8.2f} ms  target {target_ms:6.0f} ms  "
        f"ratio {median / target_ms:5.2f}  {verdict}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gets", type=int, default=500)
    parser.add_argument("--deployments", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    sys.path.insert(0, str(REPO))
    import openai
    from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

    sys.path.insert(0, str(REPO / "tests" / "emulator"))
    from emulator_helpers import BearerPolicy, StubCredential

    from fineplan.emulator.embedded import EmbeddedEmulator

    with tempfile.TemporaryDirectory() as tmp, EmbeddedEmulator(Path(tmp), speed=1e7) as emu:
        host = urlsplit(emu.url)
        conn = http.client.HTTPConnection(host.hostname or "127.0.0.1", host.port)
        client = openai.AzureOpenAI(azure_endpoint=emu.url, api_version=DATED, api_key="bench")
        arm = CognitiveServicesManagementClient(
            StubCredential(), "bench", base_url=emu.url, authentication_policy=BearerPolicy("bench"), polling_interval=0
        )
        with SAMPLE.open("rb") as fh:
            file_id = client.files.create(file=fh, purpose="fine-tune").id
        job_id = client.fine_tuning.jobs.create(model="gpt-4.1-mini-2025-04-14", training_file=file_id).id
        client.fine_tuning.jobs.retrieve(job_id)  # let it finish: a steady state

        print(f"emulator {emu.url}; {args.gets} GETs each, after 50 warm-up calls")
        for name, path in [
            ("GET file (raw HTTP)", f"/openai/files/{file_id}?api-version={DATED}"),
            ("GET job (raw HTTP)", f"/openai/fine_tuning/jobs/{job_id}?api-version={DATED}"),
            ("GET job events (raw HTTP)", f"/openai/fine_tuning/jobs/{job_id}/events?api-version={DATED}"),
        ]:
            call = functools.partial(raw_get, conn, path)
            timed(call, 50)
            report(name, timed(call, args.gets), 5)
        timed(lambda: client.fine_tuning.jobs.retrieve(job_id), 50)
        report("GET job (openai SDK)", timed(lambda: client.fine_tuning.jobs.retrieve(job_id), args.gets), 5)

        start = time.perf_counter()
        body = {
            "sku": {"name": "GlobalStandard", "capacity": 1},
            "properties": {"model": {"format": "OpenAI", "name": "gpt-4.1-mini", "version": "2025-04-14"}},
        }
        for i in range(args.deployments):
            conn.request(
                "PUT",
                f"{ARM_PATH}/dep-{i:04d}?api-version=2025-09-01",
                body=json.dumps(body),
                headers={"Authorization": "Bearer bench", "Content-Type": "application/json"},
            )
            resp = conn.getresponse()
            resp.read()
            assert resp.status == 201, resp.status
        print(f"created {args.deployments} deployments in {time.perf_counter() - start:.2f} s")
        arm.deployments.get("rg", "acct", "dep-0000")
        timed(lambda: raw_get(conn, f"{ARM_PATH}/dep-0001?api-version=2025-09-01"), 50)
        report(
            "GET deployment (raw HTTP)",
            timed(lambda: raw_get(conn, f"{ARM_PATH}/dep-0001?api-version=2025-09-01"), args.gets),
            5,
        )
        report("GET deployment (azure SDK)", timed(lambda: arm.deployments.get("rg", "acct", "dep-0001"), args.gets), 5)

        listing = f"{ARM_PATH}?api-version=2025-09-01"
        assert raw_list_all(conn, listing) == args.deployments
        report(
            f"list {args.deployments} deployments (raw HTTP, all pages)",
            timed(lambda: raw_list_all(conn, listing), args.runs),
            200,
        )
        assert len(list(arm.deployments.list("rg", "acct"))) == args.deployments
        report(
            f"list {args.deployments} deployments (azure SDK)",
            timed(lambda: list(arm.deployments.list("rg", "acct")), args.runs),
            200,
        )

    with tempfile.TemporaryDirectory() as tmp, EmbeddedEmulator(Path(tmp), speed=1e7, faults="latency_ms=50") as emu:
        host = urlsplit(emu.url)
        conn = http.client.HTTPConnection(host.hostname or "127.0.0.1", host.port)
        samples = timed(lambda: raw_get(conn, "/openai/v1/files"), 20)
        print(
            f"{'GET with latency_ms=50 (raw HTTP)':<44} median {statistics.median(samples):8.2f} ms  "
            f"(≥ 50 expected: injected per request)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
