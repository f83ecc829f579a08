"""The provider against the real emulator: real sample files → SFT → DPO stacked on it → deployments."""

from __future__ import annotations

import json
import re
from pathlib import Path

import openai
import pytest
from provider_helpers import running_provider, wait_for

from fineplan.catalog import fine_tuned_base
from fineplan.emulator.embedded import EmbeddedEmulator
from fineplan.errors import ProviderError
from fineplan.providers.azure import AzureProvider, dataplane
from fineplan.providers.base import DeploymentRequest, JobRequest, RemoteFile, RemoteJob
from fineplan.providers.factory import LOCAL_API_KEY

BASE = "gpt-4.1-mini-2025-04-14"
ACCOUNT = "local"


def upload(provider: AzureProvider, path: Path, name: str) -> RemoteFile:
    uploaded = provider.upload_file(path, name)
    return provider.wait_file_processed(uploaded.id, timeout=30)


@pytest.fixture(scope="module")
def sft_files(provider: AzureProvider, samples: Path) -> tuple[RemoteFile, RemoteFile]:
    folder = samples / "sft-gsm8k"
    return upload(provider, folder / "train.jsonl", "gsm8k-train.jsonl"), upload(
        provider, folder / "validation.jsonl", "gsm8k-valid.jsonl"
    )


@pytest.fixture(scope="module")
def sft_job(provider: AzureProvider, sft_files: tuple[RemoteFile, RemoteFile]) -> RemoteJob:
    train, valid = sft_files
    created = provider.create_job(
        JobRequest(
            model=BASE,
            training_file=train.id,
            validation_file=valid.id,
            method="supervised",
            hyperparameters={"n_epochs": 2, "batch_size": "auto"},
            training_type="developer",
            suffix="v01",
            seed=42,
            metadata={"fineplan.address": "job.gsm8k-sft", "fineplan.digest": "abc123"},
        )
    )
    return wait_for(lambda: provider.get_job(created.id))


@pytest.fixture(scope="module")
def dpo_job(provider: AzureProvider, sft_job: RemoteJob, samples: Path) -> RemoteJob:
    pairs = upload(provider, samples / "dpo-orca" / "pairs.jsonl", "orca-pairs.jsonl")
    assert sft_job.fine_tuned_model is not None
    created = provider.create_job(
        JobRequest(
            model=sft_job.fine_tuned_model,
            training_file=pairs.id,
            method="dpo",
            hyperparameters={"beta": 0.2, "n_epochs": 1},
            training_type="global",
        )
    )
    return wait_for(lambda: provider.get_job(created.id))


def test_upload_reports_progress_and_the_file_is_listed(provider: AzureProvider, samples: Path) -> None:
    path = samples / "sft-tool-calling" / "train.jsonl"
    seen: list[tuple[int, int]] = []
    uploaded = provider.upload_file(
        path, "tool-calling-d1g3st.jsonl", progress=lambda sent, total: seen.append((sent, total))
    )
    size = path.stat().st_size
    assert uploaded.bytes == size and uploaded.filename == "tool-calling-d1g3st.jsonl"
    assert seen and seen[-1] == (size, size)
    processed = provider.wait_file_processed(uploaded.id, timeout=30)
    assert processed.status == "processed" and processed.error is None
    assert uploaded.id in {f.id for f in provider.list_files()}
    provider.delete_file(uploaded.id)
    assert uploaded.id not in {f.id for f in provider.list_files()}
    provider.delete_file(uploaded.id)  # already gone: not an error


def test_an_invalid_file_ends_in_error_with_a_reason(provider: AzureProvider, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"messages": []}\nnot json\n', encoding="utf-8")
    done = provider.wait_file_processed(provider.upload_file(bad, "bad.jsonl").id, timeout=30)
    assert done.status == "error"
    assert done.error


