"""What a kind's apply step works with: the provider, the shared state (journaled, saved at every change), the
event sink, the run's options and deadline, and the cleanup list. The executor owns the order; steps own the
calls.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from fineplan.apply.events import EventSink, discard
from fineplan.errors import FineplanError
from fineplan.plan.model import ResourceChange
from fineplan.providers.base import Provider
from fineplan.resource import Desired
from fineplan.state.backend import Backend
from fineplan.state.model import Intent, ResourceState, State
from fineplan.state.refresh import Snapshot


class StateStore:
    """One State shared by the executor's threads; every mutation is persisted at once."""

    def __init__(self, state: State, backend: Backend) -> None:
        self.state = state
        self.backend = backend
        self.lock = threading.RLock()

    def save(self) -> None:
        with self.lock:
            self.backend.write(self.state)

    def put(self, record: ResourceState) -> None:
        with self.lock:
            self.state.put(record)
            self.save()

    def remove(self, address: str) -> None:
        with self.lock:
            self.state.remove(address)
            self.save()

    def begin(self, address: str, inputs_digest: str, operation: str) -> Intent:
        """Journal an intent and persist it before the call that spends money."""
        with self.lock:
            intent = self.state.begin(address, inputs_digest, operation)
            self.save()
            return intent

    def complete(self, op_id: str, record: ResourceState) -> None:
        with self.lock:
            self.state.complete(op_id, record)
            self.save()

    def abandon(self, op_id: str) -> None:
        with self.lock:
            self.state.abandon(op_id)
            self.save()


@dataclass(frozen=True)
class ApplyOptions:
    wait: bool = True
    timeout: float | None = None  # seconds for the whole apply's waiting
    poll_interval: float = 2.0
    parallelism: int = 4


class Deferred(Exception):
    """A resource cannot proceed in this run (its job is still training under --no-wait): re-run apply."""


class GateFailed(Deferred):
    """A deployment's gate failed on the final metrics: that deployment alone is held back (nothing pending)."""


@dataclass(frozen=True)
class Leftover:
    """An old object a create-then-delete replacement left behind, deleted in the cleanup stage."""

    address: str
    what: str  # for people: "job ftjob-…", "file file-…"
    delete: Callable[[], None]
    record: ResourceState | None = None  # remembered in state until deleted, so a later apply can clean it up


@dataclass
class ApplyContext:
    provider: Provider
    store: StateStore
    project: str
    options: ApplyOptions = field(default_factory=ApplyOptions)
    emit: EventSink = discard
    snapshot: Snapshot = field(default_factory=Snapshot)  # what refresh listed (e.g. uploads to reuse)
    stop: threading.Event = field(default_factory=threading.Event)
    leftovers: list[Leftover] = field(default_factory=list)
    _deadline: float | None = field(default=None, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __post_init__(self) -> None:
        if self.options.timeout:
            self._deadline = time.monotonic() + self.options.timeout

    @property
    def state(self) -> State:
        return self.store.state

    def leave(self, leftover: Leftover, *, save: bool = True) -> None:
        """Note an old object for the cleanup stage, and remember it in state (`save=False`: the caller's next
        write persists it together with the record of its replacement)."""
        with self._lock:
            self.leftovers.append(leftover)
        if leftover.record is not None:
            with self.store.lock:
                self.state.supersede(leftover.record, leftover.what)
                if save:
                    self.store.save()

    def check_deadline(self, waiting_for: str) -> None:
        if self._deadline is not None and time.monotonic() > self._deadline:
            raise FineplanError(f"timed out waiting for {waiting_for}; state saved, re-run apply")

    def pause(self) -> None:
        """Wait one poll interval between reads of something still in progress; Ctrl-C ends it early."""
        if self.stop.wait(self.options.poll_interval):
            raise Deferred("interrupted")


class ApplyRules(Protocol):
    """What the executor asks of one kind."""

    def apply(self, ctx: ApplyContext, change: ResourceChange, want: Desired) -> str:
        """Create, update, replace (in the order the change's action says) or wait for one resource; record it in
        state; return a short detail for the progress line. Raise Deferred to hold it back for a later run."""
        ...

    def delete(self, ctx: ApplyContext, record: ResourceState) -> None:
        """Delete the remote object(s) of a record (the executor removes the record)."""
        ...

    def needed_by(self, old: ResourceState, state: Mapping[str, ResourceState]) -> str | None:
        """The address of a record still built on a superseded old object (so cleanup keeps it), or None."""
        ...
