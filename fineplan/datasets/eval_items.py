"""The eval item each test row gives an Evaluation's graders, and the rows that cannot give `item.reference`.

A `chat` row gives `item.messages` (the conversation before its final assistant turn) and `item.reference` (that
turn's text); a `reinforcement` row gives `item.messages` and its other top-level fields, i.e. the row itself.
A chat row whose last message is not an assistant turn with text has no reference: `item.reference` would render
empty for it, so a grader comparing against it scores that row as a failure whatever the model answers.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fineplan.datasets import codes as C
from fineplan.datasets.findings import KEEP
from fineplan.datasets.scan import iter_rows
from fineplan.diagnostics import Diagnostic, Location

EVAL_ROWS = (
    "Every test row must give its eval item the field the grader reads: a chat row gives item.messages and "
    "item.reference (its final assistant turn), a reinforcement row item.messages and its other top-level fields."
)


def _text(content: Any) -> str | None:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [str(p["text"]) for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)]
        return "".join(parts) if parts else None
    return None


def final_assistant_text(row: Any) -> str | None:
    """The text of a chat row's last message when it is an assistant turn with text, else None."""
    messages = row.get("messages") if isinstance(row, dict) else None
    if not isinstance(messages, list) or not messages:
        return None
    last = messages[-1]
    if not isinstance(last, dict) or last.get("role") != "assistant":
        return None
    return _text(last.get("content"))


def eval_item(row: Any, fmt: str) -> Any:
    """The item one test row of format `fmt` gives the graders (rows that are not objects are returned as they
    are: the dataset check reports them)."""
    if fmt != "chat" or not isinstance(row, dict):
        return row
    reference = final_assistant_text(row)
    messages = row.get("messages")
    if reference is None or not isinstance(messages, list):
        return {"messages": messages}
    return {"messages": messages[:-1], "reference": reference}


def item_builder(fmt: str) -> Callable[[Any], Any]:
    return lambda row: eval_item(row, fmt)


def rows_without_reference(
    files: list[Path], dataset: str, readers: list[str], locate: Callable[[Path, int], Location]
) -> list[Diagnostic]:
    """FP467 for the chat rows of `files` without a final assistant turn, when the graders `readers` read
    `{{item.reference}}`; at the first such row, with further rows as occurrences and the total count."""
    found: list[Location] = []
    count = rows = 0
    for file, line_no, row in iter_rows(files):
        rows += 1
        if final_assistant_text(row) is None:
            count += 1
            if len(found) < KEEP:
                found.append(locate(file, line_no))
    if not count:
        return []
    who = ", ".join(repr(r) for r in readers)
    return [
        Diagnostic(
            C.SEVERITY[C.EVAL_NO_REFERENCE],
            C.EVAL_NO_REFERENCE,
            f"{count} of {rows} test row(s) of dataset {dataset!r} have no final assistant turn, but grader(s) "
            f"{who} read {{{{item.reference}}}}",
            "A chat test row's item.reference is the text of its last message, which must be an assistant turn.",
            found[0],
            tuple(found[1:]),
            count,
        )
    ]
