"""Helpers for the multi-account emulator tests: two declared accounts in two subscriptions and regions, and the
official SDK clients for each (imported by name; every test dir has its own conftest)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openai
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from azure.mgmt.cognitiveservices.models import Deployment, DeploymentModel, DeploymentProperties, Sku
from emulator_helpers import DATED, BearerPolicy, StubCredential, upload, wait_job

from fineplan.emulator.config import AccountSpec
from fineplan.emulator.embedded import EmbeddedEmulator

DEV = AccountSpec("dev", "11111111-1111-1111-1111-111111111111", "rg-dev", "swedencentral")
PROD = AccountSpec("prod", "22222222-2222-2222-2222-222222222222", "rg-prod", "eastus2")
BASE = "gpt-4.1-mini-2025-04-14"


def arm_in(emu: EmbeddedEmulator, subscription: str) -> CognitiveServicesManagementClient:
    return CognitiveServicesManagementClient(
        StubCredential(),
        subscription,
        base_url=emu.url,
        authentication_policy=BearerPolicy("local-token"),
        polling_interval=0,
        retry_backoff_factor=0.01,
    )


def data_client(endpoint: str) -> openai.AzureOpenAI:
    """The dated-style client exactly as a user builds it from `properties.endpoint`."""
    return openai.AzureOpenAI(azure_endpoint=endpoint, api_key="local", api_version=DATED)


def endpoint_of(emu: EmbeddedEmulator, spec: AccountSpec) -> str:
    arm = arm_in(emu, spec.subscription)
    endpoint = arm.accounts.get(spec.resource_group, spec.name).properties.endpoint
    assert isinstance(endpoint, str)
    return endpoint


def fine_tune(client: openai.AzureOpenAI, samples: Path, model: str = BASE, **extra: Any) -> str:
    """A succeeded SFT job's fine-tuned model name."""
    training = upload(client, samples / "sft-gsm8k" / "validation.jsonl")
    job = wait_job(client, client.fine_tuning.jobs.create(model=model, training_file=training, **extra).id)
    assert job.status == "succeeded", job.error
    assert isinstance(job.fine_tuned_model, str)
    return job.fine_tuned_model


def deployment(
    model: str,
    *,
    sku: str = "GlobalStandard",
    capacity: int = 10,
    source: str | None = None,
    model_format: str | None = "OpenAI",
    version: str = "1",
) -> Deployment:
    return Deployment(
        sku=Sku(name=sku, capacity=capacity),
        properties=DeploymentProperties(
            model=DeploymentModel(format=model_format, name=model, version=version, source=source)
        ),
    )


def account_id(spec: AccountSpec) -> str:
    return (
        f"/subscriptions/{spec.subscription}/resourceGroups/{spec.resource_group}/providers/"
        f"Microsoft.CognitiveServices/accounts/{spec.name}"
    )
