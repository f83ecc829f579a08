"""The loaded project: settings plus located resources. Frozen after loading."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fineplan.diagnostics import Location
from fineplan.resource import Kind
from fineplan.spec.models import (
    Dataset,
    DatasetRef,
    Deployment,
    Evaluation,
    FineTuningJob,
    JobRef,
    ProjectSettings,
    address_of,
)
from fineplan.spec.yaml_located import LocatedDocument, Path_

AnyResource = Dataset | FineTuningJob | Deployment | Evaluation


@dataclass(frozen=True)
class ResourceEntry:
    resource: AnyResource
    doc: LocatedDocument
    # Loaded side files (grader_file / response_format_file) so rules and the engine see the same values.
    grader: dict[str, Any] | None = None
    response_format: dict[str, Any] | None = None
    # An Evaluation's graders, inline or from graders_file.
    graders: tuple[dict[str, Any], ...] | None = None

    @property
    def kind(self) -> str:
        return self.resource.kind

    @property
    def name(self) -> str:
        return self.resource.name

    @property
    def address(self) -> str:
        return address_of(self.resource.kind, self.resource.name)

    @property
    def file(self) -> str:
        return self.doc.file

    def location(self, *path: str | int, key: bool = False) -> Location:
        return self.doc.location(tuple(path), key=key)


@dataclass(frozen=True)
class Project:
    root: Path
    settings: ProjectSettings
    settings_doc: LocatedDocument | None
    entries: dict[str, ResourceEntry]  # address -> entry, in file order
    # file -> line -> codes suppressed there by `# fineplan: ignore[FP301] reason`
    inline_ignores: dict[str, dict[int, frozenset[str]]] = field(default_factory=dict)
    # Addresses declared in some document, even one that failed validation: no cascade of "not declared".
    declared: frozenset[str] = frozenset()

    def of_kind(self, kind: str) -> Iterator[ResourceEntry]:
        return (e for e in self.entries.values() if e.kind == kind)

    def datasets(self) -> Iterator[ResourceEntry]:
        return self.of_kind(Kind.DATASET)

    def jobs(self) -> Iterator[ResourceEntry]:
        return self.of_kind(Kind.JOB)

    def deployments(self) -> Iterator[ResourceEntry]:
        return self.of_kind(Kind.DEPLOYMENT)

    def evaluations(self) -> Iterator[ResourceEntry]:
        return self.of_kind(Kind.EVALUATION)

    def get(self, kind: str, name: str) -> ResourceEntry | None:
        return self.entries.get(address_of(kind, name))

    def settings_location(self, *path: str | int) -> Location:
        if self.settings_doc is None:
            return Location("fineplan.yaml")
        return self.settings_doc.location(tuple(path))

    def resolve(self, relative: str) -> Path:
        return (self.root / relative).resolve()


def dataset_name(ref: str | DatasetRef) -> str:
    return ref if isinstance(ref, str) else ref.dataset


def job_dependency(ref: str | JobRef) -> str | None:
    return ref.job if isinstance(ref, JobRef) else None


def references(entry: ResourceEntry) -> Iterator[tuple[str, str, Path_]]:
    """(kind, name, spec path) of every resource this entry refers to."""
    r = entry.resource
    if isinstance(r, FineTuningJob):
        yield Kind.DATASET, dataset_name(r.spec.training_data), ("spec", "training_data")
        if r.spec.validation_data is not None:
            yield Kind.DATASET, dataset_name(r.spec.validation_data), ("spec", "validation_data")
        job = job_dependency(r.spec.base_model)
        if job:
            yield Kind.JOB, job, ("spec", "base_model")
    elif isinstance(r, Deployment):
        job = job_dependency(r.spec.model)
        if job:
            yield Kind.JOB, job, ("spec", "model")
        if r.spec.gate is not None and r.spec.gate.evaluation is not None:
            yield Kind.EVALUATION, r.spec.gate.evaluation.evaluation, ("spec", "gate", "evaluation", "evaluation")
    elif isinstance(r, Evaluation):
        yield Kind.DATASET, dataset_name(r.spec.data), ("spec", "data")
        for key, subject in r.spec.subjects.items():
            yield Kind.DEPLOYMENT, subject.deployment, ("spec", "subjects", key, "deployment")
