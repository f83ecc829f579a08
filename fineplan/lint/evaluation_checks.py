"""Lint an Evaluation's graders against its test data, exactly as an RFT job's grader is checked against its rows.

Each grader gets the RFT checks (shape, multi formula, python source, templates; fineplan.datasets.graders) at
the grader itself: `spec.graders[i]` in the spec, or the line where it starts in the graders_file. Its
`{{item.*}}` paths are resolved in the eval item of every test row (fineplan.datasets.eval_items), and
`{{sample.output_json.*}}` is checked against the response format a subject's model was trained with (an
Evaluation declares none of its own: the RFT job behind a subject deployment is where the schema comes from).
Grader names must be unique, since results and gates refer to graders by name.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fineplan.datasets import codes as C
from fineplan.datasets.eval_items import EVAL_ROWS, item_builder, rows_without_reference
from fineplan.datasets.graders import Locate, check_grader, item_references
from fineplan.diagnostics import Diagnostic, Location
from fineplan.lint.evaluations import deployment_of, evaluations, parts_used
from fineplan.spec.models import Dataset, Evaluation, FineTuningJob, JobRef
from fineplan.spec.project import Project, ResourceEntry, dataset_name

if TYPE_CHECKING:
    from fineplan.datasets.parts import DatasetCheck

_NO_OWN_FORMAT = (
    "An Evaluation has no response_format of its own: output_json is checked against the response_format of the "
    "RFT job behind a subject's deployment."
)


def element_lines(text: str) -> list[int]:
    """The line each grader of a graders file starts on: one per element of a top-level list, or the object's."""
    decoder = json.JSONDecoder()

    def skip(i: int) -> int:
        while i < len(text) and text[i] in " \t\r\n\ufeff":
            i += 1
        return i

    def line(i: int) -> int:
        return text.count("\n", 0, i) + 1

    i = skip(0)
    if i >= len(text) or text[i] != "[":
        return [line(i)]
    out: list[int] = []
    i = skip(i + 1)
    while i < len(text) and text[i] != "]":
        out.append(line(i))
        try:
            _value, i = decoder.raw_decode(text, i)
        except json.JSONDecodeError:
            break
        i = skip(i)
        if i < len(text) and text[i] == ",":
            i = skip(i + 1)
    return out


def grader_locations(project: Project, entry: ResourceEntry, count: int) -> list[Location]:
    """Where each of an Evaluation's `count` graders is: in the spec, or in its graders_file."""
    ev = entry.resource
    assert isinstance(ev, Evaluation)
    if ev.spec.graders_file is None:
        return [entry.location("spec", "graders", i) for i in range(count)]
    path = project.resolve(ev.spec.graders_file)
    root = project.root.resolve()
    shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else ev.spec.graders_file
    try:
        lines = element_lines(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError):
        lines = []
    return [Location(shown, lines[i] if i < len(lines) else 1) for i in range(count)]


def subject_response_format(project: Project, ev: Evaluation) -> dict[str, Any] | None:
    """The response format of the first subject whose model comes from a job with one (following stacked jobs)."""
    for subject in ev.spec.subjects.values():
        dep = deployment_of(project, subject.deployment)
        model: str | JobRef | None = dep.spec.model if dep is not None else None
        seen: set[str] = set()
        while isinstance(model, JobRef) and model.job not in seen:
            seen.add(model.job)
            job = project.get("FineTuningJob", model.job)
            if job is None or not isinstance(job.resource, FineTuningJob):
                break
            if job.response_format is not None:
                return job.response_format
            model = job.resource.spec.base_model
    return None


def _test_files(project: Project, ev: Evaluation, checks: dict[str, DatasetCheck]) -> list[Path]:
    check = checks.get(dataset_name(ev.spec.data))
    if check is None:
        return []
    wanted = parts_used(project, ev.spec.data, None)
    return [p.file for p in check.parts if p.name in wanted]


def check_evaluations(project: Project, checks: dict[str, DatasetCheck], locate: Locate) -> list[Diagnostic]:
    """Every Evaluation's graders, checked against its test rows (`checks`: the datasets checked so far)."""
    diags: list[Diagnostic] = []
    for e, ev in evaluations(project):
        graders = e.graders
        if not graders:
            continue  # the graders_file did not load: reported by the loader
        ds = project.get("Dataset", dataset_name(ev.spec.data))
        fmt = ds.resource.spec.format if ds is not None and isinstance(ds.resource, Dataset) else None
        files = _test_files(project, ev, checks) if fmt in ("chat", "reinforcement") else []
        diags.extend(
            check_graders_on_rows(
                graders,
                grader_locations(project, e, len(graders)),
                fmt or "",
                files,
                subject_response_format(project, ev),
                evaluation=ev.name,
                dataset=dataset_name(ev.spec.data),
                locate=locate,
            )
        )
    return diags


def check_graders_on_rows(
    graders: tuple[dict[str, Any], ...],
    locations: list[Location],
    fmt: str,
    files: list[Path],
    response_format: dict[str, Any] | None,
    *,
    evaluation: str,
    dataset: str,
    locate: Locate,
) -> list[Diagnostic]:
    """One Evaluation's graders (at `locations`) against its test files of format `fmt`."""
    diags: list[Diagnostic] = []
    skip = frozenset({"reference"}) if fmt == "chat" else frozenset()  # rows without one: FP467 below
    for grader, where in zip(graders, locations, strict=True):
        found = check_grader(
            grader,
            response_format,
            files,
            where,
            locate,
            item_of=item_builder(fmt),
            rows_detail=EVAL_ROWS,
            skip_items=skip,
        )
        diags.extend(replace(d, detail=_NO_OWN_FORMAT) if d.code == C.GRADER_OUTPUT_JSON else d for d in found)
    diags.extend(_duplicate_names(evaluation, graders, locations))
    if fmt == "chat":
        readers = [str(g.get("name")) for g in graders if "reference" in item_references(g)]
        if readers:
            diags.extend(rows_without_reference(files, dataset, readers, locate))
    return diags


def _duplicate_names(evaluation: str, graders: tuple[dict[str, Any], ...], where: list[Location]) -> list[Diagnostic]:
    first: dict[str, int] = {}
    out: list[Diagnostic] = []
    for i, g in enumerate(graders):
        name = g.get("name") if isinstance(g, dict) else None
        if not isinstance(name, str) or not name:
            continue  # FP460: a grader needs a name
        if name in first:
            out.append(
                Diagnostic(
                    C.SEVERITY[C.EVAL_DUPLICATE_GRADER],
                    C.EVAL_DUPLICATE_GRADER,
                    f"Evaluation {evaluation!r} has two graders named {name!r} (graders {first[name] + 1} and {i + 1})",
                    "Results and gates refer to graders by name; give each grader its own.",
                    where[i],
                    (where[first[name]],),
                )
            )
        else:
            first[name] = i
    return out
