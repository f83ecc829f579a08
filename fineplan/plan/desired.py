"""What the project asks for, per address: attributes, inputs digest and dependencies.

A job's inputs digest covers everything that affects training; for a stacked job the parent's inputs digest
stands in for the parent's fine-tuned model name (not known until it trains), so a retrained parent makes every
stacked child retrain too. A deployment's model of `{job: X}` is likewise the job's digest until X has trained.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fineplan.graph.build import build_graph
from fineplan.plan.digest import digest
from fineplan.spec.models import Dataset, DatasetRef, Deployment, FineTuningJob, JobRef
from fineplan.spec.project import Project, dataset_name

# Which attributes force replacement (providers say; the engine decides). Everything else updates in place.
REPLACE_KEYS: dict[str, frozenset[str]] = {
    "Dataset": frozenset({"format", "files"}),
    "FineTuningJob": frozenset(
        {
            "base_model",
            "method",
            "training_data",
            "validation_data",
            "hyperparameters",
            "training_type",
            "suffix",
            "seed",
            "grader",
            "response_format",
        }
    ),
    "Deployment": frozenset({"type", "account"}),
}


@dataclass(frozen=True)
class DatasetPart:
    path: Path
    digest: str
    filename: str  # carries the content digest, so an upload can be found again after a crash
    examples: int | None = None
    tokens: int | None = None


@dataclass(frozen=True)
class Desired:
    address: str
    kind: str
    name: str
    attributes: dict[str, Any]
    inputs_digest: str
    depends_on: tuple[str, ...]
    prevent_destroy: bool = False
    ignore_changes: tuple[str, ...] = ()
    # kind-specific extras the executor needs
    parts: dict[str, DatasetPart] = field(default_factory=dict)  # Dataset: train / validation
    parent_job: str | None = None  # FineTuningJob stacked on, or Deployment's job
    extra: dict[str, Any] = field(default_factory=dict)


def upload_filename(project: str, dataset: str, part: str, content_digest: str) -> str:
    return f"fineplan-{project}-{dataset}-{part}-{content_digest[:16]}.jsonl"


def _dataset_desired(project: Project, ds: Dataset, with_stats: bool) -> Desired:
    from fineplan.datasets.identity import file_digest
    from fineplan.datasets.transforms import materialize

    m = materialize(project.root, ds.spec)
    parts: dict[str, DatasetPart] = {}
    for part, path in (("train", m.train), ("validation", m.validation)):
        if path is None:
            continue
        d = file_digest(path)
        examples = tokens = None
        if with_stats:
            examples, tokens = _stats(path, ds.spec.format)
        parts[part] = DatasetPart(
            path, d, upload_filename(project.settings.project, ds.name, part, d), examples, tokens
        )
    attrs = {"format": ds.spec.format, "files": {p: v.digest for p, v in parts.items()}}
    return Desired(
        address=f"dataset.{ds.name}",
        kind="Dataset",
        name=ds.name,
        attributes=attrs,
        inputs_digest=digest(attrs),
        depends_on=(),
        prevent_destroy=ds.lifecycle.prevent_destroy,
        ignore_changes=ds.lifecycle.ignore_changes,
        parts=parts,
    )


def _stats(path: Path, fmt: str) -> tuple[int | None, int | None]:
    from fineplan.datasets.check import check_dataset

    report = check_dataset(path, fmt)  # type: ignore[arg-type]
    stats = report.stats
    return getattr(stats, "examples", None), getattr(stats, "tokens_total", None)


def _part_of(ref: str | DatasetRef, default: str, datasets: dict[str, Desired]) -> tuple[str, str | None]:
    """(dataset address, content digest of the referenced part)."""
    name = dataset_name(ref)
    part = ref.split if isinstance(ref, DatasetRef) and ref.split else default
    d = datasets.get(f"dataset.{name}")
    if d is None:
        return f"dataset.{name}", None
    # A dataset without a split has one part, which serves whichever field refers to it.
    chosen = d.parts.get(part) if len(d.parts) > 1 else d.parts.get("train")
    return d.address, chosen.digest if chosen else None


def compute_desired(
    project: Project, *, with_stats: bool = True, default_account: str | None = None
) -> dict[str, Desired]:
    """Desired resources keyed by address, in dependency order. Reads dataset bytes (digests are cached).

    `default_account` (the target's) is written into deployments that name none, so state and spec compare.
    """
    out: dict[str, Desired] = {}
    graph = build_graph(project)
    order = graph.topological()
    for address in order:
        entry = project.entries[address]
        r = entry.resource
        if isinstance(r, Dataset):
            out[address] = _dataset_desired(project, r, with_stats)
        elif isinstance(r, FineTuningJob):
            out[address] = _job_desired(project, r, out, entry.grader, entry.response_format)
        elif isinstance(r, Deployment):
            out[address] = _deployment_desired(project, r, out, default_account)
    return out


def _model_ref(ref: str | JobRef, known: dict[str, Desired]) -> tuple[str | dict[str, str], str | None]:
    """(value for the inputs digest, parent job address). A `{job: X}` stands for X's inputs digest: its
    fine-tuned model name is not known until X trains, and a retrained X must change this digest too."""
    if not isinstance(ref, JobRef):
        return ref, None
    parent = f"job.{ref.job}"
    parent_desired = known.get(parent)
    return {"job": ref.job, "inputs": parent_desired.inputs_digest if parent_desired else ""}, parent


def _job_desired(
    project: Project,
    job: FineTuningJob,
    known: dict[str, Desired],
    grader: dict[str, Any] | None,
    response_format: dict[str, Any] | None,
) -> Desired:
    s = job.spec
    deps: list[str] = []
    train_addr, train_digest = _part_of(s.training_data, "train", known)
    deps.append(train_addr)
    val_addr: str | None = None
    validation_digest = None
    if s.validation_data is not None:
        val_addr, validation_digest = _part_of(s.validation_data, "validation", known)
        if val_addr not in deps:
            deps.append(val_addr)
    base_model, parent = _model_ref(s.base_model, known)
    if parent:
        deps.append(parent)
    attrs: dict[str, Any] = {
        "base_model": base_model,
        "method": s.method,
        "training_data": train_digest,
        "validation_data": validation_digest,
        "hyperparameters": s.hyperparameters.given(),
        "training_type": s.training_type,
        "suffix": s.suffix,
        "seed": s.seed,
        "grader": digest(grader) if grader is not None else None,
        "response_format": digest(response_format) if response_format is not None else None,
    }
    return Desired(
        address=f"job.{job.name}",
        kind="FineTuningJob",
        name=job.name,
        attributes=attrs,
        inputs_digest=digest(attrs),
        depends_on=tuple(deps),
        prevent_destroy=job.lifecycle.prevent_destroy,
        ignore_changes=job.lifecycle.ignore_changes,
        parent_job=parent,
        extra={
            "grader": grader,
            "response_format": response_format,
            "metadata": dict(s.metadata),
            "train_dataset": train_addr,
            "validation_dataset": val_addr,
            "train_part": s.training_data.split
            if isinstance(s.training_data, DatasetRef) and s.training_data.split
            else "train",
            "validation_part": s.validation_data.split
            if isinstance(s.validation_data, DatasetRef) and s.validation_data.split
            else "validation",
        },
    )


def _deployment_desired(
    project: Project, dep: Deployment, known: dict[str, Desired], default_account: str | None
) -> Desired:
    s = dep.spec
    model, parent = _model_ref(s.model, known)
    deps = [parent] if parent else []
    attrs: dict[str, Any] = {
        "model": model,
        "type": s.type,
        "capacity": s.capacity,
        "rai_policy": s.rai_policy,
        "version_upgrade": s.version_upgrade,
        "account": s.account or default_account,
        "tags": dict(s.tags),
    }
    return Desired(
        address=f"deployment.{dep.name}",
        kind="Deployment",
        name=dep.name,
        attributes=attrs,
        inputs_digest=digest(attrs),
        depends_on=tuple(deps),
        prevent_destroy=dep.lifecycle.prevent_destroy,
        ignore_changes=dep.lifecycle.ignore_changes,
        parent_job=parent,
        extra={"gate": s.gate.model_dump(exclude_none=True) if s.gate else None},
    )
