"""`GET /openai/models` and `/openai/models/{id}` (dated and v1): the catalog's base models and this resource's
fine-tuned models and deployable checkpoints.

One object satisfies both specs: the dated `Model` (capabilities, lifecycle_status, deprecation, created_at,
status, model, fine_tune) and v1's `OpenAI.Model` (id, object, created, owned_by).

- Base models: created at the date in their name (the catalog's as-of date for undated names); fine-tuning is
  supported for a year and inference for two after that (the dated spec's "usually" rule); capabilities
  fine_tune (when the catalog lists a method) and inference / chat_completion.
- Fine-tuned models: created when their job finished, inference for two years, `fine_tune` true when their base
  model can be fine-tuned (a fine-tuned model can be the base of another job, SFT → DPO); `model` names the
  job's base, `fine_tune` the job id. Checkpoints: the last three per job (the deployable ones), not tunable.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from fineplan.catalog import ModelInfo, load_catalog
from fineplan.emulator.apierror import not_found
from fineplan.emulator.core import Core
from fineplan.emulator.dataplane.jobs import JobService
from fineplan.emulator.http_types import Request, Response, json_response
from fineplan.emulator.store import loads

_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})$")
_YEAR = 365 * 24 * 3600
_DEPLOYABLE_CHECKPOINTS = 3


def _epoch(day: str) -> int:
    return int(datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC).timestamp())


def _capabilities(*, fine_tune: bool) -> dict[str, bool]:
    return {
        "fine_tune": fine_tune,
        "inference": True,
        "completion": False,
        "chat_completion": True,
        "embeddings": False,
    }


def base_model_doc(info: ModelInfo, as_of: str) -> dict[str, Any]:
    m = _DATE.search(info.name)
    created = _epoch(m.group(1) if m else as_of)
    deprecation: dict[str, int] = {"inference": created + 2 * _YEAR}
    if info.methods:
        deprecation["fine_tune"] = created + _YEAR
    return {
        "id": info.name,
        "object": "model",
        "created": created,
        "created_at": created,
        "owned_by": "system",
        "status": "succeeded",
        "capabilities": _capabilities(fine_tune=bool(info.methods)),
        "lifecycle_status": "generally-available",
        "deprecation": deprecation,
    }


def fine_tuned_doc(model_id: str, job: dict[str, Any], *, checkpoint: bool, created: int) -> dict[str, Any]:
    info = load_catalog().model(str(job.get("model") or ""))
    tunable = not checkpoint and info is not None and bool(info.methods)
    return {
        "id": model_id,
        "object": "model",
        "created": created,
        "created_at": created,
        "owned_by": "organization-owner",
        "status": "succeeded",
        "model": job.get("model"),
        "fine_tune": job.get("id"),
        "capabilities": _capabilities(fine_tune=tunable),
        "lifecycle_status": "generally-available",
        "deprecation": {"inference": created + 2 * _YEAR},
    }


class ModelService:
    def __init__(self, core: Core, jobs: JobService) -> None:
        self.core = core
        self.jobs = jobs

    def all_models(self, account: str) -> list[dict[str, Any]]:
        """Base models, then the fine-tuned models and checkpoints of one data plane (`account`)."""
        catalog = load_catalog()
        out = [base_model_doc(info, catalog.as_of) for info in catalog.models.values()]
        self.jobs.progress.sync(account)
        db = self.core.store.read()
        for job_id, raw in db.execute(
            "SELECT id, doc FROM jobs WHERE fine_tuned_model IS NOT NULL AND account = ? ORDER BY seq", (account,)
        ).fetchall():
            job = loads(raw)
            finished = int(job.get("finished_at") or job.get("created_at") or 0)
            out.append(fine_tuned_doc(str(job["fine_tuned_model"]), job, checkpoint=False, created=finished))
            recent = db.execute(
                "SELECT doc FROM checkpoints WHERE job_id = ? ORDER BY seq DESC LIMIT ?",
                (job_id, _DEPLOYABLE_CHECKPOINTS),
            ).fetchall()
            for (ckpt_raw,) in reversed(recent):
                ckpt = loads(ckpt_raw)
                out.append(
                    fine_tuned_doc(
                        str(ckpt["fine_tuned_model_checkpoint"]), job, checkpoint=True, created=int(ckpt["created_at"])
                    )
                )
        return out

    def list_models(self, req: Request) -> Response:
        return json_response(200, {"object": "list", "data": self.all_models(req.data_account)})

    def get(self, req: Request) -> Response:
        model_id = req.params["model_id"]
        for doc in self.all_models(req.data_account):
            if doc["id"] == model_id:
                return json_response(200, doc)
        raise not_found("model", model_id, req.plane)
