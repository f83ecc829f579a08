"""An Evaluation's pure parts: test rows → eval items, graders → testing criteria, output items → scores, and the
bounds of an evaluation gate. No I/O beyond reading the test file.

Azure's Evals API refuses `multi` graders, so a multi grader's sub-graders are sent as criteria named
`<multi>.<key>` and combined per item with its `calculate_output` (`fineplan.graders.formula.evaluate`).
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from fineplan.datasets.eval_items import eval_item
from fineplan.graders.formula import FormulaError, evaluate
from fineplan.providers.base import EvalOutputItem


def to_item(row: Mapping[str, Any], fmt: str) -> dict[str, Any]:
    """One test row as an eval item, by the rule lint checks graders against (`fineplan.datasets.eval_items`),
    with each message cut to the role and content the completions data source sends."""
    item = dict(eval_item(row, fmt))
    item["messages"] = [_message(m) for m in item.get("messages") or [] if isinstance(m, Mapping)]
    if fmt == "chat":
        item.setdefault("reference", "")  # a row without a final assistant turn (FP467) scores as a failure
    return item


def read_items(path: Path, fmt: str) -> list[dict[str, Any]]:
    out = []
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        if line.strip():
            out.append(to_item(json.loads(line), fmt))
    return out


def items_jsonl(items: Sequence[Mapping[str, Any]]) -> bytes:
    return "".join(json.dumps({"item": item}, sort_keys=True) + "\n" for item in items).encode()


def item_schema(items: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Every field any item has (graders may read `{{item.<field>}}`); `messages` is required."""
    fields = sorted({k for item in items for k in item})
    props: dict[str, Any] = {k: {} for k in fields}
    props["messages"] = {"type": "array"}
    return {"type": "object", "properties": props, "required": ["messages"]}


def criteria(graders: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The testing criteria the Evals API takes for these graders (multi graders split into their sub-graders)."""
    out: list[dict[str, Any]] = []
    for g in graders:
        if g.get("type") == "multi":
            for key, sub in (g.get("graders") or {}).items():
                out.append({**dict(sub), "name": f"{g['name']}.{key}"})
        else:
            out.append(dict(g))
    return out


def score_run(
    graders: Sequence[Mapping[str, Any]], criterion_ids: Mapping[str, str], items: Sequence[EvalOutputItem]
) -> dict[str, dict[str, Any]]:
    """Per grader: mean score (over items it scored), pass rate (passed / items), and the counts."""
    out: dict[str, dict[str, Any]] = {}
    for g in graders:
        name = str(g["name"])
        per_item = [_grade(g, criterion_ids, item) for item in items]
        scores = [s for s, _ in per_item if s is not None]
        passed = sum(1 for s, ok in per_item if s is not None and ok)
        errored = sum(1 for s, _ in per_item if s is None)
        total = len(items)
        out[name] = {
            "score": round(statistics.fmean(scores), 6) if scores else None,
            "pass_rate": round(passed / total, 6) if total else None,
            "passed": passed,
            "failed": total - passed - errored,
            "errored": errored,
            "total": total,
        }
    return out


def _grade(g: Mapping[str, Any], ids: Mapping[str, str], item: EvalOutputItem) -> tuple[float | None, bool]:
    if g.get("type") != "multi":
        score, ok = item.results.get(ids.get(str(g["name"]), str(g["name"])), (None, False))
        return score, ok
    values: dict[str, float] = {}
    for key in g.get("graders") or {}:
        score, _ = item.results.get(ids.get(f"{g['name']}.{key}", ""), (None, False))
        if score is None:
            return None, False
        values[str(key)] = score
    try:
        combined = evaluate(str(g.get("calculate_output") or ""), values)
    except FormulaError:
        return None, False
    threshold = g.get("pass_threshold")
    return combined, combined >= (float(threshold) if isinstance(threshold, int | float) else 0.5)


# ---------------------------------------------------------------- gate bounds


def gate_checks(
    gate: Mapping[str, Any], subject: str, results: Mapping[str, Mapping[str, Any]]
) -> Iterator[dict[str, Any]]:
    """Each bound of an evaluation gate against the recorded results (subject → grader → scores)."""
    mine = (results.get(subject) or {}).get("graders") or {}
    for grader, limit in (gate.get("min_score") or {}).items():
        value = (mine.get(grader) or {}).get("score")
        passed = value is not None and value >= limit
        yield {
            "bound": "min_score",
            "grader": grader,
            "subject": subject,
            "value": value,
            "limit": limit,
            "passed": passed,
        }
    for grader, limit in (gate.get("min_pass_rate") or {}).items():
        value = (mine.get(grader) or {}).get("pass_rate")
        passed = value is not None and value >= limit
        yield {
            "bound": "min_pass_rate",
            "grader": grader,
            "subject": subject,
            "value": value,
            "limit": limit,
            "passed": passed,
        }
    other = gate.get("beats")
    if other:
        theirs = (results.get(other) or {}).get("graders") or {}
        by = float(gate.get("by") or 0.0)
        for grader in gate.get("graders") or sorted(mine):
            value = (mine.get(grader) or {}).get("score")
            against = (theirs.get(grader) or {}).get("score")
            delta = round(value - against, 6) if value is not None and against is not None else None
            yield {
                "bound": "beats",
                "grader": grader,
                "subject": subject,
                "value": value,
                "other": other,
                "other_value": against,
                "delta": delta,
                "limit": by,
                "passed": delta is not None and delta >= by,
            }


def describe_check(c: Mapping[str, Any]) -> str:
    """One failing (or passing) check in words, with the numbers."""
    if c.get("bound") == "beats":
        return (
            f"{c['grader']}: {c['subject']} {_num(c.get('value'))} vs {c['other']} {_num(c.get('other_value'))} "
            f"(delta {_num(c.get('delta'))}, needs ≥ {_num(c.get('limit'))})"
        )
    if c.get("bound") in ("min_score", "min_pass_rate"):
        what = "score" if c["bound"] == "min_score" else "pass rate"
        return f"{c['grader']} {what} of {c['subject']} = {_num(c.get('value'))} (min {_num(c.get('limit'))})"
    return f"{c.get('metric')} = {c.get('value')} (limit {c.get('limit')})"


def _num(value: Any) -> str:
    return "n/a" if value is None else f"{float(value):.3f}"


def _message(m: Mapping[str, Any]) -> dict[str, Any]:
    return {"role": str(m.get("role") or "user"), "content": m.get("content") if m.get("content") is not None else ""}
