"""Deploying across accounts as Azure does: a fine-tuned model deploys outside the account that trained it only
with `properties.model.source` naming that account; the region must allow the deployment type for the model;
the format must be the model's publisher's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from account_helpers import BASE, DEV, PROD, account_id, arm_in, data_client, deployment, endpoint_of, fine_tune
from azure.core.exceptions import HttpResponseError
from emulator_helpers import FAST, SchemaChecker, http

from fineplan.catalog.regions import Availability, load_regions
from fineplan.emulator.config import AccountSpec
from fineplan.emulator.embedded import EmbeddedEmulator

# A third account in dev's subscription that never trains anything.
EMPTY = AccountSpec("empty", DEV.subscription, "rg-empty", "northcentralus")


@pytest.fixture
def emu(tmp_path: Path) -> Iterator[EmbeddedEmulator]:
    with EmbeddedEmulator(tmp_path / "emu", speed=FAST, accounts=[DEV, PROD, EMPTY]) as emulator:
        yield emulator


def _code(info: pytest.ExceptionInfo[HttpResponseError]) -> str | None:
    return info.value.error.code if info.value.error is not None else None


def test_a_fine_tuned_model_deploys_in_another_subscription_only_with_its_source(
    emu: EmbeddedEmulator, samples: Path, schemas: SchemaChecker
) -> None:
    model = fine_tune(data_client(endpoint_of(emu, DEV)), samples)
    prod = arm_in(emu, PROD.subscription)

    with pytest.raises(HttpResponseError) as missing:
        prod.deployments.begin_create_or_update(PROD.resource_group, PROD.name, "ft", deployment(model)).result()
    assert missing.value.status_code == 400 and _code(missing) == "DeploymentModelNotSupported"
    assert f"The model 'Format:OpenAI,Name:{model},Version:1' of account deployment is not supported." in str(
        missing.value
    )
    assert "'dev'" in str(missing.value)  # the emulator's hint: where the model lives

    for wrong in (account_id(PROD), account_id(EMPTY)):  # accounts that do not hold the model
        with pytest.raises(HttpResponseError) as info:
            prod.deployments.begin_create_or_update(
                PROD.resource_group, PROD.name, "ft", deployment(model, source=wrong)
            ).result()
        assert _code(info) == "DeploymentModelNotSupported", wrong
    with pytest.raises(HttpResponseError) as malformed:
        prod.deployments.begin_create_or_update(
            PROD.resource_group, PROD.name, "ft", deployment(model, source="dev")
        ).result()
    assert _code(malformed) == "LinkedInvalidPropertyId"
    unknown = account_id(DEV).replace("/dev", "/nobody")
    with pytest.raises(HttpResponseError) as nobody:
        prod.deployments.begin_create_or_update(
            PROD.resource_group, PROD.name, "ft", deployment(model, source=unknown)
        ).result()
    assert _code(nobody) == "InvalidResourceProperties"
    assert list(prod.deployments.list(PROD.resource_group, PROD.name)) == []

    made = prod.deployments.begin_create_or_update(
        PROD.resource_group, PROD.name, "ft", deployment(model, source=account_id(DEV))
    ).result()
    assert made.properties.provisioning_state == "Succeeded"
    assert made.properties.model.source == account_id(DEV)
    assert made.id == f"{account_id(PROD)}/deployments/ft"
    status, _, raw = http("GET", f"{emu.url}{made.id}?api-version=2025-09-01")
    assert status == 200
    schemas.arm_def("Deployment", raw)


def test_source_account_is_accepted_too_and_the_own_account_needs_no_source(
    emu: EmbeddedEmulator, samples: Path
) -> None:
    model = fine_tune(data_client(endpoint_of(emu, DEV)), samples)
    dev = arm_in(emu, DEV.subscription)
    at_home = dev.deployments.begin_create_or_update(DEV.resource_group, DEV.name, "ft", deployment(model)).result()
    assert at_home.properties.provisioning_state == "Succeeded"
    model_body = {"format": "OpenAI", "name": model, "version": "1", "sourceAccount": account_id(DEV)}
    status, _, body = http(
        "PUT",
        f"{emu.url}{account_id(EMPTY)}/deployments/ft?api-version=2025-09-01",
        body={"sku": {"name": "GlobalStandard", "capacity": 10}, "properties": {"model": model_body}},
    )
    assert status == 201, body


def test_a_deployment_type_the_region_rules_out_is_refused(emu: EmbeddedEmulator, samples: Path) -> None:
    """Standard fine-tuned deployments of gpt-4.1-mini exist in North Central US and Sweden Central, not East US 2
    (Microsoft's table as of 2026-02); Developer is available in every Azure OpenAI region."""
    table = load_regions()
    assert table.fine_tuned_deployment("standard", BASE, "eastus2") is Availability.UNAVAILABLE
    assert table.fine_tuned_deployment("standard", BASE, "Sweden Central") is Availability.AVAILABLE
    model = fine_tune(data_client(endpoint_of(emu, DEV)), samples)
    prod = arm_in(emu, PROD.subscription)
    with pytest.raises(HttpResponseError) as info:
        prod.deployments.begin_create_or_update(
            PROD.resource_group, PROD.name, "std", deployment(model, sku="Standard", source=account_id(DEV))
        ).result()
    assert info.value.status_code == 400 and _code(info) == "InvalidResourceProperties"
    assert f"The specified SKU 'Standard' for model '{model} 1' is not supported in this region 'eastus2'." in str(
        info.value
    )
    developer = prod.deployments.begin_create_or_update(  # accepted (it expires too fast at this speed to poll)
        PROD.resource_group,
        PROD.name,
        "dev",
        deployment(model, sku="DeveloperTier", source=account_id(DEV)),
        polling=False,
    ).result()
    assert developer.sku.name == "DeveloperTier"
    dev = arm_in(emu, DEV.subscription)  # Sweden Central has Standard for it
    standard = dev.deployments.begin_create_or_update(
        DEV.resource_group, DEV.name, "std", deployment(model, sku="Standard")
    ).result()
    assert standard.sku.name == "Standard"
    # A PATCH to a SKU the region rules out is refused the same way.
    prod.deployments.begin_create_or_update(
        PROD.resource_group, PROD.name, "glob", deployment(model, source=account_id(DEV))
    ).result()
    with pytest.raises(HttpResponseError) as patched:
        prod.deployments.begin_update(
            PROD.resource_group, PROD.name, "glob", {"sku": {"name": "Standard", "capacity": 10}}
        ).result()
    assert _code(patched) == "InvalidResourceProperties"


def test_open_models_deploy_with_their_publishers_format(emu: EmbeddedEmulator, samples: Path) -> None:
    dev_data = data_client(endpoint_of(emu, DEV))
    model = fine_tune(dev_data, samples, model="Ministral-3B", extra_body={"trainingType": "globalStandard"})
    dev = arm_in(emu, DEV.subscription)
    with pytest.raises(HttpResponseError) as wrong:
        dev.deployments.begin_create_or_update(DEV.resource_group, DEV.name, "m", deployment(model)).result()
    assert _code(wrong) == "DeploymentModelNotSupported" and "Format:OpenAI" in str(wrong.value)
    made = dev.deployments.begin_create_or_update(
        DEV.resource_group, DEV.name, "m", deployment(model, model_format="Mistral AI")
    ).result()
    assert made.properties.model.format == "Mistral AI"
    # A base open model too; and a missing format is the model's own.
    with pytest.raises(HttpResponseError):
        dev.deployments.begin_create_or_update(DEV.resource_group, DEV.name, "oss", deployment("gpt-oss-20b")).result()
    oss = dev.deployments.begin_create_or_update(
        DEV.resource_group, DEV.name, "oss", deployment("gpt-oss-20b", model_format=None)
    ).result()
    assert oss.properties.model.format == "OpenAI-OSS"


def test_a_promoted_deployment_answers_on_its_own_accounts_data_plane_only(
    emu: EmbeddedEmulator, samples: Path
) -> None:
    """Chat completions reach a deployment through the data plane of the account that holds the deployment."""
    import openai

    model = fine_tune(data_client(endpoint_of(emu, DEV)), samples)
    prod = arm_in(emu, PROD.subscription)
    prod.deployments.begin_create_or_update(
        PROD.resource_group, PROD.name, "promoted", deployment(model, source=account_id(DEV))
    ).result()
    question = [{"role": "user", "content": "What is 2 + 3?"}]
    answer = data_client(endpoint_of(emu, PROD)).chat.completions.create(model="promoted", messages=question)  # type: ignore[arg-type]
    assert answer.model == model and answer.choices[0].message.content
    with pytest.raises(openai.NotFoundError) as info:
        data_client(endpoint_of(emu, DEV)).chat.completions.create(model="promoted", messages=question)  # type: ignore[arg-type]
    assert info.value.body is not None and info.value.body["code"] == "DeploymentNotFound"  # type: ignore[index]
