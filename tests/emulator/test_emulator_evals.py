"""The Evals API through the openai SDK over HTTP: evals, runs over a held-out test file on a fine-tuned and a
base deployment, output items, python graders with a time limit, lazy progress, cancel and the 400/404s.

Responses are checked against the v1 spec (OpenAI.Eval, EvalRun, EvalRunOutputItem, the lists). The dated
authoring spec's Eval/EvalRun use `allOf` over mutually exclusive grader and data source types, which no document
can satisfy, so only its output item schema is used."""

from __future__ import annotations

import json
import signal
import statistics
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from emulator_helpers import DATED, FAST, SchemaChecker, arm_client, azure_openai, http, v1_openai
from inference_helpers import EVALS_HEADER, check_v1, deploy, deploy_base, fine_tune

from fineplan.emulator.clock import ManualClock
from fineplan.emulator.embedded import EmbeddedEmulator

ITEM_SCHEMA = {
    "type": "object",
    "properties": {"question": {"type": "string"}, "answer": {"type": "string"}},
    "required": ["question", "answer"],
}
SIMILARITY = {
    "type": "text_similarity",
    "name": "similar",
    "input": "{{sample.output_text}}",
    "reference": "{{item.answer}}",
    "evaluation_metric": "rouge_l",
    "pass_threshold": 0.1,  # ROUGE-L of a worked solution to a similar training problem: ~0.11 on average
}
FORMAT = {
    "type": "string_check",
    "name": "format",
    "input": "{{sample.output_text}}",
    "reference": "####",
    "operation": "like",
}
TEMPLATE = {
    "type": "template",
    "template": [{"role": "system", "content": "Reply accurately."}, {"role": "user", "content": "{{item.question}}"}],
}


@pytest.fixture
def evals(emulator: EmbeddedEmulator) -> openai.OpenAI:
    return v1_openai(emulator, default_headers=EVALS_HEADER)


def _test_file(samples: Path, tmp_path: Path) -> Path:
    """The held-out gsm8k validation split as Evals JSONL: one {"item": {...}} per line."""
    out = tmp_path / "test.jsonl"
    rows = [json.loads(line) for line in (samples / "sft-gsm8k" / "validation.jsonl").read_text().splitlines()]
    out.write_text(
        "".join(
            json.dumps({"item": {"question": r["messages"][1]["content"], "answer": r["messages"][2]["content"]}})
            + "\n"
            for r in rows
        )
    )
    return out


def _create_eval(sdk: openai.OpenAI, *criteria: dict[str, Any]) -> Any:
    return sdk.evals.create(
        name="gsm8k",
        data_source_config={"type": "custom", "item_schema": ITEM_SCHEMA, "include_sample_schema": True},
        testing_criteria=list(criteria or (SIMILARITY, FORMAT)),  # type: ignore[arg-type]
        metadata={"fineplan.address": "evaluation.gsm8k"},
    )


def _completions(model: str, file_id: str) -> dict[str, Any]:
    return {
        "type": "completions",
        "model": model,
        "source": {"type": "file_id", "id": file_id},
        "input_messages": TEMPLATE,
        "sampling_params": {"temperature": 0, "max_completion_tokens": 400},
    }


def _mean_scores(sdk: openai.OpenAI, eval_id: str, run_id: str) -> dict[str, float]:
    items = list(sdk.evals.runs.output_items.list(run_id, eval_id=eval_id, limit=100))
    names = {r.name for i in items for r in i.results}
    return {n: statistics.fmean(r.score for i in items for r in i.results if r.name == n) for n in names}


@pytest.fixture
def deployed(client: openai.AzureOpenAI, arm: CognitiveServicesManagementClient, samples: Path) -> Iterator[None]:
    deploy(arm, "ft", fine_tune(client, samples / "sft-gsm8k" / "train.jsonl"))
    deploy_base(arm)
    yield


