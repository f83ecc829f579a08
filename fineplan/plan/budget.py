"""The plan's guard findings: FP501 over budget, FP502 unpriced jobs (an error under a budget), FP503
prevent_destroy.

Raised here, where costs and actions are known; documented as rule classes in `fineplan.lint.rules` (cost.py,
structure.py) so `fineplan lint --explain FP501` knows them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fineplan.diagnostics import Diagnostic, Location, Severity
from fineplan.plan.model import Action, ResourceChange
from fineplan.pricing import format_usd, over_budget
from fineplan.resource import Desired


def budget_diagnostics(
    cost_summary_json: Mapping[str, Any],
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
            Diagnostic(
                Severity.ERROR,
                "FP501",
                f"Estimated training cost {floor}{format_usd(total)}{approximate} exceeds the budget of "
                f"{format_usd(max_usd)}",
                "fineplan apply refuses this plan before creating anything. Raise policy.max_training_cost_usd "
                "(or --max-cost), or train fewer tokens, fewer epochs, or a cheaper model or training type.",
                location,
            )
        )
    if unpriced:
        which = f": {', '.join(unpriced_jobs)}" if unpriced_jobs else ""
        # An unknown cost is not zero: under a budget, a job nobody can price could spend anything.
        guard = (
            f" With a budget ({format_usd(max_usd)}) set, fineplan apply refuses a job it cannot price."
            if max_usd is not None
            else ""
        )
        out.append(
            Diagnostic(
                Severity.ERROR if max_usd is not None else Severity.WARNING,
                "FP502",
                f"{unpriced} job{'s have' if unpriced != 1 else ' has'} no training price{which}",
                "Set prices.training_per_1m_tokens (or prices.rft_per_hour) for the model in fineplan.yaml. "
                f"The training total {floor}{format_usd(total or 0.0)} leaves them out.{guard}",
                location,
            )
        )
    return out


def prevent_destroy_diagnostics(changes: Iterable[ResourceChange], desired: Mapping[str, Desired]) -> list[Diagnostic]:
    """lifecycle.prevent_destroy turns any delete or replacement of that resource into a plan error."""
    out: list[Diagnostic] = []
    for c in changes:
        want = desired.get(c.address)
        if want is None or not want.prevent_destroy or not c.action.destroys:
            continue
        verb = "destroy" if c.action is Action.DELETE else "replace"
        out.append(
            Diagnostic(
                Severity.ERROR,
                "FP503",
                f"{c.address} has lifecycle.prevent_destroy, but this plan would {verb} it",
                "Remove prevent_destroy from its spec first if this is really intended.",
            )
        )
    return out
