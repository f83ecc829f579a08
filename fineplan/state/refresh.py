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
    tracked: frozenset[str] = frozenset()  # remote ids state holds (records and superseded objects)


class RefreshRules(Protocol):
    """What refresh asks of one kind."""

    def reads(self, provider: Provider, records: Sequence[ResourceState], wanted: Sequence[Desired]) -> Reads: ...

    def refresh(self, record: ResourceState, index: object, now: float) -> Refreshed: ...

    def adopt(self, want: Desired, index: object, ctx: AdoptContext) -> tuple[ResourceState, Drift] | None: ...

    def adopt_replacement(
        self, want: Desired, index: object, ctx: AdoptContext, op_id: str
    ) -> tuple[ResourceState, Drift] | None:
        """The object a journaled replacement (`op_id`) created before its run ended, if Azure has it."""
        ...

    def describe(self, record: ResourceState) -> str:
        """The record's remote object for people ("job ftjob-…"); a superseded object's identity."""
        ...

    def untracked(self, index: object, ctx: AdoptContext) -> list[Drift]:
        """Live objects carrying this project's tags that state does not track (money spent unseen)."""
        ...


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
    records = [*prior.resources.values(), *(s.record for s in prior.superseded)]  # old objects' accounts too
    snapshot = read_snapshot(provider, rules, records, list(desired.values()))
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
    # Old objects kept after a replacement: forget those gone from Azure, keep the rest's records current.
    kept = []
    for old in state.superseded:
        outcome = rules[Kind(old.record.kind)].refresh(old.record, snapshot.get(Kind(old.record.kind)), now)
        if outcome.record is not None:
            old.record = outcome.record
            kept.append(old)
    state.superseded = kept
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

    # A replacement journaled and created before its run ended (its id never recorded): Azure has the new object,
    # paid for, so it becomes the record and the old one is superseded (deleted by a later cleanup stage).
    ctx = AdoptContext(project, frozenset(state.forgotten), adopt_any_digest)
    for intent in state.pending:
        want = desired.get(intent.address)
        old_record = state.get(intent.address)
        if intent.operation != "replace" or want is None or old_record is None:
            continue
        found = rules[want.kind].adopt_replacement(want, snapshot.get(want.kind), ctx, intent.op_id)
        if found is not None:
            record, why = found
            state.supersede(old_record, rules[want.kind].describe(old_record))
            state.put(record)
            drift.append(why)

    # Adopt remote objects that carry our tags but are missing from state (a crash between create and record).
    for address, want in desired.items():
        if address in state.resources:
            continue
        found = rules[want.kind].adopt(want, snapshot.get(want.kind), ctx)
        if found is not None:
            record, why = found
            state.put(record)
            drift.append(why)

    # A superseded object that is also a live record (a run ended between the two writes) is not old: keep it.
    live = state.live_ids()
    state.superseded = [s for s in state.superseded if s.record.remote_id not in live]

    # What carries our tags, is still running and state does not track: reported, never adopted silently.
    tracked = {r.remote_id for r in state.resources.values() if r.remote_id}
    tracked |= {s.record.remote_id for s in state.superseded if s.record.remote_id}
    seen = AdoptContext(project, frozenset(state.forgotten), adopt_any_digest, frozenset(tracked))
    for kind, r in rules.items():
        drift.extend(r.untracked(snapshot.get(kind), seen))

    # Every journaled intent is settled now: its object was adopted above by its tags (the op id travels with
    # it), or it failed (the plan replaces it), or the create never reached Azure.
    state.pending.clear()
    return RefreshResult(state, drift, snapshot)
