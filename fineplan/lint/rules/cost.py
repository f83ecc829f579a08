"""FP5xx: cost and policy. Raised by the plan builder, which is where costs are known, via `budget_diagnostics`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fineplan.diagnostics import Diagnostic, Location, Severity
from fineplan.lint.rule import Rule
from fineplan.pricing import format_usd, over_budget


class OverBudget(Rule):
    """The plan's estimated training cost exceeds the budget.

    What it does
        Compares the plan's one-off training estimate (jobs it creates or replaces) with
        `policy.max_training_cost_usd` in fineplan.yaml, or `--max-cost` on the command line.
    Why
        Training is billed per token (per hour for RFT) and a changed dataset silently retrains every job built
        on it. The plan says so, and `fineplan apply` refuses an over-budget plan before spending anything.
    Example
        `policy: {max_training_cost_usd: 25}` and a plan that trains gpt-4.1 on 6,000,000 billed tokens
        ($150.00) → FP501. Raise the budget, train fewer tokens or epochs, or pick a cheaper model or tier.
    """

    code = "FP501"
    name = "over-budget"
    group = "cost"
    severity = Severity.ERROR


class UnpricedModel(Rule):
    """A job's training cost cannot be estimated.

    What it does
        Reports jobs the price table has no figure for (a model without a packaged price, or an RFT run whose
        hours cannot be estimated). The plan's training total then only counts the jobs it could price.
    Why
        An unknown cost is not a zero cost: with a budget set, the budget guard can only check a lower bound.
    Example
        `base_model: Ministral-3B` → add `prices: {training_per_1m_tokens: {Ministral-3B: 2.0}}` to
        fineplan.yaml.
    """

    code = "FP502"
    name = "unpriced-model"
    group = "cost"
    severity = Severity.WARNING


def budget_diagnostics(
    cost_summary_json: dict[str, Any],
    max_usd: float | None,
    location: Location | None,
    *,
    unpriced_jobs: Sequence[str] = (),
) -> list[Diagnostic]:
    """FP501 when the known training total exceeds `max_usd`; FP502 when some jobs could not be priced.

    `cost_summary_json` is `CostSummary.to_json()` (or the plan's cost block built from it); `location` points at
    the budget (fineplan.yaml `policy.max_training_cost_usd`), or None for `--max-cost`. `unpriced_jobs` (addresses)
    only makes FP502's message more precise.
    """
    out: list[Diagnostic] = []
    total = cost_summary_json.get("training_usd")
    unpriced = int(cost_summary_json.get("training_unpriced") or 0)
    approximate = " (approximate)" if cost_summary_json.get("approximate") else ""
    floor = "at least " if unpriced else ""
    if max_usd is not None and over_budget(total, max_usd):
        assert total is not None  # over_budget is False for an unknown total
        out.append(
            OverBudget.diag(
                f"Estimated training cost {floor}{format_usd(total)}{approximate} exceeds the budget of "
                f"{format_usd(max_usd)}",
                location,
                "fineplan apply refuses this plan before creating anything. Raise policy.max_training_cost_usd "
                "(or --max-cost), or train fewer tokens, fewer epochs, or a cheaper model or training type.",
            )
        )
    if unpriced:
        which = f": {', '.join(unpriced_jobs)}" if unpriced_jobs else ""
        guard = (
            f" The budget of {format_usd(max_usd)} is checked against the priced jobs only."
            if max_usd is not None
            else ""
        )
        out.append(
            UnpricedModel.diag(
                f"{unpriced} job{'s have' if unpriced != 1 else ' has'} no training price{which}",
                location,
                "Set prices.training_per_1m_tokens (or prices.rft_per_hour) for the model in fineplan.yaml. "
                f"The training total {floor}{format_usd(total or 0.0)} leaves them out.{guard}",
            )
        )
    return out
