"""Azure's Evals API over `openai.AzureOpenAI` (dated style: no `aoai-evals` header needed): items files, evals,
runs with a `completions` data source, output items.

Bodies are read raw (`with_raw_response`), as for jobs: the SDK's typed grader unions do not cover every criterion
shape, and the raw body is what Azure sent. Creating a run spends money, so it is never blindly re-sent: before a
retry the eval's runs are listed for one carrying this request's op id (its metadata).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from fineplan.errors import ProviderError
from fineplan.providers.azure.backoff import with_backoff
from fineplan.providers.azure.connection import Tuning
from fineplan.providers.azure.retries import RetryLog, exception_reason
from fineplan.providers.azure.sdk_errors import is_not_found, is_transient, to_provider_error
from fineplan.providers.base import (
    EvalOutputItem,
    EvalRequest,
    EvalRunRequest,
    RemoteEval,
    RemoteEvalRun,
    RemoteFile,
)

if TYPE_CHECKING:
    from openai import AzureOpenAI

T = TypeVar("T")
PAGE_SIZE = 100
OP_ID_KEY = "fineplan_op"  # run metadata key holding the engine's journal op id (fineplan.kinds.tags.META_OP)


def eval_from_wire(d: Mapping[str, Any]) -> RemoteEval:
    criteria: dict[str, str] = {}
    for c in d.get("testing_criteria") or []:
        if isinstance(c, Mapping) and c.get("name"):
            criteria[str(c["name"])] = str(c.get("id") or c["name"])
    return RemoteEval(
        id=str(d["id"]),
        name=str(d.get("name") or ""),
        metadata={str(k): str(v) for k, v in (d.get("metadata") or {}).items()},
        criteria=criteria,
        created_at=int(d.get("created_at") or 0),
    )


def run_from_wire(d: Mapping[str, Any]) -> RemoteEvalRun:
    counts = d.get("result_counts") or {}
    prompt = completion = 0
    for usage in d.get("per_model_usage") or []:
        if isinstance(usage, Mapping):
            prompt += int(usage.get("prompt_tokens") or 0)
            completion += int(usage.get("completion_tokens") or 0)
    error = d.get("error")
    message = None
    if isinstance(error, Mapping) and (error.get("code") or error.get("message")):
        message = ": ".join(str(error[k]) for k in ("code", "message") if error.get(k))
    return RemoteEvalRun(
        id=str(d["id"]),
        eval_id=str(d.get("eval_id") or ""),
        status=str(d.get("status") or "queued"),
        model=str(d["model"]) if d.get("model") else None,
        metadata={str(k): str(v) for k, v in (d.get("metadata") or {}).items()},
        created_at=int(d.get("created_at") or 0),
        total=int(counts.get("total") or 0),
        passed=int(counts.get("passed") or 0),
        failed=int(counts.get("failed") or 0),
        errored=int(counts.get("errored") or 0),
        prompt_tokens=prompt,
        completion_tokens=completion,
        error=message,
    )


def item_from_wire(d: Mapping[str, Any]) -> EvalOutputItem:
    results: dict[str, tuple[float | None, bool]] = {}
    for r in d.get("results") or []:
        if isinstance(r, Mapping) and r.get("name"):
            score = r.get("score")
            results[str(r["name"])] = (float(score) if isinstance(score, int | float) else None, bool(r.get("passed")))
    return EvalOutputItem(int(d.get("datasource_item_id") or 0), str(d.get("status") or "error"), results)


def run_body(request: EvalRunRequest) -> dict[str, Any]:
    """The `data_source` of a run: each item's own `messages` sampled through the deployment."""
    return {
        "type": "completions",
        "model": request.deployment,
        "source": {"type": "file_id", "id": request.file_id},
        "input_messages": {"type": "item_reference", "item_reference": "item.messages"},
        "sampling_params": {k: v for k, v in request.sampling.items() if v is not None},
    }


def _body(raw: Any) -> dict[str, Any]:
    data = raw.http_response.json()
    if not isinstance(data, dict):
        raise ProviderError(f"unexpected answer from the service: {type(data).__name__}, not an object")
    return data


