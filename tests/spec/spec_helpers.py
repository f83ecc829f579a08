"""Helpers shared by the spec tests: write small projects, find diagnostics in `--format json` output."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any


def write_project(root: Path, files: Mapping[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def find(doc: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [d for d in doc["diagnostics"] if d["code"] == code]


def located(doc: dict[str, Any], code: str, file: str, line: int, column: int | None = None) -> bool:
    for d in find(doc, code):
        start = d["range"]["start"]
        if d["range"]["filename"] == file and start["line"] == line and column in (None, start["column"]):
            return True
    return False


def describe(doc: dict[str, Any]) -> str:
    """What was found, for assertion messages."""
    return "\n".join(
        f"  {d['severity']} {d['code']} {d['range']['filename']}:{d['range']['start']['line']}:"
        f"{d['range']['start']['column']} {d['summary']}"
        for d in doc["diagnostics"]
    )