def test_fine_tuned_deployment_beats_its_base_on_held_out_data(
    evals: openai.OpenAI,
    client: openai.AzureOpenAI,
    deployed: None,
    samples: Path,
    tmp_path: Path,
    schemas: SchemaChecker,
) -> None:
    ev = _create_eval(evals)
    check_v1(schemas, "OpenAI.Eval", ev.model_dump())
    ids = [c.id for c in ev.testing_criteria]  # type: ignore[union-attr]
    assert [i.rsplit("-", 5)[0] for i in ids] == ["similar", "format"]
    with _test_file(samples, tmp_path).open("rb") as fh:
        test_file = client.files.create(file=fh, purpose="evals")
    assert client.files.retrieve(test_file.id).status == "processed"
    runs = {}
    for deployment in ("ft", "base"):
        created = client.evals.runs.create(ev.id, name=deployment, data_source=_completions(deployment, test_file.id))
        run = client.evals.runs.retrieve(created.id, eval_id=ev.id)
        assert run.status == "completed" and run.model == deployment
        check_v1(schemas, "OpenAI.EvalRun", run.model_dump())
        runs[deployment] = run
    ft, base = runs["ft"], runs["base"]
    assert ft.result_counts.total == base.result_counts.total == 50
    assert ft.result_counts.passed > base.result_counts.passed == 0
    assert [r.testing_criteria for r in ft.per_testing_criteria_results] == ids
    ft_scores, base_scores = _mean_scores(client, ev.id, ft.id), _mean_scores(client, ev.id, base.id)
    assert ft_scores[ids[0]] > base_scores[ids[0]]  # text_similarity
    assert ft_scores[ids[1]] == 1.0 and base_scores[ids[1]] == 0.0  # string_check: the trained answer format
    (usage,) = ft.per_model_usage
    assert usage.invocation_count == 50 and usage.model_name.startswith("gpt-4.1-mini-2025-04-14.ft-")
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens > 0
    items = client.evals.runs.output_items.list(ft.id, eval_id=ev.id, limit=5)
    check_v1(schemas, "OpenAI.EvalRunOutputItemList", items.model_dump())
    first = items.data[0]
    assert first.datasource_item_id == 0 and first.sample.model == usage.model_name
    assert first.sample.input[1].content == first.datasource_item["question"]
    assert first.sample.output[0].content and first.sample.usage.total_tokens > 0
    one = evals.evals.runs.output_items.retrieve(first.id, eval_id=ev.id, run_id=ft.id)
    assert one.id == first.id
    schemas.dated_def(
        "EvalRunOutputItem",
        {**one.model_dump(), "sample": {**one.model_dump()["sample"], "error": {"code": "", "message": ""}}},
    )
    passed = list(client.evals.runs.output_items.list(base.id, eval_id=ev.id, status="pass"))
    assert passed == []
    listed = evals.evals.runs.list(ev.id)
    check_v1(schemas, "OpenAI.EvalRunList", listed.model_dump())
    assert [r.id for r in listed.data] == [ft.id, base.id]  # ascending by default


def test_jsonl_run_grades_precomputed_samples(evals: openai.OpenAI, schemas: SchemaChecker) -> None:
    ev = _create_eval(evals, {**FORMAT, "reference": "{{item.answer}}", "operation": "eq"})
    content = [
        {"item": {"question": "q1", "answer": "42"}, "sample": {"output_text": "42"}},
        {"item": {"question": "q2", "answer": "7"}, "sample": {"output_text": "8"}},
        {"item": {"question": "q3"}, "sample": {"output_text": "x"}},  # misses a required item field
    ]
    run = evals.evals.runs.create(
        ev.id, data_source={"type": "jsonl", "source": {"type": "file_content", "content": content}}
    )
    run = evals.evals.runs.retrieve(run.id, eval_id=ev.id)
    check_v1(schemas, "OpenAI.EvalRun", run.model_dump())
    assert (run.result_counts.passed, run.result_counts.failed, run.result_counts.errored) == (1, 1, 1)
    assert run.model is None
    items = list(evals.evals.runs.output_items.list(run.id, eval_id=ev.id))
    assert [i.status for i in items] == ["pass", "fail", "error"]
    assert items[2].sample.error.code == "invalid_item"


def test_python_grader_with_a_time_limit(tmp_path: Path) -> None:
    data = tmp_path / "emu"
    data.mkdir()
    (data / "emulator.yaml").write_text("python_grader_timeout_s: 0.5\n")
    source = "def grade(sample, item):\n    while item['question'] == 'slow':\n        pass\n    return 0.9\n"
    with EmbeddedEmulator(data, speed=FAST) as emu:
        sdk = v1_openai(emu, default_headers=EVALS_HEADER)
        ev = _create_eval(sdk, {"type": "python", "name": "py", "source": source, "pass_threshold": 0.5})
        content = [{"item": {"question": q, "answer": "a"}, "sample": {"output_text": "a"}} for q in ("slow", "fast")]
        run = sdk.evals.runs.create(
            ev.id, data_source={"type": "jsonl", "source": {"type": "file_content", "content": content}}
        )
        run = sdk.evals.runs.retrieve(run.id, eval_id=ev.id)
        assert (run.result_counts.errored, run.result_counts.passed) == (1, 1)
        slow, fast = sdk.evals.runs.output_items.list(run.id, eval_id=ev.id).data
        assert slow.status == "error" and "did not finish within 0.5 s" in str(slow.results[0].model_dump())
        assert (fast.results[0].score, fast.results[0].passed) == (0.9, True)


