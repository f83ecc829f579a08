"""calculate_output (validation and computation share one parser), string_check and templates."""

from __future__ import annotations

import pytest

from fineplan.graders import formula
from fineplan.graders.string_check import string_check
from fineplan.graders.templates import MISSING, lookup, references, render


def test_formula_arithmetic_and_functions() -> None:
    values = {"a": 0.25, "b": 1.0}
    assert formula.evaluate("0.5 * a + 0.5 * b", values) == pytest.approx(0.625)
    assert formula.evaluate("max(a, b) - min(a, b)", values) == pytest.approx(0.75)
    assert formula.evaluate("sqrt(a) + floor(b + 0.9) + ceil(a) + abs(-a)", values) == pytest.approx(2.75)
    assert formula.evaluate("exp(log(b + 1))", values) == pytest.approx(2.0)


def test_caret_is_power_with_mathematical_precedence() -> None:
    assert formula.evaluate("2 ^ 3 ^ 2", {}) == 512  # right-associative
    assert formula.evaluate("-2 ^ 2", {}) == -4  # binds tighter than unary minus
    assert formula.evaluate("3 * a ^ 2", {"a": 2.0}) == 12  # and tighter than *


def test_formula_problems_are_reported_and_refused() -> None:
    found = formula.problems("a ** 2 + c + round(a)", {"a"})
    assert any("operator **" in p for p in found)
    assert any("'c' is not one of this grader's keys" in p for p in found)
    assert any("function 'round'" in p for p in found)
    with pytest.raises(formula.FormulaError, match="not one of"):
        formula.evaluate("a + c", {"a": 1.0})
    with pytest.raises(formula.FormulaError, match="cannot compute"):
        formula.evaluate("log(a - 1)", {"a": 1.0})
    with pytest.raises(formula.FormulaError):
        formula.evaluate("a / b", {"a": 1.0, "b": 0.0})


@pytest.mark.parametrize(
    ("text", "reference", "op", "expected"),
    [
        ("Paris", "Paris", "eq", 1.0),
        ("paris", "Paris", "eq", 0.0),
        ("paris", "Paris", "ne", 1.0),
        ("The answer is Paris.", "Paris", "like", 1.0),
        ("The answer is paris.", "Paris", "like", 0.0),
        ("The answer is PARIS.", "paris", "ilike", 1.0),
        ("50% off", "%", "like", 1.0),  # a substring test, not an SQL pattern
        ("abc", "a%", "like", 0.0),
    ],
)
def test_string_check(text: str, reference: str, op: str, expected: float) -> None:
    assert string_check(text, reference, op) == expected


def test_templates_render_and_resolve() -> None:
    ctx = {"item": {"a": {"b": [10, {"c": "deep"}]}, "n": 3}, "sample": {"output_json": {"k": "v"}}}
    assert list(references(["{{ item.a.b.1.c }}", {"x": "{{sample.output_json}}"}])) == [
        "item.a.b.1.c",
        "sample.output_json",
    ]
    assert lookup(ctx, "item.a.b.0") == 10
    assert lookup(ctx, "item.missing") is MISSING
    assert render("{{item.a.b.1.c}}/{{item.n}}/{{sample.output_json}}/{{item.nope}}.", ctx) == 'deep/3/{"k":"v"}/.'
