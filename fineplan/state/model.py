"""The state document: what fineplan created, from which inputs, and what it is about to create.

Pure data plus helpers; no I/O (backends persist it). The JSON form is versioned (`version`), carries a
`lineage` (one id for the life of a state, so two unrelated states are never mixed) and a `serial` (bumped by
the backend on every write, so a writer working from an old copy is refused).

Money safety lives here as data: `begin()` journals an Intent before a call that spends money;
`complete()` records the remote id and clears the intent in the same write. A run killed in between leaves
the intent behind, and the next apply adopts what exists (by tags) instead of creating it again.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from fineplan import __version__
from fineplan.errors import StateError
from fineplan.resource import Kind

FORMAT_VERSION = 1
REDACTED = "<redacted>"

# Attribute keys whose values are credentials. Remote reads should never carry them; if one does, the value is
# replaced before it can reach the state file. Exact names (normalised), so "trained_tokens" is left alone.
_SECRET_KEYS = frozenset(
    {
        "apikey",
        "key",
        "keys",
        "key1",
        "key2",
        "primarykey",
        "secondarykey",
        "password",
        "secret",
        "clientsecret",
        "connectionstring",
        "accesstoken",
        "refreshtoken",
        "bearertoken",
        "sastoken",
        "sas",
        "authorization",
        "accountkey",
    }
)


def utc_now() -> datetime:
    return datetime.now(UTC)


def _is_secret_key(key: str) -> bool:
    return re.sub(r"[^a-z0-9]", "", key.lower()) in _SECRET_KEYS


def scrub_secrets(value: Any) -> Any:
    """A copy of `value` with the values of credential-named keys replaced by REDACTED, at any depth."""
    if isinstance(value, dict):
        return {k: REDACTED if _is_secret_key(str(k)) else scrub_secrets(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_secrets(v) for v in value]
    return value


class _Record(BaseModel):
    # Mutable on purpose: the executor updates one State through a run. Unknown keys are corruption.
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Intent(_Record):
    """A journal entry written *before* a call that spends money (or creates anything remote)."""

    op_id: str = Field(default_factory=lambda: uuid.uuid4().hex, description="Also sent as a tag, to adopt by.")
    address: str
    operation: str = Field(default="create", description="create | replace")
    inputs_digest: str
    started_at: datetime = Field(default_factory=utc_now)


class ResourceState(_Record):
    """What fineplan knows about one remote object it manages."""

    address: str = Field(description="kind.name, e.g. job.helpsteer-sft")
    kind: Kind = Field(description="Dataset | FineTuningJob | Deployment")
    name: str
    remote_id: str | None = Field(default=None, description="file-…, ftjob-…, or the deployment's ARM id")
    inputs_digest: str = Field(description="Digest of the inputs the object was created from")
    attributes: dict[str, Any] = Field(default_factory=dict, description="Last attributes read from the remote")
    dependencies: list[str] = Field(default_factory=list, description="Addresses this object was built from")
    status: str = Field(default="creating", description="e.g. creating, uploaded, training, succeeded, ready, failed")
    created_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)

    @field_validator("attributes", mode="before")
    @classmethod
    def _no_secrets(cls, value: Any) -> Any:
        return scrub_secrets(value) if isinstance(value, dict) else value


class Superseded(_Record):
    """An old remote object a create-then-delete replacement left behind and has not deleted yet (something was
    still built on it, or the run ended first). Remembered so a later apply's cleanup stage deletes it once
    nothing needs it, instead of leaving it in Azure forever."""

    record: ResourceState = Field(description="The old object as last recorded; its kind's delete removes it")
    what: str = Field(description='For people, and its identity: "job ftjob-…", "file file-…"')
    since: datetime = Field(default_factory=utc_now)


class State(_Record):
    """The whole state of one target of one project."""

    version: int = FORMAT_VERSION
    lineage: str = Field(default_factory=lambda: str(uuid.uuid4()))
    serial: int = Field(default=0, ge=0)
    target: str
    fineplan_version: str = __version__
    resources: dict[str, ResourceState] = Field(default_factory=dict)
    pending: list[Intent] = Field(default_factory=list, description="Intents journaled and not yet recorded")
    forgotten: list[str] = Field(
        default_factory=list,
        description="Remote ids released with `state rm`: refresh must not adopt them back by their tags",
    )
    superseded: list[Superseded] = Field(
        default_factory=list, description="Old objects of replacements, deleted by a later cleanup stage"
    )

    def forget(self, res: ResourceState) -> None:
        """Stop managing `res` for good: remember its remote ids so tag-based adoption leaves them alone."""
        ids = [res.remote_id] if res.remote_id else []
        ids += [f["id"] for f in res.attributes.get("files", {}).values() if isinstance(f, dict) and f.get("id")]
        for i in ids:
            if i not in self.forgotten:
                self.forgotten.append(i)

    @model_validator(mode="after")
    def _keys_match_addresses(self) -> State:
        for key, res in self.resources.items():
            if key != res.address:
                raise ValueError(f"resources[{key!r}] holds address {res.address!r}")
        return self

    # ------------------------------------------------------------ resources

    def get(self, address: str) -> ResourceState | None:
        return self.resources.get(address)

    def put(self, resource: ResourceState) -> ResourceState:
        """Add or replace a resource; keeps its first created_at and stamps updated_at."""
        old = self.resources.get(resource.address)
        if old is not None:
            resource.created_at = old.created_at
        resource.updated_at = utc_now()
        self.resources[resource.address] = resource
        return resource

    def remove(self, address: str) -> ResourceState | None:
        return self.resources.pop(address, None)

    def addresses(self) -> list[str]:
        return sorted(self.resources)

    # ------------------------------------------------------------ superseded objects

    def supersede(self, record: ResourceState, what: str) -> None:
        """Remember an old object a replacement left behind (once: `what` is its identity)."""
        if not any(s.what == what for s in self.superseded):
            self.superseded.append(Superseded(record=record.model_copy(deep=True), what=what))

    def live_ids(self) -> set[str]:
        """Every remote id the records hold (their objects and their uploaded files)."""
        ids = {r.remote_id for r in self.resources.values() if r.remote_id}
        for r in self.resources.values():
            ids |= {f["id"] for f in (r.attributes.get("files") or {}).values() if isinstance(f, dict) and f.get("id")}
        return ids

    def drop_superseded(self, what: str) -> None:
        self.superseded = [s for s in self.superseded if s.what != what]

    # ------------------------------------------------------------ journal

    def begin(self, address: str, inputs_digest: str, operation: str = "create") -> Intent:
        """Journal that `address` is about to be created from `inputs_digest`. Persist before the call."""
        intent = Intent(address=address, inputs_digest=inputs_digest, operation=operation)
        self.pending.append(intent)
        return intent

    def complete(self, op_id: str, resource: ResourceState) -> ResourceState:
        """Record what the journaled call created and clear its intent (one write makes both durable)."""
        intent = self._take(op_id)
        if intent.address != resource.address:
            raise StateError(f"intent {op_id} is for {intent.address}, not {resource.address}")
        return self.put(resource)

    def abandon(self, op_id: str) -> Intent:
        """Clear an intent whose call is known to have created nothing (e.g. Azure answered 400)."""
        return self._take(op_id)

    def pending_for(self, address: str) -> list[Intent]:
        return [i for i in self.pending if i.address == address]

    def _take(self, op_id: str) -> Intent:
        for i, intent in enumerate(self.pending):
            if intent.op_id == op_id:
                return self.pending.pop(i)
        raise StateError(f"no pending intent {op_id} in the state journal")

    # ------------------------------------------------------------ JSON

    def to_json(self) -> bytes:
        """Stable, readable JSON (sorted keys, 2-space indent) so state diffs stay small."""
        data = self.model_dump(mode="json")
        if not data["superseded"]:
            del data["superseded"]  # absent when empty: a state without any still reads in older fineplans
        return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")

    @classmethod
    def from_json(cls, raw: bytes | str, source: str = "state") -> State:
        """Parse and check a state document; any problem is a StateError naming `source`."""
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise StateError(f"{source} is not valid JSON ({exc}); it may be truncated or corrupt") from None
        if not isinstance(data, dict):
            raise StateError(f"{source} is not a fineplan state (expected a JSON object)")
        version = data.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise StateError(f"{source} is not a fineplan state (no integer 'version' field)")
        if version > FORMAT_VERSION:
            raise StateError(
                f"{source} has state format {version}, newer than this fineplan understands "
                f"({FORMAT_VERSION}); upgrade fineplan (written by {data.get('fineplan_version', '?')})"
            )
        if version < 1:
            raise StateError(f"{source} has unknown state format {version}")
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "(top level)"
            raise StateError(f"{source} is corrupt: {where}: {first['msg']} ({exc.error_count()} problem(s))") from None


def new_state(target: str) -> State:
    """A fresh state (new lineage, serial 0) for `target`."""
    return State(target=target)
