"""The Markdown PR comment: callouts, folded details, and GitHub's 65,536-character comment limit."""

from __future__ import annotations

import dataclasses

import pytest
from render_cases import CASES, many_creates

from fineplan.plan.model import Action, PlanOptions
from fineplan.plan.stages import plan_stages
from fineplan.render.markdown import MARKER, render_markdown

GITHUB_LIMIT = 65_000


@pytest.fixture(scope="module")
def bulk_markdown() -> str:
    return render_markdown(many_creates(2000))


def test_two_thousand_resources_stay_under_the_comment_limit(bulk_markdown: str) -> None:
    assert len(bulk_markdown) < GITHUB_LIMIT
    assert "resource changes elided here to stay under GitHub's comment size limit" in bulk_markdown
    assert "#### Changes (2,000)" in bulk_markdown
    # the ends are kept, the middle goes
    assert "job.bulk-0000" in bulk_markdown and "job.bulk-1999" in bulk_markdown
    assert "job.bulk-1000" not in bulk_markdown
    # head and tail survive
    assert bulk_markdown.startswith(MARKER)
    assert "**Plan: 2000 to add, 0 to change, 0 to destroy.**" in bulk_markdown
    assert "#### Lint" in bulk_markdown
    assert bulk_markdown.count("<details>") == bulk_markdown.count("</details>")


def test_elision_counts_add_up(bulk_markdown: str) -> None:
    shown = bulk_markdown.count("<details><summary>")
    elided = int(bulk_markdown.split(" of 2,000 resource changes elided")[0].rsplit("> ", 1)[1].replace(",", ""))
    assert shown + elided == 2000
    assert shown > 50  # the room is used, not wasted


def test_smaller_limits_are_respected() -> None:
    text = render_markdown(many_creates(300), max_chars=20_000)
    assert len(text) <= 20_000
    assert "elided" in text


def test_small_plans_are_not_elided() -> None:
    text = render_markdown(CASES["mixed"]())
    assert "elided" not in text
    assert text.count("<details><summary>") == 5  # no-ops are not listed


def test_warnings_are_callouts_up_top() -> None:
    text = render_markdown(CASES["replace-with-reason"]())
    head = text[: text.index("#### Changes")]
    assert "> [!WARNING]\n> **2 jobs will retrain**, costing $1.24" in head
    assert "> - `job.support-sft`: training\\_data digest changed (dataset.support-chat) — $0.90 training" in head
    assert "> **3 resources will be destroyed or replaced**" in head
    over = render_markdown(CASES["over-budget"]())
    assert "> [!CAUTION]\n> **Over budget:** training $150.00 exceeds the $25.00 budget." in over
    gate = render_markdown(CASES["blocked-gate"]())
    assert "> [!IMPORTANT]\n> **1 change is blocked** and will be skipped by apply" in gate
    assert "| `deployment.support-prod` | `job.support-sft` | ❌ **failed** |" in gate


def test_cost_table_has_the_delta_and_the_total() -> None:
    text = render_markdown(CASES["drift"]())
    assert "| Hosting per hour | $0.00 | $1.70 |" in text
    assert "| Training (one-off) | $0.00 | |" in text


def test_long_callout_lists_are_capped() -> None:
    plan = many_creates(40)
    plan = dataclasses.replace(
        plan,
        resource_changes=tuple(
            dataclasses.replace(c, action=Action.CREATE_THEN_DELETE, retrain=True) for c in plan.resource_changes
        ),
    )
    text = render_markdown(plan)
    assert "> - … and 30 more" in text


def test_values_cannot_break_out_of_the_fence_or_the_html() -> None:
    plan = CASES["create-only"]()
    change = plan.resource_changes[2]
    nasty = dataclasses.replace(
        change,
        after={**(change.after or {}), "suffix": "```</details><script>"},
        reasons=(dataclasses.replace(change.reasons[0], message="<b>|pipe|</b>"),),
    )
    text = render_markdown(dataclasses.replace(plan, resource_changes=(nasty,)))
    assert "````diff" in text  # a fence longer than any backtick run inside
    assert "<script>" in text.split("````diff")[1]  # inside the code block only
    assert text.count("<details>") == 1
    assert text.count("</details>") == 2  # the real one, and the value's, inside the fence


def test_refresh_only_markdown() -> None:
    plan = dataclasses.replace(CASES["drift"](), resource_changes=(), stages=(), options=PlanOptions(refresh_only=True))
    text = render_markdown(plan)
    assert "**Refresh only:** 2 changes made outside fineplan will be recorded in the state" in text
    assert "No changes" not in text


def test_a_head_larger_than_the_limit_is_cut_with_a_note() -> None:
    text = render_markdown(CASES["mixed"](), max_chars=600)
    assert len(text) <= 600
    assert text.startswith(MARKER)
    assert "Output cut at 600 characters" in text


def test_outages_and_apply_order_are_shown_to_reviewers() -> None:
    text = render_markdown(CASES["replace-order"]())
    head = text[: text.index("#### Changes")]
    assert (
        "> - `deployment.support-dev` (replaced: the old deployment is deleted first, so it is unavailable until the "
        "new one is created)" in head
    )
    assert "> - `deployment.support-eu` (replaced: the new one first, the old one deleted at cleanup)" in head
    order = text[text.index("#### Apply order") :]
    assert "2\\. cleanup: " in order or "2. cleanup: " in order
    assert "the old job ftjob-0001 is deleted once the new one has trained" in order


def test_the_apply_order_of_a_huge_replacement_stays_short() -> None:
    plan = many_creates(500)
    plan = dataclasses.replace(
        plan,
        resource_changes=tuple(dataclasses.replace(c, action=Action.CREATE_THEN_DELETE) for c in plan.resource_changes),
    )
    plan = dataclasses.replace(plan, stages=plan_stages(plan.resource_changes))
    text = render_markdown(plan)
    order = text[text.index("#### Apply order") : text.index("#### Lint")]
    assert order.count("the old job") == 10 and "… and 490 more" in order
    assert len(text) < GITHUB_LIMIT
