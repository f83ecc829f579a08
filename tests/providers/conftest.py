"""The real emulator, in-process, behind the real provider: fakes at the boundary, not in the middle."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from provider_helpers import running_provider

from fineplan.emulator.embedded import EmbeddedEmulator
from fineplan.providers.azure import AzureProvider


@pytest.fixture(scope="module")
def emulated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EmbeddedEmulator, AzureProvider]]:
    """One emulator + provider shared by a module's lifecycle tests (no faults)."""
    with running_provider(tmp_path_factory.mktemp("emulator"), faults="") as pair:
        yield pair


@pytest.fixture(scope="module")
def provider(emulated: tuple[EmbeddedEmulator, AzureProvider]) -> AzureProvider:
    return emulated[1]
