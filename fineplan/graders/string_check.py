"""`string_check`: 1.0 or 0.0 from comparing the rendered input with the rendered reference.

OpenAI's grader guide defines the operations: `eq` identical, `ne` not identical, `like` the input contains the
reference (case-sensitive), `ilike` contains it ignoring case. They are substring tests, not SQL patterns: `%` and
`_` are ordinary characters. Case folding for `ilike` is Unicode `casefold()`.
"""

from __future__ import annotations

OPERATIONS = ("eq", "ne", "like", "ilike")


def string_check(text: str, reference: str, operation: str) -> float:
    if operation == "eq":
        hit = text == reference
    elif operation == "ne":
        hit = text != reference
    elif operation == "like":
        hit = reference in text
    elif operation == "ilike":
        hit = reference.casefold() in text.casefold()
    else:
        raise ValueError(f"unknown string_check operation {operation!r} (one of {', '.join(OPERATIONS)})")
    return 1.0 if hit else 0.0
