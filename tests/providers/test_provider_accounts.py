"""The provider across accounts: deployments send their model's publisher format, a fine-tuned model deployed into
another account names the account that trained it as `source`, and other accounts' endpoints are found through
ARM, against an emulator that declares its accounts (each with its own data plane)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from provider_helpers import FAST, wait_for

from fineplan.emulator.config import AccountSpec
from fineplan.emulator.embedded import EmbeddedEmulator
from fineplan.errors import ProviderError
from fineplan.providers.azure import AzureProvider
from fineplan.providers.azure.connection import AccountRef, refs_of
from fineplan.providers.azure.credentials import StaticTokenCredential
from fineplan.providers.azure.mapping import model_format
from fineplan.providers.base import DeploymentRequest, JobRequest
from fineplan.providers.factory import LOCAL_API_KEY, local_provider, open_provider
from fineplan.spec.models import LocalTarget, TargetAccount

SUB = "33333333-3333-3333-3333-333333333333"
DEV = AccountSpec("dev", SUB, "rg-dev", "swedencentral")
PROD = AccountSpec("prod", SUB, "rg-prod", "eastus2")
TARGET = LocalTarget(account="dev", subscription_id=SUB, resource_group="rg-dev")
DEV_ID = f"/subscriptions/{SUB}/resourceGroups/rg-dev/providers/Microsoft.CognitiveServices/accounts/dev"


@pytest.fixture
def declared(tmp_path: Path) -> Iterator[tuple[EmbeddedEmulator, AzureProvider]]:
    with EmbeddedEmulator(tmp_path / "emu", speed=FAST, api_key=LOCAL_API_KEY, accounts=[DEV, PROD]) as emu:
        provider = local_provider(emu.url, TARGET, accounts={"prod": "rg-prod"})
        try:
            yield emu, provider
        finally:
            provider.close()


def _train(provider: AzureProvider, samples: Path, model: str, training_type: str) -> str:
    uploaded = provider.upload_file(samples / "sft-gsm8k" / "validation.jsonl", "train.jsonl")
    provider.wait_file_processed(uploaded.id, timeout=30)
    created = provider.create_job(
        JobRequest(model=model, training_file=uploaded.id, method="supervised", training_type=training_type)
    )
    job = wait_for(lambda: provider.get_job(created.id))
    assert job.status == "succeeded", job.error
    assert job.fine_tuned_model is not None
    return job.fine_tuned_model


def _arm_model(emu: EmbeddedEmulator, account: AccountSpec, name: str) -> dict[str, object]:
    import urllib.request

    url = (
        f"{emu.url}/subscriptions/{account.subscription}/resourceGroups/{account.resource_group}/providers/"
        f"Microsoft.CognitiveServices/accounts/{account.name}/deployments/{name}?api-version=2025-09-01"
    )
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {LOCAL_API_KEY}"})
    with urllib.request.urlopen(request, timeout=30) as resp:
        return dict(json.loads(resp.read())["properties"]["model"])


def test_the_format_is_the_publishers_of_the_root_base_model() -> None:
    assert model_format("gpt-4.1-mini-2025-04-14") == "OpenAI"
    assert model_format("Ministral-3B.ft-0123456789abcdef0123456789abcdef-v1") == "Mistral AI"
    assert model_format("Llama-3.3-70B-Instruct.ft-0123456789abcdef0123456789abcdef") == "Meta"
    assert model_format("Qwen-32B.ft-0123456789abcdef0123456789abcdef") == "Alibaba"
    assert model_format("gpt-oss-20b.ft-0123456789abcdef0123456789abcdef:ckpt-step-10") == "OpenAI-OSS"
    assert model_format("some-future-model") == "OpenAI"


def test_a_fine_tuned_model_deploys_into_another_account_with_its_source(
    declared: tuple[EmbeddedEmulator, AzureProvider], samples: Path
) -> None:
    emu, provider = declared
    model = _train(provider, samples, "gpt-4.1-mini-2025-04-14", "global")
    request = DeploymentRequest(model_name=model, deployment_type="global_standard", capacity=10)
    made = provider.put_deployment("prod", "promoted", request)
    assert (made.account, made.provisioning_state) == ("prod", "Succeeded")
    assert _arm_model(emu, PROD, "promoted")["source"] == DEV_ID
    at_home = provider.put_deployment("dev", "candidate", request)
    assert at_home.provisioning_state == "Succeeded"
    assert "source" not in _arm_model(emu, DEV, "candidate")  # its own account needs none
    assert provider.endpoint_for("prod") == f"{emu.url}/accounts/prod"  # found through ARM properties.endpoint
    assert provider.endpoint_for("dev") == emu.url


def test_an_open_model_deploys_with_its_publishers_format(
    declared: tuple[EmbeddedEmulator, AzureProvider], samples: Path
) -> None:
    emu, provider = declared
    model = _train(provider, samples, "Ministral-3B", "global")
    made = provider.put_deployment(
        "dev", "mini", DeploymentRequest(model_name=model, deployment_type="global_standard", capacity=10)
    )
    assert made.provisioning_state == "Succeeded"
    assert _arm_model(emu, DEV, "mini")["format"] == "Mistral AI"


def test_the_local_target_follows_an_emulator_that_declares_its_accounts(tmp_path: Path) -> None:
    data_dir = tmp_path / ".fineplan" / "emulator"
    data_dir.mkdir(parents=True)
    (data_dir / "emulator.yaml").write_text(
        "accounts:\n"
        f"  - {{name: dev, subscription: {SUB}, resource_group: rg-dev, location: swedencentral}}\n"
        f"  - {{name: prod, subscription: {SUB}, resource_group: rg-prod, location: eastus2}}\n"
        "  - {name: elsewhere, subscription: 44444444-4444-4444-4444-444444444444, resource_group: rg-x}\n"
        "default_account: prod\n",
        encoding="utf-8",
    )
    with open_provider(tmp_path, "local", TARGET) as handle:
        connection = handle.provider.connection
        assert handle.emulator is not None
        assert connection.endpoint == f"{handle.emulator.url}/accounts/dev"  # dev is not the emulator's default
        assert connection.resource_group_for("prod") == "rg-prod"
        assert connection.account_ref("elsewhere") == AccountRef(
            "44444444-4444-4444-4444-444444444444", "rg-x", "local"
        )
        assert handle.provider.list_files() == []
        assert handle.provider.list_deployments("prod") == []
        assert handle.provider.list_deployments("elsewhere") == []  # another subscription: its own ARM client


OTHER_SUB = "55555555-5555-5555-5555-555555555555"
FAR = AccountSpec("far", OTHER_SUB, "rg-far", "westus3")


def test_a_model_trained_in_one_subscription_deploys_into_another(tmp_path: Path, samples: Path) -> None:
    with EmbeddedEmulator(tmp_path / "emu", speed=FAST, api_key=LOCAL_API_KEY, accounts=[DEV, PROD, FAR]) as emu:
        target = LocalTarget(
            account="dev",
            subscription_id=SUB,
            resource_group="rg-dev",
            accounts={"prod": "rg-prod", "far": TargetAccount(resource_group="rg-far", subscription_id=OTHER_SUB)},
        )
        provider = local_provider(emu.url, target, accounts=refs_of(target))
        try:
            model = _train(provider, samples, "gpt-4.1-mini-2025-04-14", "global")
            request = DeploymentRequest(model_name=model, deployment_type="global_standard", capacity=10)
            made = provider.put_deployment("far", "promoted", request)
            assert (made.account, made.provisioning_state) == ("far", "Succeeded")
            assert _arm_model(emu, FAR, "promoted")["source"] == DEV_ID
            assert [d.name for d in provider.list_deployments("far")] == ["promoted"]
            assert provider.list_deployments("prod") == []
            assert provider.endpoint_for("far") == f"{emu.url}/accounts/far"
            control = provider._controlplane
            assert sorted(control._clients) == [SUB, OTHER_SUB]  # one ARM client per subscription
        finally:
            provider.close()


def test_the_local_target_declares_its_accounts_to_the_embedded_emulator(tmp_path: Path) -> None:
    target = LocalTarget(
        account="dev",
        subscription_id=SUB,
        resource_group="rg-dev",
        region="swedencentral",
        accounts={"prod": TargetAccount(resource_group="rg-prod", subscription_id=OTHER_SUB, region="eastus2")},
    )
    with open_provider(tmp_path, "local", target) as handle:
        assert handle.emulator is not None
        config = handle.emulator.config
        assert [(a.name, a.subscription, a.resource_group, a.location) for a in config.accounts] == [
            ("dev", SUB, "rg-dev", "swedencentral"),
            ("prod", OTHER_SUB, "rg-prod", "eastus2"),
        ]
        assert config.default_account.name == "dev"
        assert handle.provider.connection.endpoint == handle.emulator.url  # the default account: the root
        assert handle.provider.list_deployments("prod") == []
        assert handle.provider.endpoint_for("prod") == f"{handle.emulator.url}/accounts/prod"


@pytest.mark.parametrize("auth", ["api-key", "entra-token"])
def test_chat_answers_on_the_deployments_own_account(
    declared: tuple[EmbeddedEmulator, AzureProvider], samples: Path, auth: str
) -> None:
    _, provider = declared
    model = _train(provider, samples, "gpt-4.1-mini-2025-04-14", "global")
    request = DeploymentRequest(model_name=model, deployment_type="global_standard", capacity=10)
    provider.put_deployment("prod", "promoted", request)
    if auth == "entra-token":  # no key: the data plane gets a bearer token from the credential, as on Azure
        provider = AzureProvider(provider.connection, credential=StaticTokenCredential(LOCAL_API_KEY))
    try:
        reply = provider.chat("prod", "promoted", [{"role": "user", "content": "What is 2 + 3?"}], max_tokens=20)
    finally:
        if auth == "entra-token":
            provider.close()
    assert reply.model == model
    assert reply.content
    assert 0 < reply.usage["completion_tokens"] <= 20
    with pytest.raises(ProviderError, match="DeploymentNotFound") as exc:
        declared[1].chat("dev", "promoted", [{"role": "user", "content": "hi"}])  # not deployed in dev
    assert exc.value.status == 404
