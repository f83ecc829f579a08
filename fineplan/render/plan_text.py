"""Words and blocks shared by the human and Markdown plan views, so both say the same thing the same way.

Everything here reads the Plan model (and the cost block shaped by `plan_json.cost_document`); nothing prints.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fineplan.plan.model import Action, Drift, GateResult, Plan, ResourceChange
from fineplan.pricing import format_usd
from fineplan.render.attribute_diff import AttributeDiff, Mode

Paint = Callable[..., str]


def _plain(text: str, *_styles: str) -> str:
    return text


_PHRASE = {
    Action.CREATE: "will be created",
    Action.UPDATE: "will be updated in-place",
    Action.REPLACE: "must be replaced",
    Action.DELETE: "will be destroyed",
    Action.WAIT: "is still running; apply will wait for it",
    Action.READ: "will be read into state",
    Action.NOOP: "is unchanged",
}
_DRIFT_PHRASE = {
    "deleted": "has been deleted",
    "changed": "has been changed",
    "expired": "has expired",
    "failed": "has failed",
    "cancelled": "has been cancelled",
    "model_gone": "has lost its model",
    "adopted": "has been adopted",
}
_DRIFT_SIGN = {"deleted": "-", "expired": "-", "adopted": "+"}
SIGN_STYLE = {"+": ("green",), "-": ("red",), "~": ("yellow",), "<=": ("cyan",)}
LEGEND = {
    Action.CREATE: "create",
    Action.UPDATE: "update in-place",
    Action.REPLACE: "destroy and then create replacement",
    Action.DELETE: "destroy",
    Action.WAIT: "wait for a running job / read",
    Action.READ: "wait for a running job / read",
}


# ---------------------------------------------------------------------------------------------- selections


def shown_changes(plan: Plan) -> list[ResourceChange]:
    """The changes a reader needs to see: everything but no-ops."""
    return [c for c in plan.resource_changes if c.action is not Action.NOOP]


def retrains(plan: Plan) -> list[ResourceChange]:
    return [c for c in plan.resource_changes if c.retrain]


def destroys(plan: Plan) -> list[ResourceChange]:
    return [c for c in plan.resource_changes if c.action in (Action.DELETE, Action.REPLACE)]


def blocked(plan: Plan) -> list[ResourceChange]:
    return [c for c in plan.resource_changes if c.blocked and c.action is not Action.NOOP]


def failed_gates(plan: Plan) -> list[GateResult]:
    return [g for g in plan.gates if g.status == "failed"]


def budget(plan: Plan) -> tuple[float | None, bool]:
    """(max_training_cost_usd or None, whether the plan is over it)."""
    block = plan.cost.get("budget") or {}
    return block.get("max_training_cost_usd"), bool(block.get("over"))


# ---------------------------------------------------------------------------------------------- phrases


def action_phrase(change: ResourceChange) -> str:
    return _PHRASE[change.action]


def drift_phrase(drift: Drift) -> str:
    return _DRIFT_PHRASE.get(drift.change, f"has changed ({drift.change})")


def plan_line(plan: Plan) -> str:
    n = plan.counts()
    return f"Plan: {n['add']} to add, {n['change']} to change, {n['destroy']} to destroy."


def wait_line(plan: Plan) -> str | None:
    waits = plan.counts()["wait"]
    return f"Apply will also wait for {waits} running job{'s' if waits != 1 else ''}." if waits else None


def change_cost(change: ResourceChange) -> str | None:
    """`$12.00 training`, `+$1.70/h hosting ($1,241.00/month)`, or None when the change moves no money."""
    cost = change.cost
    if not cost:
        return None
    approx = " (approximate)" if cost.get("approximate") else ""
    if cost.get("usd") is None:
        notes = cost.get("notes") or ["not estimated"]
        return f"{cost.get('kind', 'cost')} not estimated: {notes[0]}"
    if cost.get("kind") == "training":
        if change.action is Action.DELETE:
            return None  # destroying a job refunds nothing
        return f"{format_usd(cost['usd'])} training{approx}"
    per_hour, per_month = cost.get("usd_per_hour") or 0.0, cost.get("usd_per_month", cost["usd"]) or 0.0
    sign = "-" if change.action is Action.DELETE else "+"
    return f"{sign}{format_usd(per_hour)}/h hosting ({sign}{format_usd(per_month)}/month){approx}"


def _signed(value: float) -> str:
    return ("-" if value < 0 else "+") + format_usd(abs(value))


def cost_line(plan: Plan) -> str | None:
    """One sentence with the plan's training spend and how it moves the hosting bill."""
    cost = plan.cost
    if "training_usd" not in cost:
        return None
    training = format_usd(cost["training_usd"])
    if cost.get("training_unpriced"):
        n = cost["training_unpriced"]
        training = f"at least {training} ({n} job{'s' if n != 1 else ''} not priced)"
    hosting = cost.get("hosting", {})
    delta_h, delta_m = hosting.get("delta_per_hour", 0.0), hosting.get("delta_per_month", 0.0)
    after_h, after_m = hosting.get("per_hour_after", 0.0), hosting.get("per_month_after", 0.0)
    text = (
        f"Cost: {training} one-off training; hosting {_signed(delta_h)}/h ({_signed(delta_m)}/month), "
        f"{format_usd(after_h)}/h ({format_usd(after_m)}/month) after apply."
    )
    return text + price_note(plan)


