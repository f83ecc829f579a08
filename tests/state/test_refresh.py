"""Refresh on its own: prior state + what the list calls found → the refreshed state and classified drift.

`reconcile` is the pure half of refresh (no provider): these tests hand it the remote objects as plain records,
indexed the way each kind indexes what it lists. The list calls themselves are covered end to end.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fineplan.kinds import REGISTRY
from fineplan.kinds.dataset import DatasetDesired, DatasetPart, FileIndex
from fineplan.kinds.deployment import DeploymentDesired, DeploymentIndex
from fineplan.kinds.job import JobDesired, JobIndex, PartRef
from fineplan.kinds.tags import META_ADDRESS, META_DIGEST, META_PROJECT, TAG_ADDRESS, TAG_PROJECT
from fineplan.providers.base import RemoteDeployment, RemoteFile, RemoteJob
from fineplan.resource import Desired, Kind
from fineplan.state.drift import DriftChange
from fineplan.state.model import ResourceState, State
from fineplan.state.refresh import RefreshResult, Snapshot, reconcile

NOW = 1_800_000_000.0
DAY = 24 * 3600


def _file(id_: str, name: str, status: str = "processed", at: int = 1) -> RemoteFile:
    return RemoteFile(id_, name, 100, status, at)


def _job(id_: str, status: str = "succeeded", address: str | None = None, digest: str = "d1", at: int = 1) -> RemoteJob:
    meta = {META_ADDRESS: address, META_DIGEST: digest, META_PROJECT: "p"} if address else {}
    return RemoteJob(id_, status, "gpt-4.1-mini-2025-04-14", "file-1", None, f"ft-{id_}", meta, at)


def _deployment(name: str, capacity: int = 10, tags: dict[str, str] | None = None) -> RemoteDeployment:
    return RemoteDeployment(
        "local", name, "m", "1", "standard", "Standard", capacity, "Microsoft.DefaultV2", "no_auto_upgrade",
        tags or {}, "Succeeded", NOW - 100, f"/arm/{name}",
    )  # fmt: skip


def _snapshot(
    files: list[RemoteFile] = (),
    jobs: list[RemoteJob] = (),
    deployments: list[RemoteDeployment] = (),  # type: ignore[assignment]
) -> Snapshot:
    return Snapshot(
        {
            Kind.DATASET: FileIndex.of(list(files)),
            Kind.JOB: JobIndex.of(list(jobs)),
            Kind.DEPLOYMENT: DeploymentIndex.of({"local": list(deployments)}, "local"),
        }
    )


def _record(address: str, remote_id: str, **attrs: Any) -> ResourceState:
    kind = Kind.of_address(address)
    assert kind is not None
    status = attrs.pop("status", "ready")
    return ResourceState(
        address=address,
        kind=kind,
        name=address.partition(".")[2],
        remote_id=remote_id,
        inputs_digest="d1",
        attributes=attrs,
        status=status,
    )


def _refresh(prior: State, snapshot: Snapshot, desired: dict[str, Desired] | None = None, **kw: Any) -> RefreshResult:
    return reconcile(prior, snapshot, desired or {}, "p", REGISTRY, now=NOW, **kw)


def _state(*records: ResourceState) -> State:
    state = State(target="local")
    for r in records:
        state.put(r)
    return state


def _job_desired(name: str = "sft", digest: str = "d1") -> JobDesired:
    return JobDesired(
        address=f"job.{name}", name=name, attributes={"base_model": "gpt-4.1-mini-2025-04-14"},
        inputs_digest=digest, base_model="gpt-4.1-mini-2025-04-14", parent=None, method="supervised",
        training=PartRef("dataset.train", "train"), validation=None, hyperparameters={}, training_type="global",
        suffix=None, seed=None,
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------- drift


def test_a_job_deleted_outside_leaves_state_and_says_so() -> None:
    prior = _state(_record("job.sft", "ftjob-1", status="succeeded"))
    result = _refresh(prior, _snapshot())
    assert "job.sft" not in result.state.resources
    assert [(d.address, d.change) for d in result.drift] == [("job.sft", DriftChange.DELETED)]
    assert "job.sft" in prior.resources  # the prior state is left untouched for the renderers


def test_a_job_failed_since_the_last_apply_is_drift_and_its_record_takes_the_status() -> None:
    prior = _state(_record("job.sft", "ftjob-1", status="running", inputs={"seed": 1}))
    result = _refresh(prior, _snapshot(jobs=[_job("ftjob-1", status="failed")]))
    record = result.state.resources["job.sft"]
    assert record.status == "failed" and record.attributes["inputs"] == {"seed": 1}
    assert [(d.change, d.after) for d in result.drift] == [(DriftChange.FAILED, {"status": "failed"})]


def test_a_deployment_changed_outside_shows_only_what_changed() -> None:
    attrs = {"model": "m", "type": "standard", "capacity": 10, "rai_policy": "Microsoft.DefaultV2",
             "version_upgrade": "no_auto_upgrade", "account": "local", "tags": {}}  # fmt: skip
    prior = _state(_record("deployment.dev", "/arm/dev", **attrs))
    result = _refresh(prior, _snapshot(deployments=[_deployment("dev", capacity=20)]))
    (drift,) = result.drift
    assert drift.change is DriftChange.CHANGED and drift.before == {"capacity": 10} and drift.after == {"capacity": 20}
    assert result.state.resources["deployment.dev"].attributes["capacity"] == 20


def test_a_missing_developer_deployment_older_than_a_day_expired_others_were_deleted() -> None:
    old = NOW - DAY - 120
    prior = _state(
        _record("deployment.dev", "/arm/dev", type="developer", created_at=old, account="local"),
        _record("deployment.young", "/arm/young", type="developer", created_at=NOW - 3600, account="local"),
        _record("deployment.std", "/arm/std", type="standard", created_at=old, account="local"),
    )
    result = _refresh(prior, _snapshot())
    assert {d.address: d.change for d in result.drift} == {
        "deployment.dev": DriftChange.EXPIRED,
        "deployment.young": DriftChange.DELETED,
        "deployment.std": DriftChange.DELETED,
    }
    assert result.state.resources == {}


def test_a_dataset_whose_upload_is_gone_or_broken_is_dropped() -> None:
    files = {"train": {"id": "file-1"}, "validation": {"id": "file-2"}}
    prior = _state(_record("dataset.train", "file-1", files=files, status="uploaded"))
    kept = _refresh(prior, _snapshot(files=[_file("file-1", "a"), _file("file-2", "b")]))
    assert "dataset.train" in kept.state.resources and kept.drift == []
    broken = _refresh(prior, _snapshot(files=[_file("file-1", "a"), _file("file-2", "b", status="error")]))
    assert broken.state.resources == {} and "validation" in broken.drift[0].message


# ---------------------------------------------------------------------------------------------- adoption


def test_a_job_created_but_never_recorded_is_adopted_by_its_tags() -> None:
    want = _job_desired()
    prior = _state()
    prior.begin("job.sft", "d1")
    jobs = [_job("ftjob-old", address="job.sft", at=1), _job("ftjob-new", address="job.sft", at=2)]
    result = _refresh(prior, _snapshot(jobs=jobs), {want.address: want})
    assert result.state.resources["job.sft"].remote_id == "ftjob-new"  # the newest of its jobs
    assert [d.change for d in result.drift] == [DriftChange.ADOPTED]
    assert result.state.pending == []  # every intent is settled by refresh


def test_adoption_leaves_other_digests_failed_and_forgotten_jobs_alone() -> None:
    want = _job_desired()
    other_digest = [_job("ftjob-1", address="job.sft", digest="d0")]
    assert _refresh(_state(), _snapshot(jobs=other_digest), {want.address: want}).state.resources == {}
    rebuilt = _refresh(_state(), _snapshot(jobs=other_digest), {want.address: want}, adopt_any_digest=True)
    record = rebuilt.state.resources["job.sft"]
    assert record.inputs_digest == "d0" and record.attributes["inputs"] == {}  # its inputs are not known
    failed = [_job("ftjob-1", status="failed", address="job.sft")]
    assert _refresh(_state(), _snapshot(jobs=failed), {want.address: want}).state.resources == {}
    forgotten = _state()
    forgotten.forgotten.append("ftjob-1")
    tagged = [_job("ftjob-1", address="job.sft")]
    assert _refresh(forgotten, _snapshot(jobs=tagged), {want.address: want}).state.resources == {}


def test_uploads_and_deployments_are_adopted_by_name_and_tags() -> None:
    part = DatasetPart(Path("t.jsonl"), "abc", "fineplan-p-train-train-abc.jsonl")
    ds = DatasetDesired(address="dataset.train", name="train", attributes={}, inputs_digest="x", format="chat",
                        parts={"train": part})  # fmt: skip
    dep = DeploymentDesired(
        address="deployment.dev", name="dev", attributes={}, inputs_digest="y", model="m", parent=None,
        type="standard", capacity=10, rai_policy=None, version_upgrade="no_auto_upgrade", account="local",
    )  # fmt: skip
    ours = _deployment("dev", tags={TAG_ADDRESS: "deployment.dev", TAG_PROJECT: "p"})
    snapshot = _snapshot(files=[_file("file-9", part.filename, status="error"), _file("file-1", part.filename)],
                         deployments=[ours])  # fmt: skip
    result = _refresh(_state(), snapshot, {ds.address: ds, dep.address: dep})
    assert result.state.resources["dataset.train"].remote_id == "file-1"  # the broken upload is not taken
    assert result.state.resources["deployment.dev"].remote_id == "/arm/dev"
    untagged = _snapshot(deployments=[_deployment("dev")])  # someone else's deployment of that name
    assert "deployment.dev" not in _refresh(_state(), untagged, {dep.address: dep}).state.resources
