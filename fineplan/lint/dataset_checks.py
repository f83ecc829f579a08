"""Lint every Dataset of a project with the streaming validator, and cross-check RFT graders."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from fineplan.catalog import load_catalog
from fineplan.datasets.transforms import TransformError, source_lines
from fineplan.diagnostics import Diagnostic, Location, Severity
from fineplan.lint.model_resolution import root_base_model
from fineplan.spec.models import Dataset, DatasetRef, FineTuningJob
from fineplan.spec.project import Project, ResourceEntry, dataset_name


def _strictest_model(project: Project, dataset: str) -> str | None:
    """Of the jobs training on this dataset, the base model with the smallest per-example token limit."""
    catalog = load_catalog()
    best: tuple[int, str] | None = None
    for e in project.jobs():
        job = e.resource
        assert isinstance(job, FineTuningJob)
        refs = [job.spec.training_data, job.spec.validation_data]
        if not any(r is not None and dataset_name(r) == dataset for r in refs):
            continue
        base = root_base_model(project, job)
        info = catalog.model(base) if base else None
        if info and (best is None or info.max_tokens_per_example < best[0]):
            best = (info.max_tokens_per_example, info.name)
    return best[1] if best else None


def _display(project: Project, path: Path) -> str:
    try:
        return path.resolve().relative_to(project.root.resolve()).as_posix()
    except ValueError:
        return str(path)


def materialized_parts(project: Project, entry: ResourceEntry) -> dict[str, Path]:
    """{'train': path, 'validation': path?} after transform and split."""
    from fineplan.datasets.transforms import materialize

    ds = entry.resource
    assert isinstance(ds, Dataset)
    m = materialize(project.root, ds.spec)
    parts = {"train": m.train}
    if m.validation is not None:
        parts["validation"] = m.validation
    return parts


def _to_source(
    project: Project, diags: list[Diagnostic], part: Path, source: Path, dataset: str, which: str
) -> list[Diagnostic]:
    """Findings on a transformed or split file, re-pointed at the user's source file and line."""
    if part.resolve() == source.resolve():
        return diags
    lines = source_lines(part)
    generated, shown = _display(project, part), _display(project, source)

    def move(loc: Location) -> Location:
        if loc.file != generated or lines is None:
            return loc
        line = lines[loc.line - 1] if 0 < loc.line <= len(lines) else loc.line
        return replace(loc, file=shown, line=line, end_line=None)

    note = f"(in the {which} part of dataset {dataset!r} after its transform/split)"
    out: list[Diagnostic] = []
    for d in diags:
        if d.location is None or d.location.file != generated:
            out.append(d)
            continue
        out.append(
            replace(
                d,
                location=move(d.location),
                occurrences=tuple(move(o) for o in d.occurrences),
                detail=f"{d.detail} {note}".strip(),
            )
        )
    return out


def check_project_datasets(project: Project) -> list[Diagnostic]:
    from fineplan.datasets.check import check_dataset
    from fineplan.datasets.graders import check_grader

    diags: list[Diagnostic] = []
    parts_by_name: dict[str, dict[str, Path]] = {}
    for entry in project.datasets():
        ds = entry.resource
        assert isinstance(ds, Dataset)
        source = (project.root / ds.spec.path).resolve()
        if not source.is_file():
            continue  # FP204 already reported by the loader
        try:
            parts = materialized_parts(project, entry)
        except TransformError as exc:  # a row the transform cannot convert: point at it in the source
            where = Location(_display(project, source), exc.line) if exc.line else entry.location("spec", "transform")
            diags.append(
                Diagnostic(Severity.ERROR, "FP401", f"Dataset {ds.name!r}: transform failed: {exc}", "", where)
            )
            continue
        parts_by_name[ds.name] = parts
        model = _strictest_model(project, ds.name)
        train = parts["train"]
        report = check_dataset(train, ds.spec.format, model, display_path=_display(project, train))
        diags.extend(_to_source(project, report.diagnostics, train, source, ds.name, "train"))
        if "validation" in parts:
            v = parts["validation"]
            vreport = check_dataset(v, ds.spec.format, model, display_path=_display(project, v), validation_of=train)
            diags.extend(_to_source(project, vreport.diagnostics, v, source, ds.name, "validation"))

    for e in project.jobs():
        job = e.resource
        assert isinstance(job, FineTuningJob)
        if job.spec.method != "reinforcement" or e.grader is None:
            continue
        files: list[Path] = []
        for field, default_part in (("training_data", "train"), ("validation_data", "validation")):
            ref = getattr(job.spec, field)
            if ref is None:
                continue
            part = ref.split if isinstance(ref, DatasetRef) and ref.split else default_part
            parts = parts_by_name.get(dataset_name(ref), {})
            path = parts.get(part) or parts.get("train")
            if path is not None:
                files.append(path)
        where = e.location("spec", "grader_file" if job.spec.grader_file else "grader")
        diags.extend(check_grader(e.grader, e.response_format, files, where))
    return diags
