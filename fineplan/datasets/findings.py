"""Findings of a dataset scan, bounded: per code a total count and only the first few occurrences.

A 10-million-line file with one systematic error yields one Diagnostic with `count=10_000_000` and ten
locations, not ten million lines. Parts scanned in parallel are merged in file order after rebasing their
line numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fineplan.datasets import codes as C
from fineplan.diagnostics import Diagnostic, Location

KEEP = 10  # occurrences kept per code (the first by line)

Sample = tuple[int, int, str]  # (line, column, message)


@dataclass
class Findings:
    """Collects findings for the current line (`line`), counting each code at most once per line."""

    counts: dict[str, int] = field(default_factory=dict)
    samples: dict[str, list[Sample]] = field(default_factory=dict)
    line: int = 0
    fatal: bool = False  # an error-level finding on the current line
    errors: int = 0  # error-level findings so far
    _last: dict[str, int] = field(default_factory=dict)

    def start(self, line: int) -> None:
        self.line = line
        self.fatal = False

    def add(self, code: str, message: str) -> None:
        self.add_at(code, message, self.line, 1)

    def add_at(self, code: str, message: str, line: int, column: int = 1) -> None:
        if code in C.EXAMPLE_FATAL:
            self.errors += 1
            if line == self.line:
                self.fatal = True
        if self._last.get(code) == line:
            return
        self._last[code] = line
        n = self.counts.get(code, 0)
        self.counts[code] = n + 1
        if n < KEEP:
            self.samples.setdefault(code, []).append((line, column, message))

    def add_counted(self, code: str, count: int, samples: list[Sample]) -> None:
        """Add `count` findings of which `samples` are the first (used by whole-file analyses)."""
        if count <= 0:
            return
        self.counts[code] = self.counts.get(code, 0) + count
        self.samples.setdefault(code, []).extend(samples)

    def merge(self, other: Findings, line_offset: int = 0) -> None:
        for code, n in other.counts.items():
            self.counts[code] = self.counts.get(code, 0) + n
            self.samples.setdefault(code, []).extend(
                (ln + line_offset, col, msg) for ln, col, msg in other.samples.get(code, [])
            )

    def __getstate__(self) -> dict[str, object]:  # `_last` is scan-local; keep pickles small
        return {"counts": self.counts, "samples": self.samples}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.counts = state["counts"]  # type: ignore[assignment]
        self.samples = state["samples"]  # type: ignore[assignment]
        self.line, self.fatal, self.errors, self._last = 0, False, 0, {}

    def to_diagnostics(self, file: str) -> list[Diagnostic]:
        out: list[Diagnostic] = []
        for code, count in self.counts.items():
            shown = sorted(self.samples.get(code, []))[:KEEP]
            if not shown:
                continue
            (line, col, summary), rest = shown[0], shown[1:]
            detail = "\n".join(f"line {ln}: {msg}" for ln, _c, msg in rest if msg != summary)
            out.append(
                Diagnostic(
                    C.SEVERITY[code],
                    code,
                    summary,
                    detail,
                    Location(file, line, col),
                    tuple(Location(file, ln, c) for ln, c, _m in rest),
                    count,
                )
            )
        out.sort(key=Diagnostic.sort_key)
        return out
