"""Fixtures for the emulator conformance tests: an in-process emulator per test (fast simulated time unless a
test brings its own clock), the official SDK clients pointed at it, and a checker for the Azure REST schemas."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from emulator_helpers import FAST, SchemaChecker, arm_client, azure_openai, v1_openai

from fineplan.emulator.embedded import EmbeddedEmulator


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[EmbeddedEmulator]:
    with EmbeddedEmulator(tmp_path / "emu", speed=FAST) as emu:
        yield emu


@pytest.fixture
def client(emulator: EmbeddedEmulator) -> openai.AzureOpenAI:
    return azure_openai(emulator)


@pytest.fixture
def v1(emulator: EmbeddedEmulator) -> openai.OpenAI:
    return v1_openai(emulator)


@pytest.fixture
def arm(emulator: EmbeddedEmulator) -> CognitiveServicesManagementClient:
    return arm_client(emulator)


@pytest.fixture(scope="session")
def schemas(azure_specs: Path) -> SchemaChecker:
    return SchemaChecker(azure_specs)
