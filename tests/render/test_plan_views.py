"""Format dispatch at the CLI edge."""

from __future__ import annotations

import pytest
from render_cases import CASES

from fineplan.render.human import render_human
from fineplan.render.markdown import render_markdown
from fineplan.render.plan_json import render_plan_json
from fineplan.render.views import DIAGNOSTIC_VIEWS, PLAN_VIEWS, render_plan


def test_each_format_is_its_renderer() -> None:
    plan = CASES["mixed"]()
    assert set(PLAN_VIEWS.names) == {"human", "markdown", "json"}
    assert render_plan(plan) == render_human(plan)
    assert render_plan(plan, "human", color=True) == render_human(plan, color=True)
    assert render_plan(plan, "markdown", color=True) == render_markdown(plan)
    assert render_plan(plan, "json") == render_plan_json(plan)


def test_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown plan format 'yaml'"):
        render_plan(CASES["mixed"](), "yaml")


def test_diagnostics_views_come_from_a_table_of_the_same_kind() -> None:
    from fineplan.diagnostics import Diagnostic, Severity

    diags = [Diagnostic(Severity.WARNING, "FP312", "Developer deployment")]
    assert set(DIAGNOSTIC_VIEWS.names) == {"text", "json", "sarif", "github"}
    assert '"FP312"' in DIAGNOSTIC_VIEWS.render(diags, "json")
    with pytest.raises(ValueError, match="unknown diagnostics format 'xml'"):
        DIAGNOSTIC_VIEWS.render(diags, "xml")
