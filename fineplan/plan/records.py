"""What fineplan records in state for a remote object: one place for the attributes read back from Azure and
the ResourceState built from them (used by refresh adoption, the executor and `fineplan import`)."""

from __future__ import annotations

from typing import Any

from fineplan.plan.desired import Desired
from fineplan.providers.base import RemoteDeployment, RemoteFile, RemoteJob
from fineplan.state.model import ResourceState


def deployment_attributes(d: RemoteDeployment) -> dict[str, Any]:
    return {
        "model": d.model_name,
        "type": d.deployment_type,
        "sku": d.sku_name,
        "capacity": d.capacity,
        "rai_policy": d.rai_policy,
        "version_upgrade": d.version_upgrade,
        "account": d.account,
        "tags": {k: v for k, v in d.tags.items() if not k.startswith("fineplan-")},
        "created_at": d.created_at,
        "provisioning_state": d.provisioning_state,
    }


def job_attributes(j: RemoteJob, inputs: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "inputs": inputs or {},
        "status": j.status,
        "model": j.model,
        "fine_tuned_model": j.fine_tuned_model,
        "trained_tokens": j.trained_tokens,
        "training_file": j.training_file,
        "validation_file": j.validation_file,
        "finished_at": j.finished_at,
        "error": j.error,
    }


def deployment_status(dep: RemoteDeployment) -> str:
    return "ready" if dep.provisioning_state == "Succeeded" else dep.provisioning_state.lower()


def job_record(
    want: Desired, job: RemoteJob, *, inputs_digest: str | None = None, inputs_known: bool = True
) -> ResourceState:
    """`inputs_digest` defaults to the spec's; adoption passes the digest found in the job's metadata."""
    return ResourceState(
        address=want.address,
        kind=want.kind,
        name=want.name,
        remote_id=job.id,
        inputs_digest=want.inputs_digest if inputs_digest is None else inputs_digest,
        attributes=job_attributes(job, want.attributes if inputs_known else {}),
        dependencies=list(want.depends_on),
        status=job.status,
    )


def deployment_record(want: Desired, dep: RemoteDeployment, *, inputs_digest: str | None = None) -> ResourceState:
    return ResourceState(
        address=want.address,
        kind=want.kind,
        name=want.name,
        remote_id=dep.id or f"{dep.account}/{dep.name}",
        inputs_digest=want.inputs_digest if inputs_digest is None else inputs_digest,
        attributes=deployment_attributes(dep),
        dependencies=list(want.depends_on),
        status=deployment_status(dep),
    )


def file_entry(f: RemoteFile, content_digest: str) -> dict[str, Any]:
    return {"id": f.id, "digest": content_digest, "filename": f.filename, "bytes": f.bytes}


def dataset_record(want: Desired, files: dict[str, dict[str, Any]]) -> ResourceState:
    """`files`: part (train / validation) → file_entry()."""
    return ResourceState(
        address=want.address,
        kind=want.kind,
        name=want.name,
        remote_id=files["train"]["id"] if "train" in files else None,
        inputs_digest=want.inputs_digest,
        attributes={"inputs": want.attributes, "files": files},
        status="uploaded",
    )
