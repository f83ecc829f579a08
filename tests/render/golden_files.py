"""Golden files for the plan renderers: compared byte for byte; `FINEPLAN_ACCEPT=1` rewrites them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

GOLDENS = Path(__file__).parent / "goldens"


def accepting() -> bool:
    return os.environ.get("FINEPLAN_ACCEPT") == "1"


def check_golden(path: Path, actual: str) -> None:
    """Fail unless `path` holds exactly `actual`; with FINEPLAN_ACCEPT=1, write it instead."""
    if accepting():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(f"missing golden {path.name}: run the tests with FINEPLAN_ACCEPT=1 and review the new file")
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"{path.name} differs from the rendering; if intended, rerun with FINEPLAN_ACCEPT=1"
