"""Resolve which catalog model a job or deployment really uses, following stacked jobs."""

from __future__ import annotations

from fineplan.catalog import Catalog, ModelInfo, is_fine_tuned_name
from fineplan.spec.models import Deployment, FineTuningJob, JobRef
from fineplan.spec.project import Project


def root_base_model(project: Project, job: FineTuningJob, _seen: frozenset[str] = frozenset()) -> str | None:
    """The catalog base-model name under a (possibly stacked) job; None if a cycle or dangling ref."""
    base = job.spec.base_model
    if isinstance(base, JobRef):
        if base.job in _seen:
            return None
        parent = project.get("FineTuningJob", base.job)
        if parent is None or not isinstance(parent.resource, FineTuningJob):
            return None
        return root_base_model(project, parent.resource, _seen | {job.name})
    return base


def job_model_info(project: Project, catalog: Catalog, job: FineTuningJob) -> ModelInfo | None:
    name = root_base_model(project, job)
    return catalog.model(name) if name else None


def deployment_model(project: Project, catalog: Catalog, dep: Deployment) -> tuple[ModelInfo | None, bool]:
    """(catalog entry, whether the deployed model is fine-tuned)."""
    model = dep.spec.model
    if isinstance(model, JobRef):
        parent = project.get("FineTuningJob", model.job)
        if parent is None or not isinstance(parent.resource, FineTuningJob):
            return None, True
        return job_model_info(project, catalog, parent.resource), True
    return catalog.model(model), is_fine_tuned_name(model)
