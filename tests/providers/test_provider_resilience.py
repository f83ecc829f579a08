"""Azure's awkward parts through the provider: per-account 409s, injected 429/500/503, job cancel and delete."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from provider_helpers import FAST, running_provider, wait_for

from fineplan.emulator.embedded import EmbeddedEmulator
from fineplan.errors import ProviderError
from fineplan.providers.azure import AzureProvider, Connection, Tuning
from fineplan.providers.azure.credentials import StaticTokenCredential
from fineplan.providers.base import DeploymentRequest, JobRequest, RemoteDeployment
from fineplan.providers.factory import local_provider
from fineplan.spec.models import LocalTarget

BASE = "gpt-4.1-mini-2025-04-14"
ACCOUNT = "local"
# Slow enough that a deployment operation stays in flight for ~0.5 s (60 simulated s): a real conflict window.
CONFLICT_SPEED = 120.0
BACKOFF_LOGGER = "fineplan.providers.azure.backoff"


def chat_deployment(capacity: int = 5) -> DeploymentRequest:
    return DeploymentRequest(model_name=BASE, deployment_type="global_standard", capacity=capacity, model_version="1")


def run_together(*calls: Callable[[], RemoteDeployment]) -> list[RemoteDeployment | BaseException]:
    """Start the calls at the same instant on their own threads; return each result or exception."""
    barrier = threading.Barrier(len(calls))
    results: list[RemoteDeployment | BaseException] = [RuntimeError("not run")] * len(calls)

    def worker(i: int, call: Callable[[], RemoteDeployment]) -> None:
        barrier.wait()
        try:
            results[i] = call()
        except BaseException as exc:
            results[i] = exc

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_two_threads_deploying_in_one_account_are_serialised(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=BACKOFF_LOGGER)
    with running_provider(tmp_path, speed=CONFLICT_SPEED, faults="") as (_, provider):
        results = run_together(
            lambda: provider.put_deployment(ACCOUNT, "alpha", chat_deployment()),
            lambda: provider.put_deployment(ACCOUNT, "beta", chat_deployment()),
        )
        assert all(isinstance(r, RemoteDeployment) and r.provisioning_state == "Succeeded" for r in results), results
        assert sorted(d.name for d in provider.list_deployments(ACCOUNT)) == ["alpha", "beta"]
    # the per-account lock kept the second write back until the first finished: Azure never had to say 409
    assert not [r for r in caplog.records if "409" in r.getMessage()]


def test_two_providers_deploying_in_one_account_retry_the_409(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Two providers share no lock (like two processes): Azure's 409 is retried with backoff until both land."""
    caplog.set_level(logging.INFO, logger=BACKOFF_LOGGER)
    with running_provider(tmp_path, speed=CONFLICT_SPEED, faults="") as (emulator, first):
        second = local_provider(emulator.url, LocalTarget())
        try:
            results = run_together(
                lambda: first.put_deployment(ACCOUNT, "alpha", chat_deployment()),
                lambda: second.put_deployment(ACCOUNT, "beta", chat_deployment()),
            )
        finally:
            second.close()
        assert all(isinstance(r, RemoteDeployment) and r.provisioning_state == "Succeeded" for r in results), results
        assert sorted(d.name for d in first.list_deployments(ACCOUNT)) == ["alpha", "beta"]
    retried = [r.getMessage() for r in caplog.records if "409" in r.getMessage()]
    assert retried and "Another operation" in retried[0]


