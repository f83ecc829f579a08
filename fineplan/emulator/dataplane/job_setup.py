"""What a new job starts with: the per-resource limits it must fit, its plan (including whether its files doom it
to fail), and the document the API first answers with."""

from __future__ import annotations

import copy
import sqlite3
from typing import Any

from fineplan.emulator.apierror import ApiError
from fineplan.emulator.config import Durations
from fineplan.emulator.datacheck import METHOD_FORMAT
from fineplan.emulator.dataplane.job_request import JobRequest
from fineplan.emulator.simulation.plan import JobPlan, make_plan


def check_limits(db: sqlite3.Connection, limits: dict[str, int], account: str) -> None:
    total = db.execute("SELECT count(*) FROM jobs WHERE account = ?", (account,)).fetchone()[0]
    if total >= limits["jobs_per_resource"]:
        raise ApiError(
            400,
            "quotaExceeded",
            f"This resource already has {total} fine-tuning jobs (limit {limits['jobs_per_resource']}); "
            "delete finished jobs first.",
        )
    queued = db.execute(
        "SELECT count(*) FROM jobs WHERE account = ? AND active = 1 AND json_extract(doc, '$.status') = 'pending'",
        (account,),
    ).fetchone()[0]
    if queued >= limits["queued_jobs_per_resource"]:
        raise ApiError(
            429,
            "quotaExceeded",
            f"{queued} fine-tuning jobs are already queued (limit {limits['queued_jobs_per_resource']}).",
            headers={"retry-after-ms": "1000"},
        )


def plan_job(
    request: JobRequest,
    seed: int,
    training: dict[str, Any],
    validation: dict[str, Any] | None,
    durations: Durations,
) -> JobPlan:
    """`training` / `validation` are the files' processing outcomes (format, examples, tokens, digest, error)."""
    expected = METHOD_FORMAT[request.method_type]
    error = file_error(training, expected, request.method_type, "training_file")
    if error is None and validation is not None:
        error = file_error(validation, expected, request.method_type, "validation_file")
    return make_plan(
        method=request.method_type,
        hyperparameters=request.hyperparameters,
        examples=int(training.get("examples") or 1),
        tokens_per_epoch=int(training.get("tokens") or 0),
        has_validation=validation is not None,
        seed=seed,
        data_digest=training["digest"] + (validation["digest"] if validation else ""),
        durations=durations,
        error=error,
    )


def file_error(outcome: dict[str, Any], expected: str, method: str, param: str) -> dict[str, Any] | None:
    """The error a job fails with because of this file, or None. Azure accepts the job and fails it later."""
    label = "training" if param == "training_file" else "validation"
    if outcome.get("status") == "error":
        return {
            "code": f"invalid_{label}_file",
            "message": f"The job failed due to an invalid {label} file. {outcome.get('status_details', '')}".strip(),
            "param": param,
        }
    if outcome.get("format") != expected:
        return {
            "code": f"invalid_{label}_file",
            "message": (
                f"The job failed due to an invalid {label} file: it holds {outcome.get('format')} examples, "
                f"but the {method} method trains on {expected} examples."
            ),
            "param": param,
        }
    return None


# What a pending job reports under `method`: every core hyperparameter as requested, "auto" where none was given
# (as OpenAI's API does), until the job starts and they resolve to the values it trains with.
_REPORTED = {
    "supervised": ("n_epochs", "batch_size", "learning_rate_multiplier"),
    "dpo": ("n_epochs", "batch_size", "learning_rate_multiplier", "beta"),
    "reinforcement": ("n_epochs", "batch_size", "learning_rate_multiplier", "compute_multiplier", "eval_interval",
                      "eval_samples"),
}  # fmt: skip


def new_job_doc(job_id: str, request: JobRequest, seed: int, now: float) -> dict[str, Any]:
    hyper = request.hyperparameters

    def echoed(key: str) -> Any:
        value = hyper.get(key, "auto")
        return -1 if value == "auto" else value  # the deprecated top-level echo: Azure's -1 for "auto" (spec: int)

    top = {k: echoed(k) for k in ("n_epochs", "batch_size", "learning_rate_multiplier")}
    if request.method_type == "dpo":
        top["beta"] = echoed("beta")
    method = copy.deepcopy(request.method)
    section = method.setdefault(request.method_type, {})
    section["hyperparameters"] = {**{k: "auto" for k in _REPORTED[request.method_type]}, **hyper}
    return {
        "id": job_id,
        "object": "fine_tuning.job",
        "created_at": int(now),
        "status": "pending",
        "model": request.model,
        "fine_tuned_model": None,
        "training_file": request.training_file,
        "validation_file": request.validation_file,
        "result_files": [],
        "finished_at": None,
        "estimated_finish": None,
        "trained_tokens": None,
        "hyperparameters": top,
        "method": method,
        "seed": seed,
        "suffix": request.suffix,
        "user_provided_suffix": request.suffix,
        "metadata": request.metadata,
        "integrations": request.integrations,
        "trainingType": request.training_type_wire,
        "error": None,
    }
