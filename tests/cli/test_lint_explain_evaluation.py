"""`fineplan lint --explain CODE` documents every Evaluation code, with the fixed headings."""

from __future__ import annotations

import pytest
from cli_helpers import RunCli

from fineplan.lint.registry import get_rule

CODES = [f"FP{n}" for n in range(321, 329)] + ["FP467", "FP468"]


@pytest.mark.parametrize("code", CODES)
def test_explain_each_evaluation_code(cli: RunCli, code: str) -> None:
    rule = get_rule(code)
    assert rule is not None
    result = cli("lint", "--explain", code.lower())
    assert result.code == 0
    assert result.out.startswith(f"{code} {rule.name} ({rule.severity.value})")
    assert rule.summary() in result.out
    for heading in ("What it does", "Why", "Example"):
        assert f"\n{heading}\n" in result.out
