"""Format dispatch at the CLI edge."""

from __future__ import annotations

import pytest
from render_cases import CASES

from fineplan.render.human import render_human
from fineplan.render.markdown import render_markdown
from fineplan.render.plan_json import render_plan_json
from fineplan.render.plan_views import PLAN_VIEWS, render_plan


def test_each_format_is_its_renderer() -> None:
    plan = CASES["mixed"]()
    assert set(PLAN_VIEWS) == {"human", "markdown", "json"}
    assert render_plan(plan) == render_human(plan)
    assert render_plan(plan, "human", color=True) == render_human(plan, color=True)
    assert render_plan(plan, "markdown", color=True) == render_markdown(plan)
    assert render_plan(plan, "json") == render_plan_json(plan)


def test_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown plan format 'yaml'"):
        render_plan(CASES["mixed"](), "yaml")
