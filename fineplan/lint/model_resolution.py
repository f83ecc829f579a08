"""Resolve which catalog model a job or deployment really uses, following stacked jobs.

Resolutions are remembered per project (projects are frozen), so resolving every job of a project costs one walk
per job in all, not one walk down the whole stack per job: lint stays linear in the number of documents however
deep jobs are stacked.
"""

from __future__ import annotations

import weakref

from fineplan.catalog import Catalog, ModelInfo, is_fine_tuned_name
from fineplan.spec.models import Deployment, FineTuningJob, JobRef
from fineplan.spec.project import Project

# id(project) -> job name -> root base model (None: a cycle or dangling reference below it). Projects hash by
# value (and hold dicts), so they are keyed by identity and dropped when the project is collected.
_ROOTS: dict[int, dict[str, str | None]] = {}


def _memo(project: Project) -> dict[str, str | None]:
    key = id(project)
    memo = _ROOTS.get(key)
    if memo is None:
        memo = _ROOTS[key] = {}
        weakref.finalize(project, _ROOTS.pop, key, None)
    return memo


def root_base_model(project: Project, job: FineTuningJob) -> str | None:
    """The catalog base-model name under a (possibly stacked) job; None if a cycle or dangling ref."""
    entry = project.get("FineTuningJob", job.name)
    memo = _memo(project) if entry is not None and entry.resource is job else {}
    chain: list[str] = []
    seen: set[str] = set()
    cur = job
    result: str | None
    while True:
        if cur.name in memo:
            result = memo[cur.name]
            break
        chain.append(cur.name)
        seen.add(cur.name)
        base = cur.spec.base_model
        if not isinstance(base, JobRef):
            result = base
            break
        parent = project.get("FineTuningJob", base.job)
        if base.job in seen or parent is None or not isinstance(parent.resource, FineTuningJob):
            result = None
            break
        cur = parent.resource
    for name in chain:
        memo[name] = result
    return result


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
