"""Datasets: JSONL files uploaded for fine-tuning, content-addressed.

Every part (train, validation) is uploaded under a file name carrying its content digest, so the same bytes are
never uploaded twice and an upload whose record was lost in a crash is found again by name. Files are immutable
in Azure: changed content is a new upload (create-then-delete: the old file is deleted at cleanup).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fineplan.apply.context import ApplyContext, Leftover
from fineplan.apply.events import UploadProgress
from fineplan.errors import ProviderError, StateError
from fineplan.kinds.base import KindHandler
from fineplan.plan.digest import digest
from fineplan.plan.model import ActionReason, ReasonCode, ResourceChange
from fineplan.plan.rules import DesiredContext
from fineplan.providers.base import TERMINAL_JOB_STATUSES, Provider, RemoteFile
from fineplan.resource import Desired, Kind
from fineplan.spec.models import Dataset
from fineplan.spec.project import ResourceEntry
from fineplan.state.drift import Drift, DriftChange
from fineplan.state.model import ResourceState
from fineplan.state.refresh import AdoptContext, Reads, Refreshed

_GONE = ("error", "deleted", "deleting")


@dataclass(frozen=True)
class DatasetPart:
    path: Path
    digest: str
    filename: str  # carries the content digest, so an upload can be found again after a crash
    examples: int | None = None
    tokens: int | None = None


@dataclass(frozen=True, kw_only=True)
class DatasetDesired(Desired):
    KIND = Kind.DATASET

    format: str
    parts: Mapping[str, DatasetPart] = field(default_factory=dict)  # train / validation

    def part(self, name: str) -> DatasetPart | None:
        """A part by name; a dataset without a split has one part, which serves whichever field refers to it."""
        return self.parts.get(name) if len(self.parts) > 1 else self.parts.get("train")


@dataclass(frozen=True)
class FileIndex:
    """What refresh listed of the uploaded files."""

    by_id: Mapping[str, RemoteFile]
    processed_by_name: Mapping[str, RemoteFile]  # reusable uploads
    by_name: Mapping[str, Sequence[RemoteFile]]  # newest last, unusable ones left out: adoption candidates

    @classmethod
    def of(cls, files: Sequence[RemoteFile]) -> FileIndex:
        by_name: dict[str, list[RemoteFile]] = {}
        for f in sorted(files, key=lambda f: f.created_at):
            if f.status not in _GONE:
                by_name.setdefault(f.filename, []).append(f)
        processed = {f.filename: f for f in files if f.status == "processed"}
        return cls({f.id: f for f in files}, processed, by_name)


def upload_filename(project: str, dataset: str, part: str, content_digest: str) -> str:
    return f"fineplan-{project}-{dataset}-{part}-{content_digest[:16]}.jsonl"


def file_entry(f: RemoteFile, content_digest: str) -> dict[str, Any]:
    return {"id": f.id, "digest": content_digest, "filename": f.filename, "bytes": f.bytes}


def _short(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {str(v)[:12]}" for k, v in value.items())
    return str(value)[:12] if value is not None else "none"


class DatasetKind(KindHandler):
    kind = Kind.DATASET

    # ------------------------------------------------------------ desired

    def desired(self, entry: ResourceEntry, known: Mapping[str, Desired], ctx: DesiredContext) -> DatasetDesired:
        from fineplan.datasets.identity import file_digest
        from fineplan.datasets.transforms import materialize

        ds = entry.resource
        assert isinstance(ds, Dataset)
        project = ctx.project
        m = materialize(project.root, ds.spec)
        rows = m.rows()  # known whenever fineplan wrote the part (a transform or a split)
        parts: dict[str, DatasetPart] = {}
        for part, path in (("train", m.train), ("validation", m.validation)):
            if path is None:
                continue
            d = file_digest(path)
            examples, tokens = rows.get(part), None
            if ctx.with_stats:
                counted, tokens = _stats(path, ds.spec.format)
                examples = examples if examples is not None else counted
            filename = upload_filename(project.settings.project, ds.name, part, d)
            parts[part] = DatasetPart(path, d, filename, examples, tokens)
        attrs = {"format": ds.spec.format, "files": {p: v.digest for p, v in parts.items()}}
        counts = {p: v.examples for p, v in parts.items() if v.examples is not None}
        return DatasetDesired(
            address=entry.address,
            name=ds.name,
            attributes=attrs,
            inputs_digest=digest(attrs),
            prevent_destroy=ds.lifecycle.prevent_destroy,
            ignore_changes=ds.lifecycle.ignore_changes,
            shown={"rows": counts} if counts else {},
            format=ds.spec.format,
            parts=parts,
        )

    # ------------------------------------------------------------ plan

    def before(self, record: ResourceState) -> dict[str, Any]:
        shown = self.prior(record)
        if record.attributes.get("rows"):
            shown["rows"] = dict(record.attributes["rows"])
        return shown

    def reason(self, want: Desired, attribute: str, old: Any, new: Any) -> ActionReason:
        if attribute == "files":
            return ActionReason(
                ReasonCode.INPUT_CHANGED, f"files content changed ({_short(old)} → {_short(new)})", attribute
            )
        return super().reason(want, attribute, old, new)

    # ------------------------------------------------------------ refresh

    def reads(self, provider: Provider, records: Sequence[ResourceState], wanted: Sequence[Desired]) -> Reads:
        return Reads((provider.list_files,), lambda results: FileIndex.of(results[0]))  # type: ignore[arg-type]

    def refresh(self, record: ResourceState, index: object, now: float) -> Refreshed:
        files = _files(index).by_id
        recorded = record.attributes.get("files", {})
        missing = [p for p, f in recorded.items() if f.get("id") not in files or files[f["id"]].status == "error"]
        if not missing:
            return Refreshed(record)
        why = f"uploaded file(s) for {', '.join(missing)} deleted outside fineplan"
        return Refreshed(None, Drift(record.address, self.kind, record.name, DriftChange.DELETED, why))

    def adopt(self, want: Desired, index: object, ctx: AdoptContext) -> tuple[ResourceState, Drift] | None:
        ds = _want(want)
        by_name = _files(index).by_name
        found: dict[str, RemoteFile] = {}
        for part, p in ds.parts.items():
            usable = [f for f in by_name.get(p.filename, ()) if f.id not in ctx.forgotten]
            if not usable:
                return None
            found[part] = usable[-1]
        if not found:
            return None
        record = dataset_record(ds, {p: file_entry(f, ds.parts[p].digest) for p, f in found.items()})
        why = Drift(ds.address, self.kind, ds.name, DriftChange.ADOPTED, "uploaded files found by content digest")
        return record, why

    # ------------------------------------------------------------ superseded objects

    def describe(self, record: ResourceState) -> str:
        ids = [f["id"] for f in record.attributes.get("files", {}).values() if f.get("id")]
        return "file " + ", ".join(ids) if ids else f"file {record.remote_id}"

    def needed_by(self, old: ResourceState, state: Mapping[str, ResourceState]) -> str | None:
        # An uploaded file stays while a job still training reads it.
        ids = {f["id"] for f in old.attributes.get("files", {}).values() if f.get("id")}
        for address, r in sorted(state.items()):
            files = {r.attributes.get("training_file"), r.attributes.get("validation_file")}
            if ids & files and r.status not in TERMINAL_JOB_STATUSES:
                return address
        return None

    # ------------------------------------------------------------ apply

    def apply(self, ctx: ApplyContext, change: ResourceChange, want: Desired) -> str:
        ds = _want(want)
        listed = ctx.snapshot.get(self.kind)  # nothing listed under -refresh=false: every part is uploaded
        reusable = _files(listed).processed_by_name if listed is not None else {}
        files: dict[str, dict[str, Any]] = {}
        for part, p in ds.parts.items():
            existing = reusable.get(p.filename)
            if existing is None:
                existing = self._upload(ctx, ds.address, p)
            files[part] = file_entry(existing, p.digest)
        with ctx.store.lock:
            old = ctx.state.get(ds.address)
            if old is not None:
                kept = {f["id"] for f in files.values()}
                for part, f in old.attributes.get("files", {}).items():
                    if f.get("id") and f["id"] not in kept:
                        gone = old.model_copy(update={"remote_id": f["id"], "attributes": {"files": {part: f}}})
                        what = f"file {f['id']}"
                        ctx.leave(Leftover(ds.address, what, _deleter(ctx.provider, f["id"]), record=gone), save=False)
            ctx.store.put(dataset_record(ds, files))
        return ", ".join(f["id"] for f in files.values())

    def _upload(self, ctx: ApplyContext, address: str, p: DatasetPart) -> RemoteFile:
        size = p.path.stat().st_size

        def progress(sent: int, total: int) -> None:
            ctx.emit(UploadProgress(address, filename=p.filename, sent=sent, total=total))

        uploaded = ctx.provider.upload_file(p.path, p.filename, progress)
        ctx.emit(UploadProgress(address, filename=p.filename, sent=size, total=size))
        done = ctx.provider.wait_file_processed(uploaded.id)
        if done.status != "processed":
            raise ProviderError(f"{p.filename}: file processing {done.status}: {done.error or ''}")
        return done

    def delete(self, ctx: ApplyContext, record: ResourceState) -> None:
        for f in record.attributes.get("files", {}).values():
            if f.get("id"):
                ctx.provider.delete_file(f["id"])

    # ------------------------------------------------------------ state commands

    def import_record(self, provider: Provider, want: Desired, remote_id: str) -> ResourceState:
        ds = _want(want)
        f = next((f for f in provider.list_files() if f.id == remote_id), None)
        if f is None:
            raise StateError(f"no file {remote_id}")
        return dataset_record(ds, {"train": file_entry(f, ds.parts["train"].digest)})


def dataset_record(want: DatasetDesired, files: dict[str, dict[str, Any]]) -> ResourceState:
    """`files`: part (train / validation) → file_entry(). The rows per part are kept for the plan's `before`."""
    attributes: dict[str, Any] = {"inputs": dict(want.attributes), "files": files}
    if want.shown.get("rows"):
        attributes["rows"] = dict(want.shown["rows"])
    return ResourceState(
        address=want.address,
        kind=want.kind,
        name=want.name,
        remote_id=files["train"]["id"] if "train" in files else None,
        inputs_digest=want.inputs_digest,
        attributes=attributes,
        status="uploaded",
    )


def _files(index: object) -> FileIndex:
    assert isinstance(index, FileIndex), index
    return index


def _want(want: Desired) -> DatasetDesired:
    assert isinstance(want, DatasetDesired), want
    return want


def _deleter(provider: Provider, file_id: str) -> Callable[[], None]:
    return lambda: provider.delete_file(file_id)


def _stats(path: Path, fmt: str) -> tuple[int | None, int | None]:
    from fineplan.datasets.check import check_dataset

    report = check_dataset(path, fmt)  # type: ignore[arg-type]
    stats = report.stats
    return getattr(stats, "examples", None), getattr(stats, "tokens_total", None)
