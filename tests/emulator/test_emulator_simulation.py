"""The pure parts of the simulation: plans, the lazy timeline, metrics and results.csv."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import pytest

from fineplan.emulator.config import DEFAULT_SPEED, Durations
from fineplan.emulator.datacheck import analyse
from fineplan.emulator.simulation import metrics
from fineplan.emulator.simulation.plan import JobPlan, auto_epochs, make_plan
from fineplan.emulator.simulation.timeline import DONE, RUNNING, WAITING, SimState, advance


def plan(
    method: str = "supervised",
    *,
    examples: int = 20,
    epochs: int = 3,
    error: dict | None = None,
    validation: bool = True,
) -> JobPlan:
    return make_plan(
        method=method,
        hyperparameters={"n_epochs": epochs},
        examples=examples,
        tokens_per_epoch=5_000,
        has_validation=validation,
        seed=1,
        data_digest="d",
        durations=Durations(),
        error=error,
    )


@pytest.mark.parametrize(("examples", "epochs"), [(1, 25), (10, 10), (25, 4), (50, 3), (10_000, 2), (30_000, 1)])
def test_auto_epochs_follow_the_notebook_heuristic(examples: int, epochs: int) -> None:
    assert auto_epochs(examples) == epochs


def test_a_job_runs_queue_then_training_then_succeeds() -> None:
    p = plan()
    state = SimState(at=1000.0)
    effects, free = advance(state, p, now=1000.0 + p.queue_s + p.running_total + 1, speed=1.0, slot_free_at=0.0)
    assert state.phase == DONE and free == pytest.approx(1000.0 + p.queue_s + p.running_total)
    kinds = [e.kind for e in effects]
    assert kinds[0] == "status" and effects[0].status == "running" and effects[0].at == 1000.0 + p.queue_s
    assert kinds.count("checkpoint") == 3 and kinds[-1] == "succeeded"
    assert [e.at for e in effects] == sorted(e.at for e in effects)
    checkpoints = [e for e in effects if e.kind == "checkpoint"]
    assert [c.step for c in checkpoints] == [p.steps_per_epoch * k for k in (1, 2, 3)]


def test_splitting_time_into_many_looks_changes_nothing() -> None:
    p = plan(examples=37)
    end = 1000.0 + p.queue_s + p.running_total + 5
    whole, _ = advance(SimState(at=1000.0), p, now=end, speed=2.0, slot_free_at=0.0)
    state, pieces = SimState(at=1000.0), []
    now = 1000.0
    while state.phase != DONE:
        now = min(end, now + 3.7)
        effects, _ = advance(state, p, now=now, speed=2.0, slot_free_at=0.0)
        pieces.extend(effects)
    assert [(e.kind, e.step, e.message, round(e.at, 6)) for e in pieces] == [
        (e.kind, e.step, e.message, round(e.at, 6)) for e in whole
    ]


def test_a_waiting_job_starts_when_the_slot_frees() -> None:
    p = plan()
    first, second = SimState(at=0.0), SimState(at=0.0)
    end_first = p.queue_s + p.running_total
    now = end_first - 1
    _, free = advance(first, p, now=now, speed=1.0, slot_free_at=0.0)
    assert first.phase == RUNNING and math.isinf(free)
    _, _ = advance(second, p, now=now, speed=1.0, slot_free_at=free)
    assert second.phase == WAITING and second.at == p.queue_s  # waiting since its queue time ended
    now = end_first + 10
    _, free = advance(first, p, now=now, speed=1.0, slot_free_at=0.0)
    assert free == pytest.approx(end_first)
    effects, _ = advance(second, p, now=now, speed=1.0, slot_free_at=free)
    assert effects[0].status == "running" and effects[0].at == pytest.approx(end_first)


def test_an_invalid_file_fails_the_job_when_its_queue_time_ends() -> None:
    error = {"code": "invalid_training_file", "message": "bad line", "param": "training_file"}
    p = plan(error=error)
    state = SimState(at=0.0)
    effects, free = advance(state, p, now=10_000.0, speed=1.0, slot_free_at=0.0)
    assert state.phase == DONE and free == 0.0  # never took the training slot
    assert effects[-1].kind == "failed" and effects[-1].error == error and effects[-1].at == p.queue_s


@pytest.mark.parametrize(
    ("method", "extra"),
    [("supervised", ()), ("dpo", metrics.DPO_COLUMNS), ("reinforcement", metrics.RFT_COLUMNS)],
)
def test_results_csv_has_azures_columns_and_a_row_per_step(method: str, extra: tuple[str, ...]) -> None:
    p = plan(method, examples=12, epochs=2)
    rows = list(csv.DictReader(io.StringIO(metrics.results_csv(p).decode())))
    assert list(rows[0]) == [*metrics.BASE_COLUMNS, *extra]
    assert [int(r["step"]) for r in rows] == list(range(1, p.total_steps + 1))
    boundary = rows[p.steps_per_epoch - 1]
    assert boundary["full_valid_loss" if method != "reinforcement" else "valid_reward_mean"] != ""


def test_without_validation_there_are_no_validation_metrics() -> None:
    p = plan(validation=False)
    assert set(metrics.checkpoint_metrics(p, p.steps_per_epoch)) == {"step", "train_loss", "train_mean_token_accuracy"}


def test_the_default_speed_runs_the_quickstarts_two_jobs_well_under_a_minute(samples: Path) -> None:
    """25 examples, 3 epochs: SFT, then DPO on its model (jobs run one after the other)."""
    total_s, steps = 0.0, []
    for name, method in [("sft-gsm8k/train.jsonl", "supervised"), ("dpo-orca/pairs.jsonl", "dpo")]:
        head = b"\n".join((samples / name).read_bytes().splitlines()[:25]) + b"\n"
        found = analyse(head)
        p = make_plan(
            method=method,
            hyperparameters={"n_epochs": 3},
            examples=found.examples,
            tokens_per_epoch=found.tokens,
            has_validation=False,
            seed=0,
            data_digest="q",
            durations=Durations(),
            error=None,
        )
        total_s += (p.queue_s + p.running_total) / DEFAULT_SPEED
        steps.append(min(p.total_steps, 50))  # metric events a watcher sees
    assert total_s < 30
    assert all(n >= 20 for n in steps)
