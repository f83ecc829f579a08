"""The human rendering: Terraform's grammar, loud retraining, colour only when asked."""

from __future__ import annotations

import dataclasses
import io
import re

import pytest
from render_cases import CASES

from fineplan.plan.model import PlanOptions
from fineplan.render.color import use_color
from fineplan.render.human import render_human

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_plan_line_counts_replacements_as_add_and_destroy() -> None:
    text = render_human(CASES["mixed"]())
    assert "Plan: 2 to add, 1 to change, 2 to destroy." in text
    assert "Apply will also wait for 1 running job." in text


def test_grammar_symbols_for_each_action() -> None:
    text = render_human(CASES["mixed"]())
    assert '\n+/- FineTuningJob "support-sft" {' in text  # create-then-delete: the new job first
    assert '\n  + FineTuningJob "support-mini" {' in text
    assert '\n  ~ Deployment "support-prod" {' in text
    assert '\n  - Deployment "old-dev" {' in text
    assert '\n <= FineTuningJob "support-rft" {' in text
    assert "  # job.support-sft must be replaced" in text
    assert "  # deployment.old-dev will be destroyed" in text


def test_replace_says_which_attribute_forces_it_and_why() -> None:
    text = render_human(CASES["replace-with-reason"]())
    assert '~ training_data_digest = "sha256:4f1c0d9e2b7a" -> "sha256:9a8b7c6d5e4f" # forces replacement' in text
    assert "# (because training_data digest changed (dataset.support-chat))" in text
    assert "(known after apply)" in text


def test_retraining_is_loud_with_job_reason_and_cost() -> None:
    text = render_human(CASES["replace-with-reason"]())
    warning = text[text.index("Warning: 2 jobs will retrain") :]
    assert "costing $1.24" in warning  # $0.90 + $0.3408
    assert "job.support-sft: training_data digest changed (dataset.support-chat)" in warning
    assert "1,500,000 billed tokens × $1.50/1M (gpt-4.1-nano-2025-04-14) × 0.4 (developer) = $0.90" in warning
    assert "# RETRAINS: $0.90 training (approximate)" in text


def test_drift_section_comes_first() -> None:
    text = render_human(CASES["drift"]())
    assert text.startswith("Note: Objects have changed outside of fineplan")
    assert text.index("has expired") < text.index("fineplan will perform the following actions:")


def test_no_changes() -> None:
    assert render_human(CASES["no-changes"]()).startswith("No changes. Your infrastructure matches the configuration.")


def test_blocked_gate_and_over_budget_are_called_out() -> None:
    gate = render_human(CASES["blocked-gate"]())
    assert "Warning: 1 change is blocked; apply will skip" in gate
    assert "valid_loss 0.91, must be <= 0.5: failed" in gate
    budget = render_human(CASES["over-budget"]())
    assert "Over budget: $150.00 of training exceeds the $25.00 budget" in budget
    assert "Error: FP501" in budget


def test_colour_only_when_asked() -> None:
    plan = CASES["mixed"]()
    assert not ANSI.search(render_human(plan, color=False))
    painted = render_human(plan, color=True)
    assert "\x1b[32m" in painted and "\x1b[31m" in painted
    assert ANSI.sub("", painted) == render_human(plan, color=False)


@pytest.mark.parametrize(("no_color", "tty", "expected"), [("1", True, False), ("", True, True), (None, False, False)])
def test_use_color_honours_no_color_and_tty(
    monkeypatch: pytest.MonkeyPatch, no_color: str | None, tty: bool, expected: bool
) -> None:
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    if no_color is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", no_color)

    class Stream(io.StringIO):
        def isatty(self) -> bool:
            return tty

    assert use_color(Stream()) is expected


def test_refresh_only_plan_records_drift_instead_of_saying_no_changes() -> None:
    drifted = CASES["drift"]()
    plan = dataclasses.replace(drifted, resource_changes=(), stages=(), options=PlanOptions(refresh_only=True))
    text = render_human(plan)
    assert "This is a refresh-only plan" in text
    assert "Apply this plan to record these changes in the fineplan state" in text
    assert "No changes." not in text


def test_fp501_alone_still_reads_as_over_budget() -> None:
    """A cost block without `budget` (e.g. made by an older builder) still shows an FP501 plan as over budget."""
    plan = CASES["over-budget"]()
    plan = dataclasses.replace(plan, cost={k: v for k, v in plan.cost.items() if k != "budget"})
    assert "Over budget: $150.00 of training exceeds the budget" in render_human(plan)


def test_both_replacement_orders_and_the_outage_are_spelled_out() -> None:
    text = render_human(CASES["replace-order"]())
    assert "+/- create replacement and then destroy" in text and "-/+ destroy and then create replacement" in text
    assert '\n-/+ Deployment "support-dev" {' in text and '\n+/- Deployment "support-eu" {' in text
    block = text[text.index("# deployment.support-dev must be replaced") :]
    outage = "# (the old deployment is deleted first, so it is unavailable until the new one is created)"
    assert block.index(outage) < block.index('Deployment "support-dev"')


def test_apply_order_shows_the_stages_and_when_old_objects_go() -> None:
    text = render_human(CASES["replace-order"]())
    order = text[text.index("Apply order:") : text.index("Plan: ")]
    assert "1. walk: create, update, replace and wait in dependency order" in order
    assert "deployment.support-dev: the old deployment is deleted first" in order
    assert "2. cleanup: " in order
    assert (
        "job.support-sft: the old job ftjob-0001 is deleted once the new one has trained and "
        "deployment.support-dev, deployment.support-eu are done" in order
    )
    assert "deployment.support-eu: the old deployment support-eu is deleted once the new one is created" in order
    deletes = render_human(CASES["destroy"]())
    assert "1. delete: delete what the configuration no longer declares, dependents first (3)" in deletes
    assert "Apply order:" not in render_human(CASES["create-only"]())  # nothing is deleted: nothing to order