def test_sft_job_succeeds_with_azure_naming_and_round_trips(provider: AzureProvider, sft_job: RemoteJob) -> None:
    assert sft_job.status == "succeeded", sft_job.error
    hexpart = sft_job.id.removeprefix("ftjob-")
    assert sft_job.fine_tuned_model == f"{BASE}.ft-{hexpart}-v01"
    assert fine_tuned_base(sft_job.fine_tuned_model) == BASE
    assert sft_job.method == "supervised"
    assert sft_job.training_type == "developer"
    assert sft_job.suffix == "v01" and sft_job.seed == 42
    assert sft_job.hyperparameters["n_epochs"] == 2
    assert sft_job.metadata == {"fineplan.address": "job.gsm8k-sft", "fineplan.digest": "abc123"}
    assert sft_job.trained_tokens and sft_job.trained_tokens > 0
    assert sft_job.finished_at is not None and sft_job.validation_file
    assert sft_job.id in {j.id for j in provider.list_jobs()}


def test_sft_metrics_and_events(provider: AzureProvider, sft_job: RemoteJob) -> None:
    metrics = provider.job_metrics(sft_job.id)
    assert metrics.epochs_done == 2
    assert metrics.step is not None and metrics.step > 0
    assert "train_loss" in metrics.values and "valid_loss" in metrics.values
    events = provider.job_events(sft_job.id, limit=5)
    assert len(events) == 5
    messages = [e.message for e in events]
    assert messages[-1] == "Job succeeded."  # oldest first, so the newest is last
    assert f"Training tokens billed: {sft_job.trained_tokens}" in messages
    assert [e.created_at for e in events] == sorted(e.created_at for e in events)
    everything = provider.job_events(sft_job.id, limit=1000)
    assert everything[0].message.startswith("Job enqueued") or any(e.message == "Job started." for e in everything)
    assert any(e.type == "metrics" and "train_loss" in e.data for e in everything)


def test_dpo_stacks_on_the_fine_tuned_model(dpo_job: RemoteJob, sft_job: RemoteJob) -> None:
    assert dpo_job.status == "succeeded", dpo_job.error
    assert dpo_job.model == sft_job.fine_tuned_model
    assert dpo_job.method == "dpo"
    assert dpo_job.hyperparameters.get("beta") == 0.2
    assert dpo_job.training_type == "global"
    # named after the original base model, as Azure names stacked models
    assert dpo_job.fine_tuned_model == f"{BASE}.ft-{dpo_job.id.removeprefix('ftjob-')}"


def test_deployment_put_list_update_delete(provider: AzureProvider, dpo_job: RemoteJob) -> None:
    assert dpo_job.fine_tuned_model is not None
    request = DeploymentRequest(
        model_name=dpo_job.fine_tuned_model,
        deployment_type="developer",
        capacity=2,
        version_upgrade="once_current_version_expired",
        tags={"fineplan.address": "deployment.helper"},
    )
    created = provider.put_deployment(ACCOUNT, "helper", request)
    assert created.provisioning_state == "Succeeded"
    assert (created.deployment_type, created.sku_name, created.capacity) == ("developer", "DeveloperTier", 2)
    assert created.model_name == dpo_job.fine_tuned_model and created.model_version == "1"
    assert created.version_upgrade == "once_current_version_expired"
    assert created.tags == {"fineplan.address": "deployment.helper"}
    assert created.created_at is not None and created.id.endswith("/deployments/helper")

    assert "helper" in {d.name for d in provider.list_deployments(ACCOUNT)}

    updated = provider.update_deployment(ACCOUNT, "helper", capacity=5, tags={"fineplan.address": "deployment.h2"})
    assert (updated.capacity, updated.tags) == (5, {"fineplan.address": "deployment.h2"})
    assert updated.deployment_type == "developer"
    reread = provider.get_deployment(ACCOUNT, "helper")
    assert reread is not None and reread.capacity == 5 and reread.provisioning_state == "Succeeded"

    provider.delete_deployment(ACCOUNT, "helper")
    assert provider.get_deployment(ACCOUNT, "helper") is None
    provider.delete_deployment(ACCOUNT, "helper")  # already gone: not an error


def test_base_model_deployment_in_a_second_account(provider: AzureProvider) -> None:
    request = DeploymentRequest(
        model_name=BASE, deployment_type="global_standard", capacity=10, model_version="2025-04-14"
    )
    made = provider.put_deployment("second", "chat", request)
    assert (made.account, made.sku_name) == ("second", "GlobalStandard")
    assert [d.name for d in provider.list_deployments("second")] == ["chat"]
    assert provider.endpoint_for("second") == provider.endpoint_for(ACCOUNT)  # one emulator root
    provider.delete_deployment("second", "chat")
    assert provider.list_deployments("second") == []


