"""Flags shared by plan/apply/destroy are checked when parsed: a negative budget or timeout is a usage error."""

from __future__ import annotations

import pytest
from cli_helpers import MakeProject, RunCli


@pytest.mark.parametrize(
    ("command", "flag", "value"),
    [
        ("plan", "--max-cost", "-1"),
        ("apply", "--max-cost", "nan"),
        ("apply", "--timeout", "-5"),
        ("destroy", "--timeout", "x"),
    ],
)
def test_negative_or_non_numeric_budget_and_timeout_are_usage_errors(
    cli: RunCli, make_project: MakeProject, command: str, flag: str, value: str
) -> None:
    result = cli("-C", make_project(), command, flag, value)
    assert result.code == 1  # usage errors exit 1: 2 would read as "changes" under --detailed-exitcode
    assert f"argument {flag}: expected a number" in result.err
