"""Evaluations: held-out test data run through each subject deployment and graded, on Azure's Evals API.

An evaluation's inputs are its test data digest, its graders, its sampling and each subject's model identity (a
base model's name, or for a job's model that job's inputs digest): any change re-runs it (the provider's diff
replaces), nothing else does. Its result is state: per subject and grader the mean score, pass rate, counts and
the run id. A failed or canceled run is tainted (re-run); one still running is waited for.

Money safety, as for jobs: the eval and every run carry the address, inputs digest and project in their metadata,
the intent is journaled before the runs start and the run ids are recorded before waiting, and apply looks for
an eval and runs of the same inputs before starting any. A crash or SIGKILL at any point is adopted on resume:
the same inputs never run twice.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from fineplan.apply.context import ApplyContext, Deferred, Leftover
from fineplan.apply.events import TrainingProgress
from fineplan.errors import FineplanError, ProviderError, StateError
from fineplan.kinds.base import KindHandler
from fineplan.kinds.dataset import DatasetDesired
from fineplan.kinds.evaluation_data import criteria, item_schema, items_jsonl, read_items, score_run
from fineplan.kinds.tags import META_ADDRESS, META_DIGEST, META_OP, META_PROJECT
from fineplan.plan.digest import digest
from fineplan.plan.model import ActionReason, ReasonCode, ResourceChange
from fineplan.plan.rules import READY, Condition, CostContext, CostLine, DesiredContext, Health
from fineplan.pricing import CostEstimate
from fineplan.pricing.estimate import format_usd
from fineplan.providers.base import EvalRequest, EvalRunRequest, Provider, RemoteEval, RemoteEvalRun
from fineplan.resource import Desired, Kind, Unknown
from fineplan.spec.models import DatasetRef, Evaluation
from fineplan.spec.project import ResourceEntry, dataset_name
from fineplan.state.drift import Drift, DriftChange
from fineplan.state.model import ResourceState
from fineplan.state.refresh import AdoptContext, Reads, Refreshed

META_SUBJECT: Final = "fineplan_subject"
META_FILE: Final = "fineplan_items_file"
META_MODEL: Final = "fineplan_model"  # a run's metadata: the model its subject deployment served
SERVED_PREFIX: Final = "served_model_"  # attribute of a job-serving subject: the fine-tuned model evaluated
_BAD: Final = frozenset({"failed", "canceled"})
_MODEL_GRADERS: Final = frozenset({"score_model", "label_model"})
_JUDGE_OUTPUT_TOKENS: Final = 16


@dataclass(frozen=True, kw_only=True)
class EvaluationDesired(Desired):
    KIND = Kind.EVALUATION

    dataset: str  # address
    part: str  # train | validation
    data_path: Path | None  # the test part's file, turned into eval items at apply
    data_format: str
    graders: tuple[Mapping[str, Any], ...]
    sampling: Mapping[str, Any]
    subjects: Mapping[str, str]  # subject → deployment address
    subject_models: Mapping[str, Any] = field(default_factory=dict)  # subject → the deployment's model identity


@dataclass(frozen=True)
class EvalIndex:
    """What refresh listed: fineplan's evals per address, and each one's runs."""

    evals: Mapping[str, RemoteEval]
    by_address: Mapping[str, Sequence[RemoteEval]]
    runs: Mapping[str, Sequence[RemoteEvalRun]]  # eval id → runs


class EvaluationKind(KindHandler):
    kind = Kind.EVALUATION

    # ------------------------------------------------------------ desired

    def desired(self, entry: ResourceEntry, known: Mapping[str, Desired], ctx: DesiredContext) -> EvaluationDesired:
        ev = entry.resource
        assert isinstance(ev, Evaluation)
        s = ev.spec
        dataset = f"dataset.{dataset_name(s.data)}"
        part = s.data.split if isinstance(s.data, DatasetRef) and s.data.split else "train"
        ds = known.get(dataset)
        data = ds.part(part) if isinstance(ds, DatasetDesired) else None
        graders = tuple(entry.graders or s.graders)
        subjects = {key: f"deployment.{sub.deployment}" for key, sub in s.subjects.items()}  # spec order: shown so
        models = {key: _model_identity(known.get(address)) for key, address in subjects.items()}
        sampling = s.sampling.model_dump(exclude_none=True)
        attrs: dict[str, Any] = {
            "test_data": data.digest if data else None,
            "graders": digest(list(graders)),
            "sampling": sampling,
            "subjects": {
                key: {"deployment": address.partition(".")[2], "model": models[key]}
                for key, address in subjects.items()
            },
        }
        # A subject serving a job's model also compares the fine-tuned model itself (the job's output): a job
        # retrained on the same inputs (it had failed) makes a new model, and the evaluation must run on it.
        served: dict[str, str] = {}
        for key, address in subjects.items():
            job = getattr(known.get(address), "parent", None)
            if job:
                attrs[SERVED_PREFIX + key] = models[key]  # stands for the model until the builder resolves it
                served[SERVED_PREFIX + key] = str(job)
        return EvaluationDesired(
            address=entry.address,
            name=ev.name,
            attributes=attrs,
            inputs_digest=digest(attrs),
            depends_on=(dataset, *sorted(set(subjects.values()))),
            inputs_from=served,
            prevent_destroy=ev.lifecycle.prevent_destroy,
            ignore_changes=ev.lifecycle.ignore_changes,
            shown={"rows": data.examples} if data and data.examples is not None else {},
            dataset=dataset,
            part=part,
            data_path=data.path if data else None,
            data_format=ds.format if isinstance(ds, DatasetDesired) else "chat",
            graders=graders,
            sampling=sampling,
            subjects=subjects,
            subject_models=models,
        )

    # ------------------------------------------------------------ plan

    def prior(self, record: ResourceState) -> dict[str, Any]:
        """The recorded inputs, and the fine-tuned model each job-serving subject was evaluated on."""
        inputs = dict(record.attributes.get("inputs") or {})
        for subject, model in (record.attributes.get("served") or {}).items():
            if model:
                inputs[SERVED_PREFIX + subject] = model
        return inputs

    def before(self, record: ResourceState) -> dict[str, Any]:
        shown = self.prior(record)
        shown["status"] = record.status
        if record.attributes.get("results"):
            shown["results"] = record.attributes["results"]
            # State writes sort keys: the list keeps the spec's subject order (the score table's columns).
            shown["subject_order"] = list(record.attributes.get("subject_order") or record.attributes["results"])
        return shown

    def output(self, record: ResourceState) -> Any | None:
        return record.attributes.get("results") if record.status == "completed" else None

    def health(self, record: ResourceState) -> Health:
        if record.status in _BAD:
            why = f"eval {record.remote_id}: {record.attributes.get('error') or 'a run ' + record.status}; it re-runs"
            return Health(Condition.TAINTED, ActionReason(ReasonCode.EVAL_FAILED, why))
        if record.status != "completed":
            return Health(Condition.PENDING, ActionReason(ReasonCode.EVALUATING, f"eval {record.remote_id} is running"))
        return READY

    def reason(self, want: Desired, attribute: str, old: Any, new: Any) -> ActionReason:
        if attribute == "test_data":
            message = f"test data content changed ({_short(old)} → {_short(new)})"
        elif attribute == "graders":
            message = "graders changed"
        elif attribute == "sampling":
            message = f"sampling changed: {old} → {new}"
        elif attribute.startswith(SERVED_PREFIX):
            subject = attribute.removeprefix(SERVED_PREFIX)
            if isinstance(new, Unknown):
                message = f"subject {subject}'s model will be trained anew"
                return ActionReason(ReasonCode.DEPENDENCY_REPLACED, message, attribute)
            message = f"subject {subject} now serves {new}; evaluated {old}"
        elif attribute == "subjects":
            changed = [k for k in sorted({*(old or {}), *(new or {})}) if (old or {}).get(k) != (new or {}).get(k)]
            message = "subject model changed: " + ", ".join(changed) if changed else "subjects changed"
        else:
            return super().reason(want, attribute, old, new)
        return ActionReason(ReasonCode.INPUT_CHANGED, message, attribute)

    def cost(self, change: ResourceChange, want: Desired | None, ctx: CostContext) -> CostLine | None:
        if want is None or not change.action.creates:
            return None
        estimate = estimate_evaluation(_want(want), ctx)
        return CostLine(estimate, added=(estimate,))

    # ------------------------------------------------------------ refresh

    def reads(self, provider: Provider, records: Sequence[ResourceState], wanted: Sequence[Desired]) -> Reads:
        recorded = {str(r.attributes.get("eval_id")) for r in records if r.attributes.get("eval_id")}
        digests = {w.address: w.inputs_digest for w in wanted}
        addresses = set(digests) | {r.address for r in records}

        def read() -> EvalIndex:
            if not addresses:
                return EvalIndex({}, {}, {})
            mine = [
                e
                for e in provider.list_evals()
                if e.id in recorded
                or (e.metadata.get(META_ADDRESS) in addresses and e.metadata.get(META_DIGEST) in digests.values())
            ]
            by_address: dict[str, list[RemoteEval]] = {}
            for e in sorted(mine, key=lambda e: e.created_at):
                by_address.setdefault(e.metadata.get(META_ADDRESS, ""), []).append(e)
            return EvalIndex({e.id: e for e in mine}, by_address, {e.id: provider.list_eval_runs(e.id) for e in mine})

        return Reads((read,), lambda results: results[0])

    def refresh(self, record: ResourceState, index: object, now: float) -> Refreshed:
        idx = _index(index)
        eval_id = str(record.attributes.get("eval_id") or "")
        if eval_id not in idx.evals:
            gone = Drift(
                record.address,
                self.kind,
                record.name,
                DriftChange.DELETED,
                f"eval {eval_id} deleted outside fineplan",
                before={"eval_id": eval_id, "status": record.status},
            )
            return Refreshed(None, gone)
        listed = {r.id: r for r in idx.runs.get(eval_id, ())}
        runs = dict(record.attributes.get("runs") or {})
        for subject, entry in runs.items():
            found = listed.get(str(entry.get("id")))
            runs[subject] = {**entry, "status": found.status if found else "deleted"}
        record.attributes = {**record.attributes, "runs": runs}
        record.status = _status(runs, has_results=bool(record.attributes.get("results")))
        return Refreshed(record)

    def adopt(self, want: Desired, index: object, ctx: AdoptContext) -> tuple[ResourceState, Drift] | None:
        found = _adoptable(_want(want), _index(index), ctx)
        if found is None:
            return None
        ev, runs = found
        record = _record(_want(want), ev, runs, ev.metadata.get(META_FILE, ""))
        return record, Drift(want.address, self.kind, want.name, DriftChange.ADOPTED, f"eval {ev.id} found by its tags")

    def adopt_replacement(
        self, want: Desired, index: object, ctx: AdoptContext, op_id: str
    ) -> tuple[ResourceState, Drift] | None:
        found = _adoptable(_want(want), _index(index), ctx)
        if found is None:
            return None
        ev, runs = found
        record = _record(_want(want), ev, runs, ev.metadata.get(META_FILE, ""))
        why = f"eval {ev.id} found by its tags: the re-run an interrupted apply started"
        return record, Drift(want.address, self.kind, want.name, DriftChange.ADOPTED, why)

    def describe(self, record: ResourceState) -> str:
        return f"eval {record.remote_id}"

    # ------------------------------------------------------------ apply

    def apply(self, ctx: ApplyContext, change: ResourceChange, want: Desired) -> str:
        ev = _want(want)
        provider = ctx.provider
        deployments = {subject: _deployment_name(ctx, address) for subject, address in ev.subjects.items()}
        old = ctx.state.get(ev.address)
        remote, file_id = self._eval_for(ctx, ev)
        runs = {r.metadata.get(META_SUBJECT, ""): r for r in _usable(provider.list_eval_runs(remote.id), ev)}
        missing = [s for s in ev.subjects if s not in runs]
        if missing:
            intent = ctx.store.begin(ev.address, ev.inputs_digest, "replace" if change.action.is_replace else "create")
            try:
                for subject in missing:
                    runs[subject] = provider.create_eval_run(
                        EvalRunRequest(
                            eval_id=remote.id,
                            name=f"{ev.name}-{subject}",
                            deployment=deployments[subject],
                            file_id=file_id,
                            sampling=dict(ev.sampling),
                            metadata={
                                **_meta(ev, ctx.project),
                                META_SUBJECT: subject,
                                META_OP: intent.op_id,
                                META_MODEL: _served_model(ctx, ev.subjects[subject]),
                            },
                        )
                    )
            except ProviderError:
                if not any(s in runs for s in missing):
                    ctx.store.abandon(intent.op_id)  # nothing started
                    raise
                with ctx.store.lock:
                    self._leave_old(ctx, old, remote)
                    ctx.store.complete(intent.op_id, _record(ev, remote, runs, file_id))
                raise
            with ctx.store.lock:
                self._leave_old(ctx, old, remote)
                ctx.store.complete(intent.op_id, _record(ev, remote, runs, file_id))
        else:
            with ctx.store.lock:
                self._leave_old(ctx, old, remote)
                ctx.store.put(_record(ev, remote, runs, file_id))
        for subject, run in runs.items():
            ctx.emit(TrainingProgress(ev.address, job_id=run.id, status=run.status, message=f"eval run ({subject})"))
        return self._wait(ctx, ev, remote)

    def _leave_old(self, ctx: ApplyContext, old: ResourceState | None, remote: RemoteEval) -> None:
        """A re-run's old eval goes at cleanup, once the new one has run (written with the new record)."""
        old_id = str(old.attributes.get("eval_id") or "") if old is not None else ""
        if old is None or not old_id or old_id == remote.id:
            return
        provider = ctx.provider
        ctx.leave(
            Leftover(old.address, self.describe(old), lambda: provider.delete_eval(old_id), record=old), save=False
        )

    def _eval_for(self, ctx: ApplyContext, ev: EvaluationDesired) -> tuple[RemoteEval, str]:
        """The eval of these inputs: found by its metadata (an earlier, interrupted apply made it) or created."""
        provider = ctx.provider
        found = [
            e
            for e in provider.list_evals()
            if e.metadata.get(META_ADDRESS) == ev.address
            and e.metadata.get(META_DIGEST) == ev.inputs_digest
            and e.metadata.get(META_PROJECT) == ctx.project
            and e.metadata.get(META_FILE)
        ]
        if found:
            chosen = max(found, key=lambda e: e.created_at)
            return chosen, chosen.metadata[META_FILE]
        if ev.data_path is None:
            raise FineplanError(f"{ev.dataset} has no test data to evaluate")
        items = read_items(ev.data_path, ev.data_format)
        content = items_jsonl(items)
        filename = f"fineplan-{ctx.project}-{ev.name}-items-{digest(content.decode())[:16]}.jsonl"
        with tempfile.TemporaryDirectory(prefix="fineplan-eval-") as tmp:
            items_path = Path(tmp) / filename
            items_path.write_bytes(content)
            uploaded = provider.upload_eval_items(items_path, filename)
        request = EvalRequest(
            name=f"{ctx.project}-{ev.name}",
            item_schema=item_schema(items),
            testing_criteria=tuple(criteria(ev.graders)),
            metadata={**_meta(ev, ctx.project), META_FILE: uploaded.id},
        )
        return provider.create_eval(request), uploaded.id

    def _wait(self, ctx: ApplyContext, ev: EvaluationDesired, remote: RemoteEval) -> str:
        provider = ctx.provider
        while True:
            if ctx.stop.is_set():
                raise Deferred("interrupted")
            record = ctx.state.get(ev.address)
            assert record is not None
            runs_attr = dict(record.attributes.get("runs") or {})
            current: dict[str, RemoteEvalRun] = {}
            for subject, entry in runs_attr.items():
                run = provider.get_eval_run(remote.id, str(entry["id"]))
                if run is None:
                    raise ProviderError(f"eval run {entry['id']} disappeared")
                current[subject] = run
            if all(r.terminal for r in current.values()):
                return self._record_results(ctx, ev, remote, current)
            if not ctx.options.wait:
                raise Deferred(f"eval {remote.id} running (re-run apply to collect its results)")
            ctx.check_deadline(f"eval {remote.id}")
            ctx.pause()

    def _record_results(
        self, ctx: ApplyContext, ev: EvaluationDesired, remote: RemoteEval, runs: Mapping[str, RemoteEvalRun]
    ) -> str:
        provider = ctx.provider
        bad = {s: r for s, r in runs.items() if r.status != "completed"}
        results: dict[str, Any] = {}
        if not bad:
            for subject in ev.subjects:
                run = runs[subject]
                items = provider.eval_output_items(remote.id, run.id)
                results[subject] = {
                    "run_id": run.id,
                    "deployment": run.model,
                    "items": run.total,
                    "usage": {"prompt_tokens": run.prompt_tokens, "completion_tokens": run.completion_tokens},
                    "graders": score_run(ev.graders, remote.criteria, items),
                }
        with ctx.store.lock:
            record = ctx.state.get(ev.address)
            assert record is not None
            record.attributes["runs"] = {
                s: {"id": runs[s].id, "deployment": runs[s].model, "status": runs[s].status}
                for s in ev.subjects
                if s in runs
            }
            if bad:
                subject, run = next(iter(bad.items()))
                record.attributes["error"] = f"run {run.id} ({subject}) {run.status}" + (
                    f": {run.error}" if run.error else ""
                )
                record.status = "failed"
            else:
                record.attributes["results"] = results
                record.attributes.pop("error", None)
                record.status = "completed"
            ctx.store.put(record)
        if bad:
            raise ProviderError(str(record.attributes["error"]))
        return f"{remote.id}: " + "; ".join(
            f"{s} " + ", ".join(f"{g} {_fmt(v.get('score'))}" for g, v in r["graders"].items())
            for s, r in results.items()
        )

    def delete(self, ctx: ApplyContext, record: ResourceState) -> None:
        eval_id = record.attributes.get("eval_id")
        if eval_id:
            ctx.provider.delete_eval(str(eval_id))

    # ------------------------------------------------------------ state commands

    def import_record(self, provider: Provider, want: Desired, remote_id: str) -> ResourceState:
        ev = next((e for e in provider.list_evals() if e.id == remote_id), None)
        if ev is None:
            raise StateError(f"no eval {remote_id}")
        runs = {r.metadata.get(META_SUBJECT, ""): r for r in provider.list_eval_runs(ev.id)}
        return _record(_want(want), ev, runs, ev.metadata.get(META_FILE, ""), inputs_known=False)

    def outputs(self, record: ResourceState, endpoint: str) -> dict[str, Any] | None:
        return {
            "eval_id": record.remote_id,
            "status": record.status,
            "runs": {s: r.get("id") for s, r in (record.attributes.get("runs") or {}).items()},
            "results": record.attributes.get("results") or {},
            "score_table": score_table_lines(record),
        }


