"""Fine-tuning jobs: SFT, DPO and RFT, stackable (a job's base model may be another job's fine-tuned model).

A job is immutable in Azure: the provider's diff replaces it on any input change, and the replacement trains
first (create-then-delete: the old job is deleted at cleanup, after the new one is deployed). A failed or
cancelled job is tainted (retrained); one still training is pending (waited for).

Money safety: before `create_job` the intent is journaled and persisted; the job carries the intent's op id,
its address and inputs digest in its metadata, so a crash before the id is recorded is adopted by the next
refresh instead of training twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from fineplan.apply.context import ApplyContext, Deferred, Leftover
from fineplan.apply.events import TrainingProgress
from fineplan.errors import FineplanError, ProviderError, StateError
from fineplan.kinds.base import KindHandler
from fineplan.kinds.checkpoints import checkpoint_records
from fineplan.kinds.dataset import DatasetDesired, DatasetPart
from fineplan.kinds.tags import META_ADDRESS, META_DIGEST, META_OP, META_PROJECT
from fineplan.plan.digest import digest
from fineplan.plan.model import Action, ActionReason, ReasonCode, ResourceChange
from fineplan.plan.rules import READY, Condition, CostContext, CostLine, DesiredContext, Health
from fineplan.pricing import CostEstimate, billed_tokens, estimate_job
from fineplan.providers.base import TERMINAL_JOB_STATUSES, JobRequest, Provider, RemoteJob
from fineplan.resource import Desired, Kind, Unknown
from fineplan.spec.models import DatasetRef, FineTuningJob, JobRef
from fineplan.spec.project import ResourceEntry, dataset_name
from fineplan.state.drift import Drift, DriftChange
from fineplan.state.model import ResourceState
from fineplan.state.refresh import AdoptContext, Reads, Refreshed

_TAINTED = {"failed": ReasonCode.JOB_FAILED, "cancelled": ReasonCode.JOB_CANCELLED}
_TERMINAL = TERMINAL_JOB_STATUSES


@dataclass(frozen=True)
class PartRef:
    """One part of a dataset a job trains or validates on."""

    dataset: str  # address
    part: str  # train | validation


@dataclass(frozen=True, kw_only=True)
class JobDesired(Desired):
    KIND = Kind.JOB

    base_model: str | None  # a catalog model; None when stacked on `parent`
    parent: str | None  # the job whose fine-tuned model is the base model
    method: str
    training: PartRef
    validation: PartRef | None
    hyperparameters: Mapping[str, Any]
    training_type: str
    suffix: str | None
    seed: int | None
    grader: Mapping[str, Any] | None = None
    response_format: Mapping[str, Any] | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class JobIndex:
    """What refresh listed of the fine-tuning jobs."""

    by_id: Mapping[str, RemoteJob]
    by_address: Mapping[str, Sequence[RemoteJob]]  # jobs tagged with a project and address
    checkpoints: Mapping[str, list[dict[str, Any]]] = field(default_factory=dict)  # job id → read this refresh

    @classmethod
    def of(cls, jobs: Sequence[RemoteJob]) -> JobIndex:
        by_address: dict[str, list[RemoteJob]] = {}
        for j in jobs:
            if META_ADDRESS in j.metadata and META_PROJECT in j.metadata:
                by_address.setdefault(j.metadata[META_ADDRESS], []).append(j)
        return cls({j.id: j for j in jobs}, by_address)


class JobKind(KindHandler):
    kind = Kind.JOB
    trains = True

    # ------------------------------------------------------------ desired

    def desired(self, entry: ResourceEntry, known: Mapping[str, Desired], ctx: DesiredContext) -> JobDesired:
        job = entry.resource
        assert isinstance(job, FineTuningJob)
        s = job.spec
        train = _part_ref(s.training_data, "train")
        deps = [train.dataset]
        validation = _part_ref(s.validation_data, "validation") if s.validation_data is not None else None
        if validation is not None and validation.dataset not in deps:
            deps.append(validation.dataset)
        parent = f"job.{s.base_model.job}" if isinstance(s.base_model, JobRef) else None
        if parent:
            deps.append(parent)
        attrs: dict[str, Any] = {
            # A `{job: X}` stands for X's inputs digest: its fine-tuned model is not known until X trains, and a
            # retrained X must change this job's digest too.
            "base_model": {"job": parent.partition(".")[2], "inputs": _digest_of(known, parent)}
            if parent
            else s.base_model,
            "method": s.method,
            "training_data": _part_digest(known, train),
            "validation_data": _part_digest(known, validation) if validation else None,
            "hyperparameters": s.hyperparameters.given(),
            "training_type": s.training_type,
            "suffix": s.suffix,
            "seed": s.seed,
            "grader": digest(entry.grader) if entry.grader is not None else None,
            "response_format": digest(entry.response_format) if entry.response_format is not None else None,
        }
        return JobDesired(
            address=entry.address,
            name=job.name,
            attributes=attrs,
            inputs_digest=digest(attrs),
            depends_on=tuple(deps),
            inputs_from={"base_model": parent} if parent else {},
            prevent_destroy=job.lifecycle.prevent_destroy,
            ignore_changes=job.lifecycle.ignore_changes,
            base_model=None if parent else str(s.base_model),
            parent=parent,
            method=s.method,
            training=train,
            validation=validation,
            hyperparameters=s.hyperparameters.given(),
            training_type=s.training_type,
            suffix=s.suffix,
            seed=s.seed,
            grader=entry.grader,
            response_format=entry.response_format,
            metadata=dict(s.metadata),
        )

    # ------------------------------------------------------------ plan

    def prior(self, record: ResourceState) -> dict[str, Any]:
        inputs = dict(record.attributes.get("inputs") or {})
        if isinstance(inputs.get("base_model"), dict):
            # Stacked: compare the parent model it really trained on with the parent's current one, so a job
            # trained on a since-replaced parent is retrained whatever happened to the run that replaced it.
            inputs["base_model"] = trained_on(record)
        return inputs

    def before(self, record: ResourceState) -> dict[str, Any]:
        attrs = record.attributes
        shown = dict(attrs.get("inputs") or {})
        if isinstance(shown.get("base_model"), dict):
            shown["base_model"] = trained_on(record) or shown["base_model"]
        shown["status"] = record.status
        shown["fine_tuned_model"] = attrs.get("fine_tuned_model")
        return shown

    def output(self, record: ResourceState) -> Any | None:
        return trained_model(record)

    def health(self, record: ResourceState) -> Health:
        status = record.status
        if status in _TAINTED:
            why = f"job {record.remote_id} {status}; it will be retrained"
            return Health(Condition.TAINTED, ActionReason(_TAINTED[status], why))
        if status != "succeeded":
            return Health(Condition.PENDING, ActionReason(ReasonCode.TRAINING, f"job {record.remote_id} is {status}"))
        return READY

    def reason(self, want: Desired, attribute: str, old: Any, new: Any) -> ActionReason:
        job = _want(want)
        if attribute in ("training_data", "validation_data"):
            message = f"{attribute} content changed ({_short(old)} → {_short(new)})"
            return ActionReason(ReasonCode.INPUT_CHANGED, message, attribute)
        if attribute == "base_model" and job.parent and isinstance(new, Unknown):
            message = f"base model {job.parent.partition('.')[2]} will be retrained"
            return ActionReason(ReasonCode.DEPENDENCY_REPLACED, message, attribute)
        if attribute == "base_model" and job.parent:
            message = f"trained on a replaced parent: {job.parent} now provides {new}, this job was trained on {old}"
            return ActionReason(ReasonCode.DEPENDENCY_REPLACED, message, attribute)
        return super().reason(want, attribute, old, new)

    def cost(self, change: ResourceChange, want: Desired | None, ctx: CostContext) -> CostLine | None:
        if want is None or not change.action.creates:
            return None
        job = _want(want)
        ds = ctx.desired.get(job.training.dataset)
        part = ds.part(job.training.part) if isinstance(ds, DatasetDesired) else None
        tokens = None
        if part is not None and part.tokens is not None and part.examples:
            tokens = billed_tokens(part.tokens, job.hyperparameters.get("n_epochs", "auto"), part.examples)
        estimate = estimate_job(
            ctx.prices,
            base_model=root_base_model(job, ctx.desired) or "",
            method=job.method,
            training_type=job.training_type,
            billed_tokens=tokens,
        )
        return CostLine(estimate, added=(estimate,))

    # ------------------------------------------------------------ refresh

    def reads(self, provider: Provider, records: Sequence[ResourceState], wanted: Sequence[Desired]) -> Reads:
        # A trained job recorded without its checkpoints (adopted, imported, or from an older fineplan) has them
        # read once; the record keeps them from then on.
        unread = sorted(
            {
                r.remote_id
                for r in records
                if r.remote_id and r.status == "succeeded" and "checkpoints" not in r.attributes
            }
        )

        def combine(results: list[object]) -> JobIndex:
            index = JobIndex.of(results[0])  # type: ignore[arg-type]
            read = dict(zip(unread, results[1:], strict=True))
            return replace(index, checkpoints={k: checkpoint_records(v) for k, v in read.items()})  # type: ignore[arg-type]

        return Reads((provider.list_jobs, *(_checkpoint_lister(provider, i) for i in unread)), combine)

    def refresh(self, record: ResourceState, index: object, now: float) -> Refreshed:
        job = _jobs(index).by_id.get(record.remote_id or "")
        if job is None:
            gone = Drift(
                record.address,
                self.kind,
                record.name,
                DriftChange.DELETED,
                "fine-tuning job deleted outside fineplan",
                before={"id": record.remote_id, "status": record.status},
            )
            return Refreshed(None, gone)
        drift = None
        was = record.attributes.get("status")
        if job.status in _TAINTED and was != job.status:
            drift = Drift(
                record.address,
                self.kind,
                record.name,
                DriftChange(job.status),
                f"job {job.id} {job.status}" + (f": {job.error}" if job.error else ""),
                before={"status": was},
                after={"status": job.status},
            )
        record.attributes = job_attributes(job, record.attributes.get("inputs")) | _carried(record.attributes)
        if job.id in _jobs(index).checkpoints and job.status == "succeeded":
            record.attributes["checkpoints"] = _jobs(index).checkpoints[job.id]
        record.status = job.status
        return Refreshed(record, drift)

    def adopt(self, want: Desired, index: object, ctx: AdoptContext) -> tuple[ResourceState, Drift] | None:
        candidates = [
            j
            for j in _jobs(index).by_address.get(want.address, ())
            if j.metadata.get(META_PROJECT) == ctx.project
            and j.id not in ctx.forgotten
            and (ctx.any_digest or j.metadata.get(META_DIGEST) == want.inputs_digest)
            and j.status not in _TAINTED
        ]
        if not candidates:
            return None
        job = max(candidates, key=lambda j: j.created_at)
        found = job.metadata.get(META_DIGEST, "")
        record = job_record(_want(want), job, inputs_digest=found, inputs_known=found == want.inputs_digest)
        why = Drift(want.address, self.kind, want.name, DriftChange.ADOPTED, f"job {job.id} found by its tags")
        return record, why

    def adopt_replacement(
        self, want: Desired, index: object, ctx: AdoptContext, op_id: str
    ) -> tuple[ResourceState, Drift] | None:
        job = next(
            (
                j
                for j in _jobs(index).by_address.get(want.address, ())
                if j.metadata.get(META_OP) == op_id and j.metadata.get(META_PROJECT) == ctx.project
            ),
            None,
        )
        if job is None or job.id in ctx.forgotten:
            return None
        found = job.metadata.get(META_DIGEST, "")
        record = job_record(_want(want), job, inputs_digest=found, inputs_known=found == want.inputs_digest)
        why = f"job {job.id} found by its tags: the replacement an interrupted apply created"
        return record, Drift(want.address, self.kind, want.name, DriftChange.ADOPTED, why)

    def untracked(self, index: object, ctx: AdoptContext) -> list[Drift]:
        if not isinstance(index, JobIndex):
            return []
        out: list[Drift] = []
        for address, jobs in sorted(index.by_address.items()):
            for j in sorted(jobs, key=lambda j: j.created_at):
                if (
                    j.metadata.get(META_PROJECT) != ctx.project
                    or j.terminal
                    or j.id in ctx.tracked
                    or j.id in ctx.forgotten
                ):
                    continue
                message = (
                    f"untracked job {j.id} for {address}, still training ({j.status}): cancel it "
                    f"(fineplan job cancel {j.id}) or adopt it (fineplan state rm {address}, then "
                    f"fineplan import {address} {j.id})"
                )
                after = {
                    "id": j.id,
                    "status": j.status,
                    "model": j.model,
                    "training_file": j.training_file,
                    "n_epochs": j.hyperparameters.get("n_epochs"),
                    "training_type": j.training_type,
                    "method": j.method,
                }
                name = address.partition(".")[2]
                out.append(Drift(address, self.kind, name, DriftChange.UNTRACKED, message, after=after))
        return out

    def drift_cost(self, drift: Drift, ctx: CostContext) -> CostEstimate | None:
        if drift.change is not DriftChange.UNTRACKED or drift.after is None:
            return None
        found = drift.after
        part = _part_of_file(str(found.get("training_file") or ""), ctx)
        tokens = None
        if part is not None and part.tokens is not None and part.examples:
            epochs = found.get("n_epochs")
            n_epochs: int | str = epochs if isinstance(epochs, int) and epochs > 0 else "auto"
            tokens = billed_tokens(part.tokens, n_epochs, part.examples)
        return estimate_job(
            ctx.prices,
            base_model=str(found.get("model") or ""),
            method=str(found.get("method") or "supervised"),
            training_type=str(found.get("training_type") or "global"),
            billed_tokens=tokens,
        )

    # ------------------------------------------------------------ superseded objects

    def describe(self, record: ResourceState) -> str:
        return f"job {record.remote_id}"

    def needed_by(self, old: ResourceState, state: Mapping[str, ResourceState]) -> str | None:
        # Deleting a job deletes its fine-tuned model: it stays while a deployment serves it or a job trains on it.
        model = old.attributes.get("fine_tuned_model")
        if not model:
            return None
        for address, r in sorted(state.items()):
            if r.remote_id != old.remote_id and r.attributes.get("model") == model and r.status not in _TERMINAL:
                return address
        return None

    # ------------------------------------------------------------ apply

    def apply(self, ctx: ApplyContext, change: ResourceChange, want: Desired) -> str:
        job = _want(want)
        if change.action is Action.WAIT:
            res = ctx.state.get(job.address)
            assert res is not None and res.remote_id
            return self._wait(ctx, job.address, res.remote_id)
        base_model = job.base_model
        parent_model: str | None = None
        if job.parent:
            base_model, _ = trained_parent(ctx, job.parent)
            parent_model = base_model
        training_file = _file_for(ctx, job.training)
        validation_file = _file_for(ctx, job.validation) if job.validation else None
        old = ctx.state.get(job.address)
        intent = ctx.store.begin(job.address, job.inputs_digest, "replace" if change.action.is_replace else "create")
        request = JobRequest(
            model=str(base_model),
            training_file=training_file,
            validation_file=validation_file,
            method=job.method,
            hyperparameters=dict(job.hyperparameters),
            training_type=job.training_type,
            suffix=job.suffix,
            seed=job.seed,
            metadata={
                **job.metadata,
                META_ADDRESS: job.address,
                META_DIGEST: job.inputs_digest,
                META_PROJECT: ctx.project,
                META_OP: intent.op_id,
            },
            grader=dict(job.grader) if job.grader is not None else None,
            response_format=dict(job.response_format) if job.response_format is not None else None,
        )
        try:
            created = ctx.provider.create_job(request)
        except ProviderError:
            ctx.store.abandon(intent.op_id)  # Azure refused the request: nothing was created
            raise
        with ctx.store.lock:
            if old is not None and old.remote_id and old.remote_id != created.id:
                leftover = Leftover(job.address, self.describe(old), _deleter(ctx.provider, old.remote_id), record=old)
                ctx.leave(leftover, save=False)  # one write: the new record and the old job to clean up
            ctx.store.complete(intent.op_id, job_record(job, created, parent_model=parent_model))
        ctx.emit(TrainingProgress(job.address, job_id=created.id, status=created.status, message="job submitted"))
        return self._wait(ctx, job.address, created.id)

    def _wait(self, ctx: ApplyContext, address: str, job_id: str) -> str:
        provider = ctx.provider
        if not ctx.options.wait:
            job = provider.get_job(job_id)
            if job is not None and job.status == "succeeded":
                _record_final(ctx, address, job)
                return f"{job_id} succeeded"
            raise Deferred(f"{job_id} submitted; training continues (re-run apply to continue)")
        last_status = None
        while True:
            if ctx.stop.is_set():
                raise Deferred("interrupted")
            job = provider.get_job(job_id)
            if job is None:
                raise ProviderError(f"job {job_id} disappeared while training")
            metrics = provider.job_metrics(job_id) if job.status in ("running", "succeeded") else None
            n_epochs = job.hyperparameters.get("n_epochs") if isinstance(job.hyperparameters, dict) else None
            if job.status != last_status or metrics:
                ctx.emit(
                    TrainingProgress(
                        address,
                        job_id=job_id,
                        status=job.status,
                        epoch=metrics.epochs_done if metrics else None,
                        n_epochs=n_epochs if isinstance(n_epochs, int) and n_epochs > 0 else None,
                        step=metrics.step if metrics else None,
                        train_loss=metrics.values.get("train_loss") if metrics else None,
                    )
                )
                last_status = job.status
            if job.terminal:
                _record_final(ctx, address, job, metrics.values if metrics else None)
                if job.status != "succeeded":
                    raise ProviderError(f"job {job_id} {job.status}" + (f": {job.error}" if job.error else ""))
                return f"{job_id} → {job.fine_tuned_model}"
            ctx.check_deadline(f"{job_id} ({job.status})")
            ctx.pause()

    def delete(self, ctx: ApplyContext, record: ResourceState) -> None:
        if record.remote_id:
            delete_job(ctx.provider, record.remote_id)

    # ------------------------------------------------------------ state commands

    def import_record(self, provider: Provider, want: Desired, remote_id: str) -> ResourceState:
        job = provider.get_job(remote_id)
        if job is None:
            raise StateError(f"no job {remote_id}")
        return job_record(_want(want), job)

    def outputs(self, record: ResourceState, endpoint: str) -> dict[str, Any] | None:
        return {
            "job_id": record.remote_id,
            "status": record.status,
            "fine_tuned_model": record.attributes.get("fine_tuned_model"),
        }


# ---------------------------------------------------------------- records


def job_attributes(j: RemoteJob, inputs: Mapping[str, Any] | None) -> dict[str, Any]:
    return {
        "inputs": dict(inputs or {}),
        "status": j.status,
        "model": j.model,
        "fine_tuned_model": j.fine_tuned_model,
        "trained_tokens": j.trained_tokens,
        "training_file": j.training_file,
        "validation_file": j.validation_file,
        "finished_at": j.finished_at,
        "error": j.error,
    }


def job_record(
    want: JobDesired,
    job: RemoteJob,
    *,
    inputs_digest: str | None = None,
    inputs_known: bool = True,
    parent_model: str | None = None,
) -> ResourceState:
    """`inputs_digest` defaults to the spec's; adoption passes the digest found in the job's metadata.
    `parent_model`: the parent's fine-tuned model a stacked job was created on, recorded as `trained_on` (what
    the plan compares with the parent's current model)."""
    attributes = job_attributes(job, want.attributes if inputs_known else {})
    if parent_model is not None:
        attributes["trained_on"] = parent_model
    return ResourceState(
        address=want.address,
        kind=want.kind,
        name=want.name,
        remote_id=job.id,
        inputs_digest=want.inputs_digest if inputs_digest is None else inputs_digest,
        attributes=attributes,
        dependencies=list(want.depends_on),
        status=job.status,
    )


