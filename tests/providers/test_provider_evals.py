"""The provider's Evals API half against the real emulator over HTTP (the openai SDK path): an items file made from
chat test rows, an eval whose multi grader is sent as its sub-graders, one run per subject deployment found again
by its metadata, output items scored per grader."""

from __future__ import annotations

import json
import time
from pathlib import Path

from provider_helpers import wait_for

from fineplan.kinds.evaluation_data import criteria, item_schema, items_jsonl, read_items, score_run
from fineplan.providers.azure import AzureProvider
from fineplan.providers.base import DeploymentRequest, EvalRequest, EvalRunRequest, JobRequest, RemoteEvalRun

ACCOUNT = "local"
BASE = "gpt-4.1-mini-2025-04-14"
PAIRS = [(f"What is the code word number {i}?", f"The code word is tango-{i}.") for i in range(12)]
GRADERS = [
    {"type": "string_check", "name": "exact", "input": "{{sample.output_text}}", "reference": "{{item.reference}}",
     "operation": "eq"},
    {
        "type": "multi",
        "name": "blend",
        "graders": {
            "eq": {"type": "string_check", "name": "eq", "input": "{{sample.output_text}}",
                   "reference": "{{item.reference}}", "operation": "eq"},
            "like": {"type": "string_check", "name": "like", "input": "{{sample.output_text}}", "reference": "tango",
                     "operation": "like"},
        },
        "calculate_output": "0.5 * eq + 0.5 * like",
    },
]  # fmt: skip


def _chat(path: Path) -> Path:
    rows = [
        {"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a, "weight": 1}]}
        for q, a in PAIRS
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _finished(provider: AzureProvider, eval_id: str, run_id: str) -> RemoteEvalRun:
    deadline = time.monotonic() + 30
    while True:
        run = provider.get_eval_run(eval_id, run_id)
        assert run is not None
        if run.terminal or time.monotonic() > deadline:
            return run
        time.sleep(0.01)


def test_items_eval_runs_and_scores_per_grader(provider: AzureProvider, tmp_path: Path) -> None:
    data = _chat(tmp_path / "chat.jsonl")
    train = provider.wait_file_processed(provider.upload_file(data, "evals-train.jsonl").id, timeout=30)
    job = provider.create_job(
        JobRequest(model=BASE, training_file=train.id, method="supervised", training_type="developer")
    )
    job = wait_for(lambda: provider.get_job(job.id))
    assert job.status == "succeeded" and job.fine_tuned_model
    provider.put_deployment(ACCOUNT, "ev-tuned", DeploymentRequest(str(job.fine_tuned_model), "global_standard", 1))
    provider.put_deployment(ACCOUNT, "ev-base", DeploymentRequest(BASE, "global_standard", 1))

    items = read_items(data, "chat")
    assert items[0] == {"messages": [{"role": "user", "content": PAIRS[0][0]}], "reference": PAIRS[0][1]}
    items_path = tmp_path / "items.jsonl"
    items_path.write_bytes(items_jsonl(items))
    uploaded = provider.upload_eval_items(items_path, "items.jsonl")
    assert uploaded.status == "processed"
    sent = criteria(GRADERS)
    assert [c["name"] for c in sent] == ["exact", "blend.eq", "blend.like"]
    ev = provider.create_eval(
        EvalRequest("quiz", item_schema(items), tuple(sent), metadata={"fineplan_address": "evaluation.quiz"})
    )
    assert set(ev.criteria) == {"exact", "blend.eq", "blend.like"}
    assert [e.id for e in provider.list_evals() if e.metadata.get("fineplan_address") == "evaluation.quiz"] == [ev.id]

    started = {}
    for subject, deployment in (("tuned", "ev-tuned"), ("base", "ev-base")):
        request = EvalRunRequest(
            ev.id,
            f"quiz-{subject}",
            deployment,
            uploaded.id,
            sampling={"temperature": 0, "max_completion_tokens": 32, "seed": None},
            metadata={"fineplan_subject": subject},
        )
        started[subject] = provider.create_eval_run(request)
    listed = {r.metadata["fineplan_subject"]: r.id for r in provider.list_eval_runs(ev.id)}
    assert listed == {s: r.id for s, r in started.items()}

    scores = {}
    for subject, run in started.items():
        done = _finished(provider, ev.id, run.id)
        assert (done.status, done.model, done.total) == ("completed", run.model, 12)
        assert done.prompt_tokens > 0 and done.completion_tokens > 0
        scores[subject] = score_run(GRADERS, ev.criteria, provider.eval_output_items(ev.id, run.id))
    assert scores["tuned"]["exact"] == {
        "score": 1.0,
        "pass_rate": 1.0,
        "passed": 12,
        "failed": 0,
        "errored": 0,
        "total": 12,
    }
    assert scores["tuned"]["blend"]["score"] == 1.0
    assert scores["base"]["exact"]["score"] == 0.0 and scores["base"]["blend"]["score"] == 0.0
    assert provider.get_eval_run(ev.id, "evalrun_missing") is None
    provider.delete_eval(ev.id)
    provider.delete_eval(ev.id)  # already gone: not an error
    assert provider.list_eval_runs(ev.id) == []


def test_a_refused_run_create_is_retried_once_without_a_second_run(tmp_path: Path) -> None:
    from provider_helpers import running_provider

    with running_provider(tmp_path / "emu", faults="fail=create_eval_run:1:503") as (emulator, provider):
        items = [{"messages": [{"role": "user", "content": "q"}], "reference": "a"}]
        path = tmp_path / "items.jsonl"
        path.write_bytes(items_jsonl(items))
        uploaded = provider.upload_eval_items(path, "items.jsonl")
        ev = provider.create_eval(EvalRequest("one", item_schema(items), tuple(criteria(GRADERS[:1]))))
        run = provider.create_eval_run(
            EvalRunRequest(ev.id, "one", "nowhere", uploaded.id, metadata={"fineplan_op": "op-1"})
        )
        assert emulator.server.emulator.faults.calls("create_eval_run") == 2
        assert [r.id for r in provider.list_eval_runs(ev.id)] == [run.id]
        failed = _finished(provider, ev.id, run.id)
        assert failed.status == "failed" and failed.error and failed.error.startswith("DeploymentNotFound")
