"""The executor: walks a Plan in dependency order, calls the provider, journals to state, emits events.

Money safety: before a call that spends money (creating a job) the intent is journaled and persisted; the job
id is recorded right after. A run killed in between is recovered by the next refresh, which adopts the job by
the op id and address in its metadata. Every state change is written at once (atomic write by the backend), so
an interrupted or failed apply leaves state consistent.

Independent resources run in parallel (a small thread pool); the provider serialises ARM operations per account.
Replacements are create-before-destroy: old jobs, files and deployments are removed in a final cleanup phase.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from fineplan.apply.events import (
    DeploymentProgress,
    EventSink,
    Message,
    ResourceFailed,
    ResourceFinished,
    ResourceSkipped,
    ResourceStarted,
    TrainingProgress,
    UploadProgress,
    discard,
)
from fineplan.errors import FineplanError, Interrupted, ProviderError
from fineplan.plan.builder import evaluate_gate
from fineplan.plan.desired import Desired
from fineplan.plan.model import Action, Plan, ResourceChange
from fineplan.plan.records import dataset_record, deployment_record, file_entry, job_attributes, job_record
from fineplan.plan.refresh import (
    META_ADDRESS,
    META_DIGEST,
    META_OP,
    META_PROJECT,
    TAG_ADDRESS,
    TAG_DIGEST,
    TAG_PROJECT,
)
from fineplan.providers.base import DeploymentRequest, JobRequest, Provider, RemoteFile
from fineplan.state.backend import Backend
from fineplan.state.model import State


class StateStore:
    """One State shared by the executor's threads; every mutation is persisted at once."""

    def __init__(self, state: State, backend: Backend) -> None:
        self.state = state
        self.backend = backend
        self.lock = threading.RLock()

    def save(self) -> None:
        with self.lock:
            self.backend.write(self.state)


@dataclass
class ApplyOptions:
    wait: bool = True
    timeout: float | None = None  # seconds for the whole apply's waiting
    poll_interval: float = 2.0
    parallelism: int = 4


@dataclass
class ApplyResult:
    done: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)  # submitted, still training (--no-wait)

    @property
    def ok(self) -> bool:
        return not self.failed


class _Deferred(Exception):
    """A resource cannot proceed in this run (e.g. its job is still training under --no-wait)."""


