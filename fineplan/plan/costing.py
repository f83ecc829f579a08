"""Attach cost estimates to a plan's changes and summarise them (training spend, hosting delta), with the
budget findings (FP501 over budget, FP502 unpriced) the plan reports and apply enforces."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fineplan.diagnostics import Diagnostic
from fineplan.lint.model_resolution import root_base_model
from fineplan.lint.rules.cost import budget_diagnostics
from fineplan.plan.desired import Desired
from fineplan.plan.model import Action, Plan, ResourceChange
from fineplan.pricing import CostEstimate, billed_tokens, estimate_deployment, estimate_job, load_price_table
from fineplan.render.plan_json import cost_document
from fineplan.spec.models import FineTuningJob
from fineplan.spec.project import Project


def _job_estimate(project: Project, want: Desired, desired: dict[str, Desired], table: Any) -> CostEstimate:
    entry = project.entries.get(want.address)
    assert entry is not None and isinstance(entry.resource, FineTuningJob)
    base = root_base_model(project, entry.resource) or ""
    ds = desired.get(want.extra.get("train_dataset") or "")
    part = ds.parts.get(want.extra.get("train_part", "train")) if ds else None
    part = part or (ds.parts.get("train") if ds else None)
    tokens = None
    if part is not None and part.tokens is not None and part.examples:
        epochs = want.attributes["hyperparameters"].get("n_epochs", "auto")
        tokens = billed_tokens(part.tokens, epochs, part.examples)
    return estimate_job(
        table,
        base_model=base,
        method=want.attributes["method"],
        training_type=want.attributes["training_type"],
        billed_tokens=tokens,
    )


def _deployment_estimate(attrs: dict[str, Any], fine_tuned: bool, table: Any) -> CostEstimate | None:
    dtype = attrs.get("type")
    if not dtype:
        return None
    return estimate_deployment(
        table, deployment_type=str(dtype), capacity=int(attrs.get("capacity") or 1), fine_tuned=fine_tuned
    )


def cost_plan(
    plan: Plan,
    project: Project,
    desired: dict[str, Desired],
    budget: float | None = None,
    *,
    budget_from_flag: bool = False,
) -> tuple[tuple[ResourceChange, ...], dict[str, Any], list[Diagnostic]]:
    """Per-change estimates, the plan's cost block (with the budget) and the budget findings (FP501/FP502)."""
    from fineplan.pricing import summarize

    table = load_price_table(project.settings.prices)
    added: list[CostEstimate] = []
    removed: list[CostEstimate] = []
    unchanged: list[CostEstimate] = []
    out: list[ResourceChange] = []
    unpriced: list[str] = []
    for c in plan.resource_changes:
        want = desired.get(c.address)
        est: CostEstimate | None = None
        if c.kind == "FineTuningJob" and want is not None and c.action in (Action.CREATE, Action.REPLACE):
            est = _job_estimate(project, want, desired, table)
            added.append(est)
            if est.usd is None:
                unpriced.append(c.address)
        elif c.kind == "Deployment":
            fine_tuned = bool(want and want.parent_job) or ".ft-" in str((c.before or {}).get("model", ""))
            new = _deployment_estimate(c.after or {}, fine_tuned, table) if c.after else None
            old = _deployment_estimate(c.before or {}, fine_tuned, table) if c.before else None
            if c.action in (Action.CREATE,) and new:
                added.append(new)
            elif c.action in (Action.REPLACE, Action.UPDATE) and new:
                added.append(new)
                if old:
                    removed.append(old)
            elif c.action is Action.DELETE and old:
                removed.append(old)
            elif new:
                unchanged.append(new)
            est = new if c.action is not Action.DELETE else old
        out.append(replace(c, cost=est.to_json()) if est is not None else c)
    summary = summarize(added=added, removed=removed, unchanged=unchanged)
    doc = cost_document(summary, price_table=table, max_training_cost_usd=budget)
    # A budget given with --max-cost has no place in a file to point at.
    where = None if budget_from_flag else project.settings_location("policy", "max_training_cost_usd")
    findings = budget_diagnostics(doc, budget, where, unpriced_jobs=unpriced)
    return tuple(out), doc, findings
