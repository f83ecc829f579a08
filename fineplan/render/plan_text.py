"""Words and blocks shared by the human and Markdown plan views, so both say the same thing the same way.

Everything here reads the Plan model (and the cost block shaped by `fineplan.plan.costing.cost_document`);
nothing prints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fineplan.diagnostics import Diagnostic
from fineplan.graph.dag import DAG
from fineplan.plan.model import Action, GateResult, GateStatus, Plan, ResourceChange, StageName
from fineplan.pricing import format_usd
from fineplan.render.attribute_diff import AttributeDiff, Mode
from fineplan.render.kinds import view_of
from fineplan.resource import Kind
from fineplan.state.drift import Drift, DriftChange

Paint = Callable[..., str]


def _plain(text: str, *_styles: str) -> str:
    return text


_PHRASE = {
    Action.CREATE: "will be created",
    Action.UPDATE: "will be updated in-place",
    Action.CREATE_THEN_DELETE: "must be replaced",
    Action.DELETE_THEN_CREATE: "must be replaced",
    Action.DELETE: "will be destroyed",
    Action.WAIT: "is still running; apply will wait for it",
    Action.READ: "will be read into state",
    Action.NOOP: "is unchanged",
}
_DRIFT_PHRASE = {
    DriftChange.DELETED: "has been deleted",
    DriftChange.CHANGED: "has been changed",
    DriftChange.EXPIRED: "has expired",
    DriftChange.FAILED: "has failed",
    DriftChange.CANCELLED: "has been cancelled",
    DriftChange.MODEL_GONE: "has lost its model",
    DriftChange.ADOPTED: "has been adopted",
    DriftChange.UNTRACKED: "has a job state does not track, still training",
}
_DRIFT_SIGN = {
    DriftChange.DELETED: "-",
    DriftChange.EXPIRED: "-",
    DriftChange.ADOPTED: "+",
    DriftChange.UNTRACKED: "+",
}
SIGN_STYLE = {"+": ("green",), "-": ("red",), "~": ("yellow",), "<=": ("cyan",)}
LEGEND = {
    Action.CREATE: "create",
    Action.UPDATE: "update in-place",
    Action.CREATE_THEN_DELETE: "create replacement and then destroy",
    Action.DELETE_THEN_CREATE: "destroy and then create replacement",
    Action.DELETE: "destroy",
    Action.WAIT: "wait for a running job / read",
    Action.READ: "wait for a running job / read",
}


# ---------------------------------------------------------------------------------------------- selections


def shown_changes(plan: Plan) -> list[ResourceChange]:
    """The changes a reader needs to see: everything but no-ops."""
    return [c for c in plan.resource_changes if c.action is not Action.NOOP]


def retrains(plan: Plan) -> list[ResourceChange]:
    """Jobs that trained before and will train again (a first create trains too, but is no surprise)."""
    return [c for c in plan.resource_changes if c.retrain and c.action is not Action.CREATE]


def retrain_total(jobs: list[ResourceChange]) -> str:
    """What retraining these jobs costs, `or more` when some could not be priced."""
    known = [c.cost["usd"] for c in jobs if c.cost and c.cost.get("usd") is not None]
    return format_usd(sum(known)) + (" or more" if len(known) < len(jobs) else "")


def destroys(plan: Plan) -> list[ResourceChange]:
    return [c for c in plan.resource_changes if c.action.destroys]


def blocked(plan: Plan) -> list[ResourceChange]:
    return [c for c in plan.resource_changes if c.blocked and c.action is not Action.NOOP]


def failed_gates(plan: Plan) -> list[GateResult]:
    return [g for g in plan.gates if g.status is GateStatus.FAILED]


def budget(plan: Plan) -> tuple[float | None, bool]:
    """(max_training_cost_usd or None, whether the plan is over it). Without a budget block in the cost, an
    FP501 diagnostic still says the plan is over budget."""
    block = plan.cost.get("budget") or {}
    over = bool(block.get("over")) or any(d.code == "FP501" for d in plan.diagnostics)
    return block.get("max_training_cost_usd"), over


# ---------------------------------------------------------------------------------------------- phrases


def action_phrase(change: ResourceChange) -> str:
    return _PHRASE[change.action]


def drift_phrase(drift: Drift) -> str:
    return _DRIFT_PHRASE.get(drift.change, f"has changed ({drift.change})")


def plan_line(plan: Plan) -> str:
    n = plan.counts()
    line = f"Plan: {n['add']} to add, {n['change']} to change, {n['destroy']} to destroy"
    old = len(plan.cleanup_due)
    if old:
        line += f", {old} old object{'s' if old != 1 else ''} of earlier replacements to delete"
    return line + "."


def superseded_lines(plan: Plan) -> list[str]:
    """One line per old object an earlier replacement left behind: deleted now, or kept and why."""
    return [
        f"{s.address}: the old {s.what} "
        + ("is deleted in the cleanup stage" if s.goes else f"is kept: {s.kept_for} still uses it")
        for s in plan.superseded
    ]


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
    if cost.get("delta"):  # an in-place update: what it adds to or saves on the bill
        if not per_hour:
            return "hosting unchanged"
        return f"{_signed(per_hour)}/h hosting ({_signed(per_month)}/month){approx}"
    if not per_hour:
        if change.action is Action.DELETE:
            return None
        why = next((n for n in cost.get("notes", ()) if "no hosting fee" in n), "no hosting fee")
        return f"hosting: {why}"
    sign = "-" if change.action is Action.DELETE else "+"
    return f"{sign}{format_usd(per_hour)}/h hosting ({sign}{format_usd(per_month)}/month){approx}"


def _signed(value: float) -> str:
    return ("-" if value < 0 else "+") + format_usd(abs(value))


def training_text(plan: Plan) -> str:
    """`$12.00 one-off training`, `at least $12.00 …`, or `no training`."""
    cost = plan.cost
    unpriced = cost.get("training_unpriced") or 0
    if not cost.get("training_usd") and not unpriced:
        return "no training"
    text = format_usd(cost["training_usd"])
    if unpriced:
        text = f"at least {text} ({unpriced} job{'s' if unpriced != 1 else ''} not priced)"
    return f"{text} one-off training"


def hosting_text(plan: Plan) -> str:
    """How the plan moves the recurring hosting bill."""
    hosting = plan.cost.get("hosting", {})
    delta_h, delta_m = hosting.get("delta_per_hour", 0.0), hosting.get("delta_per_month", 0.0)
    after_h, after_m = hosting.get("per_hour_after", 0.0), hosting.get("per_month_after", 0.0)
    after = f"{format_usd(after_h)}/h ({format_usd(after_m)}/month)"
    if not delta_h:
        return "no hosting fees" if not after_h else f"hosting unchanged at {after}"
    return f"hosting {_signed(delta_h)}/h ({_signed(delta_m)}/month), {after} after apply"


def cost_line(plan: Plan) -> str | None:
    """One sentence with the plan's training spend and how it moves the hosting bill."""
    if "training_usd" not in plan.cost:
        return None
    return f"Cost: {training_text(plan)}; {hosting_text(plan)}." + untracked_text(plan) + price_note(plan)


