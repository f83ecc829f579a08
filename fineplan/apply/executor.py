"""The executor: runs a Plan's stages in order, each change through its kind's apply step, emitting events.

It follows the plan and chooses no order of its own: the walk stage goes in dependency order (independent
changes in parallel, one graph walk: `fineplan.graph.walk`), the delete stage dependents first, and the cleanup
stage deletes what create-then-delete replacements left behind.

Money safety lives in the steps (`fineplan.kinds`): before a call that spends money the intent is journaled and
persisted; the remote id is recorded right after. Every state change is written at once (atomic write by the
backend), so an interrupted or failed apply leaves state consistent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from fineplan.apply.context import ApplyContext, ApplyRules, Deferred, GateFailed
from fineplan.apply.events import Message, ResourceFailed, ResourceFinished, ResourceSkipped, ResourceStarted
from fineplan.errors import FineplanError, Interrupted
from fineplan.graph.dag import DAG
from fineplan.graph.walk import walk
from fineplan.plan.model import Plan, ResourceChange, StageName
from fineplan.resource import Desired, Kind
from fineplan.state.model import ResourceState


@dataclass
class ExecutionReport:
    """What happened to each change of the plan."""

    done: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)  # submitted, still training (--no-wait)
    cleaned: list[str] = field(default_factory=list)  # leftovers deleted, as "address: what"

    @property
    def ok(self) -> bool:
        return not self.failed


class Executor:
    def __init__(
        self,
        plan: Plan,
        desired: Mapping[str, Desired],
        rules: Mapping[Kind, ApplyRules],
        ctx: ApplyContext,
    ) -> None:
        self.plan = plan
        self.desired = desired
        self.rules = rules
        self.ctx = ctx
        self.report = ExecutionReport()
        self._changes = {c.address: c for c in plan.resource_changes}

    def run(self) -> ExecutionReport:
        for c in self.plan.resource_changes:
            if c.blocked and c.action.changes:
                self._skip(c.address, c.blocked)
        try:
            for stage in self.plan.stages:
                if self.ctx.stop.is_set():
                    break
                changes = [self._changes[a] for a in stage.addresses if a in self._changes]
                if stage.name is StageName.WALK:
                    self._walk(changes)
                elif stage.name is StageName.DELETE:
                    self._delete(changes)
                elif stage.name is StageName.CLEANUP:
                    self._cleanup(changes)
        except KeyboardInterrupt:
            self.ctx.stop.set()
            self.ctx.store.save()
            raise Interrupted("apply interrupted; state saved. Re-run apply to continue.") from None
        return self.report

    # ------------------------------------------------------------ stages

    def _walk(self, changes: list[ResourceChange]) -> None:
        dag = DAG.of({c.address: c.depends_on for c in changes})
        by_address = {c.address: c for c in changes}
        walk(
            dag,
            lambda a: self._run(by_address[a], self._apply_one),
            blocked=lambda a, dep: self._skip(a, f"depends on {dep}, which {self._fate(dep)}"),
            workers=self.ctx.options.parallelism,
            stop=self.ctx.stop,
        )

    def _delete(self, changes: list[ResourceChange]) -> None:
        # Dependents first: a record is deleted once everything recorded as built on it is gone.
        dag = DAG.of({c.address: c.depends_on for c in changes}).reversed()
        by_address = {c.address: c for c in changes}
        walk(
            dag,
            lambda a: self._run(by_address[a], self._delete_one),
            blocked=lambda a, dep: self._skip(a, f"still needed by {dep}, which {self._fate(dep)}"),
            workers=self.ctx.options.parallelism,
            stop=self.ctx.stop,
        )

    def _cleanup(self, changes: list[ResourceChange]) -> None:
        """Old objects (this run's replacements and earlier runs', remembered in state) go only when nothing
        failed, once their replacement and every change built on it are done, and while no record still uses
        them: a deployment held back by a gate or a job still training keeps the old model. What stays is
        still remembered, for a later apply."""
        wanted = {c.address for c in changes}
        state = self.ctx.state
        in_run = {(lo.address, lo.what): lo for lo in self.ctx.leftovers if lo.address in wanted}
        due: list[tuple[str, str, ResourceState | None]] = [
            (old.record.address, old.what, old.record) for old in state.superseded if old.record.address in wanted
        ]
        due += [(a, what, None) for (a, what), lo in in_run.items() if lo.record is None]
        if self.report.failed:
            for address, what, _ in due:
                self._note(f"kept the replaced {what} of {address}: apply did not complete")
            return
        unfinished = set(self.report.skipped) | set(self.report.pending)
        dag = DAG.of({c.address: c.depends_on for c in self.plan.resource_changes})
        for address, what, record in due:
            if record is not None and record.remote_id in state.live_ids():  # a live record's object: not old
                self._forget(what)
                continue
            held = sorted(({address} | dag.downstream(address)) & unfinished)
            if held:
                self._note(f"kept the replaced {what} of {address}: {held[0]} is not done yet")
                continue
            rules = self.rules[Kind(record.kind)] if record is not None else None
            needer = rules.needed_by(record, state.resources) if rules is not None and record is not None else None
            if needer is not None:
                self._note(f"kept the replaced {what} of {address}: {needer} still uses it")
                continue
            leftover = in_run.get((address, what))
            try:
                if leftover is not None:
                    leftover.delete()
                elif rules is not None and record is not None:
                    rules.delete(self.ctx, record)
            except FineplanError as exc:
                self._note(f"could not delete the replaced {what} of {address}: {exc}", "warn")
                continue
            self._forget(what)
            self.report.cleaned.append(f"{address}: {what}")
            self._note(f"deleted the replaced {what} of {address}")

    def _forget(self, what: str) -> None:
        with self.ctx.store.lock:
            self.ctx.state.drop_superseded(what)
            self.ctx.store.save()

    # ------------------------------------------------------------ one change

    def _apply_one(self, change: ResourceChange) -> str:
        want = self.desired.get(change.address)
        if want is None:
            raise FineplanError(f"{change.address} is in the plan but not in the configuration")
        return self.rules[change.kind].apply(self.ctx, change, want)

    def _delete_one(self, change: ResourceChange) -> str:
        record = self.ctx.state.get(change.address)
        if record is None:
            return "already gone"
        self.rules[change.kind].delete(self.ctx, record)
        self.ctx.store.remove(change.address)
        return "deleted"

    def _run(self, change: ResourceChange, step: Callable[[ResourceChange], str]) -> bool:
        """Run one step, report it, and say whether what depends on it may go ahead."""
        address, action = change.address, change.action.value
        if self.ctx.stop.is_set():
            self._skip(address, "interrupted")
            return False
        self.ctx.emit(ResourceStarted(address, action=action, kind=change.kind.value))
        try:
            detail = step(change)
        except Deferred as why:
            if not isinstance(why, GateFailed):
                self.report.pending.append(address)
            self._skip(address, str(why))
            return False
        except FineplanError as exc:
            return self._fail(address, action, str(exc))
        except Exception as exc:  # an SDK or network error not mapped by the provider: report, keep state
            return self._fail(address, action, f"{type(exc).__name__}: {exc}")
        self.report.done.append(address)
        record = self.ctx.state.get(address)
        remote_id = record.remote_id if record else None
        self.ctx.emit(ResourceFinished(address, action=action, remote_id=remote_id, detail=detail))
        return True

    def _fail(self, address: str, action: str, error: str) -> bool:
        self.report.failed[address] = error
        self.ctx.emit(ResourceFailed(address, action=action, error=error))
        return False

    def _skip(self, address: str, reason: str) -> None:
        self.report.skipped[address] = reason
        self.ctx.emit(ResourceSkipped(address, reason=reason))

    def _fate(self, address: str) -> str:
        return "failed" if address in self.report.failed else "was skipped"

    def _note(self, text: str, level: str = "info") -> None:
        self.ctx.emit(Message("cleanup", text=text, level=level))
