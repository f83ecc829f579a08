"""The `golden` fixture: compare a rendering with tests/render/goldens/NAME (FINEPLAN_ACCEPT=1 rewrites it)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from golden_files import GOLDENS, check_golden


@pytest.fixture
def golden() -> Callable[[str, str], None]:
    def check(name: str, actual: str) -> None:
        check_golden(GOLDENS / name, actual)

    return check
