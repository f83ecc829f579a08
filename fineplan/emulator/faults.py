"""Fault injection: random failures and latency for reliability tests and benchmarks, scripted failures for
deterministic tests.

A fault spec is `;`-separated `key=value` pairs (CLI `--faults`, env FINEPLAN_EMULATOR_FAULTS, or
`EmbeddedEmulator(faults=...)`):

    rate=0.1            share of API calls answered with an error instead (0..1; default 0)
    codes=429,500,503   statuses random faults choose from (default 429,500,503)
    latency_ms=50       delay added to every request, before it is handled (default 0)
    seed=7              seed of the random faults, for reproducible runs (default: unseeded)
    ops=get_job,...     restrict random faults to these operations (default: all)
    retry_after_ms=100  `retry-after-ms` sent with injected 429s (default 100)
    fail=OP:N:CODE      scripted: answer the Nth call of operation OP with CODE; N may be a range `2-4`.
                        Several rules: `fail=create_job:2:500,put_deployment:1:429` or repeat `fail=`.

Example: `fail=create_job:2:500` fails the second fine-tuning job creation with a 500 (the openai SDK retries it,
so the third call succeeds). Calls are counted per emulator instance from its start, per operation, before
authentication; injected errors carry the plane's error shape.

Operation names: create_file, list_files, get_file, delete_file, get_file_content, import_file, create_job,
list_jobs, get_job, delete_job, cancel_job, pause_job, resume_job, list_events, list_checkpoints,
list_deployments, get_deployment, put_deployment, patch_deployment, delete_deployment, get_operation_status,
get_operation_result, create_chat_completion, list_models, get_model, create_eval, list_evals, get_eval,
update_eval, delete_eval, create_eval_run, list_eval_runs, get_eval_run, cancel_eval_run, delete_eval_run,
list_eval_output_items, get_eval_output_item, get_account, put_account, delete_account, list_accounts,
list_all_accounts, list_account_models, list_location_models, list_deployment_skus (ARM).
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass, field

from fineplan.errors import ConfigError

OPERATIONS = frozenset(
    {
        "create_file",
        "list_files",
        "get_file",
        "delete_file",
        "get_file_content",
        "import_file",
        "create_job",
        "list_jobs",
        "get_job",
        "delete_job",
        "cancel_job",
        "pause_job",
        "resume_job",
        "list_events",
        "list_checkpoints",
        "list_deployments",
        "get_deployment",
        "put_deployment",
        "patch_deployment",
        "delete_deployment",
        "get_operation_status",
        "get_operation_result",
        "create_chat_completion",
        "list_models",
        "get_model",
        "create_eval",
        "list_evals",
        "get_eval",
        "update_eval",
        "delete_eval",
        "create_eval_run",
        "list_eval_runs",
        "get_eval_run",
        "cancel_eval_run",
        "delete_eval_run",
        "list_eval_output_items",
        "get_eval_output_item",
        "get_account",
        "put_account",
        "delete_account",
        "list_accounts",
        "list_all_accounts",
        "list_account_models",
        "list_location_models",
        "list_deployment_skus",
    }
)


@dataclass(frozen=True, slots=True)
class ScriptedFault:
    op: str
    first: int
    last: int
    status: int


@dataclass(frozen=True, slots=True)
class FaultSpec:
    rate: float = 0.0
    codes: tuple[int, ...] = (429, 500, 503)
    latency_ms: float = 0.0
    seed: int | None = None
    ops: frozenset[str] | None = None
    retry_after_ms: int = 100
    scripted: tuple[ScriptedFault, ...] = field(default=())

    @property
    def is_noop(self) -> bool:
        return self.rate == 0 and self.latency_ms == 0 and not self.scripted


def parse_faults(spec: str | None) -> FaultSpec:
    if not spec or not spec.strip():
        return FaultSpec()
    values: dict[str, object] = {}
    scripted: list[ScriptedFault] = []
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        key, sep, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not sep:
            raise ConfigError(f"fault spec: expected key=value, got {part!r}")
        try:
            if key == "rate":
                rate = float(value)
                if not 0 <= rate <= 1:
                    raise ValueError("rate must be within 0..1")
                values["rate"] = rate
            elif key == "codes":
                values["codes"] = tuple(_status(c) for c in value.split(",") if c.strip())
            elif key == "latency_ms":
                values["latency_ms"] = max(0.0, float(value))
            elif key == "seed":
                values["seed"] = int(value)
            elif key == "retry_after_ms":
                values["retry_after_ms"] = max(1, int(value))
            elif key == "ops":
                ops = frozenset(o.strip() for o in value.split(",") if o.strip())
                _check_ops(ops)
                values["ops"] = ops
            elif key == "fail":
                scripted.extend(_scripted(rule) for rule in value.split(",") if rule.strip())
            else:
                raise ValueError(f"unknown key {key!r}")
        except ValueError as exc:
            raise ConfigError(f"fault spec {part!r}: {exc}") from exc
    return FaultSpec(scripted=tuple(scripted), **values)  # type: ignore[arg-type]


def _status(raw: str) -> int:
    code = int(raw.strip())
    if not 400 <= code <= 599:
        raise ValueError(f"{code} is not an error status")
    return code


def _check_ops(ops: frozenset[str]) -> None:
    unknown = ops - OPERATIONS
    if unknown:
        raise ValueError(f"unknown operation(s) {sorted(unknown)}")


def _scripted(rule: str) -> ScriptedFault:
    op, nth, status = (p.strip() for p in _split3(rule))
    _check_ops(frozenset({op}))
    first, _, last = nth.partition("-")
    lo = int(first)
    hi = int(last) if last else lo
    if lo < 1 or hi < lo:
        raise ValueError(f"call number {nth!r} must be N or N-M with 1 <= N <= M")
    return ScriptedFault(op, lo, hi, _status(status))


def _split3(rule: str) -> tuple[str, str, str]:
    parts = rule.split(":")
    if len(parts) != 3:
        raise ValueError(f"fail rule {rule!r} must be OP:N:CODE")
    return parts[0], parts[1], parts[2]


class FaultInjector:
    """Decides, per call, whether to fail it. One per emulator instance (no shared global counters)."""

    def __init__(self, spec: FaultSpec) -> None:
        self.spec = spec
        self._calls: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._rng = random.Random(spec.seed)

    @property
    def latency_s(self) -> float:
        return self.spec.latency_ms / 1000.0

    def check(self, op: str) -> int | None:
        """Count this call of `op`; return the status to answer with instead, or None to serve it."""
        with self._lock:
            self._calls[op] += 1
            n = self._calls[op]
            for rule in self.spec.scripted:
                if rule.op == op and rule.first <= n <= rule.last:
                    return rule.status
            eligible = self.spec.rate > 0 and (self.spec.ops is None or op in self.spec.ops)
            if eligible and self._rng.random() < self.spec.rate:
                return self._rng.choice(self.spec.codes)
        return None

    def calls(self, op: str) -> int:
        with self._lock:
            return self._calls[op]
