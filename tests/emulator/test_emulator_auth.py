"""With --api-key, wrong keys get 401 in Azure's error shape, on both planes; right keys and bearer tokens pass."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
from azure.core.exceptions import ClientAuthenticationError
from emulator_helpers import DATED, arm_client, azure_openai, http, v1_openai

from fineplan.emulator.embedded import EmbeddedEmulator

KEY = "s3cret-key"


@pytest.fixture
def locked(tmp_path: Path) -> Iterator[EmbeddedEmulator]:
    with EmbeddedEmulator(tmp_path / "emu", speed=1e7, api_key=KEY) as emu:
        yield emu


def test_data_plane_accepts_the_key_or_a_bearer_token_with_it(locked: EmbeddedEmulator) -> None:
    assert azure_openai(locked, api_key=KEY).files.list().data == []
    assert v1_openai(locked, api_key=KEY).fine_tuning.jobs.list().data == []  # v1 sends `Authorization: Bearer`
    via_token = openai.AzureOpenAI(azure_endpoint=locked.url, api_version=DATED, azure_ad_token_provider=lambda: KEY)
    assert via_token.files.list().data == []


def test_data_plane_refuses_wrong_or_missing_keys(locked: EmbeddedEmulator) -> None:
    with pytest.raises(openai.AuthenticationError) as info:
        azure_openai(locked, api_key="wrong").files.list()
    assert info.value.status_code == 401 and "Access denied" in info.value.message
    status, _, body = http("GET", f"{locked.url}/openai/files?api-version={DATED}")
    assert status == 401 and set(body["error"]) >= {"code", "message"}


def test_arm_needs_the_bearer_token(locked: EmbeddedEmulator) -> None:
    assert list(arm_client(locked, token=KEY).deployments.list("rg", "acct")) == []
    with pytest.raises(ClientAuthenticationError) as info:
        list(arm_client(locked, token="wrong").deployments.list("rg", "acct"))
    assert info.value.error is not None and info.value.error.code == "InvalidAuthenticationToken"
    status, _, body = http(
        "GET",
        f"{locked.url}/subscriptions/s/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/a/"
        "deployments?api-version=2025-09-01",
    )
    assert status == 401 and body["error"]["code"] == "AuthenticationFailed"


def test_an_open_emulator_accepts_any_credential(emulator: EmbeddedEmulator) -> None:
    assert azure_openai(emulator, api_key="anything").files.list().data == []
    assert http("GET", f"{emulator.url}/openai/v1/files")[0] == 200
