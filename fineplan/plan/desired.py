"""What the project asks for, per address: each kind's Desired, in dependency order.

A job's inputs digest covers everything that affects training; for a stacked job the parent's inputs digest
stands in for the parent's fine-tuned model name (not known until it trains), so a retrained parent makes every
stacked child retrain too. A deployment's model of `{job: X}` is likewise the job's digest until X has trained.
How each kind builds its Desired lives with the kind (`fineplan.kinds`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fineplan.plan.digest import digest
from fineplan.plan.rules import DesiredContext, DesiredRules
from fineplan.resource import Desired, Kind
from fineplan.spec.project import Project
from fineplan.spec.references import build_graph


def compute_desired(
    project: Project,
    rules: Mapping[Kind, DesiredRules],
    *,
    with_stats: bool = True,
    default_account: str | None = None,
) -> dict[str, Desired]:
    """Desired resources keyed by address, in dependency order. Reads dataset bytes (digests are cached).

    `default_account` (the target's) is written into resources that name none, so state and spec compare.
    """
    ctx = DesiredContext(project, with_stats=with_stats, default_account=default_account)
    out: dict[str, Desired] = {}
    for address in build_graph(project).topological():
        entry = project.entries[address]
        out[address] = rules[Kind(entry.kind)].desired(entry, out, ctx)
    return out


def inputs_fingerprint(desired: Mapping[str, Desired], settings: dict[str, Any]) -> str:
    """One digest of every resource's inputs and the project settings: a saved plan is stale once it moves."""
    return digest({"resources": {a: d.inputs_digest for a, d in desired.items()}, "settings": settings})
