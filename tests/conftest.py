"""Shared test fixtures. Real-world datasets are read from ../shared/fixtures, never copied into the repo."""

from __future__ import annotations

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