def test_runs_progress_with_simulated_time_and_can_be_canceled(tmp_path: Path) -> None:
    clock = ManualClock()
    with EmbeddedEmulator(tmp_path / "slow", speed=1.0, clock=clock) as emu:
        sdk = v1_openai(emu, default_headers=EVALS_HEADER)
        ev = _create_eval(sdk, {**FORMAT, "reference": "{{item.answer}}", "operation": "eq"})
        content = [{"item": {"question": str(i), "answer": "a"}, "sample": {"output_text": "a"}} for i in range(5)]
        source = {"type": "jsonl", "source": {"type": "file_content", "content": content}}
        run = sdk.evals.runs.create(ev.id, data_source=source)
        assert run.status == "queued" and run.result_counts.total == 0
        clock.advance(30 + 2 * 2)  # queue (30 s), then two items at 2 s each
        run = sdk.evals.runs.retrieve(run.id, eval_id=ev.id)
        assert run.status == "in_progress" and run.result_counts.total == 2
        assert len(sdk.evals.runs.output_items.list(run.id, eval_id=ev.id).data) == 2
        canceled = sdk.evals.runs.cancel(run.id, eval_id=ev.id)
        assert canceled.status == "canceled" and canceled.result_counts.total == 2
        clock.advance(100)
        assert sdk.evals.runs.retrieve(run.id, eval_id=ev.id).result_counts.total == 2
        with pytest.raises(openai.BadRequestError):
            sdk.evals.runs.cancel(run.id, eval_id=ev.id)
        other = sdk.evals.runs.create(ev.id, data_source=source)
        clock.advance(30 + 5 * 2)
        done = sdk.evals.runs.retrieve(other.id, eval_id=ev.id)
        assert done.status == "completed" and done.result_counts.passed == 5
        assert [r.status for r in sdk.evals.runs.list(ev.id, status="canceled").data] == ["canceled"]
        third = sdk.evals.runs.create(ev.id, data_source=source)  # Azure's spec cancels with POST on the run
        status, _, body = http("POST", f"{emu.url}/openai/evals/{ev.id}/runs/{third.id}?api-version={DATED}")
        assert (status, body["status"]) == (200, "canceled")


def test_unknown_deployment_fails_the_run_with_azures_error(evals: openai.OpenAI, schemas: SchemaChecker) -> None:
    ev = _create_eval(evals)
    data_source = {
        **_completions("nope", "unused"),
        "source": {"type": "file_content", "content": [{"item": {"question": "q", "answer": "a"}}]},
    }
    run = evals.evals.runs.retrieve(evals.evals.runs.create(ev.id, data_source=data_source).id, eval_id=ev.id)
    check_v1(schemas, "OpenAI.EvalRun", run.model_dump())
    assert run.status == "failed" and run.error.code == "DeploymentNotFound"
    assert run.error.message.startswith("The API deployment for this resource does not exist.")


def test_eval_crud_list_and_the_preview_header(
    emulator: EmbeddedEmulator, evals: openai.OpenAI, client: openai.AzureOpenAI, schemas: SchemaChecker
) -> None:
    first, second = _create_eval(evals), _create_eval(client)
    listed = evals.evals.list()
    check_v1(schemas, "OpenAI.EvalList", listed.model_dump())
    assert [e.id for e in listed.data] == [first.id, second.id]
    assert [e.id for e in evals.evals.list(order="desc", limit=1).data] == [second.id]
    updated = client.evals.update(first.id, name="renamed", metadata={"k": "v"})
    assert (updated.name, updated.metadata) == ("renamed", {"k": "v"})
    assert evals.evals.retrieve(first.id).name == "renamed"
    deleted = evals.evals.delete(first.id)
    assert (deleted.deleted, deleted.eval_id) == (True, first.id)
    with pytest.raises(openai.NotFoundError):
        client.evals.retrieve(first.id)
    with pytest.raises(openai.BadRequestError) as err:
        v1_openai(emulator).evals.list()  # no aoai-evals header
    assert "aoai-evals" in str(err.value)
    azure_openai(emulator).evals.list()  # the dated style needs none


