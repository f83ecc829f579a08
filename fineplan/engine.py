"""The engine facade: load → lint → desired → lock → refresh → plan → (confirm) → apply.

Commands call this; it never prints. Events go to the sink the caller passes (renderers draw them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fineplan.apply.events import EventSink, discard
from fineplan.context import Context
from fineplan.diagnostics import Diagnostic, has_errors
from fineplan.errors import ConfigError, DiagnosticsError, PolicyError, StalePlanError, StateError
from fineplan.plan.builder import BuildInput, PlanOptions, build_plan, inputs_fingerprint
from fineplan.plan.desired import Desired, compute_desired
from fineplan.plan.model import Action, Plan
from fineplan.plan.refresh import RefreshResult, refresh
from fineplan.providers.base import Provider
from fineplan.spec.models import AzureTarget, LocalTarget
from fineplan.spec.project import Project
from fineplan.state.backend import Backend, LockInfo
from fineplan.state.model import State


@dataclass
class PlanRun:
    plan: Plan
    desired: dict[str, Desired]
    diagnostics: list[Diagnostic]
    refreshed: State
    remote_files: list[Any] = field(default_factory=list)


class Engine:
    def __init__(
        self,
        root: Path,
        target: str | None = None,
        *,
        events: EventSink = discard,
        max_cost: float | None = None,
        lock: bool = True,
    ) -> None:
        self.ctx = Context(Path(root))
        self.target_name = target
        self.events = events
        self.max_cost = max_cost
        self.use_lock = lock

    # ------------------------------------------------------------ setup

    def project(self) -> Project:
        return self.ctx.project()

    def target(self, project: Project) -> tuple[str, LocalTarget | AzureTarget]:
        name = self.target_name or project.settings.default_target
        targets = project.settings.targets
        if name not in targets:
            if name == "local":
                return name, LocalTarget()
            hint = f" (to limit the plan to a resource, use -target {name})" if "." in name else ""
            raise ConfigError(f"unknown target {name!r}; fineplan.yaml defines: {', '.join(targets) or 'none'}{hint}")
        return name, targets[name]

    def backend(self, project: Project) -> Backend:
        from fineplan.state.factory import open_backend

        name, _ = self.target(project)
        return open_backend(project.root, project.settings.state, name, project.settings.project)

    @contextmanager
    def locked(self, backend: Backend, operation: str) -> Iterator[None]:
        if not self.use_lock:
            yield
            return
        with backend.lock(LockInfo.new(operation)):
            yield

    @contextmanager
    def provider(self, project: Project) -> Iterator[Provider]:
        from fineplan.providers.factory import open_provider

        name, target = self.target(project)
        with open_provider(project.root, name, target) as handle:
            yield handle.provider

    def lint(self) -> list[Diagnostic]:
        diags = self.ctx.lint()
        if has_errors(diags):
            raise DiagnosticsError(diags)
        return diags

    # ------------------------------------------------------------ plan

    def make_plan(
        self, provider: Provider, project: Project, prior: State, options: PlanOptions, diags: list[Diagnostic]
    ) -> PlanRun:
        name, target = self.target(project)
        desired = compute_desired(project, default_account=target.account)
        _check_addresses(options, {*desired, *prior.resources})
        if options.refreshed:
            result = refresh(prior, provider, desired, project.settings.project)
        else:
            result = RefreshResult(State.model_validate(prior.model_dump()), [], None)  # type: ignore[arg-type]
        plan_diags = list(diags)
        inp = BuildInput(
            project=project.settings.project,
            target=name,
            desired=desired,
            state=result.state,
            prior=prior,
            drift=result.drift,
            options=options,
            inputs_digest=inputs_fingerprint(desired, project.settings.model_dump(mode="json")),
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            diagnostics=tuple(d.to_json() for d in plan_diags),
        )
        plan = build_plan(inp)
        plan = self._finish_cost(plan, project, desired)
        files = list(result.remote.files.values()) if result.remote else []
        return PlanRun(plan, desired, plan_diags, result.state, files)

    def _finish_cost(self, plan: Plan, project: Project, desired: dict[str, Desired]) -> Plan:
        from dataclasses import replace

        from fineplan.plan.costing import cost_plan

        budget = self.max_cost if self.max_cost is not None else project.settings.policy.max_training_cost_usd
        changes, cost, findings = cost_plan(plan, project, desired, budget, budget_from_flag=self.max_cost is not None)
        return replace(
            plan, resource_changes=changes, cost=cost, diagnostics=(*plan.diagnostics, *(d.to_json() for d in findings))
        )

    def plan(self, options: PlanOptions | None = None) -> PlanRun:
        options = options or PlanOptions()
        diags = self.lint()
        project = self.project()
        backend = self.backend(project)
        name, _ = self.target(project)
        with self.locked(backend, "plan"):
            prior = backend.read() or State(target=name)
            with self.provider(project) as provider:
                return self.make_plan(provider, project, prior, options, diags)

    # ------------------------------------------------------------ apply

    def apply(
        self,
        *,
        options: PlanOptions | None = None,
        saved_plan: Plan | None = None,
        confirm: Callable[[Plan], bool] = lambda _p: True,
        wait: bool = True,
        timeout: float | None = None,
        poll_interval: float | None = None,
    ) -> tuple[Plan, Any]:
        from fineplan.apply.executor import ApplyOptions, Executor, StateStore

        options = options or PlanOptions()
        diags = self.lint()
        project = self.project()
        backend = self.backend(project)
        name, target = self.target(project)
        with self.locked(backend, "destroy" if options.destroy else "apply"):
            stored = backend.read()
            prior = stored or State(target=name)
            if saved_plan is not None:
                self._check_fresh(saved_plan, stored, project)
                options = PlanOptions(
                    destroy=bool(saved_plan.options.get("destroy")),
                    targets=tuple(saved_plan.options.get("targets", ())),
                    replace=tuple(saved_plan.options.get("replace", ())),
                    refreshed=True,
                )
            with self.provider(project) as provider:
                run = self.make_plan(provider, project, prior, options, diags)
                plan = run.plan
                if saved_plan is not None:
                    plan = _restrict_to_saved(plan, saved_plan)
                refused = [d for d in run.plan.diagnostics if d.get("severity") == "error"]
                if refused and plan.has_changes:
                    raise PolicyError(refused[0]["summary"] + " — apply refused before changing anything")
                if not plan.has_changes and not any(c.action is Action.WAIT for c in plan.resource_changes):
                    # Still record adoptions and refreshed attributes.
                    if run.refreshed.model_dump() != prior.model_dump():
                        backend.write(run.refreshed)
                    return plan, None
                if saved_plan is None and not confirm(plan):
                    return plan, "cancelled"
                store = StateStore(run.refreshed, backend)
                store.save()
                interval = (
                    poll_interval if poll_interval is not None else (0.2 if isinstance(target, LocalTarget) else 15.0)
                )
                executor = Executor(
                    plan,
                    run.desired,
                    provider,
                    store,
                    project=project.settings.project,
                    options=ApplyOptions(wait=wait, timeout=timeout, poll_interval=interval),
                    events=self.events,
                    known_files=run.remote_files,
                )
                result = executor.run()
                return plan, result

    def _check_fresh(self, saved: Plan, stored: State | None, project: Project) -> None:
        name, _ = self.target(project)
        if saved.project != project.settings.project or saved.target != name:
            raise StalePlanError(
                f"the saved plan is for {saved.project}/{saved.target}, not {project.settings.project}/{name}"
            )
        if saved.state_lineage is None:
            if stored is not None and (stored.resources or stored.serial):
                raise StalePlanError("the saved plan was made from an empty state, but state has changed since")
        elif stored is None or stored.lineage != saved.state_lineage or stored.serial != saved.state_serial:
            raise StalePlanError("the state changed since the plan was made (lineage/serial differ); plan again")
        desired = compute_desired(project, with_stats=False, default_account=self.target(project)[1].account)
        if inputs_fingerprint(desired, project.settings.model_dump(mode="json")) != saved.inputs_digest:
            raise StalePlanError("specs or datasets changed since the plan was made; plan again")

    # ------------------------------------------------------------ state commands

    def read_state(self) -> State:
        project = self.project()
        name, _ = self.target(project)
        return self.backend(project).read() or State(target=name)

    def mutate_state(
        self, operation: str, fn: Callable[[State, Project, Provider | None], str], needs_provider: bool = False
    ) -> str:
        project = self.project()
        backend = self.backend(project)
        name, _ = self.target(project)
        with self.locked(backend, operation):
            state = backend.read() or State(target=name)
            if needs_provider:
                with self.provider(project) as provider:
                    msg = fn(state, project, provider)
            else:
                msg = fn(state, project, None)
            backend.write(state)
            return msg


def _check_addresses(options: PlanOptions, known: set[str]) -> None:
    """-target and -replace must name a declared or managed resource: a typo would otherwise plan nothing."""
    import difflib

    for flag, addresses in (("-target", options.targets), ("-replace", options.replace)):
        for address in addresses:
            if address not in known:
                close = difflib.get_close_matches(address, sorted(known), n=1)
                hint = f'; did you mean "{close[0]}"?' if close else "; addresses look like job.NAME"
                raise ConfigError(f"{flag} {address}: no such resource in the specs or the state{hint}")


def _restrict_to_saved(current: Plan, saved: Plan) -> Plan:
    """Execute what the saved plan said; refuse if the fresh refresh disagrees about what to do."""
    from dataclasses import replace

    wanted = {c.address: c.action for c in saved.resource_changes}
    changes = []
    for c in current.resource_changes:
        want = wanted.get(c.address)
        if want is None:
            continue
        if want != c.action and not (want is Action.WAIT and c.action is Action.NOOP):
            raise StalePlanError(
                f"{c.address}: the saved plan says {want.value}, but Azure now needs {c.action.value}; plan again"
            )
        changes.append(c)
    return replace(current, resource_changes=tuple(changes))


def load_plan_file(path: Path) -> Plan:
    """A saved plan, checked against the plan schema (fineplan.render.plan_json) before it is trusted."""
    from fineplan.render.plan_json import PlanFormatError, load_plan_json

    try:
        return load_plan_json(path.read_bytes())
    except OSError as exc:
        raise StateError(f"cannot read plan file {path}: {exc.strerror or exc}") from None
    except PlanFormatError as exc:
        raise StateError(f"cannot use plan file {path}: {exc}") from None
