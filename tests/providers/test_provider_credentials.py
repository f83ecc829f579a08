"""Issue 11 item 14: an azure target whose data plane uses an API key still needs an Entra credential for ARM.
Without one, `plan` stops at its start with one short error saying so (no credential-chain dump); with
`arm_token_env` a bearer token from the environment serves ARM, and never reaches output or files."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from fineplan.cli.main import main
from fineplan.emulator.embedded import EmbeddedEmulator
from fineplan.errors import ConfigError, ProviderError
from fineplan.providers.azure.credentials import NO_ARM_CREDENTIAL, EntraCredential
from fineplan.providers.factory import open_provider
from fineplan.spec.models import AzureTarget

KEY = "emulator-key-3f1c"  # the emulator checks it as api-key and as ARM bearer token
TOKEN_ENV, KEY_ENV = "FP_TEST_ARM_TOKEN", "FP_TEST_AOAI_KEY"


@pytest.fixture
def no_entra(monkeypatch: pytest.MonkeyPatch) -> None:
    """No Entra ID credential anywhere: only EnvironmentCredential is tried, and its variables are unset."""
    for name in list(os.environ):
        if name.startswith(("AZURE_CLIENT", "AZURE_TENANT", "AZURE_FEDERATED", "AZURE_USERNAME", "AZURE_PASSWORD")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AZURE_TOKEN_CREDENTIALS", "EnvironmentCredential")
    monkeypatch.setenv(KEY_ENV, KEY)


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[EmbeddedEmulator]:
    with EmbeddedEmulator(tmp_path / "emu", speed=1e6, api_key=KEY) as emu:
        yield emu


def _target(emu: EmbeddedEmulator, **extra: str) -> AzureTarget:
    return AzureTarget(
        type="azure",
        subscription_id="00000000-0000-0000-0000-000000000000",
        resource_group="rg",
        account="acct",
        endpoint=emu.url,
        management_endpoint=emu.url,
        api_key_env=KEY_ENV,
        **extra,  # type: ignore[arg-type]
    )


def _project(root: Path, emu: EmbeddedEmulator, *, arm_token_env: str | None = None) -> Path:
    token = f", arm_token_env: {arm_token_env}" if arm_token_env else ""
    (root / "fineplan.yaml").write_text(
        "project: creds\ndefault_target: prod\ntargets:\n"
        f"  prod: {{type: azure, subscription_id: 00000000-0000-0000-0000-000000000000, resource_group: rg, "
        f"account: acct, endpoint: '{emu.url}', management_endpoint: '{emu.url}', api_key_env: {KEY_ENV}{token}}}\n",
        encoding="utf-8",
    )
    return root


@pytest.mark.usefixtures("no_entra")
def test_arm_without_a_credential_is_one_short_error(
    emulator: EmbeddedEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="azure.identity")
    with open_provider(Path("."), "prod", _target(emulator)) as handle:
        assert handle.provider.list_files() == []  # the key serves the data plane
        with pytest.raises(ProviderError) as info:
            handle.provider.list_deployments("acct")
    message = str(info.value)
    assert message == NO_ARM_CREDENTIAL and "\n" not in message
    assert "arm_token_env" in message and "az login" in message
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]  # no chain dump in the log either


@pytest.mark.slow  # the CLI against the emulator
@pytest.mark.usefixtures("no_entra")
def test_plan_stops_at_its_start_saying_arm_needs_an_entra_credential(
    emulator: EmbeddedEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "p"
    project.mkdir()
    _project(project, emulator)
    assert main(["-C", str(project), "plan"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == f"Error: {NO_ARM_CREDENTIAL}"
    assert "Attempted credentials" not in err and "EnvironmentCredential" not in err


@pytest.mark.slow  # the CLI against the emulator
@pytest.mark.usefixtures("no_entra")
def test_arm_token_env_serves_arm_and_stays_out_of_output_and_files(
    emulator: EmbeddedEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(TOKEN_ENV, f"Bearer {KEY}")
    with open_provider(Path("."), "prod", _target(emulator, arm_token_env=TOKEN_ENV)) as handle:
        assert handle.provider.list_deployments("acct") == []
        assert KEY not in repr(handle.provider) and KEY not in repr(handle._credential)
    project = tmp_path / "p"
    project.mkdir()
    _project(project, emulator, arm_token_env=TOKEN_ENV)
    assert main(["-C", str(project), "plan", "-out", str(project / "saved.plan")]) in (0, 2)
    captured = capsys.readouterr()
    assert KEY not in captured.out + captured.err
    for path in project.rglob("*"):
        if path.is_file() and "emu" not in path.parts:
            assert KEY.encode() not in path.read_bytes(), path


def test_a_missing_arm_token_env_var_is_named_at_open(
    emulator: EmbeddedEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    with pytest.raises(ConfigError, match=f"{TOKEN_ENV} \\(the target's arm_token_env\\) is not set"):
        open_provider(Path("."), "prod", _target(emulator, arm_token_env=TOKEN_ENV))


def test_the_arm_token_is_used_for_arm_scopes_only() -> None:
    credential = EntraCredential(arm_token="t0k")
    assert credential.get_token("https://management.azure.com/.default").token == "t0k"
    assert credential.get_token_info("https://management.azure.com/.default").token == "t0k"
    assert "t0k" not in repr(credential)
