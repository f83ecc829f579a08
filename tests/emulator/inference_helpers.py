"""Helpers for the inference, models and evals conformance tests: train on the real samples, deploy through ARM,
and check Evals responses against the v1 spec where it marks fields required that real responses send as null."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import openai
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from azure.mgmt.cognitiveservices.models import Deployment, DeploymentModel, DeploymentProperties, Sku
from emulator_helpers import SchemaChecker, upload, wait_job

BASE = "gpt-4.1-mini-2025-04-14"
RG, ACCOUNT = "rg-local", "foundry-local"
EVALS_HEADER = {"aoai-evals": "preview"}


def fine_tune(client: openai.OpenAI, path: Path, model: str = BASE, method: dict[str, Any] | None = None) -> str:
    kwargs: dict[str, Any] = {"method": method} if method else {}
    job = client.fine_tuning.jobs.create(model=model, training_file=upload(client, path), **kwargs)
    done = wait_job(client, job.id)
    assert done.status == "succeeded", done.error
    return str(done.fine_tuned_model)


def deploy(arm: CognitiveServicesManagementClient, name: str, model: str, version: str = "1") -> None:
    arm.deployments.begin_create_or_update(
        RG,
        ACCOUNT,
        name,
        Deployment(
            sku=Sku(name="GlobalStandard", capacity=10),
            properties=DeploymentProperties(model=DeploymentModel(format="OpenAI", name=model, version=version)),
        ),
    ).result()


def deploy_base(arm: CognitiveServicesManagementClient, name: str = "base") -> None:
    deploy(arm, name, "gpt-4.1-mini", "2025-04-14")


def _fill_required_nulls(doc: dict[str, Any]) -> dict[str, Any]:
    """The v1 spec lists `error` (runs, samples) and `model` (runs) as required, but a run that did not fail
    carries `error: null` and a jsonl run `model: null`, as OpenAI's service answers. Give them a placeholder of
    the right type so the rest of the document is still checked."""
    out = copy.deepcopy(doc)
    placeholder = {"code": "", "message": ""}
    if out.get("object") == "eval.run":
        out["error"] = out.get("error") or placeholder
        out["model"] = out.get("model") or ""
    if out.get("object") == "eval.run.output_item":
        out["sample"]["error"] = out["sample"].get("error") or placeholder
    return out


def check_v1(schemas: SchemaChecker, name: str, doc: dict[str, Any]) -> None:
    if doc.get("object") == "list":
        doc = {**doc, "data": [_fill_required_nulls(d) for d in doc["data"]]}
    schemas.v1_schema(name, _fill_required_nulls(doc))
