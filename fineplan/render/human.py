"""The plan for people at a terminal, in Terraform's grammar (which users already read fluently).

Order: changes made outside fineplan (drift), the actions, gates, the apply order when something is deleted
(which stage deletes what, and which replacement takes its resource down first), `Plan: …` with the cost and
budget lines, then the loud parts (retraining, blocked changes), then the plan's diagnostics. Colour only when asked
(the CLI passes `use_color()`, which honours NO_COLOR and the TTY).
"""

from __future__ import annotations

from fineplan.plan.model import Plan
from fineplan.render import plan_text as words
from fineplan.render.color import Painter

_RULE = "─" * 77


def render_human(plan: Plan, *, color: bool = False) -> str:
    paint = Painter(color)
    out: list[str] = []
    if plan.drift:
        out += _drift(plan, paint)

    changes = words.shown_changes(plan)
    if not changes and plan.options.refresh_only and plan.drift:
        out.append("Apply this plan to record these changes in the fineplan state; no remote objects will change.")
        out += _diagnostics(plan, paint)
        return "\n".join(out).rstrip("\n") + "\n"
    if not changes and not plan.cleanup_due and plan.options.destroy:
        out += [
            paint("No changes.", "green", "bold") + " No objects need to be destroyed.",
            "",
            "Either you have not created any objects yet or the existing objects were already deleted outside "
            "of fineplan.",
        ]
        out += _diagnostics(plan, paint)
        return "\n".join(out).rstrip("\n") + "\n"
    if not changes and not plan.cleanup_due:
        out += [
            paint("No changes.", "green", "bold") + " Your infrastructure matches the configuration.",
            "",
            "fineplan has compared your real infrastructure against your configuration and found no "
            "differences, so no changes are needed.",
        ]
        if words.untracked_text(plan):
            out += ["", paint("Warning:" + words.untracked_text(plan), "yellow", "bold")]
        out += _superseded(plan, paint)
        out += _gates(plan, paint)
        out += _evaluations(plan, paint)
        out += _diagnostics(plan, paint)
        return "\n".join(out).rstrip("\n") + "\n"

    out += [
        "fineplan used the selected target to generate the following execution plan. Resource actions are "
        "indicated with the following symbols:",
        *words.legend(plan, paint),
        "",
        "fineplan will perform the following actions:",
        "",
    ]
    for change in changes:
        out += words.resource_block(change, paint)
        out.append("")
    out += _superseded(plan, paint)
    out += _gates(plan, paint)
    out += _evaluations(plan, paint)
    out += _stages(plan, paint)

    out.append(paint(words.plan_line(plan), "bold"))
    for line in (words.wait_line(plan), words.cost_line(plan)):
        if line:
            out.append(line)
    _, over = words.budget(plan)
    budget = words.budget_line(plan)
    if budget:
        out.append(paint(budget, "red", "bold") if over else budget)
    out += _retrain_warning(plan, paint)
    out += _blocked_warning(plan, paint)
    out += _diagnostics(plan, paint)
    return "\n".join(out).rstrip("\n") + "\n"


def _drift(plan: Plan, paint: Painter) -> list[str]:
    out = [
        paint("Note: Objects have changed outside of fineplan", "bold"),
        "",
        'fineplan detected the following changes made outside of fineplan since the last "fineplan apply" '
        "which may have affected this plan:",
        "",
    ]
    for drift in plan.drift:
        out += words.drift_block(drift, paint)
        out.append("")
    if plan.options.refresh_only:
        out.append(
            "This is a refresh-only plan, so fineplan will not take any actions to undo these. If you were "
            "expecting these changes then you can apply this plan to record the updated values in the fineplan "
            "state without changing any remote objects."
        )
    else:
        out.append(
            "Unless you have made equivalent changes to your configuration, or ignored the relevant attributes "
            "using lifecycle.ignore_changes, the following plan may include actions to undo or respond to these "
            "changes."
        )
    return [*out, "", _RULE, ""]


def _superseded(plan: Plan, paint: Painter) -> list[str]:
    if not plan.superseded:
        return []
    out = [paint("Old objects left by earlier replacements:", "bold")]
    return [*out, *(f"  {line}" for line in words.superseded_lines(plan)), ""]


def _gates(plan: Plan, paint: Painter) -> list[str]:
    if not plan.gates:
        return []
    out = [paint("Gates:", "bold")]
    for gate in plan.gates:
        style = {"passed": "green", "failed": "red"}.get(gate.status, "yellow")
        out.append("  " + paint(words.gate_title(gate), style))
        out += [f"    {words.gate_check_text(c)}" for c in gate.checks]
    return [*out, ""]


def _evaluations(plan: Plan, paint: Painter) -> list[str]:
    tables = words.score_tables(plan)
    if not tables:
        return []
    out = [paint("Evaluations:", "bold")]
    for t in tables:
        out.append(f"  {t.address}: {t.status}")
        if not t.rows:
            out.append("    no results recorded yet")
            continue
        head = ("grader", *t.subjects, "delta" if len(t.subjects) >= 2 else "")
        body = [(g, *cells, delta) for g, cells, delta in t.rows]
        widths = [max(len(str(r[i])) for r in (head, *body)) for i in range(len(head))]
        for r in (head, *body):
            out.append("    " + "  ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())
        if len(t.subjects) >= 2:
            out.append(f"    (recorded scores; delta = {t.subjects[0]} − {t.subjects[1]})")
    return [*out, ""]


def _stages(plan: Plan, paint: Painter) -> list[str]:
    if not words.order_matters(plan):
        return []
    out = [paint("Apply order:", "bold")]
    for heading, items in words.stage_lines(plan):
        out.append(f"  {heading}")
        out += [f"       {item}" for item in items]
    return [*out, ""]


def _retrain_warning(plan: Plan, paint: Painter) -> list[str]:
    jobs = words.retrains(plan)
    if not jobs:
        return []
    n = len(jobs)
    title = f"Warning: {n} job{'s' if n != 1 else ''} will retrain, costing {words.retrain_total(jobs)}"
    out = ["", paint(title, "yellow", "bold"), ""]
    for c in jobs:
        money = words.change_cost(c) or "training cost not estimated"
        out.append(f"  {paint(c.address, 'bold')}: {words.reason_text(c)}")
        out.append(f"    {money}" + (f": {c.cost['basis']}" if c.cost and c.cost.get("usd") is not None else ""))
    return out


def _blocked_warning(plan: Plan, paint: Painter) -> list[str]:
    held = words.blocked(plan)
    if not held:
        return []
    n = len(held)
    out = ["", paint(f"Warning: {n} change{'s are' if n != 1 else ' is'} blocked; apply will skip", "yellow", "bold")]
    out.append("")
    out += [f"  {paint(c.address, 'bold')}: {c.blocked}" for c in held]
    return out


def _diagnostics(plan: Plan, paint: Painter) -> list[str]:
    out: list[str] = []
    for d in plan.diagnostics:
        style = {"error": "red", "warning": "yellow"}.get(d.severity.value, "blue")
        lines = words.diagnostic_lines(d)
        out += ["", paint(lines[0], style, "bold"), *lines[1:]]
    return out
