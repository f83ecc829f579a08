"""Check a Dataset spec part by part: materialize its transform and split, check each part, and point every finding
at the user's source file and line, never at the content-addressed file fineplan generated under `.fineplan/`.

`lint` and `dataset inspect NAME` both go through `check_parts`, so they report the same findings at the same
places. A generated part carries a line map (transforms.source_lines); it re-points a finding's location, its
further occurrences, the "line N:" list in its detail and the line references inside messages (FP410 "repeats
line N", FP411 "same as training line N"). Grader row checks get the same mapping through `locator`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from fineplan.datasets.check import DatasetReport, check_dataset
from fineplan.datasets.dedupe import relocate_message
from fineplan.datasets.transforms import Materialized, materialize, source_lines
from fineplan.diagnostics import Diagnostic, Location
from fineplan.spec.models import DatasetSpec

PARTS = ("train", "validation")


@dataclass(frozen=True)
class LineMap:
    """Where the lines of one checked file come from: `lines[i]` is the source line of line i + 1 (None: the
    checked file is the source itself)."""

    checked: str  # the checked file as its findings name it
    source: str  # the source as shown to the user (project-relative)
    lines: list[int] | None
    transformed: bool  # columns inside a transformed row say nothing about the source row

    def line(self, n: int) -> int:
        if self.lines is None or not 0 < n <= len(self.lines):
            return n
        return self.lines[n - 1]

    def location(self, loc: Location) -> Location:
        column = 1 if self.transformed and self.lines is not None else loc.column
        end_column = None if column != loc.column else loc.end_column
        line = self.line(loc.line)
        return replace(loc, file=self.source, line=line, column=column, end_line=None, end_column=end_column)

    def where(self, n: int) -> str:
        """How a message names line n of the checked file."""
        return f"line {self.line(n)}"


@dataclass(frozen=True)
class PartCheck:
    name: str  # "train" | "validation"
    file: Path  # the checked file: the source itself, or a generated part
    rows: int  # non-blank lines, i.e. examples
    report: DatasetReport  # its diagnostics already point at the source
    lines: LineMap


@dataclass(frozen=True)
class DatasetCheck:
    materialized: Materialized
    parts: list[PartCheck]

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return [d for p in self.parts for d in p.report.diagnostics]


def locator(checks: Iterable[DatasetCheck]) -> Callable[[Path, int], Location]:
    """(checked file, line) → the user's file and line, for findings made outside check_parts (graders)."""
    maps = {p.file.resolve(): p.lines for c in checks for p in c.parts}

    def locate(file: Path, line: int) -> Location:
        m = maps.get(file.resolve())
        return m.location(Location(m.checked, line)) if m else Location(str(file), line)

    return locate


_DETAIL_LINE = re.compile(r"^line (\d+): (.*)$")


def relocate(diags: list[Diagnostic], here: LineMap, training: LineMap | None = None) -> list[Diagnostic]:
    """Diagnostics found in `here.file` re-pointed at the source (file, lines, detail, messages)."""
    if here.lines is None and (training is None or training.lines is None):
        return diags
    train = training or here

    def message(text: str) -> str:
        return relocate_message(text, here.where, train.where)

    def detail_line(text: str) -> str:
        m = _DETAIL_LINE.match(text)
        return f"line {here.line(int(m.group(1)))}: {message(m.group(2))}" if m else text

    out: list[Diagnostic] = []
    for d in diags:
        if d.location is None or d.location.file != here.checked:
            out.append(d)
            continue
        out.append(
            replace(
                d,
                summary=message(d.summary),
                detail="\n".join(detail_line(t) for t in d.detail.split("\n")) if d.detail else d.detail,
                location=here.location(d.location),
                occurrences=tuple(here.location(o) for o in d.occurrences),
            )
        )
    return out


def check_parts(
    root: Path,
    spec: DatasetSpec,
    model: str | None,
    display: Callable[[Path], str],
    *,
    exact: bool = False,
) -> DatasetCheck:
    """Materialize `spec` (raises TransformError for a row the transform cannot convert) and check each part.

    `display(path)` is how a file is shown (project-relative). Validation parts are checked against their train
    part for leakage. Diagnostics point at the source file and line.
    """
    m = materialize(root, spec)
    source = (root / spec.path).resolve()
    source_shown = display(source)
    parts: list[PartCheck] = []
    train_map: LineMap | None = None
    for name, file in (("train", m.train), ("validation", m.validation)):
        if file is None:
            continue
        generated = file.resolve() != source
        lines = source_lines(file) if generated else None
        shown = display(file)
        here = LineMap(shown, source_shown, lines, spec.transform is not None)
        validation_of = m.train if name == "validation" else None
        report = check_dataset(file, spec.format, model, exact=exact, display_path=shown, validation_of=validation_of)
        diags = relocate(report.diagnostics, here, train_map if name == "validation" else None)
        report = replace(report, path=source_shown, diagnostics=diags)
        rows = m.rows().get(name)
        parts.append(PartCheck(name, file, rows if rows is not None else report.stats.examples, report, here))
        if name == "train":
            train_map = here
    return DatasetCheck(m, parts)
