"""Fault injection: the spec syntax, scripted failures of the Nth call, random faults, 429 hints, latency."""

from __future__ import annotations

from pathlib import Path

import openai
import pytest
from azure.core.exceptions import HttpResponseError
from emulator_helpers import DATED, arm_client, azure_openai, http, upload

from fineplan.emulator import app as app_module
from fineplan.emulator.embedded import EmbeddedEmulator
from fineplan.emulator.faults import FaultInjector, ScriptedFault, parse_faults
from fineplan.errors import ConfigError

BASE = "gpt-4.1-mini-2025-04-14"


def test_spec_parsing() -> None:
    spec = parse_faults(
        "rate=0.1; codes=429,503; latency_ms=50; seed=3; fail=create_job:2:500,get_job:1-3:429;"
        "fail=put_deployment:4:503; retry_after_ms=20; ops=get_job"
    )
    assert (spec.rate, spec.codes, spec.latency_ms, spec.seed, spec.retry_after_ms) == (0.1, (429, 503), 50.0, 3, 20)
    assert spec.ops == frozenset({"get_job"})
    assert spec.scripted == (
        ScriptedFault("create_job", 2, 2, 500),
        ScriptedFault("get_job", 1, 3, 429),
        ScriptedFault("put_deployment", 4, 4, 503),
    )
    assert parse_faults(None).is_noop and parse_faults("").is_noop


@pytest.mark.parametrize(
    "bad", ["rate=2", "codes=200", "fail=create_job:0:500", "fail=nope:1:500", "fail=create_job:1", "nonsense", "x=1"]
)
def test_bad_specs_are_config_errors(bad: str) -> None:
    with pytest.raises(ConfigError):
        parse_faults(bad)


def test_random_faults_are_reproducible_with_a_seed() -> None:
    def draw() -> list[int | None]:
        injector = FaultInjector(parse_faults("rate=0.3;codes=429,500,503;seed=11"))
        return [injector.check("get_job") for _ in range(200)]

    first = draw()
    assert first == draw()
    failures = [c for c in first if c is not None]
    assert 30 < len(failures) < 90 and set(failures) == {429, 500, 503}


def test_scripted_fault_fails_the_nth_call(tmp_path: Path, samples: Path) -> None:
    with EmbeddedEmulator(tmp_path / "emu", speed=1e7, faults="fail=create_job:2:500") as emu:
        strict = azure_openai(emu, max_retries=0)
        chat = upload(strict, samples / "sft-gsm8k" / "validation.jsonl")
        strict.fine_tuning.jobs.create(model=BASE, training_file=chat)
        with pytest.raises(openai.InternalServerError) as info:
            strict.fine_tuning.jobs.create(model=BASE, training_file=chat)
        assert info.value.code == "internalFailure"
        strict.fine_tuning.jobs.create(model=BASE, training_file=chat)  # the 3rd call is served
        assert len(strict.fine_tuning.jobs.list().data) == 2  # the failed call created nothing


def test_the_sdks_retry_through_scripted_faults(tmp_path: Path, samples: Path) -> None:
    faults = "fail=create_job:1:503,put_deployment:1:429,get_deployment:1:500;retry_after_ms=1"
    with EmbeddedEmulator(tmp_path / "emu", speed=1e7, faults=faults) as emu:
        patient = azure_openai(emu, max_retries=2)
        chat = upload(patient, samples / "sft-gsm8k" / "validation.jsonl")
        assert patient.fine_tuning.jobs.create(model=BASE, training_file=chat).status == "pending"
        assert emu.server.emulator.faults.calls("create_job") == 2
        arm = arm_client(emu, retry_total=3)
        body = {
            "sku": {"name": "GlobalStandard", "capacity": 1},
            "properties": {"model": {"format": "OpenAI", "name": "gpt-4.1-mini", "version": "2025-04-14"}},
        }
        arm.deployments.begin_create_or_update("rg", "acct", "d1", body).result()  # type: ignore[arg-type]
        assert arm.deployments.get("rg", "acct", "d1").name == "d1"


def test_injected_429_carries_retry_after_ms_in_each_planes_shape(tmp_path: Path) -> None:
    with EmbeddedEmulator(
        tmp_path / "emu", speed=1e7, faults="fail=list_files:1:429,list_deployments:1:429;retry_after_ms=250"
    ) as emu:
        status, headers, body = http("GET", f"{emu.url}/openai/files?api-version={DATED}")
        assert (status, headers["retry-after-ms"], body["error"]["code"]) == (429, "250", "tooManyRequests")
        status, headers, body = http(
            "GET",
            f"{emu.url}/subscriptions/s/resourceGroups/r/providers/"
            "Microsoft.CognitiveServices/accounts/a/deployments?api-version=2025-09-01",
        )
        assert (status, headers["retry-after-ms"], body["error"]["code"]) == (429, "250", "TooManyRequests")
        assert "retry-after" not in headers  # azure-core would read whole seconds from it first


def test_random_faults_surface_as_sdk_errors(tmp_path: Path) -> None:
    with EmbeddedEmulator(tmp_path / "emu", speed=1e7, faults="rate=1;codes=503") as emu:
        with pytest.raises(openai.InternalServerError):
            azure_openai(emu, max_retries=0).files.list()
        with pytest.raises(HttpResponseError) as info:
            list(arm_client(emu, retry_total=0).deployments.list("rg", "acct"))
        assert info.value.status_code == 503


def test_latency_is_added_to_every_request(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(app_module.time, "sleep", slept.append)
    with EmbeddedEmulator(tmp_path / "emu", speed=1e7, faults="latency_ms=50") as emu:
        client = azure_openai(emu)
        client.files.list()
        client.fine_tuning.jobs.list()
        http("GET", f"{emu.url}/openai/nowhere?api-version={DATED}")
    assert slept == [0.05, 0.05, 0.05]


def test_env_configures_the_embedded_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FINEPLAN_EMULATOR_FAULTS", "fail=list_jobs:1:500")
    monkeypatch.setenv("FINEPLAN_EMULATOR_SPEED", "123")
    emu = EmbeddedEmulator(tmp_path / "emu")
    assert emu.config.speed == 123.0 and emu.config.faults == "fail=list_jobs:1:500"
    assert EmbeddedEmulator(tmp_path / "emu", speed=5, faults="").config.speed == 5  # arguments win
    with emu, pytest.raises(openai.InternalServerError):
        azure_openai(emu, max_retries=0).fine_tuning.jobs.list()
