"""A job's plan, fixed at creation: resolved hyperparameters, step counts, simulated durations, metric seed.

Fixing it at creation keeps a job's course stable across restarts and config changes; only the speed factor,
read when time is advanced, changes how fast it runs.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import asdict, dataclass
from typing import Any

from fineplan.emulator.config import Durations


@dataclass(frozen=True, slots=True)
class JobPlan:
    method: str
    examples: int
    tokens_per_epoch: int
    n_epochs: int
    batch_size: int
    learning_rate_multiplier: float
    beta: float | None
    reasoning_effort: str | None
    steps_per_epoch: int
    has_validation: bool
    metric_seed: int
    queue_s: float
    startup_s: float
    epoch_s: float
    finalize_s: float
    error: dict[str, Any] | None  # the job fails with this at the end of its queue time (invalid file)

    @property
    def total_steps(self) -> int:
        return self.n_epochs * self.steps_per_epoch

    @property
    def step_s(self) -> float:
        return self.epoch_s / self.steps_per_epoch

    @property
    def training_end(self) -> float:
        return self.startup_s + self.n_epochs * self.epoch_s

    @property
    def running_total(self) -> float:
        return self.training_end + self.finalize_s

    @property
    def trained_tokens(self) -> int:
        return self.tokens_per_epoch * self.n_epochs

    def step_offset(self, step: int) -> float:
        return self.startup_s + step * self.step_s

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> JobPlan:
        return cls(**raw)


def auto_epochs(examples: int) -> int:
    """The data-prep notebook's default: 3 epochs, more for tiny files, fewer for huge ones, within 1..25."""
    n = max(1, examples)
    epochs = 3
    if n * epochs < 100:
        epochs = 100 // n
    elif n * epochs > 25_000:
        epochs = 25_000 // n
    return max(1, min(25, epochs))


def auto_batch_size(examples: int) -> int:
    return max(1, min(256, math.ceil(examples * 0.002)))


def resolve(value: Any, default: Any) -> Any:
    return default if value is None or value == "auto" else value


def make_plan(
    *,
    method: str,
    hyperparameters: dict[str, Any],
    examples: int,
    tokens_per_epoch: int,
    has_validation: bool,
    seed: int,
    data_digest: str,
    durations: Durations,
    error: dict[str, Any] | None,
) -> JobPlan:
    examples = max(1, examples)
    n_epochs = int(resolve(hyperparameters.get("n_epochs"), auto_epochs(examples)))
    batch_size = int(resolve(hyperparameters.get("batch_size"), auto_batch_size(examples)))
    lrm = float(resolve(hyperparameters.get("learning_rate_multiplier"), 1.0))
    beta = float(resolve(hyperparameters.get("beta"), 0.1)) if method == "dpo" else None
    effort = None
    if method == "reinforcement":
        effort = str(resolve(hyperparameters.get("reasoning_effort"), "medium"))
        effort = "medium" if effort == "default" else effort
    steps_per_epoch = max(1, math.ceil(examples / batch_size))
    epoch_s = max(durations.epoch_min, tokens_per_epoch / durations.training_tokens_per_second)
    if method == "reinforcement":
        epoch_s *= durations.rft_slowdown
    material = f"{data_digest}|{method}|{n_epochs}|{batch_size}|{lrm}|{beta}|{effort}|{seed}"
    metric_seed = int.from_bytes(hashlib.sha256(material.encode()).digest()[:8], "big")
    return JobPlan(
        method=method,
        examples=examples,
        tokens_per_epoch=tokens_per_epoch,
        n_epochs=n_epochs,
        batch_size=batch_size,
        learning_rate_multiplier=lrm,
        beta=beta,
        reasoning_effort=effort,
        steps_per_epoch=steps_per_epoch,
        has_validation=has_validation,
        metric_seed=metric_seed,
        queue_s=durations.job_queue,
        startup_s=durations.job_startup,
        epoch_s=epoch_s,
        finalize_s=durations.job_finalize,
        error=error,
    )
