"""open_provider: target `local` embeds the emulator (or uses FINEPLAN_EMULATOR_URL); `azure` builds real clients."""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from provider_helpers import FAST

from fineplan.emulator.embedded import EmbeddedEmulator
from fineplan.errors import ConfigError
from fineplan.providers.factory import EMULATOR_KEY_ENV, EMULATOR_URL_ENV, local_provider, open_provider
from fineplan.spec.models import AzureTarget, LocalTarget


def accepting(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture(autouse=True)
def no_external_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(EMULATOR_URL_ENV, raising=False)
    monkeypatch.delenv(EMULATOR_KEY_ENV, raising=False)
    monkeypatch.delenv("FINEPLAN_EMULATOR_FAULTS", raising=False)


def test_local_target_embeds_an_emulator_under_the_project(tmp_path: Path, samples: Path) -> None:
    target = LocalTarget(speed=FAST)
    with open_provider(tmp_path, "local", target) as handle:
        url = handle.emulator_url
        assert url is not None and accepting(url)
        provider = handle.provider
        assert provider.default_account == "local" and provider.endpoint_for("local") == url
        uploaded = provider.upload_file(samples / "sft-gsm8k" / "validation.jsonl", "valid.jsonl")
    assert (tmp_path / ".fineplan" / "emulator").is_dir()
    assert not accepting(url)  # closing the handle stopped the emulator

    with open_provider(tmp_path, "local", target) as again:  # the project's emulator data persists
        assert uploaded.id in {f.id for f in again.provider.list_files()}


def test_emulator_url_env_points_a_local_target_at_a_running_emulator(
    tmp_path: Path, samples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "served-with-its-own-key"
    with EmbeddedEmulator(tmp_path / "shared", speed=FAST, faults="", api_key=key) as emulator:
        seeded = local_provider(emulator.url, LocalTarget(), api_key=key)
        try:
            uploaded = seeded.upload_file(samples / "sft-gsm8k" / "validation.jsonl", "valid.jsonl")
        finally:
            seeded.close()
        monkeypatch.setenv(EMULATOR_URL_ENV, emulator.url)
        monkeypatch.setenv(EMULATOR_KEY_ENV, key)
        project = tmp_path / "project"
        with open_provider(project, "local", LocalTarget()) as handle:
            assert handle.emulator is None
            assert uploaded.id in {f.id for f in handle.provider.list_files()}
        assert accepting(emulator.url)  # not ours to stop
        assert not (project / ".fineplan").exists()


def test_azure_target_builds_a_provider_without_calling_azure(monkeypatch: pytest.MonkeyPatch) -> None:
    target = AzureTarget(
        type="azure",
        subscription_id="sub",
        resource_group="rg",
        account="acct",
        endpoint="https://acct.openai.azure.com",
        api_key_env="FP_FACTORY_KEY",
        accounts={"other": "rg-other"},
    )
    monkeypatch.setenv("FP_FACTORY_KEY", "k")
    with open_provider(Path("."), "prod", target) as handle:
        assert handle.emulator is None and handle.target_name == "prod"
        assert handle.provider.default_account == "acct"
        assert handle.provider.connection.resource_group_for("other") == "rg-other"
    monkeypatch.delenv("FP_FACTORY_KEY")
    with pytest.raises(ConfigError, match="FP_FACTORY_KEY"):
        open_provider(Path("."), "prod", target)
