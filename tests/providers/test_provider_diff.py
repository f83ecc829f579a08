"""The provider's diff: what a difference means in Azure, per kind. The one place that says what forces a new
object; the plan builder decides from this answer alone (its tests script it; these pin Azure's rules)."""

from __future__ import annotations

from typing import Any

import pytest

from fineplan.providers.azure.diff import diff
from fineplan.providers.base import DiffResult
from fineplan.providers.factory import local_provider
from fineplan.resource import UNKNOWN, Kind
from fineplan.spec.models import LocalTarget

DEPLOYMENT: dict[str, Any] = {
    "name": "dev",
    "model": "gpt-4.1-mini-2025-04-14.ft-abc",
    "type": "standard",
    "capacity": 10,
    "rai_policy": "Microsoft.DefaultV2",
    "version_upgrade": "no_auto_upgrade",
    "account": "local",
    "tags": {"team": "support"},
}


@pytest.mark.parametrize(
    ("change", "updates"),
    [
        ({"capacity": 20}, ("capacity",)),
        ({"tags": {"team": "search"}}, ("tags",)),
        ({"model": "gpt-4.1-mini-2025-04-14.ft-def"}, ("model",)),
        ({"model": UNKNOWN}, ("model",)),  # a model known only after apply: a swap
        ({"rai_policy": "Custom"}, ("rai_policy",)),
        ({"version_upgrade": "once_new_default_version_available"}, ("version_upgrade",)),
    ],
)
def test_deployment_settings_arm_can_patch_update_in_place(change: dict[str, Any], updates: tuple[str, ...]) -> None:
    result = diff(Kind.DEPLOYMENT, DEPLOYMENT, {**DEPLOYMENT, **change})
    assert result.updates == updates and result.replaces == () and result.changed == updates


@pytest.mark.parametrize(
    ("change", "deletes_first"),
    [
        ({"type": "global_standard"}, True),  # same name in the same account: the old one must go first
        ({"account": "prod"}, False),  # a new home: create there, delete the old one later
        ({"name": "web"}, False),  # Azure cannot rename: a new deployment of the new name
    ],
)
def test_deployment_type_account_and_name_force_replacement(change: dict[str, Any], deletes_first: bool) -> None:
    result = diff(Kind.DEPLOYMENT, DEPLOYMENT, {**DEPLOYMENT, **change})
    assert result.replaces == tuple(change) and result.delete_before_replace is deletes_first


def test_unset_rai_policy_and_absent_tags_accept_what_azure_holds() -> None:
    planned = {**DEPLOYMENT, "rai_policy": None, "tags": {}}
    assert diff(Kind.DEPLOYMENT, {**DEPLOYMENT, "tags": None}, planned) == DiffResult(delete_before_replace=True)


def test_any_job_input_retrains_including_one_no_rule_names() -> None:
    prior = {"name": "sft", "method": "supervised", "seed": 1, "hyperparameters": {"n_epochs": 3}}
    for change in ({"seed": 2}, {"hyperparameters": {"n_epochs": 4}}, {"integrations": [{"type": "wandb"}]}):
        result = diff(Kind.JOB, prior, {**prior, **change})
        assert result.replaces == tuple(change) and not result.delete_before_replace
    assert diff(Kind.JOB, prior, {**prior, "name": "renamed"}) == DiffResult()  # fineplan's label, not Azure's


def test_new_dataset_content_is_a_new_upload() -> None:
    prior = {"format": "chat", "files": {"train": "aaa"}}
    assert diff(Kind.DATASET, prior, {**prior, "files": {"train": "bbb"}}).replaces == ("files",)


def test_only_planned_attributes_are_compared() -> None:
    recorded = {**DEPLOYMENT, "sku": "Standard", "provisioning_state": "Succeeded"}
    assert diff(Kind.DEPLOYMENT, recorded, DEPLOYMENT).changed == ()


def test_the_azure_provider_answers_with_these_rules_without_calling_azure() -> None:
    provider = local_provider("http://127.0.0.1:9", LocalTarget())  # nothing listens there: no call is made
    planned = {**DEPLOYMENT, "type": "developer"}
    assert provider.diff(Kind.DEPLOYMENT, DEPLOYMENT, planned) == diff(Kind.DEPLOYMENT, DEPLOYMENT, planned)
    provider.close()
