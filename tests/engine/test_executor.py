"""The executor on its own: it runs the plan's stages in order (walk in dependency order, independent changes in
parallel; deletes dependents first; cleanup last, and only what is safe to clean), through scripted kind steps.

No Azure here: the executor never calls the provider itself (only the kinds' steps do), so it gets one that fails
the test if touched. The steps record what they were asked to do.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pytest

from fineplan.apply.context import ApplyContext, ApplyOptions, Deferred, GateFailed, Leftover, StateStore
from fineplan.apply.executor import ExecutionReport, Executor
from fineplan.errors import FineplanError
from fineplan.graph.dag import DAG
from fineplan.graph.walk import walk
from fineplan.plan.model import Action, Plan, ResourceChange
from fineplan.plan.stages import plan_stages
from fineplan.providers.base import Provider
from fineplan.resource import Desired, Kind
from fineplan.state.local import LocalBackend
from fineplan.state.model import ResourceState, State


class NoAzure:
    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the executor called provider.{name} itself")


@dataclass(frozen=True, kw_only=True)
class Thing(Desired):
    KIND = Kind.JOB


@dataclass
class Steps:
    """Scripted ApplyRules: each step logs itself; some fail, defer or hit a failing gate."""

    log: list[str] = field(default_factory=list)
    fail: set[str] = field(default_factory=set)
    defer: set[str] = field(default_factory=set)
    gate: set[str] = field(default_factory=set)
    hooks: dict[str, Any] = field(default_factory=dict)  # address → callable run inside its step
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _note(self, text: str) -> None:
        with self.lock:
            self.log.append(text)

    def apply(self, ctx: ApplyContext, change: ResourceChange, want: Desired) -> str:
        a = change.address
        if a in self.hooks:
            self.hooks[a]()
        if a in self.fail:
            raise FineplanError(f"{a} broke")
        if a in self.gate:
            raise GateFailed("gate failed: train_loss = 2.0 (limit 1.0)")
        if change.action is Action.DELETE_THEN_CREATE:
            self._note(f"delete old {a}")
        self._note(f"{change.action.value} {a}")
        if change.action is Action.CREATE_THEN_DELETE:
            ctx.leave(Leftover(a, f"old {a}", lambda: self._note(f"cleanup {a}")))
        if a in self.defer:
            raise Deferred(f"{a} still training")
        ctx.store.put(_record(a))
        return "done"

    def delete(self, ctx: ApplyContext, record: ResourceState) -> None:
        if record.address in self.fail:
            raise FineplanError(f"{record.address} cannot be deleted")
        self._note(f"delete {record.address}")


def _record(address: str, depends_on: Iterable[str] = ()) -> ResourceState:
    return ResourceState(
        address=address,
        kind=Kind.JOB,
        name=address.partition(".")[2],
        remote_id=f"id-{address}",
        inputs_digest="x",
        dependencies=list(depends_on),
    )


def _change(address: str, action: Action, *deps: str, blocked: str | None = None) -> ResourceChange:
    return ResourceChange(address, Kind.JOB, address.partition(".")[2], action, depends_on=deps, blocked=blocked)


def _run(
    tmp_path: Path, changes: list[ResourceChange], steps: Steps, *, workers: int = 1, state: Iterable[str] = ()
) -> ExecutionReport:
    plan = Plan("p", "local", tuple(changes), stages=plan_stages(changes))
    recorded = State(target="local")
    for c in changes:
        if c.address in state:
            recorded.put(_record(c.address, c.depends_on))
    tmp_path.mkdir(parents=True, exist_ok=True)
    store = StateStore(recorded, LocalBackend(tmp_path / "state.json", "local"))
    ctx = ApplyContext(cast(Provider, NoAzure()), store, "p", ApplyOptions(parallelism=workers))
    desired = {c.address: Thing(address=c.address, name=c.name, attributes={}, inputs_digest="x") for c in changes}
    return Executor(plan, desired, {Kind.JOB: steps}, ctx).run()


def test_stages_run_in_order_walk_then_deletes_dependents_first_then_cleanup(tmp_path: Path) -> None:
    changes = [
        _change("job.a", Action.CREATE_THEN_DELETE),
        _change("job.b", Action.UPDATE, "job.a"),
        _change("job.c", Action.DELETE_THEN_CREATE, "job.b"),
        _change("job.old-user", Action.DELETE, "job.old-base"),
        _change("job.old-base", Action.DELETE),
    ]
    steps = Steps()
    report = _run(tmp_path, changes, steps, state=["job.a", "job.c", "job.old-user", "job.old-base"])
    assert steps.log == [
        "create-then-delete job.a",
        "update job.b",
        "delete old job.c",
        "delete-then-create job.c",
        "delete job.old-user",  # what is built on job.old-base goes first
        "delete job.old-base",
        "cleanup job.a",  # the replaced object goes last, once everything else is done
    ]
    assert report.ok and report.cleaned == ["job.a: old job.a"]


def test_independent_changes_run_in_parallel(tmp_path: Path) -> None:
    both = threading.Barrier(2, timeout=30)  # each step waits for the other: only a parallel walk gets through
    steps = Steps(hooks={"job.a": both.wait, "job.b": both.wait})
    report = _run(tmp_path, [_change("job.a", Action.CREATE), _change("job.b", Action.CREATE)], steps, workers=2)
    assert report.ok and sorted(report.done) == ["job.a", "job.b"]


def test_a_failure_skips_what_depends_on_it_keeps_the_rest_and_cleans_up_nothing(tmp_path: Path) -> None:
    changes = [
        _change("job.a", Action.CREATE_THEN_DELETE),
        _change("job.broken", Action.CREATE, "job.a"),
        _change("job.after", Action.CREATE, "job.broken"),
        _change("job.last", Action.CREATE, "job.after"),
        _change("job.other", Action.CREATE),
        _change("job.gone", Action.DELETE),
    ]
    steps = Steps(fail={"job.broken"})
    report = _run(tmp_path, changes, steps, state=["job.a", "job.gone"])
    assert report.failed == {"job.broken": "job.broken broke"}
    assert report.skipped == {
        "job.after": "depends on job.broken, which failed",
        "job.last": "depends on job.after, which was skipped",
    }
    assert "create job.other" in steps.log and "delete job.gone" in steps.log
    assert not any(line.startswith("cleanup") for line in steps.log)  # the old job.a stays: apply failed


def test_cleanup_waits_for_everything_built_on_the_replacement(tmp_path: Path) -> None:
    """A job retrained under --no-wait, or a deployment held back by its gate, still needs the old object."""
    changes = [
        _change("job.sft", Action.CREATE_THEN_DELETE),
        _change("job.served", Action.UPDATE, "job.sft"),
        _change("job.solo", Action.CREATE_THEN_DELETE),
    ]
    gated = Steps(gate={"job.served"})
    report = _run(tmp_path / "gated", changes, gated, state=["job.sft", "job.solo"])
    assert report.ok and report.skipped == {"job.served": "gate failed: train_loss = 2.0 (limit 1.0)"}
    assert report.pending == []  # a failed gate is not something to wait for
    assert report.cleaned == ["job.solo: old job.solo"]  # job.sft's old object still serves job.served

    waiting = Steps(defer={"job.sft"})
    report = _run(tmp_path / "waiting", changes, waiting, state=["job.sft", "job.solo"])
    assert report.pending == ["job.sft"] and report.skipped["job.served"] == "depends on job.sft, which was skipped"
    assert report.cleaned == ["job.solo: old job.solo"]


def test_blocked_changes_are_skipped_without_running(tmp_path: Path) -> None:
    changes = [_change("job.a", Action.CREATE, blocked="gate failed: valid_loss"), _change("job.b", Action.CREATE)]
    steps = Steps()
    report = _run(tmp_path, changes, steps)
    assert report.skipped == {"job.a": "gate failed: valid_loss"} and steps.log == ["create job.b"]


def test_a_delete_that_fails_keeps_what_it_was_built_on(tmp_path: Path) -> None:
    changes = [_change("job.user", Action.DELETE, "job.base"), _change("job.base", Action.DELETE)]
    steps = Steps(fail={"job.user"})
    report = _run(tmp_path, changes, steps, state=["job.user", "job.base"])
    assert report.skipped == {"job.base": "still needed by job.user, which failed"}
    assert steps.log == []


# ---------------------------------------------------------------------------------------------- the walk itself


def test_walk_holds_back_everything_downstream_of_a_failure_and_reports_why() -> None:
    dag = DAG.of({"a": [], "b": ["a"], "c": ["b"], "d": []})
    visited: list[str] = []
    held: dict[str, str] = {}

    def visit(node: str) -> bool:
        visited.append(node)
        return node != "a"

    walk(dag, visit, blocked=lambda n, why: held.__setitem__(n, why), workers=1)
    assert visited == ["a", "d"] and held == {"b": "a", "c": "b"}


def test_walk_propagates_a_bug_in_a_visit() -> None:
    def visit(node: str) -> bool:
        raise RuntimeError(f"bug in {node}")

    with pytest.raises(RuntimeError, match="bug in a"):
        walk(DAG.of({"a": []}), visit, blocked=lambda n, why: None)
