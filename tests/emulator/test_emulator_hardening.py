"""Issue 11 item 15: api-versions Azure does not serve are refused as Azure refuses them, file purposes are
Azure's, pending jobs report the hyperparameters they asked for, ARM models / SKUs answer as Azure's do, and the
store is private to its user."""

from __future__ import annotations

import stat
from pathlib import Path

import openai
import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from emulator_helpers import DATED, FAST, SUBSCRIPTION, SchemaChecker, arm_client, http, upload, wait_job

from fineplan.emulator.clock import ManualClock
from fineplan.emulator.embedded import EmbeddedEmulator
from fineplan.emulator.store import DB_FILE

BASE = "gpt-4.1-mini-2025-04-14"
ACCOUNTS = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/acct"


# ---------------------------------------------------------------- api-versions


@pytest.mark.parametrize("version", ["1999-01-01", "2025-04-01", "2099-01-01-preview", "latest"])
def test_the_dated_data_plane_refuses_versions_azure_does_not_serve(emulator: EmbeddedEmulator, version: str) -> None:
    client = openai.AzureOpenAI(azure_endpoint=emulator.url, api_key="k", api_version=version)
    with pytest.raises(openai.BadRequestError) as info:
        client.files.list()
    assert info.value.status_code == 400
    assert info.value.body == {"code": "BadRequest", "message": "API version not supported", "param": None,
                               "type": "error"}  # fmt: skip


@pytest.mark.parametrize("version", ["2024-10-21", "2024-06-01", "2025-04-01-preview", "2024-08-01-preview"])
def test_the_dated_data_plane_serves_azures_versions(emulator: EmbeddedEmulator, version: str) -> None:
    client = openai.AzureOpenAI(azure_endpoint=emulator.url, api_key="k", api_version=version)
    assert list(client.fine_tuning.jobs.list()) == []


def test_the_v1_data_plane_takes_no_version_v1_or_preview_only(emulator: EmbeddedEmulator) -> None:
    for version in ("", "?api-version=v1", "?api-version=preview"):
        assert http("GET", f"{emulator.url}/openai/v1/files{version}")[0] == 200, version
    status, _, body = http("GET", f"{emulator.url}/openai/v1/files?api-version=2025-04-01-preview")
    assert status == 400 and body["error"]["message"] == "API version not supported"


def test_arm_refuses_unknown_versions_with_arms_errors(emulator: EmbeddedEmulator) -> None:
    status, _, body = http("GET", f"{emulator.url}{ACCOUNTS}/deployments?api-version=1999-01-01")
    assert status == 400 and body["error"]["code"] == "NoRegisteredProviderFound"
    assert "API version '1999-01-01'" in body["error"]["message"] and "2025-09-01" in body["error"]["message"]
    status, _, body = http("GET", f"{emulator.url}{ACCOUNTS}/deployments?api-version=banana")
    assert status == 400 and body["error"]["code"] == "InvalidApiVersionParameter"
    for served in ("2025-09-01", "2023-05-01", "2024-10-01", "2025-06-01"):
        assert http("GET", f"{emulator.url}{ACCOUNTS}/deployments?api-version={served}")[0] == 200, served
    with pytest.raises(HttpResponseError) as info:  # an SDK pinned to a version ARM never published
        list(arm_client(emulator, api_version="2015-01-01").deployments.list("rg", "acct"))
    assert info.value.error is not None and info.value.error.code == "NoRegisteredProviderFound"


# ---------------------------------------------------------------- file purposes


@pytest.mark.parametrize("purpose", ["user_data", "vision", "fine-tune-results", "batch_output", "evals_output"])
def test_upload_refuses_purposes_azure_does_not_take(client: openai.AzureOpenAI, samples: Path, purpose: str) -> None:
    with (samples / "sft-gsm8k" / "validation.jsonl").open("rb") as fh, pytest.raises(openai.BadRequestError) as info:
        client.files.create(file=fh, purpose=purpose)  # type: ignore[arg-type]
    assert info.value.body is not None and info.value.body["param"] == "purpose"  # type: ignore[index]


def test_a_job_refuses_a_training_file_of_another_purpose(client: openai.AzureOpenAI, samples: Path) -> None:
    with (samples / "sft-gsm8k" / "validation.jsonl").open("rb") as fh:
        evals = client.files.create(file=fh, purpose="evals").id
    with pytest.raises(openai.BadRequestError, match="not 'fine-tune'"):
        client.fine_tuning.jobs.create(model=BASE, training_file=evals)


# ---------------------------------------------------------------- pending jobs


