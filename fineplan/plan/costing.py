"""Price a plan: each change's estimate (from its kind's rules), the plan's cost block and the budget findings.

Pure. The cost block's shape is documented in specs/plan-format.md; renderers read only it and per-change `cost`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from fineplan.diagnostics import Diagnostic, Location
from fineplan.plan.budget import budget_diagnostics
from fineplan.plan.model import ResourceChange
from fineplan.plan.rules import CostContext, PlanRules
from fineplan.pricing import CostEstimate, CostSummary, PriceTable, over_budget, summarize
from fineplan.resource import Desired, Kind
from fineplan.state.drift import Drift
from fineplan.state.model import ResourceState


@dataclass(frozen=True)
class Budget:
    max_usd: float | None = None  # policy.max_training_cost_usd, or --max-cost
    location: Location | None = None  # where fineplan.yaml sets it; None for --max-cost


def cost_document(
    summary: CostSummary,
    *,
    price_table: PriceTable | None = None,
    max_training_cost_usd: float | None = None,
) -> dict[str, Any]:
    """The plan's `cost` block: `summary.to_json()` plus the price table's currency/as-of date and the budget."""
    doc: dict[str, Any] = {}
    if price_table is not None:
        doc |= {"currency": price_table.currency, "as_of": price_table.as_of}
    doc |= summary.to_json()
    doc["budget"] = {
        "max_training_cost_usd": max_training_cost_usd,
        "over": over_budget(summary.training_usd, max_training_cost_usd),
    }
    return doc


def price_changes(
    changes: Sequence[ResourceChange],
    desired: Mapping[str, Desired],
    rules: Mapping[Kind, PlanRules],
    prices: PriceTable | None,
    budget: Budget,
    *,
    records: Mapping[str, ResourceState] | None = None,
) -> tuple[tuple[ResourceChange, ...], dict[str, Any], list[Diagnostic]]:
    """(changes with their estimates, the plan's cost block, FP501/FP502). Without prices: no cost at all."""
    if prices is None:
        return tuple(changes), {}, []
    ctx = CostContext(prices, desired, records or {})
    added: list[CostEstimate] = []
    removed: list[CostEstimate] = []
    unchanged: list[CostEstimate] = []
    unpriced: list[str] = []
    out: list[ResourceChange] = []
    for c in changes:
        line = rules[c.kind].cost(c, desired.get(c.address), ctx)
        if line is None:
            out.append(c)
            continue
        added += line.added
        removed += line.removed
        unchanged += line.unchanged
        if any(e.kind == "training" and e.usd is None for e in line.added):
            unpriced.append(c.address)
        out.append(replace(c, cost=line.shown.to_json()) if line.shown is not None else c)
    summary = summarize(added=added, removed=removed, unchanged=unchanged)
    doc = cost_document(summary, price_table=prices, max_training_cost_usd=budget.max_usd)
    return tuple(out), doc, budget_diagnostics(doc, budget.max_usd, budget.location, unpriced_jobs=unpriced)


def price_drift(
    drift: Sequence[Drift],
    desired: Mapping[str, Desired],
    rules: Mapping[Kind, PlanRules],
    prices: PriceTable | None,
    records: Mapping[str, ResourceState],
    cost: dict[str, Any],
) -> tuple[Drift, ...]:
    """Drift with the money it spends that no change accounts for (an untracked job still training): each one's
    estimate goes into its `after.cost`, their total into the cost block's `untracked` (updated in place)."""
    if prices is None:
        return tuple(drift)
    ctx = CostContext(prices, desired, records)
    out: list[Drift] = []
    spent = Decimal(0)
    jobs = unpriced = 0
    for d in drift:
        estimate = rules[d.kind].drift_cost(d, ctx)
        if estimate is None:
            out.append(d)
            continue
        jobs += 1
        if estimate.usd is None:
            unpriced += 1
        else:
            spent += Decimal(str(estimate.usd))
        out.append(replace(d, after={**(d.after or {}), "cost": estimate.to_json()}))
    if jobs:
        cost["untracked"] = {"jobs": jobs, "training_usd": float(spent), "unpriced": unpriced}
    return tuple(out)
