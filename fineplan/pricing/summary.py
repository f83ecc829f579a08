"""Plan-level cost: what this plan spends on training and how it moves the hosting bill.

Training is one-off: the plan spends what the jobs it creates or replaces cost; destroying a job refunds
nothing, so removed training estimates are ignored. Hosting is recurring: its delta is what the plan adds
minus what it removes, and its total is what runs afterwards (unchanged + added).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fineplan.pricing.estimate import CostEstimate


@dataclass(frozen=True, slots=True)
class CostSummary:
    training_usd: float  # one-off spend of the jobs this plan creates or replaces (known figures only)
    training_unpriced: int  # added jobs without a figure: the total is then a lower bound
    hosting_per_hour_before: float
    hosting_per_hour_after: float
    hosting_unpriced: int
    hours_per_month: int
    approximate: bool

    @property
    def hosting_delta_per_hour(self) -> float:
        return float(Decimal(str(self.hosting_per_hour_after)) - Decimal(str(self.hosting_per_hour_before)))

    @property
    def hosting_per_month_before(self) -> float:
        return self._month(self.hosting_per_hour_before)

    @property
    def hosting_per_month_after(self) -> float:
        return self._month(self.hosting_per_hour_after)

    @property
    def hosting_delta_per_month(self) -> float:
        return self._month(self.hosting_delta_per_hour)

    @property
    def training_complete(self) -> bool:
        """True when every added job has a figure, so `training_usd` is not a lower bound."""
        return self.training_unpriced == 0

    def _month(self, per_hour: float) -> float:
        return float(Decimal(str(per_hour)) * self.hours_per_month)

    def to_json(self) -> dict[str, Any]:
        return {
            "training_usd": self.training_usd,
            "training_unpriced": self.training_unpriced,
            "hosting": {
                "per_hour_before": self.hosting_per_hour_before,
                "per_hour_after": self.hosting_per_hour_after,
                "delta_per_hour": self.hosting_delta_per_hour,
                "per_month_before": self.hosting_per_month_before,
                "per_month_after": self.hosting_per_month_after,
                "delta_per_month": self.hosting_delta_per_month,
                "unpriced": self.hosting_unpriced,
            },
            "hours_per_month": self.hours_per_month,
            "approximate": self.approximate,
        }


def summarize(
    *,
    added: Iterable[CostEstimate] = (),
    removed: Iterable[CostEstimate] = (),
    unchanged: Iterable[CostEstimate] = (),
    hours_per_month: int = 730,
) -> CostSummary:
    """Totals and delta for a plan.

    `added`: estimates of resources being created, and the new side of replacements and updates.
    `removed`: the old side of replacements and updates, and resources being destroyed.
    `unchanged`: resources that stay as they are (only their hosting counts, toward before and after).
    """
    added, removed, unchanged = list(added), list(removed), list(unchanged)
    training = [e for e in added if e.kind == "training"]

    def hourly(estimates: list[CostEstimate]) -> Decimal:
        known = [e.usd_per_hour for e in estimates if e.kind == "hosting" and e.usd_per_hour is not None]
        return sum((Decimal(str(v)) for v in known), Decimal(0))

    kept = hourly(unchanged)
    everything = added + removed + unchanged
    return CostSummary(
        training_usd=float(sum((Decimal(str(e.usd)) for e in training if e.usd is not None), Decimal(0))),
        training_unpriced=sum(e.usd is None for e in training),
        hosting_per_hour_before=float(kept + hourly(removed)),
        hosting_per_hour_after=float(kept + hourly(added)),
        hosting_unpriced=sum(e.kind == "hosting" and e.usd_per_hour is None for e in everything),
        hours_per_month=hours_per_month,
        approximate=any(e.approximate for e in everything),
    )


def over_budget(total_usd: float | None, policy_max: float | None) -> bool:
    """True when a known training total exceeds the budget (`policy.max_training_cost_usd` / `--max-cost`).

    No budget, or no known total, is never over: the FP5xx rule reports unpriced jobs on its own.
    """
    if policy_max is None or total_usd is None:
        return False
    return Decimal(str(total_usd)) > Decimal(str(policy_max))
