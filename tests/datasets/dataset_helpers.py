"""Helpers for the dataset tests: write JSONL files, make valid filler examples."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def write_jsonl(path: Path, rows: Iterable[Any]) -> Path:
    """Rows that are str/bytes are written as is; anything else as JSON."""
    with path.open("wb") as fh:
        for row in rows:
            if isinstance(row, bytes):
                fh.write(row + b"\n")
            elif isinstance(row, str):
                fh.write(row.encode("utf-8") + b"\n")
            else:
                fh.write(json.dumps(row).encode("utf-8") + b"\n")
    return path


def chat(i: int, **extra: Any) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": f"What is {i} plus {i}?"},
            {"role": "assistant", "content": f"{2 * i}."},
        ],
        **extra,
    }


def preference(i: int) -> dict[str, Any]:
    return {
        "input": {"messages": [{"role": "user", "content": f"Name the number after {i}."}]},
        "preferred_output": [{"role": "assistant", "content": f"{i + 1}."}],
        "non_preferred_output": [{"role": "assistant", "content": f"Maybe {i - 1}?"}],
    }


def reinforcement(i: int) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": f"Double {i}."}], "answer": str(2 * i)}


FILLERS = {"chat": chat, "preference": preference, "reinforcement": reinforcement}


def fillers(fmt: str, n: int = 10, start: int = 1000) -> list[dict[str, Any]]:
    """n distinct valid examples of a format (used to reach the 10-example minimum)."""
    return [FILLERS[fmt](start + i) for i in range(n)]
