"""Files and fine-tuning jobs over `openai.AzureOpenAI` (the dated `/openai/...?api-version=` style).

The SDK retries 408/409/429/5xx and connection errors itself (`max_retries`, honouring `retry-after-ms`); what
is left when it gives up becomes a ProviderError. The openai package is imported only in `build_client`.

Jobs are read from the raw JSON bodies (`with_raw_response`), not through the SDK's typed FineTuningJob: its
grader types do not cover every shape Azure accepts (a `multi` grader's map of graders), and dumping such a job
made pydantic print serializer warnings on every plan. The raw body is also exactly what Azure sent.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from fineplan.errors import ProviderError
from fineplan.providers.azure.backoff import with_backoff
from fineplan.providers.azure.connection import Connection, Tuning
from fineplan.providers.azure.mapping import (
    checkpoint_from_wire,
    event_from_wire,
    file_from_wire,
    job_from_wire,
    method_body,
    metrics_from_checkpoints,
    training_type_wire,
)
from fineplan.providers.azure.retries import RetryLog, counting_openai_client, exception_reason
from fineplan.providers.azure.sdk_errors import is_not_found, is_transient, to_provider_error
from fineplan.providers.base import Checkpoint, JobEvent, JobMetrics, JobRequest, ProgressFn, RemoteFile, RemoteJob

if TYPE_CHECKING:
    from openai import AzureOpenAI

T = TypeVar("T")

FILE_DONE = frozenset({"processed", "error", "deleted"})
PAGE_SIZE = 100


def build_client(
    connection: Connection,
    tuning: Tuning,
    *,
    api_key: str | None = None,
    token_provider: Callable[[], str] | None = None,
    retries: RetryLog | None = None,
) -> AzureOpenAI:
    """Exactly one of `api_key` / `token_provider`. Always passing one also keeps the SDK from falling back to
    AZURE_OPENAI_API_KEY / AZURE_OPENAI_AD_TOKEN from the environment."""
    if (api_key is None) == (token_provider is None):
        raise ValueError("give exactly one of api_key and token_provider")
    from openai import AzureOpenAI

    kwargs: dict[str, Any] = {
        "azure_endpoint": connection.endpoint,
        "api_version": connection.api_version,
        "api_key": api_key,
        "azure_ad_token_provider": token_provider,
        "max_retries": tuning.max_retries,
        "timeout": tuning.request_timeout,
    }
    client: AzureOpenAI = counting_openai_client(retries, **kwargs) if retries else AzureOpenAI(**kwargs)
    return client


def _dump(obj: Any) -> dict[str, Any]:
    """An SDK model as a plain dict, keeping Azure's extra fields (trainingType, user_provided_suffix...)."""
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def _body(raw: Any) -> dict[str, Any]:
    """The JSON body of a `with_raw_response` call, as sent: no typed model is built or serialized."""
    data = raw.http_response.json()
    if not isinstance(data, dict):
        raise ProviderError(f"unexpected answer from the service: {type(data).__name__}, not an object")
    return data


# Job metadata key holding the engine's journal op id (see fineplan.kinds.tags.META_OP).
OP_ID_KEY = "fineplan_op"


class _ProgressReader(io.BufferedReader):
    """A file the SDK streams in chunks; reports (bytes sent, total) as it is read. A retried upload restarts."""

    def __init__(self, path: Path, progress: ProgressFn) -> None:
        super().__init__(io.FileIO(path, "rb"))
        self._progress = progress
        self._total = path.stat().st_size
        self._sent = 0

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        position = super().seek(offset, whence)
        self._sent = position
        return position

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        if chunk:
            self._sent += len(chunk)
            self._progress(min(self._sent, self._total), self._total)
        return chunk


