"""The one line that says what was retried during a plan or an apply (the counts come with the engine's result)."""

from __future__ import annotations

from collections.abc import Mapping


def retry_line(counts: Mapping[str, int]) -> str | None:
    """`3 calls were retried: 2 × 429 Too Many Requests, 1 × 409 Conflict`, or None when nothing was."""
    total = sum(counts.values())
    if not total:
        return None
    parts = ", ".join(f"{n} × {reason}" for reason, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return f"{total} call{'s were' if total != 1 else ' was'} retried: {parts}"
