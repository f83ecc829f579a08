"""Lint every Dataset of a project with the streaming validator, and cross-check RFT graders; `inspect_dataset`
gives `fineplan dataset inspect NAME` the same view of one dataset. Findings point at source files and lines."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from fineplan.catalog import load_catalog
from fineplan.datasets import codes as C
from fineplan.datasets.transforms import TransformError
from fineplan.diagnostics import Diagnostic, Location, Severity
from fineplan.errors import ConfigError
from fineplan.lint.evaluations import evaluations, job_data
from fineplan.lint.model_resolution import root_base_model
from fineplan.spec.models import Dataset, DatasetRef, DatasetSpec, FineTuningJob
from fineplan.spec.project import Project, dataset_name

if TYPE_CHECKING:
    from fineplan.datasets.parts import DatasetCheck


def strictest_models(project: Project) -> dict[str, str]:
    """Per dataset name, of the jobs training on it, the base model with the smallest per-example token limit.

    One pass over the jobs for all datasets (asking per dataset would scan every job once per dataset).
    """
    catalog = load_catalog()
    best: dict[str, tuple[int, str]] = {}
    for e in project.jobs():
        job = e.resource
        assert isinstance(job, FineTuningJob)
        base = root_base_model(project, job)
        info = catalog.model(base) if base else None
        if info is None:
            continue
        for ref in (job.spec.training_data, job.spec.validation_data):
            if ref is None:
                continue
            name = dataset_name(ref)
            if name not in best or info.max_tokens_per_example < best[name][0]:
                best[name] = (info.max_tokens_per_example, info.name)
    return {name: model for name, (_limit, model) in best.items()}


def _test_only_datasets(project: Project) -> set[str]:
    """Datasets that Evaluations test on and no job trains or validates on."""
    trained = {dataset_name(ref) for _e, _field, ref, _parts in job_data(project)}
    return {dataset_name(ev.spec.data) for _e, ev in evaluations(project)} - trained


def _with_note(check: DatasetCheck, dataset: str) -> list[Diagnostic]:
    """Findings inside generated parts say which part of which dataset they were found in."""
    out: list[Diagnostic] = []
    for part in check.parts:
        if part.lines.lines is None:
            out.extend(part.report.diagnostics)
            continue
        note = f"(in the {part.name} part of dataset {dataset!r} after its transform/split)"
        out.extend(replace(d, detail=f"{d.detail} {note}".strip()) for d in part.report.diagnostics)
    return out


def check_project_datasets(project: Project) -> list[Diagnostic]:
    from fineplan.datasets.graders import check_grader
    from fineplan.datasets.parts import check_parts, locator

    diags: list[Diagnostic] = []
    checks: dict[str, DatasetCheck] = {}
    models = strictest_models(project)
    test_only = _test_only_datasets(project)
    real_root = project.root.resolve()
    # Datasets of one project often share a source file and settings: check each combination once per run.
    done: dict[tuple[Path, str, str | None], DatasetCheck | TransformError] = {}

    def display(path: Path) -> str:
        try:
            return path.relative_to(real_root).as_posix()
        except ValueError:
            return str(path)

    for entry in project.datasets():
        ds = entry.resource
        assert isinstance(ds, Dataset)
        source = (project.root / ds.spec.path).resolve()
        if not source.is_file():
            continue  # FP204 already reported by the loader
        model = models.get(ds.name)
        key = (source, ds.spec.model_dump_json(exclude={"path"}), model)
        if key not in done:
            try:
                done[key] = check_parts(project.root, ds.spec, model, display)
            except TransformError as exc:
                done[key] = exc
        result = done[key]
        if isinstance(result, TransformError):  # a row the transform cannot convert: point at it in the source
            where = Location(display(source), result.line) if result.line else entry.location("spec", "transform")
            diags.append(
                Diagnostic(Severity.ERROR, "FP401", f"Dataset {ds.name!r}: transform failed: {result}", "", where)
            )
            continue
        checks[ds.name] = result
        found = _with_note(result, ds.name)
        if ds.name in test_only:  # Azure's minimum of 10 examples is for training files, not for eval data
            found = [d for d in found if d.code != C.TOO_FEW_EXAMPLES]
        diags.extend(found)

    locate = locator(checks.values())
    from fineplan.lint.evaluation_checks import check_evaluations

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
            check = checks.get(dataset_name(ref))
            if check is None:
                continue
            parts = {p.name: p.file for p in check.parts}
            path = parts.get(part) or parts.get("train")
            if path is not None:
                files.append(path)
        where = e.location("spec", "grader_file" if job.spec.grader_file else "grader")
        diags.extend(check_grader(e.grader, e.response_format, files, where, locate))
    diags.extend(check_evaluations(project, checks, locate))
    return diags


@dataclass(frozen=True)
class InspectedDataset:
    """One Dataset of a project, checked as lint checks it (`fineplan dataset inspect NAME`)."""

    name: str
    spec: DatasetSpec
    source: str  # the source file, project-relative
    model: str | None
    check: DatasetCheck | None  # None when the source could not be read or transformed
    diagnostics: list[Diagnostic]  # every finding, at the source file and line

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.diagnostics)


def inspect_dataset(
    project: Project, load_diags: list[Diagnostic], name: str, *, model: str | None = None, exact: bool = False
) -> InspectedDataset:
    """Apply the dataset's transform and split and check each part, with the model lint would use (the strictest
    of the jobs training on it) unless `model` is given. ConfigError when the project declares no such dataset."""
    from fineplan.datasets.parts import check_parts

    entry = project.get("Dataset", name)
    if entry is None or not isinstance(entry.resource, Dataset):
        raise ConfigError(_not_a_dataset(project, name))
    ds = entry.resource
    real_root = project.root.resolve()
    source = (project.root / ds.spec.path).resolve()
    shown = source.relative_to(real_root).as_posix() if source.is_relative_to(real_root) else ds.spec.path
    chosen = model or strictest_models(project).get(name)
    where = entry.location("spec", "path")
    own = [d for d in load_diags if d.location == where]  # the loader's word on this path (FP203, FP204)
    if own or not source.is_file():
        return InspectedDataset(name, ds.spec, shown, chosen, None, own)

    def display(path: Path) -> str:
        return path.relative_to(real_root).as_posix() if path.is_relative_to(real_root) else str(path)

    try:
        check = check_parts(project.root, ds.spec, chosen, display, exact=exact)
    except TransformError as exc:
        at = Location(shown, exc.line) if exc.line else entry.location("spec", "transform")
        diag = Diagnostic(Severity.ERROR, "FP401", f"Dataset {name!r}: transform failed: {exc}", "", at)
        return InspectedDataset(name, ds.spec, shown, chosen, None, [diag])
    return InspectedDataset(name, ds.spec, shown, chosen, check, check.diagnostics)


def _not_a_dataset(project: Project, name: str) -> str:
    from fineplan.spec.pydantic_errors import did_you_mean

    other = next((e for e in project.entries.values() if e.name == name), None)
    if other is not None:
        return f"{name!r} is a {other.kind}, not a Dataset; `dataset inspect` takes a Dataset name or a file"
    hint = did_you_mean(name, [e.name for e in project.datasets()])
    return f"the project declares no Dataset {name!r} and there is no file of that name" + (
        f"; {hint[0].lower()}{hint[1:]}" if hint else ""
    )
