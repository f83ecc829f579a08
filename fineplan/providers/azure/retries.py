"""Retry accounting: how many calls were retried, and why, across every layer that retries.

Three layers retry: the openai SDK (429/5xx/409 and connection errors per request), azure-core's retry policy
(ARM requests on 408/429/5xx), and fineplan's own backoff loop around whole operations (ARM's per-account 409
"another operation", a job create). Each reports every retry it is about to make to one `RetryLog`, so the CLI can
say after a plan or an apply, in one line, what was retried. Counting only: nothing here changes when or whether
a call is retried.
"""

from __future__ import annotations

import threading
from collections import Counter
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from azure.core.pipeline.policies import RetryPolicy


class RetryLog:
    """Retries per reason ("429 Too Many Requests", "connection error"). Thread-safe: calls run in parallel."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def record(self, reason: str) -> None:
        with self._lock:
            self._counts[reason] += 1

    def counts(self) -> dict[str, int]:
        """Most frequent first."""
        with self._lock:
            return dict(self._counts.most_common())


def status_reason(status: int | None) -> str:
    """`429 Too Many Requests`; a status-less failure is a connection error (or a timeout)."""
    if status is None:
        return "connection error or timeout"
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def exception_reason(exc: BaseException) -> str:
    status = getattr(exc, "status_code", None)
    return status_reason(status if isinstance(status, int) else None)


def counting_openai_client(log: RetryLog, **kwargs: Any) -> Any:
    """An `openai.AzureOpenAI` that tells `log` about every retry it makes. The SDK sleeps once before each
    retry, in `_sleep_for_retry` (with the response that failed, or None after a connection error or timeout):
    that is where it is counted. If a later SDK renames the hook, retries still happen, uncounted."""
    from openai import AzureOpenAI

    class CountingAzureOpenAI(AzureOpenAI):
        def _sleep_for_retry(self, *args: Any, **kw: Any) -> None:
            response = kw.get("response")
            log.record(status_reason(getattr(response, "status_code", None)))
            super()._sleep_for_retry(*args, **kw)

    return CountingAzureOpenAI(**kwargs)


def counting_retry_policy(log: RetryLog, **kwargs: Any) -> RetryPolicy:
    """azure-core's RetryPolicy (same settings) that tells `log` about every retry: `increment` is its public
    step that decides whether another attempt follows."""
    from azure.core.pipeline import PipelineResponse
    from azure.core.pipeline.policies import RetryPolicy

    class CountingRetryPolicy(RetryPolicy):
        def increment(self, settings: Any, response: Any = None, error: Any = None) -> bool:
            again = super().increment(settings, response=response, error=error)
            if again:
                status = response.http_response.status_code if isinstance(response, PipelineResponse) else None
                log.record(status_reason(status) if error is None else "connection error or timeout")
            return again

    return CountingRetryPolicy(**kwargs)
