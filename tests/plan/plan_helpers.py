"""Plain data for the pure plan builder's unit tests: Desired resources and state records made by hand, and a
scriptable provider diff (the one in-memory fake the architecture allows: plan-builder tests only).

A uniquely named module, not conftest.py: every test directory has its own conftest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fineplan.kinds import REGISTRY
from fineplan.kinds.dataset import DatasetDesired, DatasetPart
from fineplan.kinds.deployment import DeploymentDesired
from fineplan.kinds.job import JobDesired, PartRef
from fineplan.plan.builder import BuildInput, build_plan
from fineplan.plan.costing import Budget
from fineplan.plan.digest import digest
from fineplan.plan.model import Action, Plan, PlanOptions
from fineplan.pricing import PriceTable
from fineplan.providers.base import Differ, DiffResult
from fineplan.resource import Kind, Unknown
from fineplan.state.drift import Drift
from fineplan.state.model import ResourceState, State

BASE = "gpt-4.1-mini-2025-04-14"

# What Azure's rules say (fineplan.providers.azure.diff), restated as a script: the builder tests must not
# depend on the real rules, so a test can change the script and see the builder follow it.
AZURE_LIKE: dict[Kind, frozenset[str]] = {
    Kind.DATASET: frozenset({"format", "files"}),
    Kind.JOB: frozenset(
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
    Kind.DEPLOYMENT: frozenset({"type", "account", "name"}),
}


@dataclass
class ScriptedDiffer:
    """A provider's `diff` answering from a script: per kind, which attributes force replacement (every other
    difference updates in place) and whether replacements delete first. It records every question it gets."""

    replaces: Mapping[Kind, frozenset[str]] = field(default_factory=lambda: dict(AZURE_LIKE))
    delete_first: frozenset[Kind] = frozenset()
    ignored: frozenset[str] = frozenset({"name"})  # jobs and datasets: not Azure's concern
    calls: list[tuple[Kind, dict[str, Any], dict[str, Any]]] = field(default_factory=list)

    def diff(self, kind: Kind, prior: Mapping[str, Any], planned: Mapping[str, Any]) -> DiffResult:
        self.calls.append((kind, dict(prior), dict(planned)))
        forcing = self.replaces.get(kind, frozenset())
        changed = [
            k
            for k in sorted(planned)
            if not (k in self.ignored and k not in forcing)
            and (isinstance(planned[k], Unknown) or planned[k] != prior.get(k))
            and not (planned[k] is None and k == "rai_policy")
            and not (not planned[k] and not prior.get(k))
        ]
        return DiffResult(
            tuple(changed),
            tuple(k for k in changed if k in forcing),
            tuple(k for k in changed if k not in forcing),
            delete_before_replace=kind in self.delete_first,
        )


def dataset(name: str, content: str = "aaa", *, tokens: int = 1000, examples: int = 10) -> DatasetDesired:
    attrs = {"format": "chat", "files": {"train": content}}
    part = DatasetPart(Path("x.jsonl"), content, f"f-{content}.jsonl", examples, tokens)
    return DatasetDesired(
        address=f"dataset.{name}",
        name=name,
        attributes=attrs,
        inputs_digest=digest(attrs),
        format="chat",
        parts={"train": part},
    )


def job(name: str, data: DatasetDesired, parent: JobDesired | None = None, **over: Any) -> JobDesired:
    attrs: dict[str, Any] = {
        "base_model": {"job": parent.name, "inputs": parent.inputs_digest} if parent else BASE,
        "method": "supervised",
        "training_data": data.attributes["files"]["train"],
        "validation_data": None,
        "hyperparameters": {"n_epochs": 3},
        "training_type": "global",
        "suffix": None,
        "seed": 1,
        "grader": None,
        "response_format": None,
    }
    attrs.update(over)
    return JobDesired(
        address=f"job.{name}",
        name=name,
        attributes=attrs,
        inputs_digest=digest(attrs),
        depends_on=(data.address, parent.address) if parent else (data.address,),
        inputs_from={"base_model": parent.address} if parent else {},
        base_model=None if parent else BASE,
        parent=parent.address if parent else None,
        method=attrs["method"],
        training=PartRef(data.address, "train"),
        validation=None,
        hyperparameters=attrs["hyperparameters"],
        training_type=attrs["training_type"],
        suffix=None,
        seed=1,
    )


def deployment(
    name: str,
    parent: JobDesired,
    *,
    capacity: int = 10,
    dtype: str = "standard",
    gate: dict[str, float] | None = None,
    prevent_destroy: bool = False,
    ignore_changes: tuple[str, ...] = (),
    account: str = "local",
) -> DeploymentDesired:
    attrs = {
        "model": {"job": parent.name, "inputs": parent.inputs_digest},
        "type": dtype,
        "capacity": capacity,
        "rai_policy": None,
        "version_upgrade": "no_auto_upgrade",
        "account": account,
        "tags": {},
    }
    return DeploymentDesired(
        address=f"deployment.{name}",
        name=name,
        attributes=attrs,
        inputs_digest=digest(attrs),
        depends_on=(parent.address,),
        inputs_from={"model": parent.address},
        prevent_destroy=prevent_destroy,
        ignore_changes=ignore_changes,
        model=None,
        parent=parent.address,
        type=dtype,
        capacity=capacity,
        rai_policy=None,
        version_upgrade="no_auto_upgrade",
        account=account,
        gate=gate or {},
    )


def model_of(want: JobDesired) -> str:
    return f"{BASE}.ft-{'a' * 32}-{want.name}"


def recorded(want: DatasetDesired | JobDesired | DeploymentDesired, **attrs: Any) -> ResourceState:
    """The state record apply would have written for `want` (jobs succeeded, deployments ready)."""
    status = str(attrs.pop("status", "succeeded" if want.kind is Kind.JOB else "ready"))
    base: dict[str, Any] = {"inputs": dict(want.attributes)}
    if isinstance(want, JobDesired):
        base["fine_tuned_model"] = model_of(want) if status == "succeeded" else None
        base["model"] = BASE
    if isinstance(want, DeploymentDesired):
        base = dict(want.attributes)
        base["model"] = attrs.pop("model", None)
    base.update(attrs)
    return ResourceState(
        address=want.address,
        kind=want.kind,
        name=want.name,
        remote_id=f"id-{want.name}",
        inputs_digest=want.inputs_digest,
        attributes=base,
        status=status,
        dependencies=list(want.depends_on),
    )


def stacked_on(child: JobDesired, parent: JobDesired, **attrs: Any) -> ResourceState:
    """A stacked job's record: it trained on its parent's fine-tuned model."""
    return recorded(child, model=model_of(parent), **attrs)


def plan_for(
    desired: Iterable[DatasetDesired | JobDesired | DeploymentDesired],
    state: Iterable[ResourceState],
    drift: Iterable[Drift] = (),
    *,
    differ: Differ | None = None,
    prices: PriceTable | None = None,
    budget: Budget | None = None,
    superseded: Iterable[tuple[ResourceState, str]] = (),
    **opts: Any,
) -> Plan:
    s = State(target="local")
    for r in state:
        s.put(r)
    for old, what in superseded:
        s.supersede(old, what)
    return build_plan(
        BuildInput(
            project="p",
            target="local",
            desired={d.address: d for d in desired},
            state=s,
            prior=s,
            differ=differ or ScriptedDiffer(),
            rules=REGISTRY,
            drift=tuple(drift),
            options=PlanOptions(**opts),
            prices=prices,
            budget=budget or Budget(),
        )
    )


def actions(plan: Plan) -> dict[str, Action]:
    return {c.address: c.action for c in plan.resource_changes}


def change(plan: Plan, address: str) -> Any:
    found = plan.change(address)
    assert found is not None, f"{address} not in the plan"
    return found
