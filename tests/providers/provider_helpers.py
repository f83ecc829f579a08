"""Helpers shared by the provider tests (a uniquely named module: every test dir has its own conftest)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from fineplan.emulator.embedded import EmbeddedEmulator
from fineplan.providers.azure import AzureProvider
from fineplan.providers.base import RemoteJob
from fineplan.providers.factory import LOCAL_API_KEY, local_provider
from fineplan.spec.models import LocalTarget

# Jobs take ~300-600 simulated seconds and deployment operations 30-60: at this factor, a few to tens of ms.
FAST = 20_000.0
TARGET = LocalTarget()


@contextmanager
def running_provider(
    data_dir: Path, *, speed: float = FAST, faults: str | None = None
) -> Iterator[tuple[EmbeddedEmulator, AzureProvider]]:
    """A fresh emulator (with the local key enforced) and the provider the `local` target would build for it."""
    with EmbeddedEmulator(data_dir, speed=speed, faults=faults, api_key=LOCAL_API_KEY) as emulator:
        provider = local_provider(emulator.url, TARGET)
        try:
            yield emulator, provider
        finally:
            provider.close()


def wait_for(probe: Callable[[], RemoteJob | None], *, timeout: float = 30.0) -> RemoteJob:
    """Poll a job until it is terminal (a deadline, not a timed assertion: the caller asserts the outcome)."""
    deadline = time.monotonic() + timeout
    while True:
        job = probe()
        assert job is not None
        if job.terminal or time.monotonic() > deadline:
            return job
        time.sleep(0.01)
