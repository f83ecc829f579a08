"""Refresh: read every managed kind's remote objects with a few paged list calls, in parallel, and bring the state
up to date with them.

Produces the refreshed state (a copy of the prior state updated to what Azure holds, with vanished objects
removed and crash leftovers adopted by their tags) and the drift between the two. The prior state is left
untouched so renderers can show drift apart from planned changes.

Refresh knows no kind: what to list, how to read one record back and how to recognise an object fineplan created
come from the kind rules it is given (`fineplan.kinds`, through the `RefreshRules` protocol).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

from fineplan.providers.base import Provider
from fineplan.resource import Desired, Kind
from fineplan.state.drift import Drift
from fineplan.state.model import ResourceState, State


@dataclass(frozen=True)
class Reads:
    """A kind's list calls (run in parallel with every other kind's) and how their results make its index."""

    calls: tuple[Callable[[], object], ...]
    combine: Callable[[list[object]], object]


@dataclass(frozen=True)
class Refreshed:
    """One record after refresh: the updated record (None: gone from Azure, dropped from state) and any drift."""

    record: ResourceState | None
    drift: Drift | None = None


@dataclass(frozen=True)
class AdoptContext:
    project: str
    forgotten: frozenset[str]  # remote ids released with `state rm`: never adopted back
    any_digest: bool = False  # `state rebuild`: adopt jobs whatever inputs digest their tags carry


class RefreshRules(Protocol):
    """What refresh asks of one kind."""

    def reads(self, provider: Provider, records: Sequence[ResourceState], wanted: Sequence[Desired]) -> Reads: ...

    def refresh(self, record: ResourceState, index: object, now: float) -> Refreshed: ...

    def adopt(self, want: Desired, index: object, ctx: AdoptContext) -> tuple[ResourceState, Drift] | None: ...


@dataclass
class Snapshot:
    """What the list calls found, per kind (each kind's own index type)."""

    indexes: dict[Kind, object] = field(default_factory=dict)

    def get(self, kind: Kind) -> object | None:
        return self.indexes.get(kind)


@dataclass
class RefreshResult:
    state: State
    drift: list[Drift]
    snapshot: Snapshot


def read_snapshot(
    provider: Provider,
    rules: Mapping[Kind, RefreshRules],
    records: Sequence[ResourceState],
    wanted: Sequence[Desired],
    *,
    workers: int = 8,
) -> Snapshot:
    """Every kind's list calls at once on one pool; each kind combines its own results."""
    reads = {
        kind: r.reads(provider, [x for x in records if x.kind == kind], [w for w in wanted if w.kind == kind])
        for kind, r in rules.items()
    }
    calls = [c for r in reads.values() for c in r.calls]
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(calls)))) as pool:
        futures = {kind: [pool.submit(c) for c in r.calls] for kind, r in reads.items()}
        return Snapshot({kind: reads[kind].combine([f.result() for f in fs]) for kind, fs in futures.items()})


def refresh(
    prior: State,
    provider: Provider,
    desired: Mapping[str, Desired],
    project: str,
    rules: Mapping[Kind, RefreshRules],
    *,
    now: float | None = None,
    adopt_any_digest: bool = False,
) -> RefreshResult:
    """The refreshed state and the drift. `desired` (in dependency order) says what may be adopted."""
    now = time.time() if now is None else now
    snapshot = read_snapshot(provider, rules, list(prior.resources.values()), list(desired.values()))
    return reconcile(prior, snapshot, desired, project, rules, now=now, adopt_any_digest=adopt_any_digest)


def reconcile(
    prior: State,
    snapshot: Snapshot,
    desired: Mapping[str, Desired],
    project: str,
    rules: Mapping[Kind, RefreshRules],
    *,
    now: float,
    adopt_any_digest: bool = False,
) -> RefreshResult:
    """Refresh from what was already read: pure, so it is unit-tested with a hand-made snapshot."""
    state = State.model_validate(prior.model_dump())
    drift: list[Drift] = []
    for address in list(state.resources):
        res = state.resources[address]
        kind = Kind(res.kind)
        outcome = rules[kind].refresh(res, snapshot.get(kind), now)
        if outcome.drift is not None:
            drift.append(outcome.drift)
        if outcome.record is None:
            state.remove(address)
        else:
            state.resources[address] = outcome.record

    # Adopt remote objects that carry our tags but are missing from state (a crash between create and record).
    ctx = AdoptContext(project, frozenset(state.forgotten), adopt_any_digest)
    for address, want in desired.items():
        if address in state.resources:
            continue
        found = rules[want.kind].adopt(want, snapshot.get(want.kind), ctx)
        if found is not None:
            record, why = found
            state.put(record)
            drift.append(why)

    # Every journaled intent is settled now: its object was adopted above by its tags (the op id travels with
    # it), or it failed (the plan replaces it), or the create never reached Azure.
    state.pending.clear()
    return RefreshResult(state, drift, snapshot)