class Executor:
    def __init__(
        self,
        plan: Plan,
        desired: dict[str, Desired],
        provider: Provider,
        store: StateStore,
        *,
        project: str,
        options: ApplyOptions | None = None,
        events: EventSink = discard,
        known_files: list[RemoteFile] | None = None,
    ) -> None:
        self.plan = plan
        self.desired = desired
        self.provider = provider
        self.store = store
        self.project = project
        self.options = options or ApplyOptions()
        self.emit = events
        self.stop = threading.Event()
        self.deadline = time.monotonic() + self.options.timeout if self.options.timeout else None
        self.cleanup: list[tuple[str, str, str]] = []  # (kind, account or "", id or name)
        self._cleanup_lock = threading.Lock()
        self.files_by_name = {f.filename: f for f in (known_files or []) if f.status == "processed"}

    # ------------------------------------------------------------ walk

    def run(self) -> ApplyResult:
        result = ApplyResult()
        work = [
            c
            for c in self.plan.resource_changes
            if c.action in (Action.CREATE, Action.UPDATE, Action.REPLACE, Action.WAIT)
        ]
        deletes = [c for c in self.plan.resource_changes if c.action is Action.DELETE]
        for c in work + deletes:
            if c.blocked:
                result.skipped[c.address] = c.blocked
                self.emit(ResourceSkipped(c.address, reason=c.blocked))
        try:
            self._walk([c for c in work if not c.blocked], result)
            if not self.stop.is_set():
                for c in deletes:
                    if c.blocked:
                        continue
                    self._guarded(c, result, self._delete)
            if not self.stop.is_set() and not result.failed:
                self._cleanup()
        except KeyboardInterrupt:
            self.stop.set()
            self.store.save()
            raise Interrupted("apply interrupted; state saved. Re-run apply to continue.") from None
        return result

    def _walk(self, changes: list[ResourceChange], result: ApplyResult) -> None:
        pending = {c.address: c for c in changes}
        in_plan = set(pending)
        finished: set[str] = set()
        futures: dict[Future[None], str] = {}
        pool = ThreadPoolExecutor(max_workers=max(1, self.options.parallelism))
        try:
            while pending or futures:
                for address, c in list(pending.items()):
                    deps = [d for d in c.depends_on if d in in_plan]
                    bad = next((d for d in deps if d in result.failed or d in result.skipped), None)
                    if bad:
                        reason = f"depends on {bad}, which " + ("failed" if bad in result.failed else "was skipped")
                        result.skipped[address] = reason
                        self.emit(ResourceSkipped(address, reason=reason))
                        del pending[address]
                        continue
                    if all(d in finished for d in deps):
                        del pending[address]
                        futures[pool.submit(self._guarded, c, result, self._apply_one)] = address
                if not futures:
                    break
                done, _ = wait(list(futures), timeout=0.5, return_when=FIRST_COMPLETED)
                for f in done:
                    address = futures.pop(f)
                    f.result()
                    finished.add(address)
        except KeyboardInterrupt:
            self.stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)

    def _guarded(self, change: ResourceChange, result: ApplyResult, fn: Any) -> None:
        if self.stop.is_set():
            result.skipped[change.address] = "interrupted"
            return
        self.emit(ResourceStarted(change.address, action=change.action.value, kind=change.kind))
        try:
            detail = fn(change)
        except _Deferred as why:
            result.skipped[change.address] = str(why)
            if not isinstance(why, _GateFailed):
                result.pending.append(change.address)
            self.emit(ResourceSkipped(change.address, reason=str(why)))
            return
        except FineplanError as exc:
            result.failed[change.address] = str(exc)
            self.emit(ResourceFailed(change.address, action=change.action.value, error=str(exc)))
            return
        except Exception as exc:  # an SDK or network error not mapped by the provider: report, keep state
            result.failed[change.address] = f"{type(exc).__name__}: {exc}"
            self.emit(ResourceFailed(change.address, action=change.action.value, error=f"{type(exc).__name__}: {exc}"))
            return
        result.done.append(change.address)
        res = self.store.state.get(change.address)
        self.emit(
            ResourceFinished(
                change.address,
                action=change.action.value,
                remote_id=res.remote_id if res else None,
                detail=detail or "",
            )
        )

    def _apply_one(self, change: ResourceChange) -> str | None:
        want = self.desired.get(change.address)
        if want is None:
            raise FineplanError(f"{change.address} is in the plan but not in the configuration")
        if change.kind == "Dataset":
            return self._dataset(change, want)
        if change.kind == "FineTuningJob":
            return self._job(change, want)
        return self._deployment(change, want)

    # ------------------------------------------------------------ datasets

    def _dataset(self, change: ResourceChange, want: Desired) -> str:
        files: dict[str, dict[str, Any]] = {}
        for part, p in want.parts.items():
            existing = self.files_by_name.get(p.filename)
            if existing is None:
                size = p.path.stat().st_size

                def progress(sent: int, total: int, _name: str = p.filename) -> None:
                    self.emit(UploadProgress(change.address, filename=_name, sent=sent, total=total))

                uploaded = self.provider.upload_file(p.path, p.filename, progress)
                self.emit(UploadProgress(change.address, filename=p.filename, sent=size, total=size))
                existing = self.provider.wait_file_processed(uploaded.id)
                if existing.status != "processed":
                    raise ProviderError(f"{p.filename}: file processing {existing.status}: {existing.error or ''}")
            files[part] = file_entry(existing, p.digest)
        with self.store.lock:
            old = self.store.state.get(change.address)
            if old is not None:
                new_ids = {f["id"] for f in files.values()}
                for f in old.attributes.get("files", {}).values():
                    if f.get("id") and f["id"] not in new_ids:
                        self._later("file", "", f["id"])
            self.store.state.put(dataset_record(want, files))
            self.store.save()
        return ", ".join(f["id"] for f in files.values())

    # ------------------------------------------------------------ jobs

    def _file_for(self, dataset_address: str | None, part: str) -> str | None:
        if dataset_address is None:
            return None
        res = self.store.state.get(dataset_address)
        if res is None:
            raise FineplanError(f"{dataset_address} has not been uploaded")
        files = res.attributes.get("files", {})
        chosen = files.get(part) or files.get("train")
        return chosen["id"]

    def _job(self, change: ResourceChange, want: Desired) -> str:
        if change.action is Action.WAIT:
            res = self.store.state.get(change.address)
            assert res is not None and res.remote_id
            return self._wait_job(change.address, res.remote_id)
        base_model = want.attributes["base_model"]
        if want.parent_job:
            base_model, _ = self._trained_parent(want.parent_job)
        training_file = self._file_for(want.extra["train_dataset"], want.extra["train_part"])
        validation_file = self._file_for(want.extra.get("validation_dataset"), want.extra["validation_part"])
        old = self.store.state.get(change.address)
        with self.store.lock:
            intent = self.store.state.begin(
                want.address, want.inputs_digest, "replace" if change.action is Action.REPLACE else "create"
            )
            self.store.save()
        metadata = {
            **want.extra.get("metadata", {}),
            META_ADDRESS: want.address,
            META_DIGEST: want.inputs_digest,
            META_PROJECT: self.project,
            META_OP: intent.op_id,
        }
        request = JobRequest(
            model=str(base_model),
            training_file=str(training_file),
            validation_file=validation_file,
            method=want.attributes["method"],
            hyperparameters=dict(want.attributes["hyperparameters"]),
            training_type=want.attributes["training_type"],
            suffix=want.attributes["suffix"],
            seed=want.attributes["seed"],
            metadata=metadata,
            grader=want.extra.get("grader"),
            response_format=want.extra.get("response_format"),
        )
        try:
            job = self.provider.create_job(request)
        except ProviderError:
            # Azure refused the request: nothing was created, so the intent is settled.
            with self.store.lock:
                self.store.state.abandon(intent.op_id)
                self.store.save()
            raise
        with self.store.lock:
            self.store.state.complete(intent.op_id, job_record(want, job))
            if old is not None and old.remote_id and old.remote_id != job.id:
                self._later("job", "", old.remote_id)
            self.store.save()
        self.emit(TrainingProgress(change.address, job_id=job.id, status=job.status, message="job submitted"))
        return self._wait_job(change.address, job.id)

    def _trained_parent(self, job_address: str) -> tuple[str, dict[str, float]]:
        """(fine-tuned model, final metrics) of a job this resource builds on; deferred while it trains."""
        parent = self.store.state.get(job_address)
        if parent is None or parent.status != "succeeded" or not parent.attributes.get("fine_tuned_model"):
            raise _Deferred(f"waiting for {job_address} to finish training (re-run apply)")
        return str(parent.attributes["fine_tuned_model"]), parent.attributes.get("metrics") or {}

    def _wait_job(self, address: str, job_id: str) -> str:
        if not self.options.wait:
            job = self.provider.get_job(job_id)
            if job is not None and job.status == "succeeded":
                self._record_job(address, job_id)
                return f"{job_id} succeeded"
            raise _Deferred(f"{job_id} submitted; training continues (re-run apply to continue)")
        last_status = None
        while True:
            if self.stop.is_set():
                raise _Deferred("interrupted")
            job = self.provider.get_job(job_id)
            if job is None:
                raise ProviderError(f"job {job_id} disappeared while training")
            metrics = self.provider.job_metrics(job_id) if job.status in ("running", "succeeded") else None
            n_epochs = job.hyperparameters.get("n_epochs") if isinstance(job.hyperparameters, dict) else None
            if job.status != last_status or metrics:
                self.emit(
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
                self._record_job(address, job_id, job=job, metrics=metrics.values if metrics else None)
                if job.status != "succeeded":
                    raise ProviderError(f"job {job_id} {job.status}" + (f": {job.error}" if job.error else ""))
                return f"{job_id} → {job.fine_tuned_model}"
            if self.deadline is not None and time.monotonic() > self.deadline:
                raise FineplanError(f"timed out waiting for {job_id} ({job.status}); state saved, re-run apply")
            self.stop.wait(self.options.poll_interval)

    def _record_job(self, address: str, job_id: str, job: Any = None, metrics: dict[str, float] | None = None) -> None:
        job = job or self.provider.get_job(job_id)
        if metrics is None and job is not None and job.status == "succeeded":
            metrics = self.provider.job_metrics(job_id).values
        with self.store.lock:
            res = self.store.state.get(address)
            if res is None or job is None:
                return
            res.attributes = job_attributes(job, res.attributes.get("inputs")) | {"metrics": metrics}
            res.status = job.status
            self.store.state.put(res)
            self.store.save()

    # ------------------------------------------------------------ deployments

    def _deployment(self, change: ResourceChange, want: Desired) -> str:
        model = want.attributes["model"]
        if want.parent_job:
            model, metrics = self._trained_parent(want.parent_job)
            gate = want.extra.get("gate")
            if gate:
                status, checks = evaluate_gate(gate, metrics)
                if status != "passed":
                    failing = "; ".join(
                        f"{c['metric']} = {c['value']} (limit {c['limit']})" for c in checks if not c["passed"]
                    )
                    raise _GateFailed(f"gate failed: {failing}")
        account = want.attributes.get("account") or self.provider.default_account
        tags = {
            **want.attributes.get("tags", {}),
            TAG_ADDRESS: want.address,
            TAG_DIGEST: want.inputs_digest,
            TAG_PROJECT: self.project,
        }
        old = self.store.state.get(change.address)
        if change.action is Action.REPLACE and old is not None:
            old_account = str(old.attributes.get("account") or self.provider.default_account)
            if (old_account, old.name) == (account, want.name):
                self.provider.delete_deployment(old_account, want.name)  # one name per account: delete first
            else:
                self._later("deployment", old_account, old.name)
        self.emit(DeploymentProgress(change.address, account=account, name=want.name, state="Creating"))
        dep = self.provider.put_deployment(
            account,
            want.name,
            DeploymentRequest(
                model_name=str(model),
                deployment_type=want.attributes["type"],
                capacity=want.attributes["capacity"],
                rai_policy=want.attributes.get("rai_policy"),
                version_upgrade=want.attributes["version_upgrade"],
                tags=tags,
            ),
        )
        self.emit(DeploymentProgress(change.address, account=account, name=want.name, state=dep.provisioning_state))
        with self.store.lock:
            self.store.state.put(deployment_record(want, dep))
            self.store.save()
        return f"{account}/{want.name} ({dep.model_name})"

    # ------------------------------------------------------------ deletes and cleanup

    def _delete(self, change: ResourceChange) -> str:
        res = self.store.state.get(change.address)
        if res is None:
            return "already gone"
        if res.kind == "Deployment":
            account = str(res.attributes.get("account") or self.provider.default_account)
            self.emit(DeploymentProgress(change.address, account=account, name=res.name, state="Deleting"))
            self.provider.delete_deployment(account, res.name)
        elif res.kind == "FineTuningJob" and res.remote_id:
            self._delete_job(res.remote_id)
        elif res.kind == "Dataset":
            for f in res.attributes.get("files", {}).values():
                if f.get("id"):
                    self.provider.delete_file(f["id"])
        with self.store.lock:
            self.store.state.remove(change.address)
            self.store.save()
        return "deleted"

    def _delete_job(self, job_id: str) -> None:
        job = self.provider.get_job(job_id)
        if job is None:
            return
        if not job.terminal:
            self.provider.cancel_job(job_id)
        self.provider.delete_job(job_id)

    def _later(self, kind: str, account: str, ident: str) -> None:
        with self._cleanup_lock:
            self.cleanup.append((kind, account, ident))

    def _cleanup(self) -> None:
        for kind, account, ident in self.cleanup:
            try:
                if kind == "job":
                    self._delete_job(ident)
                elif kind == "file":
                    self.provider.delete_file(ident)
                elif kind == "deployment":
                    self.provider.delete_deployment(account, ident)
                self.emit(Message("cleanup", text=f"deleted replaced {kind} {ident}"))
            except FineplanError as exc:
                self.emit(Message("cleanup", text=f"could not delete replaced {kind} {ident}: {exc}", level="warn"))


class _GateFailed(_Deferred):
    """A deployment's gate failed on the job's final metrics: that deployment alone is blocked."""
