"""`tls=True` / `--tls`: HTTPS with a local CA; the SDKs trust the CA file, and the azure SDK's own bearer policy
(which refuses plain http) works unchanged."""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request
from pathlib import Path

import openai
import pytest
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from emulator_helpers import DATED, SUBSCRIPTION, StubCredential

from fineplan.emulator.embedded import EmbeddedEmulator


def test_https_with_a_local_ca(tmp_path: Path) -> None:
    data_dir = tmp_path / "emu"
    with EmbeddedEmulator(data_dir, speed=1e7, tls=True) as emu:
        assert emu.url.startswith("https://127.0.0.1:")
        ca = emu.ca_path
        assert ca is not None and ca.is_file()
        client = openai.AzureOpenAI(
            azure_endpoint=emu.url,
            api_version=DATED,
            api_key="k",
            http_client=openai.DefaultHttpxClient(verify=ssl.create_default_context(cafile=str(ca))),
        )
        assert client.files.list().data == []
        arm = CognitiveServicesManagementClient(
            StubCredential(), SUBSCRIPTION, base_url=emu.url, connection_verify=str(ca), polling_interval=0
        )
        body = {
            "sku": {"name": "GlobalStandard", "capacity": 1},
            "properties": {"model": {"format": "OpenAI", "name": "gpt-4.1-mini", "version": "2025-04-14"}},
        }
        done = arm.deployments.begin_create_or_update("rg", "acct", "d1", body).result()  # type: ignore[arg-type]
        assert done.properties.provisioning_state == "Succeeded"
        with pytest.raises(urllib.error.URLError):  # an untrusting client refuses the certificate
            urllib.request.urlopen(f"{emu.url}/openai/v1/files", context=ssl.create_default_context(), timeout=10)
        first_ca = ca.read_bytes()
    with EmbeddedEmulator(data_dir, speed=1e7, tls=True) as emu:
        assert emu.ca_path is not None and emu.ca_path.read_bytes() == first_ca  # trust survives restarts
