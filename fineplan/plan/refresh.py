"""Refresh: read the remote objects of every managed resource with a few paged list calls, in parallel.

Produces the refreshed state (a copy of the prior state updated to what Azure holds, with vanished objects
removed and crash leftovers adopted by their tags) and the drift between the two, classified:
deleted outside fineplan, changed outside, Developer deployment expired, job failed or cancelled.
The prior state is left untouched so renderers can show drift apart from planned changes.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from fineplan.plan.desired import Desired
from fineplan.plan.model import Drift
from fineplan.plan.records import (
    dataset_record,
    deployment_attributes,
    deployment_record,
    deployment_status,
    file_entry,
    job_attributes,
    job_record,
)
from fineplan.providers.base import Provider, RemoteDeployment, RemoteFile, RemoteJob
from fineplan.state.model import ResourceState, State

DEVELOPER_LIFETIME_S = 24 * 3600
META_ADDRESS = "fineplan_address"
META_DIGEST = "fineplan_digest"
META_PROJECT = "fineplan_project"
META_OP = "fineplan_op"
TAG_ADDRESS = "fineplan-address"
TAG_DIGEST = "fineplan-digest"
TAG_PROJECT = "fineplan-project"
DEPLOYMENT_DRIFT_KEYS = ("model", "type", "capacity", "rai_policy", "version_upgrade", "tags")


@dataclass
class Remote:
    files: dict[str, RemoteFile] = field(default_factory=dict)
    jobs: dict[str, RemoteJob] = field(default_factory=dict)
    deployments: dict[tuple[str, str], RemoteDeployment] = field(default_factory=dict)


@dataclass
class RefreshResult:
    state: State
    drift: list[Drift]
    remote: Remote


def read_remote(provider: Provider, accounts: set[str], workers: int = 8) -> Remote:
    """All files, jobs and deployments (per account) via list endpoints, concurrently."""
    remote = Remote()
    with ThreadPoolExecutor(max_workers=max(1, min(workers, 2 + len(accounts)))) as pool:
        files_f = pool.submit(provider.list_files)
        jobs_f = pool.submit(provider.list_jobs)
        dep_f = {a: pool.submit(provider.list_deployments, a) for a in sorted(accounts)}
        remote.files = {f.id: f for f in files_f.result()}
        remote.jobs = {j.id: j for j in jobs_f.result()}
        for account, fut in dep_f.items():
            for d in fut.result():
                remote.deployments[(account, d.name)] = d
    return remote


def _account_of(res: ResourceState, default_account: str) -> str:
    return str(res.attributes.get("account") or default_account)


def refresh(
    prior: State,
    provider: Provider,
    desired: dict[str, Desired],
    project: str,
    *,
    now: float | None = None,
    adopt_any_digest: bool = False,
) -> RefreshResult:
    now = time.time() if now is None else now
    default_account = provider.default_account
    accounts = {default_account}
    for res in prior.resources.values():
        if res.kind == "Deployment":
            accounts.add(_account_of(res, default_account))
    for d in desired.values():
        if d.kind == "Deployment":
            accounts.add(d.attributes.get("account") or default_account)
    remote = read_remote(provider, accounts)

    state = State.model_validate(prior.model_dump())
    drift: list[Drift] = []
    for address in list(state.resources):
        res = state.resources[address]
        if res.kind == "Dataset":
            _refresh_dataset(state, res, remote, drift)
        elif res.kind == "FineTuningJob":
            _refresh_job(state, res, remote, drift)
        elif res.kind == "Deployment":
            _refresh_deployment(state, res, remote, drift, default_account, now)

    _adopt(state, remote, desired, project, default_account, drift, adopt_any_digest)
    return RefreshResult(state, drift, remote)


def _refresh_dataset(state: State, res: ResourceState, remote: Remote, drift: list[Drift]) -> None:
    files = res.attributes.get("files", {})
    missing = [
        p for p, f in files.items() if f.get("id") not in remote.files or remote.files[f["id"]].status == "error"
    ]
    if missing:
        drift.append(
            Drift(
                res.address,
                res.kind,
                res.name,
                "deleted",
                f"uploaded file(s) for {', '.join(missing)} deleted outside fineplan",
            )
        )
        state.remove(res.address)


def _refresh_job(state: State, res: ResourceState, remote: Remote, drift: list[Drift]) -> None:
    job = remote.jobs.get(res.remote_id or "")
    if job is None:
        drift.append(
            Drift(
                res.address,
                res.kind,
                res.name,
                "deleted",
                "fine-tuning job deleted outside fineplan",
                before={"id": res.remote_id, "status": res.status},
            )
        )
        state.remove(res.address)
        return
    before_status = res.attributes.get("status")
    if job.status in ("failed", "cancelled") and before_status != job.status:
        drift.append(
            Drift(
                res.address,
                res.kind,
                res.name,
                job.status,
                f"job {job.id} {job.status}" + (f": {job.error}" if job.error else ""),
                before={"status": before_status},
                after={"status": job.status},
            )
        )
    res.attributes = job_attributes(job, res.attributes.get("inputs")) | {"metrics": res.attributes.get("metrics")}
    res.status = job.status


def _refresh_deployment(
    state: State, res: ResourceState, remote: Remote, drift: list[Drift], default_account: str, now: float
) -> None:
    account = _account_of(res, default_account)
    dep = remote.deployments.get((account, res.name))
    before = {k: res.attributes.get(k) for k in DEPLOYMENT_DRIFT_KEYS}
    if dep is None:
        created = res.attributes.get("created_at")
        if res.attributes.get("type") == "developer" and (
            created is None or now - float(created) >= DEVELOPER_LIFETIME_S - 60
        ):
            drift.append(
                Drift(
                    res.address,
                    res.kind,
                    res.name,
                    "expired",
                    "Developer deployment expired: Azure deletes them 24 h after creation",
                    before=before,
                )
            )
        else:
            drift.append(
                Drift(res.address, res.kind, res.name, "deleted", "deployment deleted outside fineplan", before=before)
            )
        state.remove(res.address)
        return
    attrs = deployment_attributes(dep)
    after = {k: attrs.get(k) for k in DEPLOYMENT_DRIFT_KEYS}
    changed = [k for k in DEPLOYMENT_DRIFT_KEYS if before.get(k) != after.get(k)]
    if changed:
        drift.append(
            Drift(
                res.address,
                res.kind,
                res.name,
                "changed",
                "changed outside fineplan: " + ", ".join(changed),
                before={k: before[k] for k in changed},
                after={k: after[k] for k in changed},
            )
        )
    res.attributes = attrs
    res.remote_id = dep.id or res.remote_id
    res.status = deployment_status(dep)


def _adopt(
    state: State,
    remote: Remote,
    desired: dict[str, Desired],
    project: str,
    default_account: str,
    drift: list[Drift],
    adopt_any_digest: bool,
) -> None:
    """Adopt remote objects that carry our tags but are missing from state (a crash between create and record)."""
    forgotten = set(state.forgotten)  # released with `state rm`: never adopted back
    files_by_name: dict[str, RemoteFile] = {}
    for f in sorted(remote.files.values(), key=lambda f: f.created_at):
        if f.status not in ("error", "deleted", "deleting") and f.id not in forgotten:
            files_by_name[f.filename] = f
    jobs_by_address: dict[str, list[RemoteJob]] = {}
    for j in remote.jobs.values():
        if j.id in forgotten:
            continue
        if j.metadata.get(META_PROJECT) == project and META_ADDRESS in j.metadata:
            jobs_by_address.setdefault(j.metadata[META_ADDRESS], []).append(j)

    for address, want in desired.items():
        if address in state.resources:
            continue
        if want.kind == "Dataset":
            found = {p: files_by_name.get(part.filename) for p, part in want.parts.items()}
            if found and all(found.values()):
                entries = {p: file_entry(f, want.parts[p].digest) for p, f in found.items() if f is not None}
                state.put(dataset_record(want, entries))
                drift.append(Drift(address, want.kind, want.name, "adopted", "uploaded files found by content digest"))
        elif want.kind == "FineTuningJob":
            candidates = [
                j
                for j in jobs_by_address.get(address, [])
                if (adopt_any_digest or j.metadata.get(META_DIGEST) == want.inputs_digest)
                and j.status not in ("failed", "cancelled")
            ]
            if not candidates:
                continue
            job = max(candidates, key=lambda j: j.created_at)
            found_digest = job.metadata.get(META_DIGEST, "")
            state.put(
                job_record(want, job, inputs_digest=found_digest, inputs_known=found_digest == want.inputs_digest)
            )
            drift.append(Drift(address, want.kind, want.name, "adopted", f"job {job.id} found by its tags"))
        elif want.kind == "Deployment":
            account = want.attributes.get("account") or default_account
            dep = remote.deployments.get((account, want.name))
            if (
                dep is None
                or dep.id in forgotten
                or dep.tags.get(TAG_ADDRESS) != address
                or dep.tags.get(TAG_PROJECT) != project
            ):
                continue
            state.put(deployment_record(want, dep, inputs_digest=dep.tags.get(TAG_DIGEST, "")))
            drift.append(Drift(address, want.kind, want.name, "adopted", "deployment found by its tags"))

    # Every journaled intent is settled now: its job was adopted above by tags (the op id travels in metadata),
    # or it is failed/cancelled (the plan retrains), or the create never reached Azure.
    state.pending.clear()
