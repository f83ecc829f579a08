"""FP5xx: the budget guard's diagnostics, raised by the plan builder (fineplan.plan.budget), documented as rules."""

from __future__ import annotations

from typing import Any

import pytest

from fineplan.diagnostics import Location, Severity
from fineplan.lint.registry import get_rule
from fineplan.lint.rules.cost import OverBudget, UnpricedModel
from fineplan.plan.budget import budget_diagnostics

AT = Location("fineplan.yaml", 12, 26)


def _summary(training: float, unpriced: int = 0) -> dict[str, Any]:
    return {"training_usd": training, "training_unpriced": unpriced, "approximate": True}


def test_rules_are_registered_and_documented() -> None:
    assert get_rule("FP501") is OverBudget and OverBudget.severity is Severity.ERROR
    assert get_rule("fp502") is UnpricedModel and UnpricedModel.severity is Severity.WARNING
    for rule in (OverBudget, UnpricedModel):
        assert rule.group == "cost"
        for heading in ("What it does", "Why", "Example"):
            assert heading in rule.docs()


@pytest.mark.parametrize(
    ("training", "budget", "codes"),
    [
        (24.99, 25.0, []),
        (25.0, 25.0, []),  # at the budget is within it
        (25.01, 25.0, ["FP501"]),
        (1000.0, None, []),  # no budget, no guard
        (0.01, 0.0, ["FP501"]),
    ],
)
def test_over_budget(training: float, budget: float | None, codes: list[str]) -> None:
    assert [d.code for d in budget_diagnostics(_summary(training), budget, AT)] == codes


def test_over_budget_message_and_location() -> None:
    (d,) = budget_diagnostics(_summary(150.0), 25, AT)
    assert d.severity is Severity.ERROR and d.location == AT
    assert d.summary == "Estimated training cost $150.00 (approximate) exceeds the budget of $25.00"
    assert "refuses this plan before creating anything" in d.detail


def test_unpriced_jobs_make_the_total_a_floor_and_are_errors_under_a_budget() -> None:
    """An unknown cost is not zero: with a budget set, a job nobody can price is refused; without one, warned."""
    diags = budget_diagnostics(_summary(30.0, unpriced=2), 25, None, unpriced_jobs=["job.a", "job.b"])
    assert [(d.code, d.severity) for d in diags] == [("FP501", Severity.ERROR), ("FP502", Severity.ERROR)]
    assert "at least $30.00" in diags[0].summary
    assert diags[1].summary == "2 jobs have no training price: job.a, job.b"
    assert "refuses a job it cannot price" in diags[1].detail
    (alone,) = budget_diagnostics(_summary(0.0, unpriced=1), None, None)
    assert alone.code == "FP502" and alone.severity is Severity.WARNING and "budget" not in alone.detail