class EvalsPlane:
    def __init__(self, client: AzureOpenAI, tuning: Tuning, retries: RetryLog | None = None) -> None:
        self._client = client
        self._tuning = tuning
        self._retries = retries

    def _call(self, doing: str, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except Exception as exc:
            raise to_provider_error(exc, doing) from exc

    def _retried(self, exc: BaseException) -> None:
        if self._retries is not None:
            self._retries.record(exception_reason(exc))

    def upload_items(self, path: Path, filename: str) -> RemoteFile:
        from fineplan.providers.azure.mapping import file_from_wire

        def run() -> RemoteFile:
            with path.open("rb") as fh:
                obj = self._client.files.create(file=(filename, fh), purpose="evals")
            return file_from_wire(obj.to_dict())

        uploaded = self._call(f"uploading eval items {filename}", run)
        deadline = time.monotonic() + 600
        while uploaded.status not in ("processed", "error", "deleted"):
            if time.monotonic() >= deadline:
                raise ProviderError(f"file {uploaded.id} still {uploaded.status} after 600 s", code="Timeout")
            time.sleep(self._tuning.file_poll_interval)
            file_id = uploaded.id
            current = self._call(f"reading file {file_id}", functools.partial(self._client.files.retrieve, file_id))
            uploaded = file_from_wire(current.to_dict())
        if uploaded.status != "processed":
            raise ProviderError(f"{filename}: file processing {uploaded.status}: {uploaded.error or ''}")
        return uploaded

    def list_evals(self) -> list[RemoteEval]:
        def run() -> list[RemoteEval]:
            out: list[RemoteEval] = []
            after: str | None = None
            while True:
                kwargs: dict[str, Any] = {"limit": PAGE_SIZE} | ({"after": after} if after else {})
                page = _body(self._client.evals.with_raw_response.list(**kwargs))
                items = [d for d in page.get("data") or [] if isinstance(d, dict)]
                out.extend(eval_from_wire(d) for d in items)
                if not page.get("has_more") or not items:
                    return out
                after = str(items[-1]["id"])

        return self._call("listing evals", run)

    def create_eval(self, request: EvalRequest) -> RemoteEval:
        def run() -> RemoteEval:
            raw = self._client.evals.with_raw_response.create(
                name=request.name,
                data_source_config={
                    "type": "custom",
                    "item_schema": request.item_schema,
                    "include_sample_schema": True,
                },
                testing_criteria=[dict(c) for c in request.testing_criteria],  # type: ignore[misc]
                metadata=dict(request.metadata),
            )
            return eval_from_wire(_body(raw))

        return self._call(f"creating eval {request.name}", run)

    def delete_eval(self, eval_id: str) -> None:
        try:
            self._client.evals.delete(eval_id)
        except Exception as exc:
            if not is_not_found(exc):
                raise to_provider_error(exc, f"deleting eval {eval_id}") from exc

    def list_runs(self, eval_id: str) -> list[RemoteEvalRun]:
        def run() -> list[RemoteEvalRun]:
            out: list[RemoteEvalRun] = []
            after: str | None = None
            while True:
                kwargs: dict[str, Any] = {"limit": PAGE_SIZE} | ({"after": after} if after else {})
                page = _body(self._client.evals.runs.with_raw_response.list(eval_id, **kwargs))
                items = [d for d in page.get("data") or [] if isinstance(d, dict)]
                out.extend(run_from_wire(d) for d in items)
                if not page.get("has_more") or not items:
                    return out
                after = str(items[-1]["id"])

        try:
            return run()
        except Exception as exc:
            if is_not_found(exc):
                return []
            raise to_provider_error(exc, f"listing runs of eval {eval_id}") from exc

    def get_run(self, eval_id: str, run_id: str) -> RemoteEvalRun | None:
        try:
            return run_from_wire(_body(self._client.evals.runs.with_raw_response.retrieve(run_id, eval_id=eval_id)))
        except Exception as exc:
            if is_not_found(exc):
                return None
            raise to_provider_error(exc, f"reading eval run {run_id}") from exc

    def create_run(self, request: EvalRunRequest) -> RemoteEvalRun:
        op_id = request.metadata.get(OP_ID_KEY)
        tries = 0

        def run() -> RemoteEvalRun:
            nonlocal tries
            tries += 1
            if tries > 1 and op_id:
                for found in self.list_runs(request.eval_id):
                    if found.metadata.get(OP_ID_KEY) == op_id and found.model == request.deployment:
                        return found
            client = self._client.with_options(max_retries=0)
            raw = client.evals.runs.with_raw_response.create(
                request.eval_id,
                name=request.name,
                data_source=run_body(request),  # type: ignore[arg-type]
                metadata=dict(request.metadata),
            )
            return run_from_wire(_body(raw))

        def run_with_retries() -> RemoteEvalRun:
            return with_backoff(
                run,
                retryable=is_transient,
                first_delay=max(self._tuning.conflict_backoff, 0.05),
                max_delay=self._tuning.conflict_backoff_max,
                deadline=self._tuning.write_deadline,
                describe=f"starting an eval run on {request.deployment}",
                on_retry=self._retried,
            )

        return self._call(f"starting an eval run on {request.deployment}", run_with_retries)

    def output_items(self, eval_id: str, run_id: str) -> list[EvalOutputItem]:
        def run() -> list[EvalOutputItem]:
            out: list[EvalOutputItem] = []
            after: str | None = None
            while True:
                kwargs: dict[str, Any] = {"eval_id": eval_id, "limit": PAGE_SIZE} | ({"after": after} if after else {})
                page = _body(self._client.evals.runs.output_items.with_raw_response.list(run_id, **kwargs))
                items = [d for d in page.get("data") or [] if isinstance(d, dict)]
                out.extend(item_from_wire(d) for d in items)
                if not page.get("has_more") or not items:
                    return sorted(out, key=lambda i: i.index)
                after = str(items[-1]["id"])

        return self._call(f"reading output items of eval run {run_id}", run)
