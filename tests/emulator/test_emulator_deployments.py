"""ARM deployments through azure-mgmt-cognitiveservices: long-running operations, paging, validation, quota,
409 on concurrent operations, Developer expiry. Tests that watch an operation in flight move a manual clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from azure.mgmt.cognitiveservices.models import Deployment, DeploymentModel, DeploymentProperties, Sku
from emulator_helpers import FAST, SUBSCRIPTION, SchemaChecker, arm_client, azure_openai, http, upload, wait_job

from fineplan.emulator.clock import ManualClock
from fineplan.emulator.embedded import EmbeddedEmulator

BASE = "gpt-4.1-mini-2025-04-14"
RG, ACCOUNT = "rg-local", "foundry-local"
ARM_VERSION = "2025-09-01"


def deployment(
    model: str, sku: str = "GlobalStandard", capacity: int = 10, version: str = "1", **props: Any
) -> Deployment:
    return Deployment(
        sku=Sku(name=sku, capacity=capacity),
        properties=DeploymentProperties(model=DeploymentModel(format="OpenAI", name=model, version=version), **props),
        tags=props.pop("tags", None),
    )


def fine_tune(client: openai.AzureOpenAI, samples: Path, suffix: str, clock: ManualClock | None = None) -> Any:
    chat = upload(client, samples / "sft-gsm8k" / "validation.jsonl")
    job = client.fine_tuning.jobs.create(model=BASE, training_file=chat, suffix=suffix)
    if clock is not None:
        clock.advance(100_000)
    done = wait_job(client, job.id)
    assert done.status == "succeeded"
    return done


def arm_url(emu: EmbeddedEmulator, name: str = "", account: str = ACCOUNT) -> str:
    path = (
        f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RG}/providers/Microsoft.CognitiveServices/accounts/"
        f"{account}/deployments"
    )
    return f"{emu.url}{path}{'/' + name if name else ''}?api-version={ARM_VERSION}"


def put_body(model: str, sku: str = "GlobalStandard", capacity: int = 10) -> dict[str, Any]:
    return {
        "sku": {"name": sku, "capacity": capacity},
        "properties": {"model": {"format": "OpenAI", "name": model, "version": "1"}},
    }


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def slow(tmp_path: Path, clock: ManualClock) -> Iterator[EmbeddedEmulator]:
    with EmbeddedEmulator(tmp_path / "slow", speed=1.0, clock=clock) as emu:
        yield emu


def test_round_trip_through_the_sdk(
    emulator: EmbeddedEmulator,
    arm: CognitiveServicesManagementClient,
    client: openai.AzureOpenAI,
    samples: Path,
    schemas: SchemaChecker,
) -> None:
    model = fine_tune(client, samples, "rt").fine_tuned_model
    tags = {"fineplan.address": "deployment.chat", "fineplan.digest": "sha256:" + "cd" * 32}
    created = arm.deployments.begin_create_or_update(
        RG,
        ACCOUNT,
        "chat",
        deployment(model, tags=tags, rai_policy_name="Microsoft.Default", version_upgrade_option="NoAutoUpgrade"),
    ).result()
    assert created.properties.provisioning_state == "Succeeded"
    assert created.tags == tags
    assert created.properties.rai_policy_name == "Microsoft.Default"
    assert created.properties.version_upgrade_option == "NoAutoUpgrade"
    assert created.properties.model.name == model and created.properties.model.version == "1"
    assert created.id.endswith(f"/accounts/{ACCOUNT}/deployments/chat")
    assert created.sku.name == "GlobalStandard" and created.sku.capacity == 10

    status, _, raw = http("GET", arm_url(emulator, "chat"))
    assert status == 200
    schemas.arm_def("Deployment", raw)
    got = arm.deployments.get(RG, ACCOUNT, "chat")
    assert got.tags == tags

    updated = arm.deployments.begin_update(
        RG, ACCOUNT, "chat", {"sku": {"name": "GlobalStandard", "capacity": 25}, "tags": {"team": "a"}}
    ).result()
    assert updated.sku.capacity == 25 and updated.tags == {"team": "a"}
    assert updated.properties.provisioning_state == "Succeeded"
    assert updated.properties.rai_policy_name == "Microsoft.Default"  # untouched by the patch

    assert [d.name for d in arm.deployments.list(RG, ACCOUNT)] == ["chat"]
    arm.deployments.begin_delete(RG, ACCOUNT, "chat").result()
    with pytest.raises(ResourceNotFoundError):
        arm.deployments.get(RG, ACCOUNT, "chat")
    assert list(arm.deployments.list(RG, ACCOUNT)) == []
    assert list(arm.deployments.list(RG, "never-used")) == []
    # Deleting a deployment never deletes the model: it deploys again.
    arm.deployments.begin_create_or_update(RG, ACCOUNT, "chat2", deployment(model)).result()


def test_operations_take_time_and_conflict_while_in_flight(
    slow: EmbeddedEmulator, clock: ManualClock, samples: Path, schemas: SchemaChecker
) -> None:
    arm = arm_client(slow)
    status, headers, body = http(
        "PUT",
        arm_url(slow, "one"),
        body=put_body(BASE.replace("-2025-04-14", ""), capacity=5)
        | {"properties": {"model": {"format": "OpenAI", "name": "gpt-4.1-mini", "version": "2025-04-14"}}},
    )
    assert status == 201
    assert body["properties"]["provisioningState"] == "Creating"
    schemas.arm_def("Deployment", body)
    operation = headers["azure-asyncoperation"]
    assert operation.startswith(slow.url + "/subscriptions/")  # absolute: a relative URL crashes the SDK poller
    assert 1 <= int(headers["retry-after-ms"]) <= 1000
    assert http("GET", operation)[2]["status"] == "InProgress"
    assert arm.deployments.get(RG, ACCOUNT, "one").properties.provisioning_state == "Creating"

    with pytest.raises(ResourceExistsError) as info:
        arm.deployments.begin_create_or_update(RG, ACCOUNT, "two", deployment("gpt-4.1-mini", version="2025-04-14"))
    assert info.value.status_code == 409
    assert "Another operation is being performed on the parent resource" in str(info.value)
    assert info.value.error is not None and info.value.error.code == "RequestConflict"
    with pytest.raises(ResourceExistsError):
        arm.deployments.begin_update(RG, ACCOUNT, "one", {"sku": {"name": "GlobalStandard", "capacity": 6}})
    # Another account is another parent resource.
    other = arm.deployments.begin_create_or_update(
        RG, "other-account", "two", deployment("gpt-4.1-mini", version="2025-04-14"), polling=False
    )
    assert other.result().properties.provisioning_state == "Creating"

    clock.advance(61)  # a create takes about a simulated minute
    assert http("GET", operation)[2]["status"] == "Succeeded"
    assert arm.deployments.get(RG, ACCOUNT, "one").properties.provisioning_state == "Succeeded"

    status, headers, _ = http("DELETE", arm_url(slow, "one"))
    assert status == 202 and headers["location"].startswith(slow.url)
    assert arm.deployments.get(RG, ACCOUNT, "one").properties.provisioning_state == "Deleting"
    assert http("GET", headers["location"])[0] == 202
    clock.advance(31)
    assert http("GET", headers["location"])[0] == 204
    with pytest.raises(ResourceNotFoundError):
        arm.deployments.get(RG, ACCOUNT, "one")
    assert http("DELETE", arm_url(slow, "one"))[0] == 204  # already gone


def test_list_pages_with_absolute_next_links(tmp_path: Path) -> None:
    data_dir = tmp_path / "paged"
    data_dir.mkdir()
    (data_dir / "emulator.yaml").write_text("deployment_page_size: 3\n")
    with EmbeddedEmulator(data_dir, speed=FAST) as emu:
        arm = arm_client(emu)
        names = [f"dep-{i}" for i in range(7)]
        for name in names:
            arm.deployments.begin_create_or_update(
                RG, ACCOUNT, name, deployment("gpt-4.1-mini", version="2025-04-14", capacity=1)
            ).result()
        status, _, first = http("GET", arm_url(emu))
        assert status == 200 and len(first["value"]) == 3
        assert first["nextLink"].startswith(emu.url) and "$skipToken=" in first["nextLink"]
        assert [d.name for d in arm.deployments.list(RG, ACCOUNT)] == names


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (put_body("gpt-5-unknown"), "DeploymentModelNotSupported"),
        (put_body(f"{BASE}.ft-{'0' * 32}"), "DeploymentModelNotSupported"),
        (put_body("gpt-4.1-mini-2025-04-14", sku="DeveloperTier"), "DeploymentModelNotSupported"),
        (put_body("gpt-4.1-mini-2025-04-14", sku="NoSuchSku"), "InvalidSku"),
        (put_body("gpt-4.1-mini-2025-04-14", sku="ProvisionedManaged", capacity=10), "InvalidCapacity"),
        (put_body("gpt-4.1-mini-2025-04-14", sku="ProvisionedManaged", capacity=17), "InvalidCapacity"),
        (put_body("Ministral-3B", sku="Standard"), "DeploymentModelNotSupported"),
        ({"properties": {}}, "InvalidResourceProperties"),
    ],
)
def test_validation_as_azure_validates(arm: CognitiveServicesManagementClient, body: dict[str, Any], code: str) -> None:
    with pytest.raises(HttpResponseError) as info:
        arm.deployments.begin_create_or_update(RG, ACCOUNT, "dep", body).result()  # type: ignore[arg-type]
    assert info.value.status_code == 400
    assert info.value.error is not None and info.value.error.code == code
    assert list(arm.deployments.list(RG, ACCOUNT)) == []


def test_bad_names_and_missing_api_version(emulator: EmbeddedEmulator, arm: CognitiveServicesManagementClient) -> None:
    with pytest.raises(HttpResponseError) as info:
        arm.deployments.begin_create_or_update(RG, ACCOUNT, "-bad", deployment("gpt-4.1-mini", version="2025-04-14"))
    assert info.value.error is not None and info.value.error.code == "InvalidResourceName"
    status, _, body = http("GET", arm_url(emulator).split("?")[0])
    assert status == 400 and body["error"]["code"] == "MissingApiVersionParameter"


def test_checkpoints_deploy_only_the_last_three(
    arm: CognitiveServicesManagementClient, client: openai.AzureOpenAI, samples: Path
) -> None:
    chat = upload(client, samples / "sft-gsm8k" / "validation.jsonl")
    job = wait_job(
        client,
        client.fine_tuning.jobs.create(
            model=BASE,
            training_file=chat,
            method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 4}}},
        ).id,
    )
    names = [c.fine_tuned_model_checkpoint for c in client.fine_tuning.jobs.checkpoints.list(job.id)]
    assert len(names) == 4
    arm.deployments.begin_create_or_update(RG, ACCOUNT, "ckpt", deployment(names[2])).result()
    with pytest.raises(HttpResponseError) as info:
        arm.deployments.begin_create_or_update(RG, ACCOUNT, "old", deployment(names[3])).result()
    assert info.value.error is not None and info.value.error.code == "DeploymentModelNotSupported"


def test_quota_is_enforced_per_sku(tmp_path: Path) -> None:
    with EmbeddedEmulator(tmp_path / "q", speed=FAST, quota={"GlobalStandard": 50}) as emu:
        arm = arm_client(emu)
        arm.deployments.begin_create_or_update(
            RG, ACCOUNT, "a", deployment("gpt-4.1-mini", version="2025-04-14", capacity=30)
        ).result()
        with pytest.raises(HttpResponseError) as info:
            arm.deployments.begin_create_or_update(
                RG, ACCOUNT, "b", deployment("gpt-4.1-mini", version="2025-04-14", capacity=30)
            ).result()
        assert info.value.error is not None and info.value.error.code == "InsufficientQuota"
        assert "quota limit is 50" in str(info.value)
        with pytest.raises(HttpResponseError):
            arm.deployments.begin_update(RG, ACCOUNT, "a", {"sku": {"name": "GlobalStandard", "capacity": 51}}).result()
        arm.deployments.begin_update(RG, ACCOUNT, "a", {"sku": {"name": "GlobalStandard", "capacity": 50}}).result()
        # Other SKUs and other accounts draw on their own quota.
        arm.deployments.begin_create_or_update(
            RG, ACCOUNT, "s", deployment("gpt-4.1-mini", "Standard", 30, version="2025-04-14")
        ).result()
        arm.deployments.begin_create_or_update(
            RG, "other", "b", deployment("gpt-4.1-mini", version="2025-04-14", capacity=30)
        ).result()


def test_at_most_five_fine_tuned_deployments(
    arm: CognitiveServicesManagementClient, client: openai.AzureOpenAI, samples: Path
) -> None:
    model = fine_tune(client, samples, "five").fine_tuned_model
    for i in range(5):
        arm.deployments.begin_create_or_update(RG, ACCOUNT, f"ft-{i}", deployment(model, capacity=1)).result()
    with pytest.raises(HttpResponseError) as info:
        arm.deployments.begin_create_or_update(RG, ACCOUNT, "ft-5", deployment(model, capacity=1)).result()
    assert info.value.error is not None and info.value.error.code == "QuotaExceeded"
    arm.deployments.begin_create_or_update(RG, ACCOUNT, "ft-0", deployment(model, capacity=2)).result()  # update ok
    arm.deployments.begin_create_or_update(
        RG, ACCOUNT, "base", deployment("gpt-4.1-mini", version="2025-04-14")
    ).result()


def test_developer_deployments_vanish_after_24_simulated_hours(
    slow: EmbeddedEmulator, clock: ManualClock, samples: Path
) -> None:
    client, arm = azure_openai(slow), arm_client(slow)
    clock.advance(30)
    model = fine_tune(client, samples, "dev", clock).fine_tuned_model
    arm.deployments.begin_create_or_update(RG, ACCOUNT, "dev", deployment(model, "DeveloperTier", 5), polling=False)
    clock.advance(61)
    arm.deployments.begin_create_or_update(RG, ACCOUNT, "std", deployment(model, "Standard", 5), polling=False)
    clock.advance(61)
    assert {d.name for d in arm.deployments.list(RG, ACCOUNT)} == {"dev", "std"}
    clock.advance(24 * 3600 - 200)
    assert arm.deployments.get(RG, ACCOUNT, "dev").properties.provisioning_state == "Succeeded"
    clock.advance(100)
    with pytest.raises(ResourceNotFoundError):
        arm.deployments.get(RG, ACCOUNT, "dev")
    assert [d.name for d in arm.deployments.list(RG, ACCOUNT)] == ["std"]
