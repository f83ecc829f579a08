"""Rebuild state from Azure: adopt every object whose tags (job metadata, deployment tags, file names) say it
belongs to this project's resources. Used by `fineplan state rebuild` after state loss."""

from __future__ import annotations

from fineplan.plan.desired import compute_desired
from fineplan.plan.refresh import refresh
from fineplan.providers.base import Provider
from fineplan.spec.project import Project
from fineplan.state.model import State


def rebuild(state: State, project: Project, provider: Provider | None) -> str:
    assert provider is not None
    desired = compute_desired(project, with_stats=False, default_account=provider.default_account)
    empty = State(target=state.target, lineage=state.lineage, serial=state.serial, forgotten=list(state.forgotten))
    result = refresh(empty, provider, desired, project.settings.project, adopt_any_digest=True)
    state.resources.clear()
    state.pending.clear()
    for address, res in result.state.resources.items():
        state.resources[address] = res
    return f"Rebuilt state with {len(state.resources)} resource(s) found by their tags."
