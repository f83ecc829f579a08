"""Which checkpoint `best`, `last` and a step pick (fineplan.kinds.checkpoints): pure, no Azure."""

from __future__ import annotations

from fineplan.kinds.checkpoints import Choice, checkpoint_records, choose, recorded
from fineplan.providers.base import Checkpoint


def _ckpt(step: int, **metrics: float) -> Checkpoint:
    return Checkpoint(step, f"m.ft-abc:ckpt-step-{step}", metrics)


def test_best_is_the_lowest_validation_loss() -> None:
    found = [
        _ckpt(6, train_loss=0.9, valid_loss=0.5),
        _ckpt(12, train_loss=0.5, valid_loss=0.41),
        _ckpt(18, train_loss=0.3, valid_loss=0.45),
    ]
    assert choose(found, "best") == Choice(12, "m.ft-abc:ckpt-step-12", "lowest valid loss 0.41")


def test_best_without_validation_data_is_the_lowest_training_loss_and_says_so() -> None:
    found = [_ckpt(6, train_loss=0.9), _ckpt(12, train_loss=0.3), _ckpt(18, train_loss=0.35)]
    choice = choose(found, "best")
    assert choice is not None and choice.step == 12
    assert choice.why == "lowest training loss (no validation data) 0.3"


def test_best_ties_go_to_the_later_step_and_full_valid_loss_counts() -> None:
    found = [_ckpt(6, full_valid_loss=0.4), _ckpt(12, full_valid_loss=0.4), _ckpt(3, full_valid_loss=0.7)]
    choice = choose(found, "best")
    assert choice is not None and choice.step == 12


def test_best_of_rft_is_the_highest_reward() -> None:
    found = [_ckpt(6, valid_reward_mean=0.2), _ckpt(12, valid_reward_mean=0.7), _ckpt(18, valid_reward_mean=0.6)]
    choice = choose(found, "best")
    assert choice is not None and (choice.step, choice.why) == (12, "highest valid reward 0.7")


def test_last_and_steps() -> None:
    found = [_ckpt(18, train_loss=0.1), _ckpt(6, train_loss=0.9), _ckpt(12, train_loss=0.5)]
    assert choose(found, "last") == Choice(18, "m.ft-abc:ckpt-step-18", "last checkpoint")
    assert choose(found, 6) == Choice(6, "m.ft-abc:ckpt-step-6", "step asked for")
    assert choose(found, 7) is None
    assert choose([], "best") is None


def test_records_round_trip_lowest_step_first() -> None:
    found = [_ckpt(12, train_loss=0.5), _ckpt(6, train_loss=0.9)]
    records = checkpoint_records(found)
    assert [r["step"] for r in records] == [6, 12]
    assert recorded(records) == sorted(found, key=lambda c: c.step)
    assert recorded("garbage") == [] and recorded([{"step": "x"}]) == []


def test_only_the_final_checkpoint_and_the_two_before_it_count() -> None:
    found = [_ckpt(step, valid_loss=loss) for step, loss in ((5, 0.1), (10, 0.2), (15, 0.5), (20, 0.3), (25, 0.4))]
    choice = choose(found, "best")
    assert choice is not None and choice.step == 20  # 5 and 10 had lower losses but are no longer deployable
    assert choose(found, 5) is None
    assert choose(found, 15) is not None


def test_a_gate_on_a_checkpoint_judges_that_checkpoints_metrics() -> None:
    from fineplan.kinds.checkpoints import chosen_metrics
    from fineplan.kinds.deployment import evaluate_gate
    from fineplan.plan.model import GateStatus

    found = [_ckpt(6, valid_loss=0.5), _ckpt(12, valid_loss=0.41), _ckpt(18, valid_loss=0.9)]
    job = {"metrics": {"valid_loss": 0.9}, "checkpoints": checkpoint_records(found)}
    assert chosen_metrics(job, None) == {"valid_loss": 0.9}  # the final model: the job's final metrics
    assert chosen_metrics(job, "best") == {"valid_loss": 0.41}
    assert chosen_metrics(job, 6) == {"valid_loss": 0.5}
    assert chosen_metrics(job, 7) == {}  # no such step: nothing to judge (the plan reports FP334)
    # The best checkpoint passes a bound the final model fails.
    assert evaluate_gate({"max_valid_loss": 0.45}, chosen_metrics(job, "best"))[0] is GateStatus.PASSED
    assert evaluate_gate({"max_valid_loss": 0.45}, chosen_metrics(job, None))[0] is GateStatus.FAILED
