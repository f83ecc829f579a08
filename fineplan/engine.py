"""The facade the CLI calls: load → validate / lint → desired → lock → refresh → plan → (confirm) → apply, and the
state commands (rm, mv, rebuild, import, output).

It wires the generic kernel to the kind registry (`fineplan.kinds.REGISTRY`) and the provider, and never prints:
events go to the sink the caller passes (renderers draw them).

    engine = Engine(root, "local", events=sink)
    run = engine.plan(PlanOptions())        # PlanRun: the frozen Plan and what it was made from
    result = engine.apply()                 # ApplyResult: the plan applied and what happened to each change
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fineplan.apply.events import EventSink, discard
from fineplan.diagnostics import Diagnostic, Location, has_errors
from fineplan.errors import ConfigError, DiagnosticsError, FineplanError, PolicyError, StalePlanError, StateError
from fineplan.kinds import REGISTRY, KindHandler
from fineplan.plan.costing import Budget
from fineplan.plan.model import Action, Plan, PlanOptions
from fineplan.providers.base import ChatReply, DiffResult, Provider
from fineplan.resource import Desired, Kind
from fineplan.spec.models import AzureTarget, LocalTarget
from fineplan.spec.project import Project
from fineplan.state.backend import Backend, LockInfo
from fineplan.state.model import State
from fineplan.state.refresh import Snapshot


@dataclass
class PlanRun:
    """A plan and what it was made from (the executor needs the desired resources and the refreshed state)."""

    plan: Plan
    desired: dict[str, Desired]
    refreshed: State
    snapshot: Snapshot = field(default_factory=Snapshot)
    retries: Mapping[str, int] = field(default_factory=dict)  # calls the provider retried, per reason


class ApplyStatus(enum.StrEnum):
    NO_CHANGES = "no-changes"  # nothing to do (refreshed attributes and adoptions were still recorded)
    CANCELLED = "cancelled"  # the confirmation was refused
    APPLIED = "applied"  # the executor ran: see done / failed / skipped / pending


@dataclass(frozen=True)
class ApplyResult:
    plan: Plan
    status: ApplyStatus
    done: tuple[str, ...] = ()
    failed: Mapping[str, str] = field(default_factory=dict)
    skipped: Mapping[str, str] = field(default_factory=dict)
    pending: tuple[str, ...] = ()  # submitted, still training (--no-wait)
    retries: Mapping[str, int] = field(default_factory=dict)  # calls the provider retried, per reason
    cleaned: tuple[str, ...] = ()  # old objects of replacements deleted at cleanup, as "address: what"

    @property
    def ok(self) -> bool:
        return self.status is not ApplyStatus.CANCELLED and not self.failed

    def counts(self) -> dict[str, int]:
        """Resources added, changed and destroyed by the changes that were done (a replacement is both). A
        create-then-delete counts as destroyed only once cleanup deleted its old object: one kept because a gated
        or unfinished dependent still needs it is still there (a later apply deletes it)."""
        done = [c for c in self.plan.resource_changes if c.address in self.done]
        cleaned = {entry.split(": ", 1)[0] for entry in self.cleaned}
        destroyed = [
            c for c in done if c.action.destroys and (c.action is not Action.CREATE_THEN_DELETE or c.address in cleaned)
        ]
        kept = [c for c in done if c.action is Action.CREATE_THEN_DELETE and c.address not in cleaned]
        return {
            "added": sum(c.action.creates for c in done),
            "changed": sum(c.action is Action.UPDATE for c in done),
            "destroyed": len(destroyed),
            "kept": len(kept),
        }


class Engine:
    def __init__(
        self,
        root: Path,
        target: str | None = None,
        *,
        events: EventSink = discard,
        max_cost: float | None = None,
        lock: bool = True,
        kinds: Mapping[Kind, KindHandler] = REGISTRY,
    ) -> None:
        self.root = Path(root)
        self.target_name = target
        self.events = events
        self.max_cost = max_cost
        self.use_lock = lock
        self.kinds = kinds
        self._loaded: tuple[Project | None, list[Diagnostic]] | None = None

    # ------------------------------------------------------------ load, validate, lint

    def load(self) -> tuple[Project | None, list[Diagnostic]]:
        if self._loaded is None:
            from fineplan.spec.loader import load_project

            self._loaded = load_project(self.root)
        return self._loaded

    def project(self) -> Project:
        """The loaded project, or DiagnosticsError if loading found errors."""
        project, diags = self.load()
        if project is None or has_errors(diags):
            raise DiagnosticsError([d for d in diags if d.is_error] or diags)
        return project

    def validate(self) -> list[Diagnostic]:
        """Structure and references only (FP1xx, FP2xx): no dataset is read."""
        from fineplan.lint.runner import filter_diagnostics

        project, diags = self.load()
        return filter_diagnostics(project, diags, select=("FP1", "FP2"))

    def lint(self, *, datasets: bool = True, budget: bool = True) -> list[Diagnostic]:
        """Lint findings. `budget`: also price the project as if every job were created (FP501/FP502), as
        `fineplan lint` does; a plan prices only what it changes, so it lints without that."""
        from fineplan.lint.runner import filter_diagnostics, run_project_rules

        project, diags = self.load()
        found = list(diags)
        if project is not None and not has_errors(diags):
            found.extend(run_project_rules(project))
            if datasets:
                from fineplan.lint.dataset_checks import check_project_datasets

                found.extend(check_project_datasets(project))
                if budget and not has_errors(found):
                    found.extend(self._lint_budget(project))
        return filter_diagnostics(project, found)

    def _lint_budget(self, project: Project) -> list[Diagnostic]:
        """FP501/FP502 as a plan raises them, priced on an empty state: lint reads neither state nor Azure, so every
        job counts as if it were created (a plan from a state counts only what it creates or replaces)."""
        from fineplan.plan.builder import BuildInput, build_plan
        from fineplan.pricing import load_price_table

        limit, location = self._budget(project)
        try:
            name, _ = self.target(project)
            desired = self.desired(project)
        except FineplanError:
            return []  # whatever stops it is reported by the checks above or by plan
        empty = State(target=name)
        plan = build_plan(
            BuildInput(
                project=project.settings.project,
                target=name,
                desired=desired,
                state=empty,
                prior=empty,
                differ=_NO_DIFF,
                rules=self.kinds,
                prices=load_price_table(project.settings.prices),
                budget=Budget(limit, location),
            )
        )
        note = "lint reads no state, so it prices the project as if every job were created; `fineplan plan` "
        note += "counts only the jobs a plan creates or replaces."
        return [
            replace(d, detail=f"{d.detail} ({note})" if d.detail else note)
            for d in plan.diagnostics
            if d.code in ("FP501", "FP502")
        ]

    def _budget(self, project: Project) -> tuple[float | None, Location | None]:
        if self.max_cost is not None:  # a budget given with --max-cost has no place in a file to point at
            return self.max_cost, None
        limit = project.settings.policy.max_training_cost_usd
        return limit, project.settings_location("policy", "max_training_cost_usd")

    def _linted(self) -> list[Diagnostic]:
        """Lint findings to carry into a plan; errors stop before anything is read from Azure."""
        diags = self.lint(budget=False)  # the plan's own costing checks the budget, on what it changes
        if has_errors(diags):
            raise DiagnosticsError(diags)
        return diags

    # ------------------------------------------------------------ target, state, provider

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

    def desired(self, project: Project, *, with_stats: bool = True) -> dict[str, Desired]:
        from fineplan.plan.desired import compute_desired

        _, target = self.target(project)
        return compute_desired(project, self.kinds, with_stats=with_stats, default_account=target.account)

    # ------------------------------------------------------------ plan

    def make_plan(
        self, provider: Provider, project: Project, prior: State, options: PlanOptions, diags: list[Diagnostic]
    ) -> PlanRun:
        """Refresh (unless -refresh=false) and build the plan, priced and guarded. Holds no lock itself."""
        from fineplan.plan.builder import BuildInput, build_plan
        from fineplan.plan.desired import inputs_fingerprint
        from fineplan.pricing import load_price_table
        from fineplan.state.refresh import RefreshResult, refresh

        name, _ = self.target(project)
        desired = self.desired(project)
        _check_addresses(options, {*desired, *prior.resources})
        if options.refresh:
            result = refresh(prior, provider, desired, project.settings.project, self.kinds)
        else:
            result = RefreshResult(State.model_validate(prior.model_dump()), [], Snapshot())
        budget = Budget(*self._budget(project))
        plan = build_plan(
            BuildInput(
                project=project.settings.project,
                target=name,
                desired=desired,
                state=result.state,
                prior=prior,
                differ=provider,
                rules=self.kinds,
                drift=tuple(result.drift),
                options=options,
                prices=load_price_table(project.settings.prices),
                budget=budget,
                inputs_digest=inputs_fingerprint(desired, project.settings.model_dump(mode="json")),
                created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                diagnostics=tuple(diags),
            )
        )
        if options.refresh and not options.destroy and not options.refresh_only:
            plan = self._preflight(plan, desired, provider, result.snapshot, project)
        return PlanRun(plan, desired, result.state, result.snapshot)

    def _preflight(
        self, plan: Plan, desired: Mapping[str, Desired], provider: Provider, snapshot: Snapshot, project: Project
    ) -> Plan:
        """Each kind's check of what Azure would refuse (a deployment the account cannot take), as plan errors:
        apply refuses such a plan before it spends anything."""

        def locate(address: str, attribute: str) -> Location | None:
            """Where `attribute` (a dotted path under `spec`, e.g. model.checkpoint) is written, else the
            nearest enclosing key that is."""
            entry = project.entries.get(address)
            if entry is None:
                return None
            node: Any = entry.doc.data.get("spec", {})
            path: list[str] = []
            for part in attribute.split("."):
                if not isinstance(node, Mapping) or part not in node:
                    break
                path.append(part)
                node = node[part]
            return entry.location("spec", *path)

        found: list[Diagnostic] = []
        for kind, handler in self.kinds.items():
            found += handler.preflight(plan.resource_changes, desired, provider, snapshot.get(kind), locate)
        return replace(plan, diagnostics=(*plan.diagnostics, *found)) if found else plan

    def plan(self, options: PlanOptions | None = None) -> PlanRun:
        options = options or PlanOptions()
        diags = self._linted()
        project = self.project()
        backend = self.backend(project)
        name, _ = self.target(project)
        with self.locked(backend, "plan"):
            prior = backend.read() or State(target=name)
            with self.provider(project) as provider:
                run = self.make_plan(provider, project, prior, options, diags)
                return replace(run, retries=provider.retry_counts())

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
    ) -> ApplyResult:
        from fineplan.apply.context import ApplyContext, ApplyOptions, StateStore
        from fineplan.apply.executor import Executor

        options = options or PlanOptions()
        diags = self._linted()
        project = self.project()
        backend = self.backend(project)
        name, target = self.target(project)
        with self.locked(backend, "destroy" if options.destroy else "apply"):
            stored = backend.read()
            prior = stored or State(target=name)
            if saved_plan is not None:
                self._check_fresh(saved_plan, stored, project)
                options = replace(saved_plan.options, refresh=True)
            with self.provider(project) as provider:
                run = self.make_plan(provider, project, prior, options, diags)
                plan = run.plan if saved_plan is None else _restrict_to_saved(run.plan, saved_plan)
                refused = run.plan.errors
                if refused and plan.has_changes:
                    raise PolicyError(refused[0].summary + " — apply refused before changing anything")
                if not plan.has_changes and not any(c.action is Action.WAIT for c in plan.resource_changes):
                    if run.refreshed.model_dump() != prior.model_dump():  # still record adoptions and reads
                        backend.write(run.refreshed)
                    return ApplyResult(plan, ApplyStatus.NO_CHANGES, retries=provider.retry_counts())
                if saved_plan is None and not confirm(plan):
                    return ApplyResult(plan, ApplyStatus.CANCELLED, retries=provider.retry_counts())
                store = StateStore(run.refreshed, backend)
                store.save()
                if poll_interval is None:
                    poll_interval = 0.2 if isinstance(target, LocalTarget) else 15.0
                ctx = ApplyContext(
                    provider,
                    store,
                    project.settings.project,
                    ApplyOptions(wait=wait, timeout=timeout, poll_interval=poll_interval),
                    self.events,
                    run.snapshot,
                )
                report = Executor(plan, run.desired, self.kinds, ctx).run()
                return ApplyResult(
                    plan,
                    ApplyStatus.APPLIED,
                    tuple(report.done),
                    dict(report.failed),
                    dict(report.skipped),
                    tuple(report.pending),
                    provider.retry_counts(),
                    tuple(report.cleaned),
                )

    def _check_fresh(self, saved: Plan, stored: State | None, project: Project) -> None:
        from fineplan.plan.desired import inputs_fingerprint

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
        desired = self.desired(project, with_stats=False)
        if inputs_fingerprint(desired, project.settings.model_dump(mode="json")) != saved.inputs_digest:
            raise StalePlanError("specs or datasets changed since the plan was made; plan again")

    # ------------------------------------------------------------ state commands

    def read_state(self) -> State:
        project = self.project()
        name, _ = self.target(project)
        return self.backend(project).read() or State(target=name)

    def state_rm(self, addresses: list[str]) -> str:
        from fineplan.state.edits import remove

        return self._edit_state("state rm", lambda state, _project, _provider: remove(state, addresses))

    def state_mv(self, source: str, destination: str) -> str:
        from fineplan.state.edits import move

        def mv(state: State, _project: Project, _provider: Provider | None) -> str:
            record = state.get(source)
            keep = record is not None and self.kinds[Kind(record.kind)].name_is_identity
            return move(state, source, destination, keep_name=keep)

        return self._edit_state("state mv", mv)

    def state_rebuild(self) -> str:
        """Rebuild the state from Azure: adopt every object whose tags say it belongs to this project's specs."""
        from fineplan.state.refresh import refresh

        def rebuild(state: State, project: Project, provider: Provider | None) -> str:
            assert provider is not None
            desired = self.desired(project, with_stats=False)
            empty = State(
                target=state.target, lineage=state.lineage, serial=state.serial, forgotten=list(state.forgotten)
            )
            result = refresh(empty, provider, desired, project.settings.project, self.kinds, adopt_any_digest=True)
            state.resources.clear()
            state.pending.clear()
            state.resources.update(result.state.resources)
            return f"Rebuilt state with {len(state.resources)} resource(s) found by their tags."

        return self._edit_state("state rebuild", rebuild, needs_provider=True)

    def import_resource(self, address: str, remote_id: str) -> str:
        """Adopt an existing Azure object into state, recorded with the current spec's inputs digest."""
        if not remote_id.strip():
            raise ConfigError("import needs a non-empty ID (a file-…, ftjob-… or deployment name)")

        def do_import(state: State, project: Project, provider: Provider | None) -> str:
            assert provider is not None
            if address in state.resources:
                raise StateError(f"{address} is already managed (state rm it first)")
            want = self.desired(project, with_stats=False).get(address)
            if want is None:
                raise StateError(f"{address} is not declared in the specs")
            record = self.kinds[want.kind].import_record(provider, want, remote_id)
            files = record.attributes.get("files", {})
            for released in [record.remote_id, *(f["id"] for f in files.values())]:
                if released in state.forgotten:
                    state.forgotten.remove(released)
            state.put(record)
            return f"Imported {remote_id} as {address}."

        return self._edit_state("import", do_import, needs_provider=True)

    def cancel_untracked_job(self, job_id: str) -> str:
        """Cancel a job that carries this project's tags but that state does not track (refresh reports it as
        untracked drift): the extra job of a run that lost its lock, say. A tracked job is refused: -replace or
        destroy changes those."""
        from fineplan.kinds.tags import META_ADDRESS, META_PROJECT

        def cancel(state: State, project: Project, provider: Provider | None) -> str:
            assert provider is not None
            tracked = {r.remote_id: r.address for r in state.resources.values() if r.remote_id}
            tracked |= {s.record.remote_id: s.record.address for s in state.superseded if s.record.remote_id}
            if job_id in tracked:
                why = f"{job_id} is {tracked[job_id]} in the state: change it with a plan (-replace, destroy)"
                raise StateError(why)
            job = provider.get_job(job_id)
            if job is None:
                raise StateError(f"no job {job_id}")
            if job.metadata.get(META_PROJECT) != project.settings.project:
                raise StateError(f"{job_id} does not carry the tags of project {project.settings.project}")
            if job.terminal:
                return f"{job_id} is already {job.status}; nothing to cancel."
            provider.cancel_job(job_id)
            address = job.metadata.get(META_ADDRESS, "?")
            return f"Cancelled {job_id} (untracked job for {address}, was {job.status}); work done so far is billed."

        return self._edit_state("job cancel", cancel, needs_provider=True)

    def outputs(self) -> dict[str, dict[str, Any]]:
        """Fine-tuned models, deployment names and endpoints, from the state."""
        project = self.project()
        _, target = self.target(project)
        endpoint = target.endpoint if isinstance(target, AzureTarget) else "local emulator (fineplan emulator serve)"
        state = self.read_state()
        out: dict[str, dict[str, Any]] = {}
        for address in state.addresses():
            record = state.resources[address]
            shown = self.kinds[Kind(record.kind)].outputs(record, endpoint)
            if shown is not None:
                out[address] = shown
        return out

    def chat(
        self, address: str, question: str, *, system: str | None = None, max_tokens: int | None = None
    ) -> ChatReply:
        """One chat completion from a deployment the state records as ready, in its own account."""
        if not address.startswith(f"{Kind.DEPLOYMENT.prefix}."):
            raise ConfigError(f"{address!r} is not a deployment address (deployment.NAME)")
        project = self.project()
        record = self.read_state().resources.get(address)
        if record is None:
            raise ConfigError(f"{address} is not in the state: run `fineplan apply` to create it first")
        if record.status != "ready":
            raise ConfigError(f"{address} is not deployed yet (status {record.status or 'unknown'}); apply first")
        messages = [{"role": "system", "content": system}] if system else []
        messages.append({"role": "user", "content": question})
        with self.provider(project) as provider:
            account = str(record.attributes.get("account") or provider.default_account)
            return provider.chat(account, record.name, messages, max_tokens=max_tokens)

    def _edit_state(
        self,
        operation: str,
        fn: Callable[[State, Project, Provider | None], str],
        *,
        needs_provider: bool = False,
    ) -> str:
        project = self.project()
        backend = self.backend(project)
        name, _ = self.target(project)
        with self.locked(backend, operation):
            state = backend.read() or State(target=name)
            if needs_provider:
                with self.provider(project) as provider:
                    message = fn(state, project, provider)
            else:
                message = fn(state, project, None)
            backend.write(state)
            return message