class DataPlane:
    def __init__(self, client: AzureOpenAI, tuning: Tuning, retries: RetryLog | None = None) -> None:
        self._client = client
        self._tuning = tuning
        self._retries = retries

    def _retried(self, exc: BaseException) -> None:
        if self._retries is not None:
            self._retries.record(exception_reason(exc))

    @property
    def client(self) -> AzureOpenAI:
        """The SDK client, shared with the Evals API adapter (fineplan.providers.azure.evals)."""
        return self._client

    def close(self) -> None:
        self._client.close()

    def _call(self, doing: str, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except Exception as exc:
            raise to_provider_error(exc, doing) from exc

    def _get_or_none(self, doing: str, fn: Callable[[], T]) -> T | None:
        try:
            return fn()
        except Exception as exc:
            if is_not_found(exc):
                return None
            raise to_provider_error(exc, doing) from exc

    # ------------------------------------------------------------ files

    def list_files(self) -> list[RemoteFile]:
        def run() -> list[RemoteFile]:
            pages = self._client.files.list(purpose="fine-tune", limit=PAGE_SIZE)
            return [file_from_wire(_dump(f)) for f in pages]

        return self._call("listing files", run)

    def get_file(self, file_id: str) -> RemoteFile | None:
        obj = self._get_or_none(f"reading file {file_id}", lambda: self._client.files.retrieve(file_id))
        return file_from_wire(_dump(obj)) if obj is not None else None

    def upload_file(self, path: Path, filename: str, progress: ProgressFn | None = None) -> RemoteFile:
        def run() -> RemoteFile:
            if progress is None:
                with path.open("rb") as fh:
                    obj = self._client.files.create(file=(filename, fh), purpose="fine-tune")
            else:
                with _ProgressReader(path, progress) as reader:
                    obj = self._client.files.create(file=(filename, reader), purpose="fine-tune")
            return file_from_wire(_dump(obj))

        return self._call(f"uploading {path.name} as {filename}", run)

    def wait_file_processed(self, file_id: str, timeout: float = 600) -> RemoteFile:
        """Poll until the file is processed, failed (`status == "error"`, reason in `.error`) or deleted."""
        deadline = time.monotonic() + timeout
        while True:
            current = self.get_file(file_id)
            if current is None:
                raise ProviderError(f"file {file_id} does not exist", code="notFound", status=404)
            if current.status in FILE_DONE:
                return current
            if time.monotonic() >= deadline:
                raise ProviderError(f"file {file_id} still {current.status} after {timeout:.0f} s", code="Timeout")
            time.sleep(self._tuning.file_poll_interval)

    def delete_file(self, file_id: str) -> None:
        """Deleting a file that is already gone is not an error."""
        self._get_or_none(f"deleting file {file_id}", lambda: self._client.files.delete(file_id))

    # ------------------------------------------------------------ jobs

    def list_jobs(self) -> list[RemoteJob]:
        def run() -> list[RemoteJob]:
            jobs: list[RemoteJob] = []
            after: str | None = None
            while True:
                kwargs: dict[str, Any] = {"limit": PAGE_SIZE} | ({"after": after} if after else {})
                page = _body(self._client.fine_tuning.jobs.with_raw_response.list(**kwargs))
                items = [d for d in page.get("data") or [] if isinstance(d, dict)]
                jobs.extend(job_from_wire(d) for d in items)
                if not page.get("has_more") or not items:
                    return jobs
                after = str(items[-1]["id"])

        return self._call("listing fine-tuning jobs", run)

    def get_job(self, job_id: str) -> RemoteJob | None:
        body = self._get_or_none(
            f"reading job {job_id}", lambda: _body(self._client.fine_tuning.jobs.with_raw_response.retrieve(job_id))
        )
        return job_from_wire(body) if body is not None else None

    def create_job(self, request: JobRequest) -> RemoteJob:
        extra: dict[str, Any] = {"trainingType": training_type_wire(request.training_type)}
        kwargs: dict[str, Any] = {"model": request.model, "training_file": request.training_file}
        for name in ("validation_file", "suffix", "seed"):
            value = getattr(request, name)
            if value is not None:
                kwargs[name] = value
        if request.metadata:
            kwargs["metadata"] = dict(request.metadata)
        kwargs["method"] = method_body(request)

        # Creating a job spends money, so the SDK must not blindly re-send it: a 5xx may come after Azure has
        # already created the job. Before each retry we look for a job carrying this request's op id.
        op_id = request.metadata.get(OP_ID_KEY)
        tries = 0

        def run() -> RemoteJob:
            nonlocal tries
            tries += 1
            if tries > 1 and op_id:
                for job in self.list_jobs():
                    if job.metadata.get(OP_ID_KEY) == op_id:
                        return job
            client = self._client.with_options(max_retries=0)
            return job_from_wire(_body(client.fine_tuning.jobs.with_raw_response.create(**kwargs, extra_body=extra)))

        def run_with_retries() -> RemoteJob:
            return with_backoff(
                run,
                retryable=is_transient,
                first_delay=max(self._tuning.conflict_backoff, 0.05),
                max_delay=self._tuning.conflict_backoff_max,
                deadline=self._tuning.write_deadline,
                describe=f"creating a {request.method} job",
                on_retry=self._retried,
            )

        return self._call(f"creating a {request.method} job on {request.model}", run_with_retries)

    def cancel_job(self, job_id: str) -> RemoteJob:
        return self._call(
            f"cancelling job {job_id}",
            lambda: job_from_wire(_body(self._client.fine_tuning.jobs.with_raw_response.cancel(job_id))),
        )

    def delete_job(self, job_id: str) -> None:
        """Azure-only (dated API): the SDK has no method, so this goes through its raw request facility.
        Deleting a job that is already gone is not an error; deleting one that is not terminal is (409).

        The SDK would retry that 409 like a lock timeout, so its retries are off here and `with_backoff` retries
        only what is transient (429, 5xx, connection errors)."""

        def run() -> None:
            self._client.delete(f"/fine_tuning/jobs/{job_id}", cast_to=type(None), options={"max_retries": 0})

        def run_with_retries() -> None:
            with_backoff(
                run,
                retryable=is_transient,
                first_delay=self._tuning.conflict_backoff,
                max_delay=self._tuning.conflict_backoff_max,
                deadline=self._tuning.write_deadline,
                describe=f"deleting job {job_id}",
                on_retry=self._retried,
            )

        self._get_or_none(f"deleting job {job_id}", run_with_retries)

    def job_events(self, job_id: str, limit: int = 20) -> list[JobEvent]:
        """The latest `limit` events, oldest first (the API serves newest first)."""

        def run() -> list[JobEvent]:
            page = self._client.fine_tuning.jobs.list_events(job_id, limit=limit)
            events = [event_from_wire(_dump(e)) for e in page.data]
            return sorted(reversed(events), key=lambda e: e.created_at)  # stable: ties keep oldest first

        return self._call(f"reading events of job {job_id}", run)

    def job_metrics(self, job_id: str) -> JobMetrics:
        def run() -> JobMetrics:
            pages = self._client.fine_tuning.jobs.checkpoints.list(job_id, limit=PAGE_SIZE)
            return metrics_from_checkpoints(_dump(c) for c in pages)

        return self._call(f"reading checkpoints of job {job_id}", run)

    def job_checkpoints(self, job_id: str) -> list[Checkpoint]:
        def run() -> list[Checkpoint]:
            pages = self._client.fine_tuning.jobs.checkpoints.list(job_id, limit=PAGE_SIZE)
            return sorted((checkpoint_from_wire(_dump(c)) for c in pages), key=lambda c: c.step)

        return self._call(f"reading checkpoints of job {job_id}", run)
