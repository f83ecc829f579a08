"""Dataset test fixtures: an isolated cache per test (helpers live in dataset_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own digest/report cache; the tokenizer tables are shared (read-only, verified)."""
    cache = tmp_path_factory.mktemp("fpcache")
    monkeypatch.setenv("FINEPLAN_CACHE_DIR", str(cache))
    shared = tmp_path_factory.getbasetemp() / "tokenizers"
    shared.mkdir(exist_ok=True)
    (cache / "tokenizers").symlink_to(shared, target_is_directory=True)
    return cache