class _NoDiff:
    """The differ of a plan made on an empty state: with nothing recorded there is nothing to compare."""

    def diff(self, kind: Kind, prior: Mapping[str, Any], planned: Mapping[str, Any]) -> DiffResult:
        return DiffResult()


_NO_DIFF = _NoDiff()


def _check_addresses(options: PlanOptions, known: set[str]) -> None:
    """-target and -replace must name a declared or managed resource: a typo would otherwise plan nothing."""
    import difflib

    for flag, addresses in (("-target", options.targets), ("-replace", options.replace)):
        for address in addresses:
            if address not in known:
                close = difflib.get_close_matches(address, sorted(known), n=1)
                hint = f'; did you mean "{close[0]}"?' if close else "; addresses look like job.NAME"
                raise ConfigError(f"{flag} {address}: no such resource in the specs or the state{hint}")


def find_output(values: Mapping[str, Mapping[str, Any]], name: str) -> tuple[str, str | None, Any]:
    """(address, attribute or None, value) of `name`: an address (`job.x`: its outputs) or one output of it
    (`job.x.fine_tuned_model`). An unknown name is a ConfigError with a did-you-mean."""
    import difflib

    if name in values:
        return name, None, dict(values[name])
    address, _, attribute = name.rpartition(".")
    if address in values:
        outputs = values[address]
        if attribute in outputs:
            return address, attribute, outputs[attribute]
        close = difflib.get_close_matches(attribute, list(outputs), n=1)
        hint = f'; did you mean "{address}.{close[0]}"?' if close else ""
        raise ConfigError(f'{address} has no output "{attribute}"{hint} (its outputs: {", ".join(outputs)})')
    every = [*values, *(f"{a}.{k}" for a, outs in values.items() for k in outs)]
    close = difflib.get_close_matches(name, every, n=1, cutoff=0.5)
    hint = f'; did you mean "{close[0]}"?' if close else ""
    known = f" (outputs exist for: {', '.join(values)})" if values else " (the state has none: apply first)"
    raise ConfigError(f'no output named "{name}"{hint}{known}')


def _restrict_to_saved(current: Plan, saved: Plan) -> Plan:
    """Execute what the saved plan said; refuse if the fresh refresh disagrees about what to do."""
    from fineplan.plan.stages import plan_stages

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
    cleanup = [s.address for s in current.cleanup_due]
    return replace(current, resource_changes=tuple(changes), stages=plan_stages(changes, cleanup=cleanup))


def load_plan_file(path: Path) -> Plan:
    """A saved plan, checked against the plan schema (fineplan.render.plan_json) before it is trusted."""
    from fineplan.render.plan_json import PlanFormatError, load_plan_json

    try:
        return load_plan_json(path.read_bytes())
    except OSError as exc:
        raise StateError(f"cannot read plan file {path}: {exc.strerror or exc}") from None
    except PlanFormatError as exc:
        raise StateError(f"cannot use plan file {path}: {exc}") from None