def score_table_lines(record: ResourceState) -> list[str]:
    """The recorded scores as aligned text: a row per grader, a column per subject, the first one's delta over
    the second (what `fineplan output evaluation.NAME` prints)."""
    results = record.attributes.get("results") or {}
    if not results:
        return []
    order = [s for s in record.attributes.get("subject_order") or results if s in results]
    graders: list[str] = []
    for r in results.values():
        graders += [g for g in r.get("graders") or {} if g not in graders]
    head = ["grader", *order, *(["delta"] if len(order) >= 2 else [])]
    rows = [head]
    for g in graders:
        values = [((results[s].get("graders") or {}).get(g) or {}).get("score") for s in order]
        row = [g, *(_fmt(v) for v in values)]
        if len(order) >= 2:
            row.append(f"{values[0] - values[1]:+.3f}" if values[0] is not None and values[1] is not None else "")
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    return ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows]


# ---------------------------------------------------------------- cost


def estimate_evaluation(ev: EvaluationDesired, ctx: CostContext) -> CostEstimate:
    """Inference of the test set on every subject: prompt tokens (the test file's tokens, an upper bound: it
    includes the reference answers) and at most `max_completion_tokens` per item, at each subject's model price."""
    ds = ctx.desired.get(ev.dataset)
    part = ds.part(ev.part) if isinstance(ds, DatasetDesired) else None
    if part is None or part.tokens is None or not part.examples:
        return CostEstimate("training", None, "test data tokens unknown until the data is tokenized", True)
    max_out = int(ev.sampling.get("max_completion_tokens") or 512)
    total = Decimal(0)
    lines: list[str] = []
    notes = [
        f"assumes every item uses up to {max_out} completion tokens and the whole test file as prompt tokens",
    ]
    listed: set[str] = set()  # models priced from the packaged table, not from fineplan.yaml

    def packaged(name: str) -> None:
        if not (
            ctx.prices.is_overridden("inference_input_per_1m_tokens", name)
            and ctx.prices.is_overridden("inference_output_per_1m_tokens", name)
        ):
            listed.add(name)

    for subject, address in ev.subjects.items():
        model = _base_model_of(address, ctx)
        priced = ctx.prices.inference_price(model or "")
        if priced is None:
            return CostEstimate("training", None, f"no inference price for {model or address} ({subject})", True)
        name, per_in, per_out = priced
        packaged(name)
        out_tokens = part.examples * max_out
        usd = Decimal(part.tokens) / 1_000_000 * per_in + Decimal(out_tokens) / 1_000_000 * per_out
        total += usd
        lines.append(
            f"{subject}: {part.tokens:,} in × {format_usd(per_in)}/1M + {out_tokens:,} out × {format_usd(per_out)}/1M "
            f"({name}) = {format_usd(usd)}"
        )
    judged = [g for g in _flat_graders(ev.graders) if g.get("type") in _MODEL_GRADERS]
    for g in judged:
        # A judge reads the item and the sample and answers briefly: per subject, the test file's tokens plus the
        # completions as input and ~16 tokens per item as output.
        model = str(g.get("model") or "")
        priced = ctx.prices.inference_price(model)
        if priced is None:
            notes.append(f"grader {g.get('name')}: no inference price for its model {model!r}; not estimated")
            continue
        name, per_in, per_out = priced
        packaged(name)
        n = len(ev.subjects)
        in_tokens = n * (part.tokens + part.examples * max_out)
        out_tokens = n * part.examples * _JUDGE_OUTPUT_TOKENS
        usd = Decimal(in_tokens) / 1_000_000 * per_in + Decimal(out_tokens) / 1_000_000 * per_out
        total += usd
        lines.append(f"grader {g.get('name')}: {in_tokens:,} in + {out_tokens:,} out ({name}) = {format_usd(usd)}")
    if judged:
        notes.append(f"model graders: assumed {_JUDGE_OUTPUT_TOKENS} output tokens per item and judgement")
    if listed:
        notes.append(
            f"inference prices of {', '.join(sorted(listed))} are OpenAI list prices (approximate; set "
            "prices.inference_input_per_1m_tokens / inference_output_per_1m_tokens to yours)"
        )
    return CostEstimate("training", float(total), "; ".join(lines) + f" → {format_usd(total)}", True, tuple(notes))


