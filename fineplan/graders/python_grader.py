"""`python` graders: `grade(sample, item) -> float` run in a separate Python process with a time limit per call,
a memory limit, and sockets disabled.

One worker process per grader source serves many calls over a line protocol (JSON in on stdin, JSON out on a
private copy of stdout; the grader's own prints go to stderr, which is discarded), so grading 50 items does not
start 50 interpreters. A call that overruns its time limit kills the worker; the next call starts a fresh one.

Limits: wall time per call (the caller's `timeout_s`, default 60 s), address space (`memory_bytes`, default
2 GiB, via RLIMIT_AS), and a CPU-time backstop. "No network" is enforced in-process: the worker replaces the
socket constructors before it loads the grader. This is a guard against accidents in a local test double, not a
security sandbox for hostile code.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import select
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any

DEFAULT_TIMEOUT_S = 60.0
DEFAULT_MEMORY_BYTES = 2 * 1024**3
_MAX_LINE = 16 * 1024 * 1024

# The worker: set limits, block sockets, load the grader, then answer one JSON line per call.
_WORKER = r"""
import json, os, resource, socket, sys
memory = int(sys.argv[1])
try:
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
except (ValueError, OSError):
    pass
def _no_network(*args, **kwargs):
    raise OSError("network access is disabled in python graders")
class _NoSocket(socket.socket):
    def __init__(self, *args, **kwargs):
        _no_network()
socket.socket = _NoSocket
socket.create_connection = _no_network
socket.getaddrinfo = _no_network
socket.socketpair = _no_network
out = os.fdopen(os.dup(1), "w", encoding="utf-8")
os.dup2(2, 1)
sys.stdout = sys.stderr
def reply(obj):
    out.write(json.dumps(obj) + "\n")
    out.flush()
source = json.loads(sys.stdin.readline())["source"]
namespace = {"__name__": "grader"}
try:
    exec(compile(source, "<grader>", "exec"), namespace)
    grade = namespace["grade"]
    load_error = None
except BaseException as exc:
    load_error = f"{type(exc).__name__}: {exc}"
for line in sys.stdin:
    if load_error is not None:
        reply({"error": load_error})
        continue
    case = json.loads(line)
    try:
        value = grade(case["sample"], case["item"])
        reply({"score": value if isinstance(value, (int, float)) and not isinstance(value, bool) else repr(value)})
    except BaseException as exc:
        reply({"error": f"{type(exc).__name__}: {exc}"})
"""


@dataclass(frozen=True, slots=True)
class PythonOutcome:
    score: float | None
    error: str | None = None


class _Worker:
    def __init__(self, source: str, memory_bytes: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-c", _WORKER, str(memory_bytes)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={"PATH": os.environ.get("PATH", ""), "PYTHONHASHSEED": "0", "PYTHONIOENCODING": "utf-8"},
            cwd=os.path.abspath(os.sep),
            close_fds=True,
        )
        self._buffer = b""
        self._send({"source": source})

    def _send(self, obj: Any) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(obj).encode() + b"\n")
        self.proc.stdin.flush()

    def call(self, sample: Any, item: Any, timeout_s: float) -> PythonOutcome:
        try:
            self._send({"sample": sample, "item": item})
        except (BrokenPipeError, OSError):
            return PythonOutcome(None, "the grader process exited (memory limit or crash)")
        line = self._read_line(time.monotonic() + timeout_s)
        if line is None:
            return PythonOutcome(None, f"grade() did not finish within {timeout_s:g} s")
        if line == b"":
            return PythonOutcome(None, "the grader process exited (memory limit or crash)")
        reply = json.loads(line)
        if "error" in reply:
            return PythonOutcome(None, str(reply["error"]))
        score = reply.get("score")
        if not isinstance(score, int | float) or isinstance(score, bool) or not math.isfinite(score):
            return PythonOutcome(None, f"grade() must return a finite number, not {score!r}")
        return PythonOutcome(float(score))

    def _read_line(self, deadline: float) -> bytes | None:
        """The next reply line; b"" if the worker died; None on timeout."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                return b""
            self._buffer += chunk
            if len(self._buffer) > _MAX_LINE:
                return b""
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def close(self) -> None:
        with contextlib.suppress(OSError):
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        if self.proc.poll() is None:
            self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


class PythonGraderPool:
    """Keeps one worker per grader source for the duration of a grading session. Use as a context manager."""

    def __init__(self, timeout_s: float = DEFAULT_TIMEOUT_S, memory_bytes: int = DEFAULT_MEMORY_BYTES) -> None:
        self.timeout_s = timeout_s
        self.memory_bytes = memory_bytes
        self._workers: dict[str, _Worker] = {}
        self._lock = threading.Lock()

    def grade(self, source: str, sample: Any, item: Any) -> PythonOutcome:
        with self._lock:
            worker = self._workers.get(source)
            if worker is None or worker.proc.poll() is not None:
                if worker is not None:
                    worker.close()
                worker = self._workers[source] = _Worker(source, self.memory_bytes)
            outcome = worker.call(sample, item, self.timeout_s)
            if outcome.score is None and worker.proc.poll() is None and "did not finish" in (outcome.error or ""):
                worker.close()  # a runaway call: kill it rather than let it run on
                del self._workers[source]
            return outcome

    def close(self) -> None:
        with self._lock:
            for worker in self._workers.values():
                worker.close()
            self._workers.clear()

    def __enter__(self) -> PythonGraderPool:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
