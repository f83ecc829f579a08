"""Pick a plan view by format name at the CLI edge (`plan --format`, `show`), instead of `if format == …` chains."""

from __future__ import annotations

from collections.abc import Callable

from fineplan.plan.model import Plan


def _human(plan: Plan, color: bool) -> str:
    from fineplan.render.human import render_human

    return render_human(plan, color=color)


def _markdown(plan: Plan, color: bool) -> str:
    from fineplan.render.markdown import render_markdown

    return render_markdown(plan)


def _json(plan: Plan, color: bool) -> str:
    from fineplan.render.plan_json import render_plan_json

    return render_plan_json(plan)


PLAN_VIEWS: dict[str, Callable[[Plan, bool], str]] = {"human": _human, "markdown": _markdown, "json": _json}


def render_plan(plan: Plan, fmt: str = "human", *, color: bool = False) -> str:
    """The plan in `fmt` (one of PLAN_VIEWS); colour applies to the human view only."""
    try:
        view = PLAN_VIEWS[fmt]
    except KeyError:
        raise ValueError(f"unknown plan format {fmt!r}; choose from {', '.join(PLAN_VIEWS)}") from None
    return view(plan, color)
