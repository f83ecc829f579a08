"""A job's lazy timeline: given its state at time `at`, what happened up to `now`.

No background worker: whenever someone looks, the store advances active jobs to the present. Phases:

    queued   (status pending)   the queue delay; an invalid training file fails the job at its end
    waiting  (status pending, or resuming after a resume) until the account's single training slot is free
    running  (status running)   startup, then steps (metrics events), a checkpoint per epoch, then finalising
    paused   (status paused)    holds no slot; resume → waiting(resumed)
    done                        succeeded / failed / cancelled

`advance` is pure: it returns the effects (status changes, events, checkpoints, success, failure) with the real
times they happened at, and when it released the slot; the caller persists them.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from fineplan.emulator.simulation import metrics
from fineplan.emulator.simulation.plan import JobPlan

QUEUED, WAITING, RUNNING, PAUSED, DONE = "queued", "waiting", "running", "paused", "done"
_EPS = 1e-9
_MAX_METRIC_EVENTS = 50  # per job: enough to watch, few enough to list


@dataclass(slots=True)
class SimState:
    phase: str = QUEUED
    resumed: bool = False
    progress: float = 0.0  # simulated seconds into the running phase
    queue_progress: float = 0.0
    at: float = 0.0  # real time up to which the state is materialised

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> SimState:
        return cls(**raw)

    @property
    def holds_slot(self) -> bool:
        return self.phase == RUNNING

    def status(self) -> str:
        if self.phase == RUNNING:
            return "running"
        if self.phase == PAUSED:
            return "paused"
        if self.phase == WAITING and self.resumed:
            return "resuming"
        return "pending"

    def steps_done(self, plan: JobPlan) -> int:
        if self.progress <= plan.startup_s:
            return 0
        return min(plan.total_steps, int((self.progress - plan.startup_s) / plan.step_s + _EPS))


@dataclass(frozen=True, slots=True)
class Effect:
    at: float
    kind: str  # "status" | "event" | "checkpoint" | "succeeded" | "failed"
    status: str | None = None
    message: str | None = None
    level: str = "info"
    event_type: str = "message"
    data: dict[str, Any] | None = None
    step: int | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    error: dict[str, Any] | None = None


def event(
    at: float, message: str, *, level: str = "info", event_type: str = "message", data: dict[str, Any] | None = None
) -> Effect:
    return Effect(at, "event", message=message, level=level, event_type=event_type, data=data)


def metric_every(plan: JobPlan) -> int:
    return max(1, math.ceil(plan.total_steps / _MAX_METRIC_EVENTS))


def advance(
    state: SimState, plan: JobPlan, now: float, speed: float, slot_free_at: float
) -> tuple[list[Effect], float]:
    """Move `state` (in place) to `now`; return the effects and the time from which the slot is free."""
    effects: list[Effect] = []
    t = state.at
    while state.phase != DONE and t <= now:
        if state.phase == QUEUED:
            end = t + (plan.queue_s - state.queue_progress) / speed
            if end > now:
                state.queue_progress += (now - t) * speed
                t = now
                break
            t = end
            if plan.error is not None:
                effects.append(event(t, plan.error["message"], level="error"))
                effects.append(Effect(t, "failed", status="failed", error=plan.error))
                state.phase = DONE
                break
            state.phase = WAITING
            state.queue_progress = plan.queue_s
        elif state.phase == WAITING:
            start = max(t, slot_free_at)
            if start > now:
                break  # keep `at` at the moment waiting began
            t = start
            state.phase = RUNNING
            slot_free_at = math.inf
            effects.append(Effect(t, "status", status="running"))
            effects.append(event(t, "Job resumed." if state.resumed else "Job started."))
            state.resumed = False
        elif state.phase == RUNNING:
            end = t + (plan.running_total - state.progress) / speed
            upto = min(end, now)
            new_progress = plan.running_total if end <= now else state.progress + (upto - t) * speed
            effects.extend(_milestones(plan, state.progress, new_progress, t, speed))
            state.progress = new_progress
            if end > now:
                t = now
                break
            t = end
            effects.append(event(t, f"Training tokens billed: {plan.trained_tokens}"))
            effects.append(event(t, "Model Evaluation Passed."))
            effects.append(Effect(t, "succeeded", status="succeeded"))
            state.phase = DONE
            slot_free_at = t
        else:  # PAUSED: nothing happens until someone resumes
            t = now
            break
    state.at = t  # for a waiting job: the moment it began to wait
    return effects, slot_free_at


def _milestones(plan: JobPlan, p0: float, p1: float, t0: float, speed: float) -> list[Effect]:
    """Step metrics and epoch checkpoints whose offsets fall in (p0, p1]."""
    if p1 <= plan.startup_s:
        return []
    first = max(1, math.floor((p0 - plan.startup_s) / plan.step_s + _EPS) + 1)
    last = min(plan.total_steps, math.floor((p1 - plan.startup_s) / plan.step_s + _EPS))
    out: list[Effect] = []
    every = metric_every(plan)
    for step in range(first, last + 1):
        at = t0 + (plan.step_offset(step) - p0) / speed
        if step % every == 0 or step == plan.total_steps:
            values = metrics.step_metrics(plan, step)
            summary = ", ".join(f"{k}={v:.4f}" for k, v in values.items() if k != "step")
            out.append(
                event(
                    at,
                    f"Step {step}/{plan.total_steps}: {summary}",
                    event_type="metrics",
                    data={**values, "total_steps": plan.total_steps},
                )
            )
        if step % plan.steps_per_epoch == 0:
            out.append(Effect(at, "checkpoint", step=step, metrics=metrics.checkpoint_metrics(plan, step)))
    return out


def estimated_finish(state: SimState, plan: JobPlan, speed: float) -> float | None:
    if state.phase != RUNNING:
        return None
    return state.at + (plan.running_total - state.progress) / speed
