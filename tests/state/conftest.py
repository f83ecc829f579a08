"""Fixtures for the state tests: a real Azurite (the Azure Storage emulator) for the blob backend, and a helper
that runs a state-lock holder in a separate process."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

# Azurite's documented development account (public, the same in every Azurite install).
DEV_ACCOUNT = "devstoreaccount1"
DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
HOLDER_SCRIPT = Path(__file__).with_name("lock_holder.py")


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


@pytest.fixture
def container_name() -> str:
    """A fresh container per test, so tests sharing one Azurite never see each other's blobs."""
    return f"state-{uuid.uuid4().hex[:12]}"


class Holder:
    """A separate process that takes a state lock and obeys one-line commands on stdin (see lock_holder.py)."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(HOLDER_SCRIPT), *args],
            env={**os.environ, **(env or {})},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.pid = self.proc.pid
        first = self.readline()
        if not first.startswith("locked "):
            self.proc.kill()
            pytest.fail(f"lock holder did not lock: {first!r} {self.proc.stderr.read() if self.proc.stderr else ''}")
        self.lock_id = first.split()[1]

    def readline(self) -> str:
        assert self.proc.stdout is not None
        return self.proc.stdout.readline().strip()

    def command(self, line: str) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.readline()

    def kill(self) -> None:
        self.proc.kill()  # SIGKILL: no cleanup code runs in the holder
        self.proc.wait(timeout=30)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.kill()
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def spawn_holder() -> Iterator[type[Holder]]:
    holders: list[Holder] = []

    class Tracked(Holder):
        def __init__(self, args: list[str], env: dict[str, str] | None = None) -> None:
            super().__init__(args, env)
            holders.append(self)

    yield Tracked
    for h in holders:
        h.close()
