"""The renderer entry of each resource kind: the words the plan views use for it, and any section of its own.

A new kind adds one entry here (`KIND_VIEWS`); everything else in the views is kind-neutral.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from fineplan.plan.model import Plan
from fineplan.resource import Kind


@dataclass(frozen=True)
class KindView:
    noun: str  # the remote object, as the cleanup stage names it: "the old job ftjob-…"
    ready: str  # what a new one has done before the old one may go: "has trained"
    delete_first: str = ""  # the outage a delete-then-create replacement causes, in the kind's words
    markdown_section: Callable[[Plan], list[str]] | None = None  # a PR-comment section of its own
    hidden: tuple[str, ...] = ()  # `before` keys the attribute diff leaves out (shown in the kind's own section)


def _dataset_rows(plan: Plan) -> list[str]:
    from fineplan.render.markdown import dataset_section

    return dataset_section(plan)


def _evaluation_rows(plan: Plan) -> list[str]:
    from fineplan.render.markdown import evaluation_section

    return evaluation_section(plan)


KIND_VIEWS: Final[dict[Kind, KindView]] = {
    Kind.DATASET: KindView("file", "is uploaded", markdown_section=_dataset_rows),
    Kind.JOB: KindView("job", "has trained"),
    Kind.DEPLOYMENT: KindView(
        "deployment",
        "is created",
        delete_first="the old deployment is deleted first, so it is unavailable until the new one is created",
    ),
    Kind.EVALUATION: KindView(
        "eval", "has run", markdown_section=_evaluation_rows, hidden=("results", "subject_order", "status")
    ),
}


def view_of(kind: Kind) -> KindView:
    return KIND_VIEWS.get(kind) or KindView(kind.value.lower(), "is in place")