def trained_model(record: ResourceState) -> str | None:
    """The fine-tuned model a job record provides, once it has trained."""
    model = record.attributes.get("fine_tuned_model")
    return str(model) if record.status == "succeeded" and model else None


def trained_on(record: ResourceState) -> str | None:
    """The base model a (stacked) job was trained on: recorded at create time, else what Azure reports."""
    return record.attributes.get("trained_on") or record.attributes.get("model")


def trained_parent(ctx: ApplyContext, job_address: str) -> tuple[str, dict[str, float]]:
    """(fine-tuned model, final metrics) of a job something builds on; deferred while it trains."""
    parent = ctx.state.get(job_address)
    model = trained_model(parent) if parent else None
    if parent is None or model is None:
        raise Deferred(f"waiting for {job_address} to finish training (re-run apply)")
    return model, parent.attributes.get("metrics") or {}


def root_base_model(job: JobDesired, desired: Mapping[str, Desired]) -> str | None:
    """The catalog base model under a (possibly stacked) job, following its parents."""
    seen: set[str] = set()
    current: Desired | None = job
    while isinstance(current, JobDesired) and current.parent:
        if current.address in seen:
            return None
        seen.add(current.address)
        current = desired.get(current.parent)
    return current.base_model if isinstance(current, JobDesired) else None