def untracked_text(plan: Plan) -> str:
    """What jobs that state does not track are spending while they train (not part of this plan's total)."""
    untracked = plan.cost.get("untracked")
    if not untracked:
        return ""
    n, unpriced = untracked["jobs"], untracked.get("unpriced", 0)
    money = format_usd(untracked.get("training_usd", 0.0))
    if unpriced:
        money = f"at least {money} ({unpriced} not priced)" if unpriced < n else "an unknown amount"
    jobs = f"{n} untracked job{'s' if n != 1 else ''}"
    return f" {jobs} still training spend{'s' if n == 1 else ''} {money} more (not in this plan)."


def price_note(plan: Plan) -> str:
    cost = plan.cost
    if not cost.get("approximate"):
        return ""
    return f" Approximate: prices as of {cost['as_of']}." if cost.get("as_of") else " Approximate."


def budget_line(plan: Plan) -> str | None:
    limit, over = budget(plan)
    spent = format_usd(plan.cost.get("training_usd", 0.0))
    the_budget = f"the {format_usd(limit)} budget" if limit is not None else "the budget"
    if over:
        return (
            f"Over budget: {spent} of training exceeds {the_budget} "
            "(policy.max_training_cost_usd / --max-cost); apply will refuse this plan before spending anything."
        )
    if limit is None:
        return None
    return f"Budget: {spent} of training within {the_budget}."


def shown_reasons(change: ResourceChange) -> list[str]:
    """Reasons worth a reader's time: "new" on a create only repeats `will be created`."""
    return [r.message for r in change.reasons if not (r.code == "new" and change.action is Action.CREATE)]


def delete_first_note(change: ResourceChange) -> str | None:
    """The outage of a delete-then-create replacement, said where the reader looks at the change."""
    if change.action is not Action.DELETE_THEN_CREATE:
        return None
    return view_of(change.kind).delete_first or "the old one is deleted first, so it is unavailable until replaced"


def reason_text(change: ResourceChange) -> str:
    return "; ".join(shown_reasons(change)) or action_phrase(change)


