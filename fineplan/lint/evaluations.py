"""What the Evaluation rules and checks ask of a project: which model a subject samples, which subjects stand for a
gated deployment, which dataset parts an evaluation tests on and which parts jobs train on.

A "model" here is the deployment's `model` reference as written: a base-model name, or a job (and checkpoint).
Two deployments serve the same model when those references are equal.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fineplan.spec.models import (
    CheckpointRef,
    Dataset,
    DatasetRef,
    Deployment,
    Evaluation,
    EvaluationGate,
    FineTuningJob,
    JobRef,
)
from fineplan.spec.project import Project, ResourceEntry, dataset_name

ModelKey = tuple[str, ...]
ALL_PARTS = frozenset({"train", "validation"})


def model_key(model: str | JobRef) -> ModelKey:
    """A comparable form of a deployment's `model`: ("base", NAME) or ("job", NAME, CHECKPOINT)."""
    if isinstance(model, JobRef):
        checkpoint = model.checkpoint if isinstance(model, CheckpointRef) else None
        return ("job", model.job, "" if checkpoint is None else str(checkpoint))
    return ("base", model)


def describe_model(key: ModelKey) -> str:
    if key[0] == "base":
        return key[1]
    return f"{{job: {key[1]}" + (f", checkpoint: {key[2]}" if key[2] else "") + "}"


def evaluations(project: Project) -> Iterator[tuple[ResourceEntry, Evaluation]]:
    for e in project.evaluations():
        assert isinstance(e.resource, Evaluation)
        yield e, e.resource


def deployment_of(project: Project, name: str) -> Deployment | None:
    entry = project.get("Deployment", name)
    return entry.resource if entry is not None and isinstance(entry.resource, Deployment) else None


def subject_models(project: Project, ev: Evaluation) -> dict[str, ModelKey]:
    """Subject name -> the model its deployment serves (subjects whose deployment is not declared are left out)."""
    out: dict[str, ModelKey] = {}
    for name, subject in ev.spec.subjects.items():
        dep = deployment_of(project, subject.deployment)
        if dep is not None:
            out[name] = model_key(dep.spec.model)
    return out


def grader_names(entry: ResourceEntry) -> list[str] | None:
    """The names of an Evaluation's graders; None when its graders_file could not be loaded."""
    if entry.graders is None:
        return None
    return [g["name"] for g in entry.graders if isinstance(g, dict) and isinstance(g.get("name"), str)]


@dataclass(frozen=True)
class GatedDeployment:
    """A deployment with an evaluation gate on a declared Evaluation."""

    entry: ResourceEntry
    deployment: Deployment
    gate: EvaluationGate
    evaluation_entry: ResourceEntry
    evaluation: Evaluation

    def location(self, *path: str | int, key: bool = False) -> Any:
        return self.entry.location("spec", "gate", "evaluation", *path, key=key)

    def standing_for(self, project: Project) -> list[str]:
        """The subjects that stand for the gated model: the named `subject`, else every subject serving it."""
        if self.gate.subject is not None:
            return [self.gate.subject] if self.gate.subject in self.evaluation.spec.subjects else []
        mine = model_key(self.deployment.spec.model)
        return [s for s, m in subject_models(project, self.evaluation).items() if m == mine]


def gated_deployments(project: Project) -> Iterator[GatedDeployment]:
    for e in project.deployments():
        dep = e.resource
        assert isinstance(dep, Deployment)
        gate = dep.spec.gate.evaluation if dep.spec.gate is not None else None
        if gate is None:
            continue
        ev_entry = project.get("Evaluation", gate.evaluation)
        if ev_entry is None or not isinstance(ev_entry.resource, Evaluation):
            continue  # FP201
        yield GatedDeployment(e, dep, gate, ev_entry, ev_entry.resource)


def _is_split(project: Project, name: str) -> bool:
    entry = project.get("Dataset", name)
    return bool(entry is not None and isinstance(entry.resource, Dataset) and entry.resource.spec.split)


def parts_used(project: Project, ref: str | DatasetRef, default: str | None) -> frozenset[str]:
    """The parts of a dataset a reference reads: its `split`, else `default` for a split dataset (a job's field),
    else the whole dataset (an evaluation's data, or any unsplit dataset)."""
    if isinstance(ref, DatasetRef) and ref.split:
        return frozenset({ref.split})
    if default is not None and _is_split(project, dataset_name(ref)):
        return frozenset({default})
    return ALL_PARTS


def job_data(project: Project) -> Iterator[tuple[ResourceEntry, str, str | DatasetRef, frozenset[str]]]:
    """(job entry, field, reference, parts) of every training and validation reference of every job."""
    for e in project.jobs():
        job = e.resource
        assert isinstance(job, FineTuningJob)
        for field, default in (("training_data", "train"), ("validation_data", "validation")):
            ref = getattr(job.spec, field)
            if ref is not None:
                yield e, field, ref, parts_used(project, ref, default)
