"""One parallel walk of a DAG: each node runs once everything it needs has succeeded, on a small thread pool.

The walker waits on completions (a queue the workers report to), never on a timer, so a finished node starts its
dependents at once. A node that does not succeed (its visit returns False) holds back everything downstream of
it: those are reported through `blocked` and never visited. Ctrl-C in the calling thread stops the walk: no new
node starts, running ones finish, and KeyboardInterrupt propagates.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from fineplan.graph.dag import DAG

Visit = Callable[[str], bool]
Blocked = Callable[[str, str], None]  # (node, the dependency that held it back)


def walk(
    dag: DAG,
    visit: Visit,
    *,
    blocked: Blocked,
    workers: int = 4,
    stop: threading.Event | None = None,
) -> None:
    """Visit every node of `dag` in dependency order, independent nodes in parallel.

    Ready nodes start in topological order (ties by name), so a walk with one worker is deterministic. An
    exception raised by `visit` (a bug: visits report failure by returning False) stops the walk and propagates.
    """
    order = {n: i for i, n in enumerate(dag.topological())}
    waiting = {n: set(dag.dependencies(n)) for n in order}
    dependents: dict[str, list[str]] = {n: [] for n in order}
    for n, deps in waiting.items():
        for d in deps:
            dependents[d].append(n)
    finished: queue.Queue[tuple[str, Future[bool]]] = queue.Queue()
    stop = stop or threading.Event()
    running = 0
    ready = sorted((n for n, deps in waiting.items() if not deps), key=order.__getitem__)
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="fineplan-walk")

    def hold_back(node: str, because: str) -> None:
        todo = [(node, because)]
        while todo:
            n, why = todo.pop()
            if n not in waiting:
                continue
            del waiting[n]
            blocked(n, why)
            todo.extend((d, n) for d in dependents[n])

    try:
        while ready or running:
            while ready and not stop.is_set():
                node = ready.pop(0)
                future = pool.submit(visit, node)
                future.add_done_callback(_report(finished, node))
                running += 1
            if not running:
                break
            node, future = finished.get()  # interruptible by Ctrl-C on the calling thread
            running -= 1
            ok = future.result()  # re-raises a visit's exception
            del waiting[node]
            for d in dependents[node]:
                if d not in waiting:
                    continue
                if not ok:
                    hold_back(d, node)
                    continue
                waiting[d].discard(node)
                if not waiting[d]:
                    ready.append(d)
            ready.sort(key=order.__getitem__)
    except BaseException:
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _report(finished: queue.Queue[tuple[str, Future[bool]]], node: str) -> Callable[[Future[bool]], None]:
    return lambda f: finished.put((node, f))