def test_pending_jobs_report_the_hyperparameters_they_asked_for(tmp_path: Path, samples: Path) -> None:
    clock = ManualClock(1_700_000_000.0)
    with EmbeddedEmulator(tmp_path / "slow", speed=1.0, clock=clock) as emu:
        client = openai.AzureOpenAI(azure_endpoint=emu.url, api_key="k", api_version=DATED)
        training = upload(client, samples / "sft-gsm8k" / "validation.jsonl")
        plain = client.fine_tuning.jobs.create(model=BASE, training_file=training)
        asked = client.fine_tuning.jobs.create(
            model=BASE,
            training_file=training,
            method={"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.3, "batch_size": 4}}},
        )
        for job_id, expected in (
            (plain.id, {"n_epochs": "auto", "batch_size": "auto", "learning_rate_multiplier": "auto"}),
            (asked.id, {"n_epochs": "auto", "batch_size": 4, "learning_rate_multiplier": "auto", "beta": 0.3}),
        ):
            raw = client.fine_tuning.jobs.with_raw_response.retrieve(job_id).http_response.json()
            assert raw["status"] == "pending"
            method = raw["method"]
            assert method[method["type"]]["hyperparameters"] == expected
        clock.advance(100_000)
        done = wait_job(client, plain.id)
        resolved = done.method.supervised.hyperparameters  # type: ignore[union-attr]
        assert isinstance(resolved.n_epochs, int) and resolved.n_epochs > 0  # resolved once it ran


# ---------------------------------------------------------------- ARM models and SKUs


def test_account_and_location_model_lists_answer_as_azure(
    arm: CognitiveServicesManagementClient, emulator: EmbeddedEmulator, schemas: SchemaChecker
) -> None:
    models = list(arm.accounts.list_models("rg", "acct"))
    mini = next(m for m in models if m.name == "gpt-4.1-mini")
    assert (mini.format, mini.version, mini.lifecycle_status) == ("OpenAI", "2025-04-14", "GenerallyAvailable")
    assert {s.name for s in mini.skus} >= {"GlobalStandard", "Standard", "ProvisionedManaged"}
    assert "DeveloperTier" not in {s.name for s in mini.skus}  # Developer is for fine-tuned models only
    ptu = next(s for s in mini.skus if s.name == "ProvisionedManaged")
    assert (ptu.capacity.minimum, ptu.capacity.step) == (15, 5)
    assert next(m for m in models if m.name == "Ministral-3B").format == "Mistral AI"
    status, _, raw = http("GET", f"{emulator.url}{ACCOUNTS}/models?api-version=2025-09-01")
    assert status == 200
    schemas.arm_def("AccountModelListResult", raw)

    located = list(arm.models.list("swedencentral"))
    assert {m.model.name for m in located} >= {"gpt-4.1-mini", "o4-mini", "gpt-oss-20b"}
    assert all(m.kind == "AIServices" and m.sku_name == "S0" for m in located)
    status, _, raw = http("GET", f"{emulator.url}/subscriptions/{SUBSCRIPTION}/providers/Microsoft.CognitiveServices/"
                          "locations/swedencentral/models?api-version=2025-09-01")  # fmt: skip
    assert status == 200
    schemas.arm_def("ModelListResult", raw)


def test_deployment_skus_list_what_the_deployment_can_use(
    arm: CognitiveServicesManagementClient, client: openai.AzureOpenAI, emulator: EmbeddedEmulator,
    samples: Path, schemas: SchemaChecker,
) -> None:  # fmt: skip
    from account_helpers import deployment, fine_tune

    model = fine_tune(client, samples)
    arm.deployments.begin_create_or_update("rg", "acct", "ft", deployment(model)).result()
    skus = {s.sku.name: s for s in arm.deployments.list_skus("rg", "acct", "ft")}
    assert set(skus) == {"DeveloperTier", "Standard", "GlobalStandard", "DataZoneStandard", "ProvisionedManaged",
                         "GlobalProvisionedManaged"}  # fmt: skip
    assert all(s.resource_type == "Microsoft.CognitiveServices/accounts/deployments" for s in skus.values())
    assert skus["GlobalStandard"].capacity.maximum == 1000 and skus["GlobalStandard"].capacity.minimum == 1
    status, _, raw = http("GET", f"{emulator.url}{ACCOUNTS}/deployments/ft/skus?api-version=2025-09-01")
    assert status == 200
    schemas.arm_def("DeploymentSkuListResult", raw)
    with pytest.raises(ResourceNotFoundError):
        list(arm.deployments.list_skus("rg", "acct", "nope"))


# ---------------------------------------------------------------- privacy


def test_the_store_and_its_wal_are_private_to_the_user(tmp_path: Path, samples: Path) -> None:
    data_dir = tmp_path / "emu"
    with EmbeddedEmulator(data_dir, speed=FAST) as emu:
        client = openai.AzureOpenAI(azure_endpoint=emu.url, api_key="k", api_version=DATED)
        upload(client, samples / "sft-gsm8k" / "validation.jsonl")
        files = [p for p in data_dir.iterdir() if p.name.startswith(DB_FILE)]
        assert {p.name for p in files} >= {DB_FILE, f"{DB_FILE}-wal", f"{DB_FILE}-shm"}
        for path in files:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
