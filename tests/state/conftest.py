"""Fixtures for the state tests: a real Azurite (the Azure Storage emulator) for the blob backend, and a helper
that runs a state-lock holder in a separate process."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

HOLDER_SCRIPT = Path(__file__).with_name("lock_holder.py")


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
