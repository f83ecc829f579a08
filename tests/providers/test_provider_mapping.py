"""Wire shapes ↔ the provider contract: Azure's quirks (trainingType, -1 epochs, unnested DPO, suffix echo)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from fineplan.errors import ProviderError
from fineplan.providers.azure.mapping import (
    deployment_from_sdk,
    file_from_wire,
    job_from_wire,
    method_body,
    metrics_from_checkpoints,
    sku_for,
    version_upgrade_from_wire,
    version_upgrade_wire,
)
from fineplan.providers.base import JobRequest

HEX = "0ee45c42aa6b4a0c9a3f1e2d3c4b5a69"


def test_supervised_method_body_nests_hyperparameters_and_drops_foreign_ones() -> None:
    request = JobRequest(
        model="gpt-4.1-mini-2025-04-14",
        training_file="file-a",
        method="supervised",
        hyperparameters={"n_epochs": 3, "batch_size": "auto", "beta": 0.1, "learning_rate_multiplier": None},
    )
    assert method_body(request) == {
        "type": "supervised",
        "supervised": {"hyperparameters": {"n_epochs": 3, "batch_size": "auto"}},
    }


def test_reinforcement_method_body_carries_grader_and_response_format() -> None:
    grader = {"type": "string_check", "name": "g", "input": "{{sample.output_text}}", "reference": "x"}
    schema = {"type": "json_schema", "json_schema": {"name": "s", "schema": {"type": "object"}}}
    request = JobRequest(
        model="o4-mini-2025-04-16",
        training_file="file-a",
        method="reinforcement",
        hyperparameters={"reasoning_effort": "low", "eval_interval": 2},
        grader=grader,
        response_format=schema,
    )
    body = method_body(request)
    assert body["type"] == "reinforcement"
    assert body["reinforcement"] == {
        "hyperparameters": {"reasoning_effort": "low", "eval_interval": 2},
        "grader": grader,
        "response_format": schema,
    }


def test_method_without_hyperparameters_is_just_its_type() -> None:
    assert method_body(JobRequest(model="m", training_file="f", method="dpo")) == {"type": "dpo"}


def test_unknown_method_is_a_provider_error() -> None:
    with pytest.raises(ProviderError) as info:
        method_body(JobRequest(model="m", training_file="f", method="magic"))
    assert info.value.code == "UnknownMethod"


def test_azure_job_object_maps_training_type_suffix_auto_epochs_and_error() -> None:
    wire = {
        "id": f"ftjob-{HEX}",
        "object": "fine_tuning.job",
        "status": "failed",
        "model": "gpt-4.1-mini-2025-04-14",
        "training_file": "file-t",
        "validation_file": None,
        "fine_tuned_model": None,
        "created_at": 100,
        "finished_at": 200,
        "hyperparameters": {"n_epochs": -1},
        "method": {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": -1, "batch_size": 8}}},
        "trainingType": "GlobalStandard",
        "user_provided_suffix": "v01",
        "seed": 7,
        "metadata": {"fineplan.address": "job.a"},
        "error": {"code": "invalidTrainingFile", "message": "line 3: bad", "param": None},
    }
    job = job_from_wire(wire)
    assert job.training_type == "global"
    assert job.suffix == "v01"
    assert job.method == "supervised"
    assert job.hyperparameters == {"n_epochs": "auto", "batch_size": 8}
    assert job.error == "invalidTrainingFile: line 3: bad"
    assert job.metadata == {"fineplan.address": "job.a"}
    assert job.terminal and job.finished_at == 200 and job.seed == 7


def test_unnested_dpo_shape_and_missing_fields_are_read() -> None:
    job = job_from_wire(
        {
            "id": "ftjob-x",
            "status": "running",
            "model": "m",
            "training_file": "f",
            "method": {"type": "dpo", "dpo": {"beta": 0.2, "l2_multiplier": 0.1}},
            "trainingType": "developerTier",
            "error": {},
        }
    )
    assert job.method == "dpo"
    assert job.hyperparameters == {"beta": 0.2, "l2_multiplier": 0.1}
    assert job.training_type == "developer"
    assert job.error is None and job.metadata == {} and not job.terminal


def test_file_error_detail_is_kept() -> None:
    f = file_from_wire(
        {"id": "file-1", "filename": "a.jsonl", "bytes": 10, "status": "error", "created_at": 5,
         "status_details": "line 2: missing messages"}
    )  # fmt: skip
    assert (f.status, f.error, f.bytes) == ("error", "line 2: missing messages", 10)


def test_metrics_come_from_the_highest_step_checkpoint() -> None:
    checkpoints = [
        {"step_number": 20, "metrics": {"step": 20, "train_loss": 0.5, "valid_loss": None}},
        {"step_number": 10, "metrics": {"step": 10, "train_loss": 0.9}},
        {"step_number": 30, "metrics": {"step": 30, "train_loss": 0.3, "full_valid_mean_token_accuracy": 0.8}},
    ]
    metrics = metrics_from_checkpoints(checkpoints)
    assert metrics.step == 30
    assert metrics.epochs_done == 3
    assert metrics.values == {"train_loss": 0.3, "full_valid_mean_token_accuracy": 0.8}
    empty = metrics_from_checkpoints([])
    assert (empty.step, empty.epochs_done, empty.values) == (None, 0, {})


@pytest.mark.parametrize(
    ("spec", "wire"),
    [
        ("no_auto_upgrade", "NoAutoUpgrade"),
        ("once_new_default_version_available", "OnceNewDefaultVersionAvailable"),
        ("once_current_version_expired", "OnceCurrentVersionExpired"),
    ],
)
def test_version_upgrade_round_trips(spec: str, wire: str) -> None:
    assert version_upgrade_wire(spec) == wire
    assert version_upgrade_from_wire(wire) == spec
    assert version_upgrade_from_wire(wire.lower()) == spec


def test_developer_deployments_send_developer_tier() -> None:
    assert sku_for("developer") == "DeveloperTier"
    assert sku_for("global_standard") == "GlobalStandard"
    with pytest.raises(ProviderError):
        sku_for("premium")


def test_deployment_from_sdk_object() -> None:
    created = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    obj = SimpleNamespace(
        id="/subscriptions/s/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/a/deployments/d",
        name="d",
        tags={"fineplan.address": "deployment.d"},
        sku=SimpleNamespace(name="developertier", capacity=5),
        system_data=SimpleNamespace(created_at=created),
        properties=SimpleNamespace(
            model=SimpleNamespace(name=f"gpt-4.1-mini-2025-04-14.ft-{HEX}", version="1"),
            rai_policy_name="Microsoft.DefaultV2",
            version_upgrade_option=SimpleNamespace(value="OnceCurrentVersionExpired"),
            provisioning_state="Succeeded",
        ),
    )
    d = deployment_from_sdk("a", obj)
    assert d.deployment_type == "developer"
    assert d.capacity == 5 and d.model_version == "1"
    assert d.version_upgrade == "once_current_version_expired"
    assert d.created_at == created.timestamp()
    assert d.tags == {"fineplan.address": "deployment.d"}
    assert d.provisioning_state == "Succeeded"
