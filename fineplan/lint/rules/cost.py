"""FP5xx: cost. Raised by the plan builder, which is where costs are known (`fineplan.plan.budget`); documented
here so `fineplan lint --list-rules` and `--explain` know them."""

from __future__ import annotations

from fineplan.diagnostics import Severity
from fineplan.lint.rule import Rule


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
        ($150.00) → FP501. `fineplan lint` checks it too: it reads no state, so it prices every job as if it
        were created (a plan counts only what it creates or replaces). Raise the budget, train fewer tokens or
        epochs, or pick a cheaper model or tier.
    """

    code = "FP501"
    name = "over-budget"
    group = "cost"
    severity = Severity.ERROR


class UnpricedModel(Rule):
    """A job's training cost cannot be estimated.

    What it does
        Reports jobs the price table has no figure for (a model without a packaged price, or an RFT run whose
        hours cannot be estimated). The plan's training total then only counts the jobs it could price. With a
        budget set (`policy.max_training_cost_usd` or `--max-cost`) it is an error: apply refuses the plan until
        fineplan.yaml sets a price for the model; without one it is a warning.
    Why
        An unknown cost is not a zero cost: a budget that ignored unpriced jobs would pass a plan of any cost.
    Example
        `base_model: Ministral-3B` → add `prices: {training_per_1m_tokens: {Ministral-3B: 2.0}}` to
        fineplan.yaml.
    """

    code = "FP502"
    name = "unpriced-model"
    group = "cost"
    severity = Severity.WARNING