def _flat_graders(graders: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    out: list[Mapping[str, Any]] = []
    for g in graders:
        out += list((g.get("graders") or {}).values()) if g.get("type") == "multi" else [g]
    return out


def _base_model_of(address: str, ctx: CostContext) -> str | None:
    from fineplan.kinds.deployment import DeploymentDesired
    from fineplan.kinds.job import JobDesired, root_base_model

    dep = ctx.desired.get(address)
    if not isinstance(dep, DeploymentDesired):
        return None
    if dep.parent:
        job = ctx.desired.get(dep.parent)
        return root_base_model(job, ctx.desired) if isinstance(job, JobDesired) else None
    return dep.model


# ---------------------------------------------------------------- records and helpers


def _record(
    ev: EvaluationDesired,
    remote: RemoteEval,
    runs: Mapping[str, RemoteEvalRun],
    file_id: str,
    *,
    inputs_known: bool = True,
) -> ResourceState:
    attrs: dict[str, Any] = {
        "inputs": dict(ev.attributes) if inputs_known else {},
        # The model each subject's deployment served when its run started (from the run's metadata).
        "served": {s: runs[s].metadata.get(META_MODEL, "") for s in ev.subjects if s in runs},
        "eval_id": remote.id,
        "items_file": file_id,
        "criteria": dict(remote.criteria),
        "subject_order": list(ev.subjects),
        "runs": {
            s: {"id": runs[s].id, "deployment": runs[s].model, "status": runs[s].status}
            for s in ev.subjects
            if s in runs
        },
    }
    return ResourceState(
        address=ev.address,
        kind=ev.kind,
        name=ev.name,
        remote_id=remote.id,
        inputs_digest=remote.metadata.get(META_DIGEST, ev.inputs_digest),
        attributes=attrs,
        dependencies=list(ev.depends_on),
        status=_status(attrs["runs"], has_results=False),
    )


def _status(runs: Mapping[str, Mapping[str, Any]], *, has_results: bool) -> str:
    statuses = [str(r.get("status")) for r in runs.values()]
    if any(s in _BAD or s == "deleted" for s in statuses):
        return "failed"
    if statuses and all(s == "completed" for s in statuses) and has_results:
        return "completed"
    return "running"


def _adoptable(
    ev: EvaluationDesired, idx: EvalIndex, ctx: AdoptContext
) -> tuple[RemoteEval, dict[str, RemoteEvalRun]] | None:
    candidates = [
        e
        for e in idx.by_address.get(ev.address, ())
        if e.metadata.get(META_PROJECT) == ctx.project
        and e.id not in ctx.forgotten
        and (ctx.any_digest or e.metadata.get(META_DIGEST) == ev.inputs_digest)
    ]
    for e in reversed(candidates):
        runs = {r.metadata.get(META_SUBJECT, ""): r for r in _usable(idx.runs.get(e.id, ()), ev)}
        if runs:
            return e, runs
    return None


def _usable(runs: Sequence[RemoteEvalRun], ev: EvaluationDesired) -> list[RemoteEvalRun]:
    """Runs of these inputs that are not failed or canceled, oldest first (a later one of a subject wins)."""
    return sorted(
        (
            r
            for r in runs
            if r.metadata.get(META_DIGEST) == ev.inputs_digest
            and r.metadata.get(META_SUBJECT) in ev.subjects
            and r.status not in _BAD
        ),
        key=lambda r: r.created_at,
    )


def _meta(ev: EvaluationDesired, project: str) -> dict[str, str]:
    return {META_ADDRESS: ev.address, META_DIGEST: ev.inputs_digest, META_PROJECT: project}


def _served_model(ctx: ApplyContext, address: str) -> str:
    record = ctx.state.get(address)
    return str(record.attributes.get("model") or "") if record is not None else ""


def _deployment_name(ctx: ApplyContext, address: str) -> str:
    record = ctx.state.get(address)
    if record is None or record.status != "ready":
        raise Deferred(f"waiting for {address} to be deployed (re-run apply)")
    return record.name


def _model_identity(dep: Desired | None) -> Any:
    """What stands for the model a subject deployment serves: its model name, or `{job, inputs}` for a job's."""
    return dep.attributes.get("model") if dep is not None else None


def _short(value: Any) -> str:
    return str(value)[:12] if value is not None else "none"


def _fmt(value: Any) -> str:
    return "n/a" if value is None else f"{float(value):.3f}"


def _index(index: object) -> EvalIndex:
    if index is None:
        return EvalIndex({}, {}, {})
    assert isinstance(index, EvalIndex), index
    return index


def _want(want: Desired) -> EvaluationDesired:
    assert isinstance(want, EvaluationDesired), want
    return want


def runs_of(record: ResourceState) -> dict[str, str]:
    """Subject → run id of an evaluation record."""
    return {s: str(r.get("id")) for s, r in (record.attributes.get("runs") or {}).items()}
