"""Diagnostics are values: collected during load, graph, lint and dataset checks; raised only to stop.

Every diagnostic has a code (FP1xx structure, FP2xx references/graph, FP3xx compatibility, FP4xx datasets,
FP5xx cost/policy) and a location. For datasets the location's line is the JSONL line number.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Location:
    """A 1-based position in a file (YAML spec, JSON grader or JSONL dataset)."""

    file: str
    line: int = 1
    column: int = 1
    end_line: int | None = None
    end_column: int | None = None

    def to_range(self) -> dict[str, Any]:
        return {
            "filename": self.file,
            "start": {"line": self.line, "column": self.column},
            "end": {"line": self.end_line or self.line, "column": self.end_column or self.column},
        }

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    @classmethod
    def from_range(cls, r: dict[str, Any]) -> Location:
        """The inverse of `to_range()` (an end equal to the start is no end, as `to_range()` writes it)."""
        start, end = r["start"], r.get("end") or r["start"]
        if end == start:
            return cls(r["filename"], start["line"], start["column"])
        return cls(r["filename"], start["line"], start["column"], end["line"], end["column"])


@dataclass(frozen=True, slots=True)
class Diagnostic:
    severity: Severity
    code: str
    summary: str
    detail: str = ""
    location: Location | None = None
    # Extra occurrences of the same problem (e.g. further JSONL lines) and how many there were in total.
    occurrences: tuple[Location, ...] = field(default=())
    count: int = 1

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def with_severity(self, severity: Severity) -> Diagnostic:
        return replace(self, severity=severity)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "severity": self.severity.value,
            "code": self.code,
            "summary": self.summary,
            "detail": self.detail,
        }
        if self.location is not None:
            out["range"] = self.location.to_range()
        if self.count > 1 or self.occurrences:
            out["count"] = self.count
            out["occurrences"] = [o.to_range() for o in self.occurrences]
        return out

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Diagnostic:
        """The inverse of `to_json()` (diagnostics travel in saved JSON plans)."""
        where = d.get("range")
        return cls(
            Severity(d["severity"]),
            d["code"],
            d["summary"],
            d.get("detail", ""),
            Location.from_range(where) if where else None,
            tuple(Location.from_range(o) for o in d.get("occurrences", ())),
            int(d.get("count", 1)),
        )

    def sort_key(self) -> tuple[str, int, int, str]:
        loc = self.location
        return (loc.file if loc else "", loc.line if loc else 0, loc.column if loc else 0, self.code)


def error(code: str, summary: str, location: Location | None = None, detail: str = "") -> Diagnostic:
    return Diagnostic(Severity.ERROR, code, summary, detail, location)


def warning(code: str, summary: str, location: Location | None = None, detail: str = "") -> Diagnostic:
    return Diagnostic(Severity.WARNING, code, summary, detail, location)


def has_errors(diags: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diags)


def counts(diags: Iterable[Diagnostic]) -> tuple[int, int]:
    """(errors, warnings)."""
    e = w = 0
    for d in diags:
        if d.severity is Severity.ERROR:
            e += 1
        elif d.severity is Severity.WARNING:
            w += 1
    return e, w