def _num(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def gate_check_text(check: dict[str, Any]) -> str:
    """`valid_loss 0.91, must be <= 0.5: failed` from a gate check {bound, metric, limit, value, passed}; an
    evaluation gate's checks name the grader and subject (`beats` also the other subject and the delta)."""
    bound = str(check.get("bound", ""))
    if bound == "evaluation":
        return f"evaluation pending: {check.get('pending')}"
    if bound == "subject":
        return f"{check.get('why')}: failed"
    if bound in ("min_score", "min_pass_rate", "beats"):
        from fineplan.kinds.evaluation_data import describe_check

        return f"{describe_check(check)}: {'passed' if check.get('passed') else 'failed'}"
    metric = check.get("metric") or bound.removeprefix("max_").removeprefix("min_") or "metric"
    op = check.get("op") or ("<=" if bound.startswith("max_") else ">=" if bound.startswith("min_") else None)
    limit = check.get("limit", check.get("threshold"))
    value = check.get("value")
    shown = "not known yet" if value is None else _num(value)
    rule = f", must be {op} {_num(limit)}" if op and limit is not None else ""
    passed = check.get("passed")
    verdict = "pending" if passed is None or (value is None and not passed) else "passed" if passed else "failed"
    return f"{metric} {shown}{rule}: {verdict}"


def gate_title(gate: GateResult) -> str:
    if gate.evaluation is None or gate.job in ("", gate.evaluation):
        on = gate.evaluation or gate.job
    else:
        on = f"{gate.job}, {gate.evaluation}"
    return f"{gate.address} (gate on {on}): {gate.status}"


@dataclass(frozen=True)
class ScoreTable:
    """An evaluation's recorded scores: one row per grader, one column per subject (spec order), and the delta of
    the first subject over the second (e.g. tuned − base)."""

    address: str
    status: str  # "re-runs: <why>" or "current"
    subjects: tuple[str, ...]
    rows: tuple[tuple[str, tuple[str, ...], str], ...]  # (grader, cell per subject, delta)


def score_tables(plan: Plan) -> list[ScoreTable]:
    out: list[ScoreTable] = []
    for c in plan.resource_changes:
        if c.kind is not Kind.EVALUATION:
            continue
        results = (c.before or {}).get("results")
        status = f"re-runs: {reason_text(c)}" if c.action.creates else "waits" if c.action is Action.WAIT else "current"
        if not isinstance(results, dict) or not results:
            out.append(ScoreTable(c.address, status, (), ()))
            continue
        if c.action.creates:
            status += " (the scores below are the last recorded)"
        order = (c.before or {}).get("subject_order") or []
        subjects = tuple([x for x in order if x in results] + [x for x in results if x not in order])
        graders: list[str] = []
        for r in results.values():
            graders += [g for g in (r.get("graders") or {}) if g not in graders]
        rows = []
        for g in graders:
            scores = [((results[s].get("graders") or {}).get(g) or {}) for s in subjects]
            cells = tuple(_score_cell(sc) for sc in scores)
            values = [sc.get("score") for sc in scores]
            delta = (
                f"{values[0] - values[1]:+.3f}"
                if len(values) >= 2 and values[0] is not None and values[1] is not None
                else ""
            )
            rows.append((g, cells, delta))
        out.append(ScoreTable(c.address, status, subjects, tuple(rows)))
    return out


def _score_cell(score: dict[str, Any]) -> str:
    value, rate = score.get("score"), score.get("pass_rate")
    if value is None:
        return "n/a"
    shown = f"{value:.3f}"
    if rate is not None:
        shown += f" ({rate:.0%} pass, {score.get('passed', 0)}/{score.get('total', 0)})"
    return shown


def diagnostic_lines(d: Diagnostic) -> list[str]:
    """A plan diagnostic as Terraform-like lines."""
    lines = [f"{d.severity.value.capitalize()}: {d.code} {d.summary}"]
    where = d.location
    if where:
        lines.append(f"  on {where.file} line {where.line}, column {where.column}")
    lines.extend("  " + ln for ln in (d.detail or "").splitlines())
    return lines


# ---------------------------------------------------------------------------------------------- stages

_STAGE_LIST = 10  # addresses listed per stage line before "… and N more"


def order_matters(plan: Plan) -> bool:
    """Apply order is worth a section when something is deleted: a removal, a cleanup or an outage."""
    return any(s.name is not StageName.WALK for s in plan.stages) or any(
        c.action is Action.DELETE_THEN_CREATE for c in plan.resource_changes if not c.blocked
    )


def stage_lines(plan: Plan) -> list[tuple[str, list[str]]]:
    """(heading, item lines) per stage, in the order apply runs them: what is done when, and when each old
    object goes away."""
    changes = {c.address: c for c in plan.resource_changes}
    dag = DAG.of({c.address: c.depends_on for c in plan.resource_changes})
    out: list[tuple[str, list[str]]] = []
    for n, stage in enumerate(plan.stages, 1):
        heading = f"{n}. {stage.name.value}: {stage.name.summary} ({len(stage.addresses)})"
        items: list[str] = []
        if stage.name is StageName.WALK:
            for a in stage.addresses:
                note = delete_first_note(changes[a]) if a in changes else None
                if note:
                    items.append(f"{a}: {note}")
        elif stage.name is StageName.DELETE:
            items = list(stage.addresses)
        else:
            for a in stage.addresses:
                c = changes.get(a)
                items += [
                    f"{a}: the old {old.what} an earlier replacement left behind"
                    for old in plan.cleanup_due
                    if old.address == a
                ]
                if c is None or c.action is not Action.CREATE_THEN_DELETE:
                    continue
                view = view_of(c.kind)
                after = sorted(dag.downstream(a) & set(changes) - {a})
                built = f" and {', '.join(_capped(after))} {'is' if len(after) == 1 else 'are'} done" if after else ""
                old = f" {c.remote_id}" if c.remote_id else ""
                items.append(f"{a}: the old {view.noun}{old} is deleted once the new one {view.ready}{built}")
        out.append((heading, _capped(items)))  # the Markdown view keeps this section whole: keep it short
    return out


def _capped(addresses: list[str]) -> list[str]:
    if len(addresses) <= _STAGE_LIST:
        return addresses
    return [*addresses[:_STAGE_LIST], f"… and {len(addresses) - _STAGE_LIST:,} more"]


# ---------------------------------------------------------------------------------------------- blocks


def _sign(action: Action) -> str:
    return action.symbol


def _paint_sign(sign: str, paint: Paint) -> str:
    if sign == "-/+":
        return paint("-", "red") + "/" + paint("+", "green")
    if sign == "+/-":
        return paint("+", "green") + "/" + paint("-", "red")
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
    lines += [f"  # (because {message})" for message in shown_reasons(change)]
    outage = delete_first_note(change)
    if outage:
        lines.append(paint(f"  # ({outage})", "yellow", "bold"))
    if change.blocked:
        lines.append(paint(f"  # (blocked: {change.blocked}; apply will skip it)", "yellow", "bold"))
    money = change_cost(change) if with_cost else None
    if change.retrain and change.action is not Action.CREATE:
        lines.append(paint(f"  # RETRAINS: {money or 'training cost not estimated'}", "red", "bold"))
    elif money:
        lines.append(paint(f"  # cost: {money}", "dim"))
    elif change.retrain:
        lines.append(paint("  # cost: training cost not estimated", "dim"))
    sign = _sign(change.action)
    lines.append(f'{_paint_sign(sign, paint)} {change.kind} "{change.name}" {{')
    hidden = view_of(change.kind).hidden  # shown in a section of their own (an evaluation's scores)
    before = {k: v for k, v in change.before.items() if k not in hidden} if change.before is not None else None
    body = AttributeDiff(
        unknown=change.after_unknown,
        forces=change.replace_paths if change.action.is_replace else (),
        paint=paint,
    ).render(_mode(change.action), before, change.after)
    lines.extend(body)
    lines.append("    }")
    return lines


def drift_block(drift: Drift, paint: Paint = _plain) -> list[str]:
    lines = [paint(f"  # {drift.address} {drift_phrase(drift)}", "bold")]
    if drift.message:
        lines.append(f"  # ({drift.message})")
    sign = _DRIFT_SIGN.get(drift.change, "~")
    mode: Mode = "delete" if sign == "-" else "create" if sign == "+" else "update"
    lines.append(f'{_paint_sign(sign, paint)} {drift.kind} "{drift.name}" {{')
    before = drift.before if mode != "create" else None
    after = drift.after if mode != "delete" else None
    lines.extend(AttributeDiff(paint=paint).render(mode, before, after))
    lines.append("    }")
    return lines


def legend(plan: Plan, paint: Paint = _plain) -> list[str]:
    seen: dict[str, str] = {}
    for c in shown_changes(plan):
        seen.setdefault(_sign(c.action), LEGEND[c.action])
    order = ["+", "~", "+/-", "-/+", "-", "<="]
    return [f"{_paint_sign(s, paint)} {seen[s]}" for s in order if s in seen]