def test_missing_things_read_as_none(provider: AzureProvider) -> None:
    assert provider.get_job("ftjob-" + "0" * 32) is None
    assert provider.get_file("file-" + "0" * 32) is None
    assert provider.get_deployment(ACCOUNT, "never-made") is None


def test_unknown_model_is_a_provider_error_with_azure_code(
    provider: AzureProvider, sft_files: tuple[RemoteFile, RemoteFile]
) -> None:
    with pytest.raises(ProviderError) as info:
        provider.create_job(JobRequest(model="gpt-9-ultra", training_file=sft_files[0].id, method="supervised"))
    assert info.value.status == 400
    assert info.value.code
    assert re.search(r"gpt-9-ultra", str(info.value))


def test_quota_shortfall_is_a_provider_error(provider: AzureProvider) -> None:
    request = DeploymentRequest(
        model_name=BASE, deployment_type="standard", capacity=100_000, model_version="2025-04-14"
    )
    with pytest.raises(ProviderError) as info:
        provider.put_deployment(ACCOUNT, "too-big", request)
    assert info.value.code == "InsufficientQuota"
    assert provider.get_deployment(ACCOUNT, "too-big") is None


def test_rft_job_sends_grader_and_response_format(
    emulated: tuple[EmbeddedEmulator, AzureProvider], samples: Path
) -> None:
    emulator, provider = emulated
    folder = samples / "rft-countdown"
    grader = json.loads((folder / "score_model_grader.json").read_text("utf-8"))
    schema = json.loads((folder / "response_schema.json").read_text("utf-8"))
    created = provider.create_job(
        JobRequest(
            model="o4-mini-2025-04-16",
            training_file=upload(provider, folder / "train.jsonl", "countdown-train.jsonl").id,
            validation_file=upload(provider, folder / "validation.jsonl", "countdown-valid.jsonl").id,
            method="reinforcement",
            hyperparameters={"reasoning_effort": "low", "n_epochs": 1, "eval_interval": 5},
            training_type="standard",
            grader=grader,
            response_format=schema,
        )
    )
    job = wait_for(lambda: provider.get_job(created.id))
    assert job.status == "succeeded", job.error
    assert (job.method, job.training_type) == ("reinforcement", "standard")
    assert job.hyperparameters["reasoning_effort"] == "low"
    assert "train_reward_mean" in provider.job_metrics(job.id).values

    # An independent look through the plain SDK: the Azure-only response_format reached the service intact.
    client = openai.AzureOpenAI(azure_endpoint=emulator.url, api_key=LOCAL_API_KEY, api_version="2025-04-01-preview")
    with client:
        method = client.fine_tuning.jobs.retrieve(job.id).to_dict()["method"]
    assert isinstance(method, dict)
    echoed = method["reinforcement"]
    assert echoed["response_format"] == schema
    assert echoed["grader"]["type"] == "score_model" and echoed["grader"]["input"] == grader["input"]


def test_lists_follow_every_page(
    provider: AzureProvider, monkeypatch: pytest.MonkeyPatch, sft_job: RemoteJob, dpo_job: RemoteJob
) -> None:
    monkeypatch.setattr(dataplane, "PAGE_SIZE", 1)  # one item per page: paging via `after` must collect them all
    files = provider.list_files()
    assert len(files) >= 3 and len({f.id for f in files}) == len(files)
    jobs = {j.id for j in provider.list_jobs()}
    assert {sft_job.id, dpo_job.id} <= jobs


def test_deployment_lists_follow_next_link(tmp_path: Path) -> None:
    (tmp_path / "emulator.yaml").write_text("deployment_page_size: 2\n", encoding="utf-8")
    with running_provider(tmp_path, faults="") as (_, provider):
        for name in ("d1", "d2", "d3", "d4", "d5"):
            provider.put_deployment(
                ACCOUNT,
                name,
                DeploymentRequest(model_name=BASE, deployment_type="standard", capacity=1, model_version="2025-04-14"),
            )
        assert sorted(d.name for d in provider.list_deployments(ACCOUNT)) == ["d1", "d2", "d3", "d4", "d5"]