def test_bad_evals_and_runs_are_400_and_missing_ones_404(evals: openai.OpenAI) -> None:
    bad_criteria: list[dict[str, Any]] = [
        {"type": "multi", "name": "m", "graders": {"a": FORMAT}, "calculate_output": "a"},
        {**SIMILARITY, "reference": "{{item.missing}}"},
        {**SIMILARITY, "pass_threshold": None},
        {**FORMAT, "operation": "contains"},
    ]
    for criterion in bad_criteria:
        with pytest.raises(openai.BadRequestError):
            _create_eval(evals, {k: v for k, v in criterion.items() if v is not None})
    with pytest.raises(openai.BadRequestError, match="include_sample_schema"):
        evals.evals.create(
            data_source_config={"type": "custom", "item_schema": ITEM_SCHEMA},
            testing_criteria=[SIMILARITY],  # type: ignore[list-item]
        )
    ev = _create_eval(evals)
    with pytest.raises(openai.BadRequestError):
        evals.evals.runs.create(ev.id, data_source={"type": "responses", "source": {"type": "file_id", "id": "x"}})
    with pytest.raises(openai.BadRequestError):
        evals.evals.runs.create(ev.id, data_source={"type": "jsonl", "source": {"type": "file_id", "id": "file-x"}})
    with pytest.raises(openai.NotFoundError):
        evals.evals.runs.retrieve("evalrun_x", eval_id=ev.id)
    with pytest.raises(openai.NotFoundError):
        evals.evals.runs.create(
            "eval_missing", data_source={"type": "jsonl", "source": {"type": "file_content", "content": []}}
        )
    run = evals.evals.runs.create(
        ev.id, data_source={"type": "jsonl", "source": {"type": "file_content", "content": []}}
    )
    with pytest.raises(openai.NotFoundError):
        evals.evals.runs.output_items.retrieve("outputitem_x", eval_id=ev.id, run_id=run.id)
    assert evals.evals.runs.delete(run.id, eval_id=ev.id).deleted is True


def test_fault_injection_knows_the_new_operations(tmp_path: Path) -> None:
    with EmbeddedEmulator(tmp_path / "f", speed=FAST, faults="fail=create_eval:1:503,get_model:1-3:500") as emu:
        sdk = v1_openai(emu, default_headers=EVALS_HEADER, max_retries=0)
        with pytest.raises(openai.InternalServerError):
            _create_eval(sdk)
        assert _create_eval(sdk).object == "eval"
        with pytest.raises(openai.InternalServerError):
            sdk.models.retrieve("gpt-4.1-mini-2025-04-14")
        assert emu.server.emulator.faults.calls("create_eval") == 2
        assert arm_client(emu) is not None


def test_chat_and_evals_against_fineplan_emulator_serve(tmp_path: Path, samples: Path) -> None:
    """The same SDK calls against a `fineplan emulator serve` process, with an API key."""
    from test_emulator_cli import LISTENING, serve

    proc = serve("emulator", "serve", "--data-dir", str(tmp_path / "d"), "--speed", "1e7", "--quiet", key="k3y")
    try:
        first = proc.stdout.readline().strip() if proc.stdout else ""
        m = LISTENING.match(first)
        assert m, first
        url = f"{m.group(1)}://127.0.0.1:{m.group(2)}"
        client = openai.AzureOpenAI(azure_endpoint=url, api_version="2025-04-01-preview", api_key="k3y")
        v1 = openai.OpenAI(base_url=f"{url}/openai/v1/", api_key="k3y", default_headers=EVALS_HEADER)
        train = samples / "sft-gsm8k" / "validation.jsonl"
        model = fine_tune(client, train)
        arm = arm_client_for(url, "k3y")
        deploy(arm, "ft", model)
        row = json.loads(train.read_text().splitlines()[0])
        answer = v1.chat.completions.create(model="ft", messages=[row["messages"][1]])
        assert answer.choices[0].message.content == row["messages"][2]["content"]
        ev = _create_eval(v1)
        content = [{"item": {"question": row["messages"][1]["content"], "answer": row["messages"][2]["content"]}}]
        data_source = {**_completions("ft", "unused"), "source": {"type": "file_content", "content": content}}
        run = client.evals.runs.retrieve(client.evals.runs.create(ev.id, data_source=data_source).id, eval_id=ev.id)
        assert (run.status, run.result_counts.passed) == ("completed", 1)
        (item,) = client.evals.runs.output_items.list(run.id, eval_id=ev.id).data
        assert [r.score for r in item.results] == [1.0, 1.0]
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err


def arm_client_for(url: str, token: str) -> CognitiveServicesManagementClient:
    from emulator_helpers import SUBSCRIPTION, BearerPolicy, StubCredential

    return CognitiveServicesManagementClient(
        StubCredential(token),
        SUBSCRIPTION,
        base_url=url,
        authentication_policy=BearerPolicy(token),
        polling_interval=0,
    )
