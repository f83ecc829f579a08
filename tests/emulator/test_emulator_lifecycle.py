"""The whole story through the official SDKs: SFT → DPO on the SFT model → RFT with a grader → a deployment of
every type, with the real sample datasets."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from azure.mgmt.cognitiveservices.models import Deployment, DeploymentModel, DeploymentProperties, Sku
from emulator_helpers import SUBSCRIPTION, SchemaChecker, arm_client, azure_openai, http, upload, v1_openai, wait_job

from fineplan.catalog import load_catalog
from fineplan.emulator.embedded import EmbeddedEmulator

RG = "rg-lifecycle"
# Fast, yet slow enough that a Developer deployment outlives the test (24 simulated hours ≈ 9 real seconds).
SPEED = 1e4


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[EmbeddedEmulator]:
    with EmbeddedEmulator(tmp_path / "emu", speed=SPEED) as emu:
        yield emu


def test_sft_then_dpo_then_rft_then_every_deployment_type(
    emulator: EmbeddedEmulator, samples: Path, schemas: SchemaChecker
) -> None:
    client, v1, arm = azure_openai(emulator), v1_openai(emulator), arm_client(emulator)
    # SFT on gpt-4.1-mini with tool-calling data (dated URL style).
    train = upload(client, samples / "sft-tool-calling" / "train.jsonl")
    valid = upload(client, samples / "sft-tool-calling" / "validation.jsonl")
    sft = wait_job(
        client,
        client.fine_tuning.jobs.create(
            model="gpt-4.1-mini-2025-04-14",
            training_file=train,
            validation_file=valid,
            suffix="tools",
            method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 2}}},
            metadata={"fineplan.address": "job.tools-sft"},
            extra_body={"trainingType": "globalStandard"},
        ).id,
    )
    assert sft.status == "succeeded"

    # DPO stacked on the SFT model (v1 URL style).
    pairs = upload(v1, samples / "dpo-orca" / "pairs.jsonl")
    dpo = wait_job(
        v1,
        v1.fine_tuning.jobs.create(
            model=sft.fine_tuned_model,
            training_file=pairs,
            suffix="dpo",
            method={"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.1, "n_epochs": 1}}},
            metadata={"fineplan.address": "job.tools-dpo"},
        ).id,
    )
    assert dpo.status == "succeeded" and dpo.model == sft.fine_tuned_model

    # RFT on o4-mini with the countdown grader and its JSON-schema response format.
    grader = json.loads((samples / "rft-countdown" / "score_model_grader.json").read_text())
    response_format = json.loads((samples / "rft-countdown" / "response_schema.json").read_text())
    rft_train = upload(client, samples / "rft-countdown" / "train.jsonl")
    rft_valid = upload(client, samples / "rft-countdown" / "validation.jsonl")
    rft = wait_job(
        client,
        client.fine_tuning.jobs.create(
            model="o4-mini-2025-04-16",
            training_file=rft_train,
            validation_file=rft_valid,
            suffix="countdown",
            method={
                "type": "reinforcement",
                "reinforcement": {
                    "grader": grader,
                    "response_format": response_format,
                    "hyperparameters": {"n_epochs": 2, "reasoning_effort": "low", "eval_interval": 5},
                },
            },
        ).id,
    )
    assert rft.status == "succeeded"
    rft_raw = client.fine_tuning.jobs.with_raw_response.retrieve(rft.id).http_response.json()
    assert rft_raw["method"]["reinforcement"]["grader"] == grader
    assert rft_raw["method"]["reinforcement"]["response_format"] == response_format
    schemas.job(rft_raw)
    header = client.files.content(rft.result_files[0]).text.splitlines()[0].split(",")
    assert {"train_reward_mean", "valid_reward_mean", "train_reasoning_tokens_mean"} <= set(header)

    # One deployment of every type; at most 5 fine-tuned deployments per account, so two accounts.
    catalog = load_catalog()
    plan = {
        "standard": ("acct-a", sft.fine_tuned_model, 5),
        "global_standard": ("acct-a", rft.fine_tuned_model, 5),
        "data_zone_standard": ("acct-a", dpo.fine_tuned_model, 5),
        "provisioned": ("acct-a", sft.fine_tuned_model, 15),
        "global_provisioned": ("acct-b", rft.fine_tuned_model, 20),
        "developer": ("acct-a", dpo.fine_tuned_model, 5),  # last: it lives 24 simulated hours (≈ 9 s here)
    }
    assert set(plan) == set(catalog.deployment_types)
    for kind, (account, model, capacity) in plan.items():
        sku = catalog.deployment_types[kind].sku
        done = arm.deployments.begin_create_or_update(
            RG,
            account,
            kind.replace("_", "-"),
            Deployment(
                sku=Sku(name=sku, capacity=capacity),
                properties=DeploymentProperties(model=DeploymentModel(format="OpenAI", name=model, version="1")),
                tags={"fineplan.address": f"deployment.{kind}"},
            ),
        ).result()
        assert done.properties.provisioning_state == "Succeeded", kind
        assert done.sku.name == sku and done.properties.model.name == model

    listed = {d.name: d for d in arm.deployments.list(RG, "acct-a")}
    assert set(listed) == {"developer", "standard", "global-standard", "data-zone-standard", "provisioned"}
    assert all(d.tags["fineplan.address"].startswith("deployment.") for d in listed.values())
    status, _, raw = http(
        "GET",
        f"{emulator.url}/subscriptions/{SUBSCRIPTION}/resourceGroups/{RG}/providers/"
        "Microsoft.CognitiveServices/accounts/acct-b/deployments?api-version=2025-09-01",
    )
    assert status == 200
    schemas.arm_def("DeploymentListResult", raw)
    assert [d["name"] for d in raw["value"]] == ["global-provisioned"]

    # The jobs rebuild from the list endpoint with their metadata, as the engine does after state loss.
    by_address = {j.metadata.get("fineplan.address"): j.id for j in client.fine_tuning.jobs.list() if j.metadata}
    assert by_address == {"job.tools-sft": sft.id, "job.tools-dpo": dpo.id}