def delete_job(provider: Provider, job_id: str) -> None:
    job = provider.get_job(job_id)
    if job is None:
        return
    if not job.terminal:
        provider.cancel_job(job_id)
    provider.delete_job(job_id)


# ---------------------------------------------------------------- helpers


def _record_final(ctx: ApplyContext, address: str, job: RemoteJob, metrics: dict[str, float] | None = None) -> None:
    if metrics is None and job.status == "succeeded":
        metrics = ctx.provider.job_metrics(job.id).values
    # Kept for `{job: NAME, checkpoint: ...}` deployments: which checkpoint they serve is chosen from these.
    checkpoints = checkpoint_records(ctx.provider.job_checkpoints(job.id)) if job.status == "succeeded" else None
    with ctx.store.lock:
        res = ctx.state.get(address)
        if res is None:
            return
        res.attributes = job_attributes(job, res.attributes.get("inputs")) | _carried(res.attributes)
        res.attributes["metrics"] = metrics
        if checkpoints is not None:
            res.attributes["checkpoints"] = checkpoints
        res.status = job.status
        ctx.store.put(res)


def _carried(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """What a record keeps across reads of the remote job: Azure does not echo these."""
    kept = {"metrics": attributes.get("metrics")}
    for name in ("trained_on", "checkpoints"):
        if attributes.get(name):
            kept[name] = attributes[name]
    return kept


def _part_of_file(file_id: str, ctx: CostContext) -> DatasetPart | None:
    """The dataset part (with its token statistics) uploaded as `file_id`, from the records and the specs."""
    for record in ctx.records.values():
        for entry in (record.attributes.get("files") or {}).values():
            if isinstance(entry, dict) and entry.get("id") == file_id:
                for want in ctx.desired.values():
                    if isinstance(want, DatasetDesired):
                        for part in want.parts.values():
                            if part.digest == entry.get("digest"):
                                return part
    return None


def _file_for(ctx: ApplyContext, ref: PartRef) -> str:
    res = ctx.state.get(ref.dataset)
    if res is None:
        raise FineplanError(f"{ref.dataset} has not been uploaded")
    files = res.attributes.get("files", {})
    chosen = files.get(ref.part) or files.get("train")
    return str(chosen["id"])


def _part_ref(ref: str | DatasetRef, default: str) -> PartRef:
    part = ref.split if isinstance(ref, DatasetRef) and ref.split else default
    return PartRef(f"dataset.{dataset_name(ref)}", part)


def _part_digest(known: Mapping[str, Desired], ref: PartRef) -> str | None:
    ds = known.get(ref.dataset)
    part = ds.part(ref.part) if isinstance(ds, DatasetDesired) else None
    return part.digest if part else None


def _digest_of(known: Mapping[str, Desired], address: str) -> str:
    found = known.get(address)
    return found.inputs_digest if found else ""


def _short(value: Any) -> str:
    return str(value)[:12] if value is not None else "none"


def _jobs(index: object) -> JobIndex:
    assert isinstance(index, JobIndex), index
    return index


def _want(want: Desired) -> JobDesired:
    assert isinstance(want, JobDesired), want
    return want


def _deleter(provider: Provider, job_id: str) -> Callable[[], None]:
    return lambda: delete_job(provider, job_id)


def _checkpoint_lister(provider: Provider, job_id: str) -> Callable[[], object]:
    def read() -> object:
        try:
            return provider.job_checkpoints(job_id)
        except ProviderError as exc:
            if exc.status == 404:
                return []  # deleted outside fineplan: the job listing reports it
            raise

    return read
