"""Retry with capped exponential backoff and jitter, for what the SDKs' own retry policies do not cover.

The SDKs already retry single requests on 429/5xx. This loop wraps a whole operation (e.g. an ARM write and its
long-running operation) and also retries Azure's per-account 409 "Another operation is being performed on the
parent resource", which no SDK retries by itself.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

log = logging.getLogger(__name__)


def with_backoff(
    operation: Callable[[], T],
    *,
    retryable: Callable[[BaseException], bool],
    first_delay: float,
    max_delay: float,
    deadline: float,
    describe: str,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    on_retry: Callable[[BaseException], None] | None = None,
) -> T:
    """Run `operation` until it succeeds, raising the last error once it is not retryable or `deadline` seconds
    have passed. Delays grow 2x from `first_delay` up to `max_delay`, each shortened by up to 25 % at random so
    that parallel callers do not retry in lockstep. `on_retry` hears of each error about to be retried."""
    started = clock()
    delay = first_delay
    attempt = 1
    while True:
        try:
            return operation()
        except Exception as exc:
            if not retryable(exc):
                raise
            wait = delay * (1 - 0.25 * random.random())
            if clock() - started + wait > deadline:
                raise
            log.info("%s: attempt %d failed (%s); retrying in %.2f s", describe, attempt, _short(exc), wait)
            if on_retry is not None:
                on_retry(exc)
            sleep(wait)
            delay = min(delay * 2, max_delay)
            attempt += 1


def _short(exc: BaseException) -> str:
    status = getattr(exc, "status_code", None)
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return f"{status} {text}"[:200] if status else text[:200]
