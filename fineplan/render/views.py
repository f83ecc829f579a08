"""Pick a renderer by format name at the CLI edge, from one kind of table for every subject: plans
(`plan --format`, `show`) and diagnostics (`lint --format`, `validate --json`). Commands never branch on a format.
Renderers are imported on use, so a command pays only for the view it prints.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from fineplan.diagnostics import Diagnostic
from fineplan.plan.model import Plan

T = TypeVar("T")


@dataclass(frozen=True)
class ViewOptions:
    color: bool = False  # the human plan view only
    root: Path | None = None  # diagnostics: file paths are shown relative to the project root


@dataclass(frozen=True)
class ViewTable(Generic[T]):
    """Format name → renderer of one subject."""

    subject: str
    views: Mapping[str, Callable[[T, ViewOptions], str]]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.views)

    def render(self, value: T, fmt: str, options: ViewOptions | None = None) -> str:
        try:
            view = self.views[fmt]
        except KeyError:
            raise ValueError(f"unknown {self.subject} format {fmt!r}; choose from {', '.join(self.views)}") from None
        return view(value, options or ViewOptions())


# ---------------------------------------------------------------------------------------------- plans


def _human(plan: Plan, o: ViewOptions) -> str:
    from fineplan.render.human import render_human

    return render_human(plan, color=o.color)


def _markdown(plan: Plan, o: ViewOptions) -> str:
    from fineplan.render.markdown import render_markdown

    return render_markdown(plan)


def _plan_json(plan: Plan, o: ViewOptions) -> str:
    from fineplan.render.plan_json import render_plan_json

    return render_plan_json(plan)


PLAN_VIEWS: ViewTable[Plan] = ViewTable("plan", {"human": _human, "markdown": _markdown, "json": _plan_json})


# ---------------------------------------------------------------------------------------------- diagnostics


def _text(diags: Sequence[Diagnostic], o: ViewOptions) -> str:
    from fineplan.render.diagnostics_text import render_diagnostics, summary_line

    shown = list(diags)
    return render_diagnostics(shown, o.root, totals=False) + summary_line(shown) + "\n"


def _diagnostics_json(diags: Sequence[Diagnostic], o: ViewOptions) -> str:
    from fineplan.render.diagnostics_json import render_json

    return render_json(list(diags))


def _sarif(diags: Sequence[Diagnostic], o: ViewOptions) -> str:
    from fineplan.render.sarif import render_sarif

    return render_sarif(list(diags))


def _github(diags: Sequence[Diagnostic], o: ViewOptions) -> str:
    from fineplan.render.github import render_github

    return render_github(list(diags))


DIAGNOSTIC_VIEWS: ViewTable[Sequence[Diagnostic]] = ViewTable(
    "diagnostics", {"text": _text, "json": _diagnostics_json, "sarif": _sarif, "github": _github}
)


def render_plan(plan: Plan, fmt: str = "human", *, color: bool = False) -> str:
    """The plan in `fmt` (one of PLAN_VIEWS); colour applies to the human view only."""
    return PLAN_VIEWS.render(plan, fmt, ViewOptions(color=color))
