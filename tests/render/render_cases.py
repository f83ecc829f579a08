"""Hand-built plans for the renderer goldens, priced with the real price table.

Each builder returns the Plan the plan builder would make for one situation; costs come from fineplan.pricing so
the goldens show real figures (hand-checked in test_plan_cost.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fineplan.diagnostics import Diagnostic, Location
from fineplan.plan.budget import budget_diagnostics
from fineplan.plan.costing import cost_document
from fineplan.plan.model import (
    Action,
    ActionReason,
    GateResult,
    GateStatus,
    Plan,
    PlanOptions,
    ReasonCode,
    ResourceChange,
)
from fineplan.plan.stages import plan_stages
from fineplan.pricing import CostEstimate, estimate_deployment, estimate_job, load_price_table, summarize
from fineplan.resource import Kind
from fineplan.state.drift import Drift, DriftChange

TABLE = load_price_table()
CREATED_AT = "2026-11-20T12:00:00Z"
DIGEST_A = "sha256:4f1c0d9e2b7a"
DIGEST_B = "sha256:9a8b7c6d5e4f"


# ---------------------------------------------------------------------------------------------- attributes


def dataset_attrs(name: str, digest: str, examples: int, tokens: int, file_id: str | None = None) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "path": f"data/{name}.jsonl",
        "format": "chat",
        "digest": digest,
        "filename": f"{name}-{digest[7:15]}.jsonl",
        "stats": {"examples": examples, "tokens": tokens, "tokens_p95": 512, "tokens_max": 1_804},
        "rows": {"train": examples},
    }
    if file_id:
        attrs["file_id"] = file_id
    return attrs


def job_attrs(
    *,
    base_model: Any = "gpt-4.1-nano-2025-04-14",
    method: str = "supervised",
    training_data: str = "dataset.support-chat",
    digest: str = DIGEST_A,
    n_epochs: int = 3,
    training_type: str = "developer",
    suffix: str = "support",
    job_id: str | None = None,
    model: str | None = None,
) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "base_model": base_model,
        "method": method,
        "training_data": training_data,
        "training_data_digest": digest,
        "hyperparameters": {"n_epochs": n_epochs, "batch_size": 4, "learning_rate_multiplier": 1.0},
        "training_type": training_type,
        "suffix": suffix,
        "seed": 42,
    }
    if job_id:
        attrs |= {"id": job_id, "fine_tuned_model": model, "status": "succeeded"}
    return attrs


def deployment_attrs(model: str, *, dtype: str = "developer", capacity: int = 50) -> dict[str, Any]:
    return {
        "account": "local",
        "model": model,
        "type": dtype,
        "capacity": capacity,
        "rai_policy": "Microsoft.DefaultV2",
        "version_upgrade": "no_auto_upgrade",
        "tags": {"fineplan-address": "deployment.support-dev"},
    }


SFT_MODEL = "gpt-4.1-nano-2025-04-14.ft-0a1b2c3d4e5f-support"
DPO_MODEL = "gpt-4.1-nano-2025-04-14.ft-6f7e8d9c0b1a-support-dpo"
JOB_UNKNOWN = ("id", "fine_tuned_model", "status")


# ---------------------------------------------------------------------------------------------- costs


def sft_cost(billed: int = 1_236_000, model: str = "gpt-4.1-nano-2025-04-14", tier: str = "developer") -> CostEstimate:
    return estimate_job(TABLE, base_model=model, method="supervised", training_type=tier, billed_tokens=billed)


def dpo_cost(billed: int = 568_000) -> CostEstimate:
    return estimate_job(
        TABLE, base_model="gpt-4.1-nano-2025-04-14", method="dpo", training_type="developer", billed_tokens=billed
    )


def hosting(dtype: str = "developer", capacity: int = 50) -> CostEstimate:
    return estimate_deployment(TABLE, deployment_type=dtype, capacity=capacity)


def plan(
    changes: Iterable[ResourceChange],
    *,
    added: Iterable[CostEstimate] = (),
    removed: Iterable[CostEstimate] = (),
    unchanged: Iterable[CostEstimate] = (),
    max_usd: float | None = None,
    drift: Iterable[Drift] = (),
    gates: Iterable[GateResult] = (),
    diagnostics: Iterable[Diagnostic] = (),
    options: PlanOptions | None = None,
) -> Plan:
    summary = summarize(added=added, removed=removed, unchanged=unchanged)
    cost = cost_document(summary, price_table=TABLE, max_training_cost_usd=max_usd)
    at = BUDGET_AT if max_usd is not None else None
    diags = budget_diagnostics(summary.to_json(), max_usd, at)
    changes = tuple(changes)
    return Plan(
        project="quickstart",
        target="local",
        resource_changes=changes,
        stages=plan_stages(changes),  # as the plan builder derives them
        drift=tuple(drift),
        gates=tuple(gates),
        cost=cost,
        diagnostics=(*diags, *diagnostics),
        state_lineage="6c1f4a52-8d0e-4b7a-9f3e-2d5c8b1a7e90",
        state_serial=7,
        inputs_digest="sha256:0f9e8d7c6b5a",
        options=options or PlanOptions(),
        created_at=CREATED_AT,
        fineplan_version="0.1.0",
    )


BUDGET_AT = Location("fineplan.yaml", 16, 26)


def rc(
    address: str,
    action: Action,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reasons: Iterable[tuple[str, str] | tuple[str, str, str]] = (),
    unknown: Iterable[str] = (),
    replace_paths: Iterable[str] = (),
    cost: CostEstimate | None = None,
    retrain: bool | None = None,
    blocked: str | None = None,
    depends_on: Iterable[str] = (),
    remote_id: str | None = None,
) -> ResourceChange:
    kind = Kind.of_address(address)
    assert kind is not None, address
    name = address.partition(".")[2]
    return ResourceChange(
        address=address,
        kind=kind,
        name=name,
        action=action,
        reasons=tuple(ActionReason(ReasonCode(r[0]), *r[1:]) for r in reasons),
        before=before,
        after=after,
        after_unknown=tuple(unknown),
        replace_paths=tuple(replace_paths),
        depends_on=tuple(depends_on),
        inputs_digest=DIGEST_A if action is not Action.DELETE else None,
        remote_id=remote_id,
        blocked=blocked,
        cost=cost.to_json() if cost else None,
        # as the plan builder does: every job that will train (created or replaced)
        retrain=retrain if retrain is not None else kind is Kind.JOB and action.creates,
    )


# ---------------------------------------------------------------------------------------------- the cases


def create_only() -> Plan:
    sft, dpo, dev = sft_cost(), dpo_cost(), hosting()
    changes = [
        rc(
            "dataset.support-chat",
            Action.CREATE,
            after=dataset_attrs("support_chat", DIGEST_A, 412, 412_000),
            unknown=["file_id"],
            reasons=[("new", "not in state")],
        ),
        rc(
            "dataset.support-prefs",
            Action.CREATE,
            after=dataset_attrs("support_prefs", DIGEST_B, 284, 284_000),
            unknown=["file_id"],
            reasons=[("new", "not in state")],
        ),
        rc(
            "job.support-sft",
            Action.CREATE,
            after=job_attrs(),
            unknown=JOB_UNKNOWN,
            cost=sft,
            reasons=[("new", "not in state")],
            depends_on=["dataset.support-chat"],
        ),
        rc(
            "job.support-dpo",
            Action.CREATE,
            after=job_attrs(
                method="dpo",
                training_data="dataset.support-prefs",
                digest=DIGEST_B,
                n_epochs=2,
                suffix="support-dpo",
                base_model=None,
            ),
            unknown=[*JOB_UNKNOWN, "base_model"],
            cost=dpo,
            reasons=[("new", "not in state")],
            depends_on=["job.support-sft", "dataset.support-prefs"],
        ),
        rc(
            "deployment.support-dev",
            Action.CREATE,
            after=deployment_attrs(DPO_MODEL),
            unknown=["model"],
            cost=dev,
            reasons=[("new", "not in state")],
            depends_on=["job.support-dpo"],
        ),
    ]
    pending = GateResult(
        "deployment.support-dev", "job.support-dpo", GateStatus.PENDING, ({"bound": "max_valid_loss", "limit": 0.6},)
    )
    return plan(changes, added=[sft, dpo, dev], max_usd=25, gates=[pending])


def mixed() -> Plan:
    new_sft = sft_cost(billed=1_500_000, model="gpt-4.1-mini-2025-04-14", tier="global")
    retrain = sft_cost()
    std_old, std_new = hosting("standard", 10), hosting("standard", 20)
    old_dev = hosting()
    changes = [
        rc(
            "dataset.support-chat",
            Action.NOOP,
            before=dataset_attrs("support_chat", DIGEST_A, 412, 412_000, "file-1"),
            after=dataset_attrs("support_chat", DIGEST_A, 412, 412_000, "file-1"),
        ),
        rc(
            "job.support-sft",
            Action.CREATE_THEN_DELETE,
            before=job_attrs(job_id="ftjob-0001", model=SFT_MODEL),
            after=job_attrs(n_epochs=4),
            unknown=JOB_UNKNOWN,
            replace_paths=["hyperparameters.n_epochs"],
            cost=retrain,
            retrain=True,
            reasons=[("input_changed", "hyperparameters.n_epochs changed from 3 to 4", "hyperparameters.n_epochs")],
            remote_id="ftjob-0001",
        ),
        rc(
            "job.support-mini",
            Action.CREATE,
            after=job_attrs(base_model="gpt-4.1-mini-2025-04-14", training_type="global", suffix="mini", n_epochs=2),
            unknown=JOB_UNKNOWN,
            cost=new_sft,
            reasons=[("new", "not in state")],
        ),
        rc(
            "job.support-rft",
            Action.WAIT,
            before={"id": "ftjob-0007", "status": "running", "base_model": "o4-mini-2025-04-16"},
            after={"id": "ftjob-0007", "status": "running", "base_model": "o4-mini-2025-04-16"},
            reasons=[("training", "training since 2026-11-20 09:12 UTC (epoch 2 of 3)")],
            remote_id="ftjob-0007",
        ),
        rc(
            "deployment.support-prod",
            Action.UPDATE,
            before=deployment_attrs(SFT_MODEL, dtype="standard", capacity=10),
            after=deployment_attrs(SFT_MODEL, dtype="standard", capacity=20),
            cost=std_new,
            reasons=[("input_changed", "capacity changed from 10 to 20", "capacity")],
        ),
        rc(
            "deployment.old-dev",
            Action.DELETE,
            before=deployment_attrs(SFT_MODEL),
            cost=old_dev,
            reasons=[("removed", "no longer in the configuration")],
            remote_id="old-dev",
        ),
    ]
    return plan(changes, added=[retrain, new_sft, std_new], removed=[std_old, old_dev], max_usd=50)


def replace_with_reason() -> Plan:
    retrain_sft, retrain_dpo, dev = sft_cost(1_500_000), dpo_cost(), hosting()
    changes = [
        rc(
            "dataset.support-chat",
            Action.CREATE_THEN_DELETE,
            before=dataset_attrs("support_chat", DIGEST_A, 412, 412_000, "file-1"),
            after=dataset_attrs("support_chat", DIGEST_B, 500, 500_000),
            unknown=["file_id", "filename"],
            replace_paths=["digest"],
            reasons=[("input_changed", "data/support_chat.jsonl changed: 88 rows added", "digest")],
        ),
        rc(
            "job.support-sft",
            Action.CREATE_THEN_DELETE,
            before=job_attrs(job_id="ftjob-0001", model=SFT_MODEL),
            after=job_attrs(digest=DIGEST_B),
            unknown=JOB_UNKNOWN,
            replace_paths=["training_data_digest"],
            cost=retrain_sft,
            retrain=True,
            reasons=[("input_changed", "training_data digest changed (dataset.support-chat)", "training_data_digest")],
            remote_id="ftjob-0001",
        ),
        rc(
            "job.support-dpo",
            Action.CREATE_THEN_DELETE,
            before=job_attrs(
                method="dpo",
                base_model=SFT_MODEL,
                training_data="dataset.support-prefs",
                digest=DIGEST_B,
                n_epochs=2,
                suffix="support-dpo",
                job_id="ftjob-0002",
                model=DPO_MODEL,
            ),
            after=job_attrs(
                method="dpo",
                base_model=SFT_MODEL,
                training_data="dataset.support-prefs",
                digest=DIGEST_B,
                n_epochs=2,
                suffix="support-dpo",
            ),
            unknown=[*JOB_UNKNOWN, "base_model"],
            replace_paths=["base_model"],
            cost=retrain_dpo,
            retrain=True,
            reasons=[
                ("dependency_replaced", "its base model comes from job.support-sft, which is replaced", "base_model")
            ],
            remote_id="ftjob-0002",
        ),
        rc(
            "deployment.support-dev",
            Action.UPDATE,
            before=deployment_attrs(DPO_MODEL),
            after=deployment_attrs(DPO_MODEL),
            unknown=["model"],
            cost=dev,
            reasons=[("dependency_replaced", "model comes from job.support-dpo, which is replaced", "model")],
        ),
    ]
    return plan(changes, added=[retrain_sft, retrain_dpo, dev], removed=[dev], max_usd=25)


def drift() -> Plan:
    dev, std = hosting(), hosting("standard", 10)
    expired = Drift(
        "deployment.support-dev",
        Kind.DEPLOYMENT,
        "support-dev",
        DriftChange.EXPIRED,
        "Developer deployment expired after 24 h",
        before=deployment_attrs(DPO_MODEL),
        after=None,
    )
    scaled = Drift(
        "deployment.support-prod",
        Kind.DEPLOYMENT,
        "support-prod",
        DriftChange.CHANGED,
        "capacity changed in Azure",
        before=deployment_attrs(SFT_MODEL, dtype="standard", capacity=10),
        after=deployment_attrs(SFT_MODEL, dtype="standard", capacity=30),
    )
    changes = [
        rc(
            "deployment.support-dev",
            Action.CREATE,
            after=deployment_attrs(DPO_MODEL),
            cost=dev,
            reasons=[("developer_expired", "Developer deployment expired after 24 h")],
        ),
        rc(
            "deployment.support-prod",
            Action.UPDATE,
            before=deployment_attrs(SFT_MODEL, dtype="standard", capacity=30),
            after=deployment_attrs(SFT_MODEL, dtype="standard", capacity=10),
            cost=std,
            reasons=[("drift", "capacity was changed outside fineplan", "capacity")],
        ),
    ]
    return plan(changes, added=[dev, std], removed=[std], drift=[expired, scaled])


def destroy() -> Plan:
    dev = hosting()
    changes = [
        rc(
            "deployment.support-dev",
            Action.DELETE,
            before=deployment_attrs(DPO_MODEL),
            cost=dev,
            remote_id="support-dev",
            reasons=[("destroy", "destroy requested")],
        ),
        rc(
            "job.support-dpo",
            Action.DELETE,
            before=job_attrs(
                method="dpo",
                base_model=SFT_MODEL,
                training_data="dataset.support-prefs",
                digest=DIGEST_B,
                n_epochs=2,
                suffix="support-dpo",
                job_id="ftjob-0002",
                model=DPO_MODEL,
            ),
            cost=dpo_cost(),
            remote_id="ftjob-0002",
            reasons=[("destroy", "destroy requested")],
        ),
        rc(
            "dataset.support-prefs",
            Action.DELETE,
            before=dataset_attrs("support_prefs", DIGEST_B, 284, 284_000, "file-2"),
            remote_id="file-2",
            reasons=[("destroy", "destroy requested")],
        ),
    ]
    return plan(changes, removed=[dev], options=PlanOptions(destroy=True))


def blocked_gate() -> Plan:
    gate = GateResult(
        "deployment.support-prod",
        "job.support-sft",
        GateStatus.FAILED,
        (
            {"bound": "max_valid_loss", "metric": "valid_loss", "value": 0.91, "limit": 0.5, "passed": False},
            {"bound": "max_train_loss", "metric": "train_loss", "value": 0.42, "limit": 0.8, "passed": True},
        ),
    )
    std = hosting("standard", 10)
    changes = [
        rc(
            "job.support-sft",
            Action.NOOP,
            before=job_attrs(job_id="ftjob-0001", model=SFT_MODEL),
            after=job_attrs(job_id="ftjob-0001", model=SFT_MODEL),
            remote_id="ftjob-0001",
        ),
        rc(
            "deployment.support-prod",
            Action.CREATE,
            after=deployment_attrs(SFT_MODEL, dtype="standard", capacity=10),
            cost=std,
            reasons=[("new", "not in state")],
            blocked="gate on job.support-sft failed: valid_loss 0.91, must be <= 0.5",
        ),
    ]
    return plan(changes, added=[std], gates=[gate])


def over_budget() -> Plan:
    big = sft_cost(billed=6_000_000, model="gpt-4.1-2025-04-14", tier="standard")  # 6M × $25/1M = $150.00
    changes = [
        rc(
            "job.support-large",
            Action.CREATE,
            after=job_attrs(base_model="gpt-4.1-2025-04-14", training_type="standard", suffix="large"),
            unknown=JOB_UNKNOWN,
            cost=big,
            reasons=[("new", "not in state")],
        ),
    ]
    return plan(changes, added=[big], max_usd=25)


def no_changes() -> Plan:
    dev = hosting()
    changes = [
        rc(
            "dataset.support-chat",
            Action.NOOP,
            before=dataset_attrs("support_chat", DIGEST_A, 412, 412_000, "file-1"),
            after=dataset_attrs("support_chat", DIGEST_A, 412, 412_000, "file-1"),
        ),
        rc(
            "job.support-sft",
            Action.NOOP,
            before=job_attrs(job_id="ftjob-0001", model=SFT_MODEL),
            after=job_attrs(job_id="ftjob-0001", model=SFT_MODEL),
        ),
        rc(
            "deployment.support-dev", Action.NOOP, before=deployment_attrs(SFT_MODEL), after=deployment_attrs(SFT_MODEL)
        ),
    ]
    return plan(changes, unchanged=[dev], max_usd=25)


def replace_order() -> Plan:
    """Both replacement orders: a Developer deployment promoted to Global Standard under its own name (deleted
    first: an outage the plan must show), one moved to another account (the new one first, the old one at
    cleanup), and the retrained job they serve (its old job deleted once the deployments have swapped)."""
    retrain, dev, glob, std = sft_cost(), hosting(), hosting("global_standard", 10), hosting("standard", 10)
    promoted = {**deployment_attrs(SFT_MODEL, dtype="global_standard", capacity=10), "model": "(known after apply)"}
    moved_before = deployment_attrs(SFT_MODEL, dtype="standard", capacity=10)
    moved_after = {**moved_before, "account": "prod-eu", "model": "(known after apply)"}
    changes = [
        rc(
            "job.support-sft",
            Action.CREATE_THEN_DELETE,
            before=job_attrs(job_id="ftjob-0001", model=SFT_MODEL),
            after=job_attrs(n_epochs=4),
            unknown=JOB_UNKNOWN,
            replace_paths=["hyperparameters"],
            cost=retrain,
            reasons=[
                ("input_changed", "hyperparameters changed: {'n_epochs': 3} → {'n_epochs': 4}", "hyperparameters")
            ],
            remote_id="ftjob-0001",
        ),
        rc(
            "deployment.support-dev",
            Action.DELETE_THEN_CREATE,
            before=deployment_attrs(SFT_MODEL),
            after=promoted,
            unknown=["model"],
            replace_paths=["type"],
            cost=glob,
            reasons=[("input_changed", "type changed: 'developer' → 'global_standard'", "type")],
            depends_on=["job.support-sft"],
            remote_id="support-dev",
        ),
        rc(
            "deployment.support-eu",
            Action.CREATE_THEN_DELETE,
            before=moved_before,
            after=moved_after,
            unknown=["model"],
            replace_paths=["account"],
            cost=std,
            reasons=[("input_changed", "account changed: 'local' → 'prod-eu'", "account")],
            depends_on=["job.support-sft"],
            remote_id="support-eu",
        ),
    ]
    return plan(changes, added=[retrain, glob, std], removed=[dev, std], max_usd=25)


def _eval_attrs(test_digest: str) -> dict[str, Any]:
    return {
        "test_data": test_digest,
        "graders": "sha256:77aa00bb11cc",
        "sampling": {"temperature": 0.0, "max_completion_tokens": 64},
        "subjects": {
            "tuned": {"deployment": "support-dev", "model": {"job": "support-sft", "inputs": DIGEST_A}},
            "base": {"deployment": "nano-base", "model": "gpt-4.1-nano-2025-04-14"},
        },
    }


def _eval_results(tuned: float, base: float) -> dict[str, Any]:
    def scores(exact: float, similar: float) -> dict[str, Any]:
        passed = round(exact * 20)
        return {
            "exact": {"score": exact, "pass_rate": exact, "passed": passed, "failed": 20 - passed, "errored": 0,
                      "total": 20},
            "similar": {"score": similar, "pass_rate": similar, "passed": round(similar * 20),
                        "failed": 20 - round(similar * 20), "errored": 0, "total": 20},
        }  # fmt: skip

    return {
        "tuned": {"run_id": "evalrun_t1", "deployment": "support-dev", "items": 20,
                  "usage": {"prompt_tokens": 2400, "completion_tokens": 610}, "graders": scores(tuned, 0.8)},
        "base": {"run_id": "evalrun_b1", "deployment": "nano-base", "items": 20,
                 "usage": {"prompt_tokens": 2400, "completion_tokens": 900}, "graders": scores(base, 0.15)},
    }  # fmt: skip


def evaluation_gate() -> Plan:
    """One evaluation with recorded results that a gate fails on; another that re-runs on new test data."""
    recorded = {**_eval_attrs(DIGEST_A), "status": "completed", "results": _eval_results(0.45, 0.05)}
    recorded["subject_order"] = ["tuned", "base"]
    gate = GateResult(
        "deployment.support-prod",
        "job.support-sft",
        GateStatus.FAILED,
        (
            {"bound": "min_score", "grader": "exact", "subject": "tuned", "value": 0.45, "limit": 0.9, "passed": False},
            {
                "bound": "beats",
                "grader": "exact",
                "subject": "tuned",
                "value": 0.45,
                "other": "base",
                "other_value": 0.05,
                "delta": 0.4,
                "limit": 0.2,
                "passed": True,
            },
        ),
        "evaluation.quality",
    )
    rerun_cost = CostEstimate(
        "training",
        0.0022,
        "tuned: 2,400 in × $0.10/1M + 1,280 out × $0.40/1M (gpt-4.1-nano-2025-04-14) = $0.0007; base: 2,400 in × "
        "$0.10/1M + 1,280 out × $0.40/1M (gpt-4.1-nano-2025-04-14) = $0.0007 → $0.0015",
        True,
        ("assumes every item uses up to 64 completion tokens and the whole test file as prompt tokens",),
    )
    std = hosting("standard", 10)
    changes = [
        rc("evaluation.quality", Action.NOOP, before=recorded, after=_eval_attrs(DIGEST_A), remote_id="eval_q1"),
        rc(
            "evaluation.smoke",
            Action.CREATE_THEN_DELETE,
            before={**_eval_attrs(DIGEST_A), "status": "completed", "results": _eval_results(1.0, 0.0)},
            after=_eval_attrs(DIGEST_B),
            reasons=[("input_changed", "test data content changed (sha256:4f1c0 → sha256:9a8b7)", "test_data")],
            replace_paths=["test_data"],
            cost=rerun_cost,
            remote_id="eval_s1",
        ),
        rc(
            "deployment.support-prod",
            Action.CREATE,
            after=deployment_attrs(SFT_MODEL, dtype="standard", capacity=10),
            cost=std,
            reasons=[("new", "not in state")],
            blocked="gate failed: exact score of tuned = 0.450 (min 0.900)",
            depends_on=["evaluation.quality"],
        ),
    ]
    return plan(changes, added=[rerun_cost, std], gates=[gate])


def checkpoint_promotion() -> Plan:
    """A checkpoint deployment moving from the best checkpoint to the last (the step and why shown), and the DPO
    model promoted into a prod account (another subscription: the account is in the plan)."""
    prod = hosting("global_standard", 10)
    best = {"selector": "best", "step": 12, "why": "lowest valid loss 0.4153"}
    last = {"selector": "last", "step": 18, "why": "last checkpoint"}
    before = {**deployment_attrs(f"{SFT_MODEL}:ckpt-step-12", capacity=10), "checkpoint": best}
    after = {**before, "model": f"{SFT_MODEL}:ckpt-step-18", "checkpoint": last}
    changes = [
        rc(
            "deployment.sft-checkpoint",
            Action.UPDATE,
            before=before,
            after=after,
            reasons=[
                ("model_swap", "checkpoint step 18: last checkpoint", "checkpoint"),
                ("model_swap", f"model swaps {SFT_MODEL}:ckpt-step-12 → {SFT_MODEL}:ckpt-step-18", "model"),
            ],
            remote_id="sft-checkpoint",
        ),
        rc(
            "deployment.support-prod",
            Action.CREATE,
            after={**deployment_attrs(DPO_MODEL, dtype="global_standard", capacity=10), "account": "prod"},
            cost=prod,
            reasons=[("new", "deployment support-prod is not in the state")],
        ),
    ]
    return plan(changes, added=[prod], unchanged=[hosting(capacity=10)], max_usd=25)


CASES: dict[str, Callable[[], Plan]] = {
    "create-only": create_only,
    "mixed": mixed,
    "replace-with-reason": replace_with_reason,
    "replace-order": replace_order,
    "drift": drift,
    "destroy": destroy,
    "blocked-gate": blocked_gate,
    "over-budget": over_budget,
    "no-changes": no_changes,
    "evaluation-gate": evaluation_gate,
    "checkpoint-promotion": checkpoint_promotion,
}


def many_creates(n: int) -> Plan:
    """A plan creating `n` jobs, each retraining-sized, for the Markdown length limit."""
    costs = [sft_cost(billed=100_000 + i) for i in range(n)]
    changes = [
        rc(
            f"job.bulk-{i:04d}",
            Action.CREATE,
            after=job_attrs(suffix=f"bulk-{i:04d}"),
            unknown=JOB_UNKNOWN,
            cost=costs[i],
            reasons=[("new", "not in state")],
        )
        for i in range(n)
    ]
    return plan(changes, added=costs)