def price_note(plan: Plan) -> str:
    cost = plan.cost
    if not cost.get("approximate"):
        return ""
    return f" Approximate: prices as of {cost['as_of']}." if cost.get("as_of") else " Approximate."


def budget_line(plan: Plan) -> str | None:
    limit, over = budget(plan)
    if limit is None:
        return None
    spent = format_usd(plan.cost.get("training_usd", 0.0))
    if over:
        return (
            f"Over budget: {spent} of training exceeds the {format_usd(limit)} budget "
            "(policy.max_training_cost_usd / --max-cost); apply will refuse this plan before spending anything."
        )
    return f"Budget: {spent} of training within the {format_usd(limit)} budget."


def reason_text(change: ResourceChange) -> str:
    return "; ".join(r.message for r in change.reasons) or action_phrase(change)


def gate_check_text(check: dict[str, Any]) -> str:
    """`valid_loss 0.91, must be <= 0.5: failed` from a gate check {metric, op, threshold, value, passed}."""
    metric = check.get("metric", "metric")
    value = check.get("value")
    shown = "pending" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
    bound = f", must be {check['op']} {check['threshold']:g}" if "op" in check and "threshold" in check else ""
    passed = check.get("passed")
    verdict = "pending" if passed is None else "passed" if passed else "failed"
    return f"{metric} {shown}{bound}: {verdict}"


def gate_title(gate: GateResult) -> str:
    return f"{gate.address} (gate on {gate.job}): {gate.status}"


def diagnostic_lines(d: dict[str, Any]) -> list[str]:
    """A plan diagnostic (Diagnostic.to_json()) as Terraform-like lines."""
    lines = [f"{d['severity'].capitalize()}: {d['code']} {d['summary']}"]
    where = d.get("range")
    if where:
        lines.append(f"  on {where['filename']} line {where['start']['line']}, column {where['start']['column']}")
    lines.extend("  " + ln for ln in (d.get("detail") or "").splitlines())
    return lines


# ---------------------------------------------------------------------------------------------- blocks


def _sign(action: Action) -> str:
    return action.symbol


def _paint_sign(sign: str, paint: Paint) -> str:
    if sign == "-/+":
        return paint("-", "red") + "/" + paint("+", "green")
    return paint(sign.rjust(3), *SIGN_STYLE.get(sign, ()))


def _mode(action: Action) -> Mode:
    if action is Action.CREATE:
        return "create"
    if action is Action.DELETE:
        return "delete"
    return "update"


def resource_block(change: ResourceChange, paint: Paint = _plain, *, with_cost: bool = True) -> list[str]:
    """`# address will be created` / `+ Kind "name" {` / attributes / `}`: one change in Terraform's grammar."""
    lines = [paint(f"  # {change.address} {action_phrase(change)}", "bold")]
    for r in change.reasons:
        lines.append(f"  # (because {r.message})")
    if change.blocked:
        lines.append(paint(f"  # (blocked: {change.blocked}; apply will skip it)", "yellow", "bold"))
    money = change_cost(change) if with_cost else None
    if change.retrain:
        lines.append(paint(f"  # RETRAINS: {money or 'training cost not estimated'}", "red", "bold"))
    elif money:
        lines.append(paint(f"  # cost: {money}", "dim"))
    sign = _sign(change.action)
    lines.append(f"{_paint_sign(sign, paint)} {change.kind} \"{change.name}\" {{")
    body = AttributeDiff(
        unknown=change.after_unknown, forces=change.replace_paths if change.action is Action.REPLACE else (),
        paint=paint,
    ).render(_mode(change.action), change.before, change.after)
    lines.extend(body)
    lines.append("    }")
    return lines


def drift_block(drift: Drift, paint: Paint = _plain) -> list[str]:
    lines = [paint(f"  # {drift.address} {drift_phrase(drift)}", "bold")]
    if drift.message:
        lines.append(f"  # ({drift.message})")
    sign = _DRIFT_SIGN.get(drift.change, "~")
    mode: Mode = "delete" if sign == "-" else "create" if sign == "+" else "update"
    lines.append(f"{_paint_sign(sign, paint)} {drift.kind} \"{drift.name}\" {{")
    before = drift.before if mode != "create" else None
    after = drift.after if mode != "delete" else None
    lines.extend(AttributeDiff(paint=paint).render(mode, before, after))
    lines.append("    }")
    return lines


def legend(plan: Plan, paint: Paint = _plain) -> list[str]:
    seen: dict[str, str] = {}
    for c in shown_changes(plan):
        seen.setdefault(_sign(c.action), LEGEND[c.action])
    order = ["+", "~", "-/+", "-", "<="]
    return [f"{_paint_sign(s, paint)} {seen[s]}" for s in order if s in seen]
