"""The plan as a GitHub pull-request comment: summary and cost up top, warnings as callouts, details folded.

Layout: title, `Plan: …`, cost table, callouts (over budget, retraining, destroys, blocked gates), drift and
per-resource `<details>` (the human rendering's blocks in a `diff` fence), the apply order (when something is
deleted), gates, the kinds' own sections (dataset stats), lint results.
GitHub rejects comments over 65,536 characters, so the output stays under `max_chars` by eliding the middle of
long lists and saying so; the head (summary, cost, warnings) and the tail (lint results) are always kept.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

from fineplan.plan.model import FORMAT_VERSION, Action, Plan, ResourceChange
from fineplan.pricing import format_usd
from fineplan.render import plan_text as words
from fineplan.render.kinds import KIND_VIEWS
from fineplan.resource import Kind

MARKER = "<!-- fineplan-plan -->"  # lets CI find and update its own comment in place
_CALLOUT_ITEMS = 10  # bullet lists in callouts
_TABLE_ROWS = 50  # gates, datasets, diagnostics
_BLOCK_LINES = 150  # lines of one resource's diff
_ICON = {
    Action.CREATE: "🟢",
    Action.UPDATE: "🟡",
    Action.CREATE_THEN_DELETE: "🔴",
    Action.DELETE_THEN_CREATE: "🔴",
    Action.DELETE: "🔴",
    Action.WAIT: "🔵",
    Action.READ: "🔵",
    Action.NOOP: "⚪",
}
_SEVERITY_ICON = {"error": "❌", "warning": "⚠️", "info": "ℹ️"}


def render_markdown(plan: Plan, *, max_chars: int = 65000) -> str:
    head = _head(plan)
    tail = _tail(plan)
    drift = [_drift_details(plan, i) for i in range(len(plan.drift))]
    changes = [_change_details(c) for c in words.shown_changes(plan)]

    room = max_chars - len(head) - len(tail) - 2 * len(_section("x", 0)) - 400  # headings and notes
    drift_part = _fit(drift, min(room // 3, _size(drift)), "drifted resources")
    changes_part = _fit(changes, room - _size(drift_part), "resource changes")
    middle = ""
    if drift:
        middle += _section("Objects changed outside fineplan", len(drift)) + "".join(drift_part)
    if changes:
        middle += _section("Changes", len(changes)) + "".join(changes_part)
    text = head + middle + tail
    if len(text) > max_chars:  # only when the head or tail alone is huge: cut hard, but say so
        note = f"\n\n> [!NOTE]\n> Output cut at {max_chars:,} characters. Run `fineplan show` for the full plan.\n"
        text = text[: max_chars - len(note)] + note
    return text


# ---------------------------------------------------------------------------------------------- head


def _head(plan: Plan) -> str:
    out = [MARKER, f"### fineplan plan · `{plan.project}` → `{plan.target}`", ""]
    if not words.shown_changes(plan) and plan.options.refresh_only and plan.drift:
        n = len(plan.drift)
        out += [
            f"**Refresh only:** {n} change{'s' if n != 1 else ''} made outside fineplan will be recorded in "
            "the state; no remote objects will change.",
            "",
        ]
    elif not words.shown_changes(plan) and not plan.cleanup_due:
        out += ["**No changes.** Your infrastructure matches the configuration.", ""]
    else:
        out += [f"**{words.plan_line(plan)}**" + (f" {words.wait_line(plan)}" if words.wait_line(plan) else ""), ""]
    out += _cost_table(plan)
    out += _callouts(plan)
    return "\n".join(out) + "\n"


def _cost_table(plan: Plan) -> list[str]:
    cost = plan.cost
    if "training_usd" not in cost or not words.shown_changes(plan):
        return []
    hosting = cost.get("hosting", {})
    training = format_usd(cost["training_usd"])
    if cost.get("training_unpriced"):
        training = f"≥ {training} ({cost['training_unpriced']} not priced)"
    rows = [
        "| Cost | This plan | After apply |",
        "|---|---:|---:|",
        f"| Training (one-off) | {training} | |",
        f"| Hosting per hour | {_signed(hosting.get('delta_per_hour', 0.0))} |"
        f" {format_usd(hosting.get('per_hour_after', 0.0))} |",
        f"| Hosting per month | {_signed(hosting.get('delta_per_month', 0.0))} |"
        f" {format_usd(hosting.get('per_month_after', 0.0))} |",
    ]
    untracked = cost.get("untracked")
    if untracked:
        rows.append(f"| Untracked jobs still training | {_md(words.untracked_text(plan).strip())} | |")
    limit, over = words.budget(plan)
    if limit is not None:
        rows.append(f"| Training budget | {format_usd(limit)} | {'**over budget**' if over else 'within budget'} |")
    note = words.price_note(plan).strip()
    return [*rows, "", f"<sub>{note} Per-token inference charges are not included.</sub>" if note else "", ""]


def _signed(value: float) -> str:
    if not value:
        return format_usd(0)
    return ("−" if value < 0 else "+") + format_usd(abs(value))


def _callouts(plan: Plan) -> list[str]:
    out: list[str] = []
    limit, over = words.budget(plan)
    if over:
        the_budget = f"the {format_usd(limit)} budget" if limit is not None else "the budget"
        out += _callout(
            "CAUTION",
            f"**Over budget:** training {format_usd(plan.cost.get('training_usd', 0.0))} exceeds {the_budget}. "
            "`fineplan apply` will refuse this plan before spending anything.",
            [],
        )
    jobs = words.retrains(plan)
    if jobs:
        n = len(jobs)
        out += _callout(
            "WARNING",
            f"**{n} job{'s' if n != 1 else ''} will retrain**, costing {words.retrain_total(jobs)}",
            [
                f"`{c.address}`: {_md(words.reason_text(c))} — {_md(words.change_cost(c) or 'cost not estimated')}"
                for c in jobs
            ],
        )
    gone = words.destroys(plan)
    if gone:
        n = len(gone)
        out += _callout(
            "WARNING",
            f"**{n} resource{'s' if n != 1 else ''} will be destroyed"
            + (" or replaced**" if any(c.action.is_replace for c in gone) else "**"),
            [f"`{c.address}` ({_gone(c)})" for c in gone],
        )
    held = words.blocked(plan)
    if held:
        n = len(held)
        out += _callout(
            "IMPORTANT",
            f"**{n} change{'s are' if n != 1 else ' is'} blocked** and will be skipped by apply",
            [f"`{c.address}`: {_md(c.blocked or '')}" for c in held],
        )
    # FP501 (over budget) has its own callout above.
    errors = [d for d in plan.errors if d.code != "FP501"]
    if errors:
        out += _callout(
            "CAUTION",
            f"**{len(errors)} error{'s' if len(errors) != 1 else ''}**",
            [f"**{d.code}** {_md(d.summary)}" for d in errors],
        )
    return out


def _gone(change: ResourceChange) -> str:
    if change.action is Action.DELETE:
        return "destroyed"
    outage = words.delete_first_note(change)
    return f"replaced: {_md(outage)}" if outage else "replaced: the new one first, the old one deleted at cleanup"


def _callout(kind: str, title: str, items: Sequence[str]) -> list[str]:
    lines = [f"> [!{kind}]", f"> {title}"]
    lines += [f"> - {item}" for item in items[:_CALLOUT_ITEMS]]
    if len(items) > _CALLOUT_ITEMS:
        lines.append(f"> - … and {len(items) - _CALLOUT_ITEMS:,} more")
    return [*lines, ""]


# ---------------------------------------------------------------------------------------------- middle


def _section(title: str, count: int) -> str:
    return f"#### {title} ({count:,})\n\n"


def _change_details(change: ResourceChange) -> str:
    money = words.change_cost(change)
    summary = (
        f"{_ICON[change.action]} <code>{change.action.symbol.strip()}</code> <b>{html.escape(change.address)}</b> "
        f"{html.escape(words.action_phrase(change))}"
    )
    if change.retrain and change.action is not Action.CREATE:
        summary += " — <b>retrains</b>"
    if change.blocked:
        summary += " — <b>blocked</b>"
    if money:
        summary += f" · {html.escape(money)}"
    body = _diff_fence(words.resource_block(change))
    basis = change.cost.get("basis") if money and change.cost and change.cost.get("usd") is not None else None
    extra = f"\nCost: {_md(basis)}\n" if basis else ""
    return f"<details><summary>{summary}</summary>\n\n{body}{extra}\n</details>\n\n"


def _drift_details(plan: Plan, index: int) -> str:
    drift = plan.drift[index]
    summary = f"<b>{html.escape(drift.address)}</b> {html.escape(words.drift_phrase(drift))}"
    if drift.message:
        summary += f": {html.escape(drift.message)}"
    return f"<details><summary>{summary}</summary>\n\n{_diff_fence(words.drift_block(drift))}\n</details>\n\n"


def _diff_fence(lines: list[str]) -> str:
    """Terraform lines in a `diff` fence, signs moved to column 0 so GitHub colours them (as tfcmt does)."""
    shown = lines[:_BLOCK_LINES]
    moved = [re.sub(r"^(\s*)(-/\+|[-+~]|<=)(\s)", r"\2\1\3", ln) for ln in shown]
    if len(lines) > _BLOCK_LINES:
        moved.append(f"  # … {len(lines) - _BLOCK_LINES:,} more lines; run `fineplan show` for all")
    body = "\n".join(moved)
    fence = "`" * max(3, _longest_backtick_run(body) + 1)
    return f"{fence}diff\n{body}\n{fence}\n"


def _longest_backtick_run(text: str) -> int:
    return max((len(m) for m in re.findall(r"`+", text)), default=0)


def _size(items: Sequence[str]) -> int:
    return sum(len(i) for i in items)


def _fit(items: list[str], budget: int, noun: str) -> list[str]:
    """All items if they fit in `budget` characters; else the first and last ones that do, with a note between."""
    if _size(items) <= budget:
        return items
    note_room = 200
    head: list[str] = []
    tail: list[str] = []
    used = note_room
    lo, hi = 0, len(items) - 1
    take_head = True
    while lo <= hi:
        item = items[lo] if take_head else items[hi]
        if used + len(item) > budget:
            break
        used += len(item)
        if take_head:
            head.append(item)
            lo += 1
        else:
            tail.append(item)
            hi -= 1
        take_head = not take_head
    elided = len(items) - len(head) - len(tail)
    note = (
        f"\n> [!NOTE]\n> {elided:,} of {len(items):,} {noun} elided here to stay under GitHub's comment size limit. "
        "Run `fineplan show` on the saved plan for all of them.\n\n"
    )
    return [*head, note, *reversed(tail)]


# ---------------------------------------------------------------------------------------------- tail


def _tail(plan: Plan) -> str:
    out: list[str] = []
    out += _stages(plan)
    if plan.superseded:
        out += ["#### Old objects left by earlier replacements", ""]
        out += [f"- {_md(line)}" for line in words.superseded_lines(plan)] + [""]
    out += _gates(plan)
    for view in KIND_VIEWS.values():
        if view.markdown_section is not None:
            out += view.markdown_section(plan)
    out += _lint(plan)
    out += [
        "",
        f"<sub>fineplan {html.escape(plan.fineplan_version or '')} · plan format {FORMAT_VERSION} · "
        f"state serial {plan.state_serial if plan.state_serial is not None else '–'}</sub>",
        "",
    ]
    return "\n" + "\n".join(out)


def _capped(rows: list[str], noun: str) -> list[str]:
    if len(rows) <= _TABLE_ROWS:
        return rows
    return [*rows[:_TABLE_ROWS], "", f"_… and {len(rows) - _TABLE_ROWS:,} more {noun}._"]


def _gates(plan: Plan) -> list[str]:
    if not plan.gates:
        return []
    rows = [
        f"| `{g.address}` | `{g.job}` | {_gate_status(g.status)} | "
        + "<br>".join(_md(words.gate_check_text(c)) for c in g.checks)
        + " |"
        for g in plan.gates
    ]
    head = ["#### Gates", "", "| Deployment | Job | Status | Checks |", "|---|---|---|---|"]
    return [*head, *_capped(rows, "gates"), ""]


def _gate_status(status: str) -> str:
    return {"passed": "✅ passed", "failed": "❌ **failed**"}.get(status, "⏳ pending")


def _stages(plan: Plan) -> list[str]:
    if not words.order_matters(plan):
        return []
    out = ["#### Apply order", ""]
    for heading, items in words.stage_lines(plan):
        out.append(_md(heading))
        out += [f"   - {_md(item)}" for item in items]
    return [*out, ""]


def dataset_section(plan: Plan) -> list[str]:
    """The Datasets table: stats of the datasets the plan touches (Dataset's renderer entry)."""
    rows = []
    for c in plan.resource_changes:
        attrs = c.after or c.before or {}
        stats, per_part, files = attrs.get("stats"), attrs.get("rows"), attrs.get("files")
        if c.kind is not Kind.DATASET or not (isinstance(stats, dict) or isinstance(per_part, dict)):
            continue
        shown = []
        if isinstance(per_part, dict):  # rows of each part (train, validation), next to its digest
            shown.append(" · ".join(f"{part} {_number(n)} rows" for part, n in per_part.items()))
        if isinstance(stats, dict):
            shown.append(" · ".join(f"{k} {_number(v)}" for k, v in stats.items() if isinstance(v, int | float | str)))
        digest = attrs.get("digest")
        digests = f"`{digest}`" if digest else ""
        if not digest and isinstance(files, dict):
            digests = " · ".join(f"{part} `{str(d)[:19]}`" for part, d in files.items())
        rows.append(f"| `{c.address}` | {c.action.value} | {_md(' · '.join(shown))} | {digests} |")
    if not rows:
        return []
    head = ["#### Datasets", "", "| Dataset | Action | Stats | Digest |", "|---|---|---|---|"]
    return [*head, *_capped(rows, "datasets"), ""]


def evaluation_section(plan: Plan) -> list[str]:
    """The Evaluations section: what re-runs and why, and each evaluation's recorded scores per grader, subject
    against subject with the delta (Evaluation's renderer entry)."""
    tables = words.score_tables(plan)
    if not tables:
        return []
    out = ["#### Evaluations", ""]
    for t in tables:
        out += [f"`{t.address}`: {_md(t.status)}", ""]
        if not t.rows:
            out += ["_No results recorded yet._", ""]
            continue
        delta = len(t.subjects) >= 2
        head = ["Grader", *t.subjects, *([f"Δ {t.subjects[0]} − {t.subjects[1]}"] if delta else [])]
        out += ["| " + " | ".join(_md(h) for h in head) + " |", "|" + "---|" * len(head)]
        for grader, cells, d in t.rows:
            out.append("| " + " | ".join([f"`{grader}`", *(_md(c) for c in cells), *([d] if delta else [])]) + " |")
        out.append("")
    return out


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:,}" if isinstance(value, int) else f"{value:,.3g}"


def _lint(plan: Plan) -> list[str]:
    out = ["#### Lint", ""]
    if not plan.diagnostics:
        return [*out, "No lint findings.", ""]
    rows = []
    for d in plan.diagnostics:
        at = f" (`{d.location.file}:{d.location.line}`)" if d.location else ""
        detail = f"<br><sub>{_md(d.detail)}</sub>" if d.detail else ""
        rows.append(f"- {_SEVERITY_ICON.get(d.severity.value, '')} **{d.code}** {_md(d.summary)}{at}{detail}")
    return [*out, *_capped(rows, "findings"), ""]


def _md(text: str) -> str:
    """Plain text that stays plain in Markdown and HTML (no stray tags, tables or emphasis)."""
    escaped = html.escape(text, quote=False).replace("|", "\\|").replace("\n", " ")
    return re.sub(r"([*_`\[\]])", r"\\\1", escaped)
