"""Which checkpoint of a job a `{job: NAME, checkpoint: best | last | STEP}` deployment serves, and why.

Azure writes one checkpoint per epoch (`fine_tuned_model_checkpoint`, its step and metrics) and keeps the final one
and the two before it deployable; a job record keeps them once it has trained (`checkpoints`), so choosing is
pure. Only those deployable count (the three highest steps; the checkpoints API lists every epoch's). `best` is
the lowest validation loss, or the lowest training loss when the job had no validation data (RFT:
the highest validation reward, else training reward); ties go to the later step. `last` is the highest step.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fineplan.providers.base import Checkpoint

Selector = str | int  # best | last | a step number
DEPLOYABLE = 3  # Azure deploys a job's final checkpoint and the two before it

# Metric, better when ("min" lower / "max" higher), how the plan says it; the first a checkpoint has decides.
_BEST_BY: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("valid_loss", "full_valid_loss"), "min", "lowest valid loss"),
    (("valid_reward_mean",), "max", "highest valid reward"),
    (("train_loss",), "min", "lowest training loss (no validation data)"),
    (("train_reward_mean",), "max", "highest training reward (no validation data)"),
)


@dataclass(frozen=True)
class Choice:
    step: int
    model: str
    why: str


def checkpoint_records(checkpoints: Iterable[Checkpoint]) -> list[dict[str, Any]]:
    """What a job record keeps of its checkpoints (JSON), lowest step first."""
    return [
        {"step": c.step, "model": c.model, "metrics": dict(c.metrics)}
        for c in sorted(checkpoints, key=lambda c: c.step)
        if c.model
    ]


def recorded(raw: Any) -> list[Checkpoint]:
    """A job record's `checkpoints` attribute back as Checkpoints (missing or malformed: none)."""
    out: list[Checkpoint] = []
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, Mapping) and isinstance(item.get("step"), int) and item.get("model"):
            metrics = item.get("metrics") if isinstance(item.get("metrics"), Mapping) else {}
            out.append(Checkpoint(int(item["step"]), str(item["model"]), dict(metrics or {})))
    return sorted(out, key=lambda c: c.step)


def choose(checkpoints: Sequence[Checkpoint], selector: Selector) -> Choice | None:
    """The deployable checkpoint `selector` picks, or None (no checkpoints; a step that does not exist or is no
    longer deployable)."""
    checkpoints = deployable(checkpoints)
    if not checkpoints:
        return None
    if selector == "last":
        last = max(checkpoints, key=lambda c: c.step)
        return Choice(last.step, last.model, "last checkpoint")
    if selector == "best":
        return _best(checkpoints)
    found = [c for c in checkpoints if c.step == selector]
    return Choice(found[0].step, found[0].model, "step asked for") if found else None


def deployable(checkpoints: Sequence[Checkpoint]) -> list[Checkpoint]:
    """The checkpoints Azure still deploys: the final one and the two before it, lowest step first."""
    return sorted(checkpoints, key=lambda c: c.step)[-DEPLOYABLE:]


def described(selector: Selector, choice: Choice) -> dict[str, Any]:
    """The `checkpoint` attribute a deployment records and its plan shows: what was asked, the step, and why."""
    return {"selector": selector, "step": choice.step, "why": choice.why}


def missing(selector: Selector, checkpoints: Sequence[Checkpoint]) -> dict[str, Any]:
    """The `checkpoint` attribute of a deployment asking for a step the job does not have (a plan error)."""
    return {"selector": selector, "step": None, "missing": True, "steps": [c.step for c in deployable(checkpoints)]}


def _best(checkpoints: Sequence[Checkpoint]) -> Choice:
    for names, sense, words in _BEST_BY:
        scored = [(c, _metric(c, names)) for c in checkpoints]
        candidates = [(c, v) for c, v in scored if v is not None]
        if not candidates:
            continue
        # Ties go to the later step: it has seen more data.
        sign = 1.0 if sense == "min" else -1.0
        chosen, value = min(candidates, key=lambda cv: (sign * cv[1], -cv[0].step))
        return Choice(chosen.step, chosen.model, f"{words} {value:.4g}")
    last = max(checkpoints, key=lambda c: c.step)
    return Choice(last.step, last.model, "last checkpoint (no loss or reward metrics)")


def _metric(checkpoint: Checkpoint, names: tuple[str, ...]) -> float | None:
    for name in names:
        value = checkpoint.metrics.get(name)
        if value is not None:
            return float(value)
    return None


def chosen_metrics(job_attributes: Mapping[str, Any], selector: Selector | None) -> dict[str, float]:
    """The metrics a gate judges: the job's final ones, or those of the checkpoint `selector` picks (a
    deployment of a checkpoint serves that checkpoint, not the final model). Empty when it cannot be told yet."""
    if selector is None:
        return dict(job_attributes.get("metrics") or {})
    checkpoints = recorded(job_attributes.get("checkpoints"))
    choice = choose(checkpoints, selector)
    found = [c for c in checkpoints if choice is not None and c.step == choice.step]
    return {str(k): float(v) for k, v in found[0].metrics.items()} if found else {}
