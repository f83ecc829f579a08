"""Shared test fixtures. Real-world datasets are read from ../shared/fixtures, never copied into the repo."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SAMPLES = SHARED / "fixtures" / "foundry-samples"
AZURE_SPECS = SHARED / "azure-specs"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def samples() -> Path:
    if not SAMPLES.is_dir():
        pytest.fail(f"shared fixtures not found at {SAMPLES}: CI clones the repo beside shared/")
    return SAMPLES


@pytest.fixture(scope="session")
def azure_specs() -> Path:
    if not AZURE_SPECS.is_dir():
        pytest.fail(f"azure specs not found at {AZURE_SPECS}")
    return AZURE_SPECS


# Azurite's documented development account (public, the same in every Azurite install).
DEV_ACCOUNT = "devstoreaccount1"
DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def _azurite_binary(repo: Path) -> Path | None:
    """FINEPLAN_AZURITE, else what .ci/azurite.sh installed, else one on PATH."""
    explicit = os.environ.get("FINEPLAN_AZURITE")
    if explicit:
        return Path(explicit)
    local = repo / ".ci" / "node_modules" / ".bin" / "azurite-blob"
    if local.exists():
        return local
    found = shutil.which("azurite-blob")
    return Path(found) if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_listening(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"Azurite exited with {proc.returncode}:\n{log.read_text(errors='replace')[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"Azurite did not listen on port {port} within 60 s:\n{log.read_text(errors='replace')[-2000:]}")


@pytest.fixture(scope="session")
def azurite(repo_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A running Azurite blob service; yields its connection string. Fails (never skips) when Azurite is
    missing: CI installs it with .ci/azurite.sh."""
    binary = _azurite_binary(repo_root)
    if binary is None or not binary.exists():
        pytest.fail(
            "Azurite (the Azure Storage emulator) is not installed: run `bash .ci/azurite.sh` to install it into "
            ".ci/node_modules, or set FINEPLAN_AZURITE to an azurite-blob executable"
        )
    workspace = tmp_path_factory.mktemp("azurite")
    log = workspace / "azurite.log"
    port = _free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                str(binary),
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                str(port),
                "--inMemoryPersistence",
                "--silent",
                "--skipApiVersionCheck",
                "--loose",
                "--disableTelemetry",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=workspace,  # in-memory persistence: nothing should land here, but never in the repo
        )
    try:
        _wait_listening(proc, port, log)
        yield (
            f"DefaultEndpointsProtocol=http;AccountName={DEV_ACCOUNT};AccountKey={DEV_KEY};"
            f"BlobEndpoint=http://127.0.0.1:{port}/{DEV_ACCOUNT};"
        )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