def test_apply_like_flow_converges_with_10_percent_faults(tmp_path: Path, samples: Path) -> None:
    # 10 % random 429/500/503 on every operation, plus scripted ones so each retry path is certainly taken:
    # the openai SDK (POST create job), azure-core (PUT, 503) and the provider's own loop (PATCH, 429/500).
    faults = (
        "rate=0.1;codes=429,500,503;seed=11;retry_after_ms=20;"
        "fail=create_file:1:503,create_job:1:500,put_deployment:1:503,patch_deployment:1:429,"
        "patch_deployment:2:500,delete_deployment:1:429,get_operation_status:1:500"
    )
    with running_provider(tmp_path, faults=faults) as (emulator, provider):
        uploaded = provider.upload_file(samples / "sft-tool-calling" / "train.jsonl", "tools.jsonl")
        assert provider.wait_file_processed(uploaded.id, timeout=60).status == "processed"
        created = provider.create_job(
            JobRequest(model=BASE, training_file=uploaded.id, method="supervised", hyperparameters={"n_epochs": 1})
        )
        job = wait_for(lambda: provider.get_job(created.id), timeout=60)
        assert job.status == "succeeded" and job.fine_tuned_model
        assert [j.id for j in provider.list_jobs()] == [job.id]  # the retried create made exactly one job
        assert provider.job_metrics(job.id).epochs_done == 1
        assert provider.job_events(job.id, limit=3)

        request = DeploymentRequest(model_name=job.fine_tuned_model, deployment_type="developer", capacity=1)
        assert provider.put_deployment(ACCOUNT, "ft", request).provisioning_state == "Succeeded"
        assert provider.update_deployment(ACCOUNT, "ft", capacity=3).capacity == 3
        assert [d.capacity for d in provider.list_deployments(ACCOUNT)] == [3]
        provider.delete_deployment(ACCOUNT, "ft")
        assert provider.get_deployment(ACCOUNT, "ft") is None

        injector = emulator.server.emulator.faults
        assert injector.calls("patch_deployment") >= 3  # two scripted failures, then the PATCH that landed
        assert injector.calls("create_job") >= 2


def test_cancel_then_delete_a_job(tmp_path: Path, samples: Path) -> None:
    # Real-time speed: the job sits in the queue for a simulated minute, so it is still cancellable.
    with running_provider(tmp_path, speed=1.0, faults="") as (_, provider):
        uploaded = provider.upload_file(samples / "sft-tool-calling" / "train.jsonl", "tools.jsonl")
        created = provider.create_job(JobRequest(model=BASE, training_file=uploaded.id, method="supervised"))
        assert not created.terminal

        with pytest.raises(ProviderError) as info:
            provider.delete_job(created.id)  # not terminal yet: Azure refuses, and it is not worth retrying
        assert info.value.status == 409

        cancelled = provider.cancel_job(created.id)
        assert cancelled.status == "cancelled" and cancelled.terminal
        provider.delete_job(created.id)
        assert provider.get_job(created.id) is None
        provider.delete_job(created.id)  # already gone: not an error


def test_keys_stay_out_of_logs_and_errors(tmp_path: Path, samples: Path, caplog: pytest.LogCaptureFixture) -> None:
    secret = "k3y-" + "9f" * 16
    caplog.set_level(logging.DEBUG)  # every logger, SDKs included, at their most verbose
    faults = "fail=create_file:1:429,list_files:1:500,list_deployments:1:503"
    with EmbeddedEmulator(tmp_path, speed=FAST, faults=faults, api_key=secret) as emulator:
        connection = Connection(endpoint=emulator.url, subscription_id="s", account=ACCOUNT, resource_group="rg",
                                management_endpoint=emulator.url, shared_root=True)  # fmt: skip
        good = AzureProvider(
            connection, api_key=secret, credential=StaticTokenCredential(secret), tuning=Tuning.local()
        )
        wrong = AzureProvider(connection, api_key="not-the-key", credential=StaticTokenCredential("nope"),
                              tuning=Tuning.local())  # fmt: skip
        try:
            good.upload_file(samples / "sft-gsm8k" / "validation.jsonl", "v.jsonl")
            assert len(good.list_files()) == 1
            assert good.list_deployments(ACCOUNT) == []
            with pytest.raises(ProviderError) as data_err:
                wrong.list_files()
            with pytest.raises(ProviderError) as arm_err:
                wrong.list_deployments(ACCOUNT)
        finally:
            good.close()
            wrong.close()
    assert data_err.value.status == 401 and arm_err.value.status == 401
    assert "authentication failed" in str(data_err.value)
    assert caplog.records  # the SDKs did log (retries, requests), just never the key
    for text in (caplog.text, str(data_err.value), str(arm_err.value), repr(good)):
        assert secret not in text
