"""Fork-based parallelism over byte ranges.

Fork (Linux) lets workers share the parent's tokenizer pages and its hash secret (so line hashes agree across
processes). Where fork is unavailable or unsafe (macOS, Windows) the scan runs in-process.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import multiprocessing.pool

PARALLEL_MIN_BYTES = 16 << 20  # below this, process start-up costs more than it saves
MAX_WORKERS = 8


def can_fork() -> bool:
    import multiprocessing

    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def worker_count(size: int) -> int:
    env = os.environ.get("FINEPLAN_WORKERS")
    wanted = int(env) if env and env.isdigit() else min(available_cpus(), MAX_WORKERS)
    if wanted <= 1 or size < PARALLEL_MIN_BYTES or not can_fork():
        return 1
    return max(1, wanted)


def ranges(size: int, parts: int) -> list[tuple[int, int]]:
    parts = max(1, parts)
    return [(i * size // parts, (i + 1) * size // parts) for i in range(parts)]


def fork_pool(workers: int) -> multiprocessing.pool.Pool:
    import multiprocessing

    return multiprocessing.get_context("fork").Pool(processes=workers)
