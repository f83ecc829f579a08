"""Deterministic, plausible training metrics: a pure function of (plan, step).

The plan's metric seed comes from the data digest, hyperparameters and seed, so the same inputs give the same
curves. SFT: loss decays towards a floor and token accuracy rises. DPO: the preference loss falls from ln 2 while
preference accuracy and reward margin rise. RFT: mean reward rises; mean reasoning tokens settle. Per-step values
carry a little noise; epoch boundaries (checkpoints) sit exactly on the smooth curve, so they are monotone.

results.csv uses Azure's columns (step, train_loss, train_mean_token_accuracy, valid_loss,
validation_mean_token_accuracy, full_valid_loss, full_valid_mean_token_accuracy); RFT adds its reward and
reasoning-token columns; DPO adds its preference columns (names not confirmed against an Azure file).
"""

from __future__ import annotations

import io
import math
import random

from fineplan.emulator.simulation.plan import JobPlan

BASE_COLUMNS = (
    "step",
    "train_loss",
    "train_mean_token_accuracy",
    "valid_loss",
    "validation_mean_token_accuracy",
    "full_valid_loss",
    "full_valid_mean_token_accuracy",
)
DPO_COLUMNS = ("train_reward_margin", "valid_reward_margin", "train_preference_accuracy", "valid_preference_accuracy")
RFT_COLUMNS = ("train_reward_mean", "valid_reward_mean", "train_reasoning_tokens_mean", "valid_reasoning_tokens_mean")

_EFFORT_TOKENS = {"low": 600.0, "medium": 1500.0, "high": 3500.0}


class _Shape:
    """The per-job constants of a curve, drawn once from the metric seed."""

    def __init__(self, plan: JobPlan) -> None:
        rng = random.Random(plan.metric_seed)
        lr = min(10.0, max(0.01, plan.learning_rate_multiplier))
        self.rate = rng.uniform(0.8, 1.4) * lr**0.35
        self.start = rng.uniform(1.4, 2.4)
        self.floor = rng.uniform(0.08, 0.3)
        self.dpo_floor = rng.uniform(0.15, 0.35)
        self.margin_max = rng.uniform(1.0, 4.0) * (plan.beta or 0.1) / 0.1
        self.reward_start = rng.uniform(0.15, 0.4)
        self.reward_max = rng.uniform(0.6, 0.9)
        self.reasoning = _EFFORT_TOKENS.get(plan.reasoning_effort or "medium", 1500.0) * rng.uniform(0.8, 1.2)
        self.gap = rng.uniform(1.03, 1.1)  # validation sits a little above training


def _noise(plan: JobPlan, step: int, salt: str) -> float:
    if step % plan.steps_per_epoch == 0:
        return 0.0
    return random.Random(f"{plan.metric_seed}:{step}:{salt}").gauss(0.0, 0.035)


def step_metrics(plan: JobPlan, step: int) -> dict[str, float]:
    """Training-side metrics at `step` (1-based), with `step` itself."""
    shape = _Shape(plan)
    x = step / plan.steps_per_epoch
    decay = math.exp(-shape.rate * x)
    out: dict[str, float] = {"step": float(step)}
    n = _noise(plan, step, "train")
    if plan.method == "dpo":
        loss = shape.dpo_floor + (math.log(2) - shape.dpo_floor) * decay
        out["train_loss"] = loss * (1 + n)
        out["train_reward_margin"] = shape.margin_max * (1 - decay) * (1 + n)
        out["train_preference_accuracy"] = _clamp(0.5 + 0.45 * (1 - decay) * (1 + n))
    elif plan.method == "reinforcement":
        out["train_reward_mean"] = _clamp(shape.reward_max - (shape.reward_max - shape.reward_start) * decay + n / 3)
        out["train_reasoning_tokens_mean"] = shape.reasoning * (0.8 + 0.2 * decay) * (1 + n)
    else:
        loss = (shape.floor + (shape.start - shape.floor) * decay) * (1 + n)
        out["train_loss"] = loss
        out["train_mean_token_accuracy"] = _clamp(0.99 - 0.21 * loss)
    return {k: round(v, 5) for k, v in out.items()}


def valid_metrics(plan: JobPlan, step: int, *, full: bool) -> dict[str, float]:
    """Validation-side metrics at `step`, keyed as checkpoints spell them (`valid_…`, `full_valid_…`)."""
    if not plan.has_validation:
        return {}
    shape = _Shape(plan)
    train = step_metrics(plan, step)
    n = 0.0 if full else _noise(plan, step, "valid")
    prefix = "full_valid" if full else "valid"
    out: dict[str, float] = {}
    if plan.method == "dpo":
        out[f"{prefix}_loss"] = train["train_loss"] * shape.gap * (1 + n)
        if not full:
            out["valid_reward_margin"] = train["train_reward_margin"] / shape.gap
            out["valid_preference_accuracy"] = _clamp(train["train_preference_accuracy"] / shape.gap)
    elif plan.method == "reinforcement":
        if not full:
            out["valid_reward_mean"] = _clamp(train["train_reward_mean"] / shape.gap + n / 3)
            out["valid_reasoning_tokens_mean"] = train["train_reasoning_tokens_mean"] * shape.gap
    else:
        loss = train["train_loss"] * shape.gap * (1 + n)
        out[f"{prefix}_loss"] = loss
        out[f"{prefix}_mean_token_accuracy"] = _clamp(0.99 - 0.23 * loss)
    return {k: round(v, 5) for k, v in out.items()}


def checkpoint_metrics(plan: JobPlan, step: int) -> dict[str, float]:
    return {**step_metrics(plan, step), **valid_metrics(plan, step, full=False), **valid_metrics(plan, step, full=True)}


def eval_every(plan: JobPlan) -> int:
    return max(1, plan.steps_per_epoch // 4)


def results_csv(plan: JobPlan) -> bytes:
    columns = list(BASE_COLUMNS)
    if plan.method == "dpo":
        columns += DPO_COLUMNS
    elif plan.method == "reinforcement":
        columns += RFT_COLUMNS
    out = io.StringIO()
    out.write(",".join(columns) + "\n")
    every = eval_every(plan)
    for step in range(1, plan.total_steps + 1):
        row: dict[str, float] = dict(step_metrics(plan, step))
        boundary = step % plan.steps_per_epoch == 0
        if boundary or step % every == 0:
            row.update(valid_metrics(plan, step, full=False))
        if boundary:
            row.update(valid_metrics(plan, step, full=True))
        if "valid_mean_token_accuracy" in row:  # checkpoints say valid_…, results.csv says validation_…
            row["validation_mean_token_accuracy"] = row.pop("valid_mean_token_accuracy")
        out.write(",".join(_cell(row.get(c), c) for c in columns) + "\n")
    return out.getvalue().encode()


def _cell(value: float | None, column: str) -> str:
    if value is None:
        return ""
    return str(int(value)) if column == "step" else f"{value:.5f}"


def _clamp(value: float, lo: float = 0.0, hi: float = 0.999) -> float:
    return min(hi, max(lo, value))
