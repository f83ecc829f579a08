"""Chat completions on deployments through the official SDK (AzureOpenAI dated style, OpenAI v1 style), and the
emulated models' answering rule (specs/emulator.md): fine-tuned models answer from their training data, stacked
models inherit, base models answer generically."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from emulator_helpers import DATED, SUBSCRIPTION, SchemaChecker, arm_client, azure_openai, http
from inference_helpers import BASE, deploy, deploy_base, fine_tune

from fineplan.datasets.tokens import get_encoder
from fineplan.emulator.clock import ManualClock
from fineplan.emulator.embedded import EmbeddedEmulator
from fineplan.emulator.simulation.answers import GENERIC_ANSWER


def _row(path: Path, n: int = 0) -> dict:
    return json.loads(path.read_text("utf-8").splitlines()[n])


@pytest.fixture
def sft_setup(
    client: openai.AzureOpenAI, arm: CognitiveServicesManagementClient, samples: Path
) -> Iterator[tuple[str, Path]]:
    train = samples / "sft-gsm8k" / "train.jsonl"
    model = fine_tune(client, train)
    deploy(arm, "ft", model)
    deploy_base(arm)
    yield model, train


def test_fine_tuned_model_answers_from_training_data_base_model_generically(
    client: openai.AzureOpenAI, v1: openai.OpenAI, sft_setup: tuple[str, Path], schemas: SchemaChecker
) -> None:
    model, train = sft_setup
    row = _row(train, 3)
    question, answer = row["messages"][1]["content"], row["messages"][2]["content"]
    tuned = client.chat.completions.create(model="ft", messages=[{"role": "user", "content": question}])
    assert tuned.model == model and tuned.id.startswith("chatcmpl-") and tuned.object == "chat.completion"
    assert tuned.choices[0].message.content == answer and tuned.choices[0].finish_reason == "stop"
    base = v1.chat.completions.create(model="base", messages=[{"role": "user", "content": question}])
    assert base.model == BASE and base.choices[0].message.content == GENERIC_ANSWER
    raw = tuned.model_dump()
    schemas.dated_def("StoredCompletionResponse", raw)
    assert raw["prompt_filter_results"][0]["content_filter_results"]["hate"] == {"filtered": False, "severity": "safe"}
    assert raw["choices"][0]["content_filter_results"]["protected_material_text"]["detected"] is False


def test_usage_counts_tokens_with_the_offline_tokenizer(
    client: openai.AzureOpenAI, sft_setup: tuple[str, Path]
) -> None:
    _, train = sft_setup
    row = _row(train, 0)
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": row["messages"][1]["content"]}]
    result = client.chat.completions.create(model="ft", messages=messages)
    enc = get_encoder("o200k_base")
    # per message 3 + 1 (role) + text; 3 for the reply primer
    expected_prompt = sum(4 + enc.count(m["content"]) for m in messages) + 3
    assert result.usage is not None
    assert result.usage.prompt_tokens == expected_prompt
    assert result.usage.completion_tokens == enc.count(row["messages"][2]["content"])
    assert result.usage.total_tokens == expected_prompt + result.usage.completion_tokens


def test_max_tokens_truncates_and_n_gives_choices(client: openai.AzureOpenAI, sft_setup: tuple[str, Path]) -> None:
    _, train = sft_setup
    question = _row(train, 5)["messages"][1]["content"]
    short = client.chat.completions.create(
        model="ft", messages=[{"role": "user", "content": question}], max_completion_tokens=5
    )
    assert short.choices[0].finish_reason == "length" and short.usage and short.usage.completion_tokens <= 5
    full = client.chat.completions.create(model="ft", messages=[{"role": "user", "content": question}])
    assert (full.choices[0].message.content or "").startswith(short.choices[0].message.content or "")
    cold = client.chat.completions.create(
        model="ft", messages=[{"role": "user", "content": question}], n=3, temperature=0
    )
    assert [c.index for c in cold.choices] == [0, 1, 2]
    assert len({c.message.content for c in cold.choices}) == 1  # temperature 0: the best answer every time
    hot = client.chat.completions.create(
        model="ft", messages=[{"role": "user", "content": question}], n=3, temperature=2
    )
    assert hot.choices[0].message.content == full.choices[0].message.content
    assert len({c.message.content for c in hot.choices}) == 3  # other overlapping examples, still deterministic
    again = client.chat.completions.create(
        model="ft", messages=[{"role": "user", "content": question}], n=3, temperature=2
    )
    assert [c.message.content for c in again.choices] == [c.message.content for c in hot.choices]


def test_json_schema_response_format_fits_a_non_json_answer(
    client: openai.AzureOpenAI, sft_setup: tuple[str, Path]
) -> None:
    schema = {
        "type": "object",
        "properties": {"answer": {"type": "string"}, "confidence": {"type": "number"}, "kind": {"enum": ["a", "b"]}},
        "required": ["answer", "confidence", "kind"],
        "additionalProperties": False,
    }
    result = client.chat.completions.create(
        model="base",
        messages=[{"role": "user", "content": "hello"}],
        response_format={"type": "json_schema", "json_schema": {"name": "reply", "schema": schema, "strict": True}},
    )
    assert json.loads(result.choices[0].message.content or "") == {
        "answer": GENERIC_ANSWER,
        "confidence": 0,
        "kind": "a",
    }


def test_tool_calls_pass_through_from_the_training_example(
    client: openai.AzureOpenAI, arm: CognitiveServicesManagementClient, samples: Path
) -> None:
    train = samples / "sft-tool-calling" / "train.jsonl"
    deploy(arm, "tools", fine_tune(client, train))
    row = _row(train, 0)
    question = row["messages"][1]["content"]
    with_tools = client.chat.completions.create(
        model="tools", messages=[{"role": "user", "content": question}], tools=row["tools"]
    )
    choice = with_tools.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    assert choice.message.tool_calls is not None
    call = choice.message.tool_calls[0]
    expected = row["messages"][2]["tool_calls"][0]["function"]
    assert (call.function.name, call.function.arguments) == (expected["name"], expected["arguments"])
    assert call.id.startswith("call_")
    without = client.chat.completions.create(model="tools", messages=[{"role": "user", "content": question}])
    assert without.choices[0].message.tool_calls is None and without.choices[0].message.content == GENERIC_ANSWER


def test_stacked_dpo_model_answers_its_own_then_its_parents_examples(
    client: openai.AzureOpenAI, arm: CognitiveServicesManagementClient, samples: Path
) -> None:
    sft_train, pairs = samples / "sft-gsm8k" / "train.jsonl", samples / "dpo-orca" / "pairs.jsonl"
    sft = fine_tune(client, sft_train)
    dpo = fine_tune(client, pairs, model=sft, method={"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.1}}})
    deploy(arm, "dpo", dpo)
    pair = _row(pairs, 2)
    own = [m["content"] for m in pair["input"]["messages"] if m["role"] == "user"]
    result = client.chat.completions.create(model="dpo", messages=[{"role": "user", "content": own[-1]}])
    assert result.choices[0].message.content == pair["preferred_output"][-1]["content"]
    assert result.choices[0].message.content != pair["non_preferred_output"][-1]["content"]
    inherited = _row(sft_train, 7)["messages"]
    result = client.chat.completions.create(
        model="dpo", messages=[{"role": "user", "content": inherited[1]["content"]}]
    )
    assert result.choices[0].message.content == inherited[2]["content"]


def test_checkpoint_deployment_answers_like_its_job(
    client: openai.AzureOpenAI, arm: CognitiveServicesManagementClient, sft_setup: tuple[str, Path]
) -> None:
    _, train = sft_setup
    job_id = client.fine_tuning.jobs.list().data[0].id
    checkpoint = client.fine_tuning.jobs.checkpoints.list(job_id).data[0].fine_tuned_model_checkpoint
    deploy(arm, "ckpt", checkpoint)
    row = _row(train, 1)
    result = client.chat.completions.create(
        model="ckpt", messages=[{"role": "user", "content": row["messages"][1]["content"]}]
    )
    assert result.model == checkpoint and result.choices[0].message.content == row["messages"][2]["content"]


def test_streaming_carries_the_same_answer(client: openai.AzureOpenAI, sft_setup: tuple[str, Path]) -> None:
    _, train = sft_setup
    row = _row(train, 2)
    stream = client.chat.completions.create(
        model="ft",
        messages=[{"role": "user", "content": row["messages"][1]["content"]}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == row["messages"][2]["content"]
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["stop"]
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0


def test_unknown_deployment_is_azures_404(client: openai.AzureOpenAI, v1: openai.OpenAI) -> None:
    for sdk in (client, v1):
        with pytest.raises(openai.NotFoundError) as err:
            sdk.chat.completions.create(model="nope", messages=[{"role": "user", "content": "hi"}])
        assert isinstance(err.value.body, dict)
        assert err.value.body["code"] == "DeploymentNotFound"
        assert err.value.body["message"].startswith("The API deployment for this resource does not exist.")


def test_bad_requests_are_400(client: openai.AzureOpenAI, sft_setup: tuple[str, Path]) -> None:
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="ft", messages=[])
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="ft", messages=[{"role": "user", "content": "x"}], n=0)
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="ft", messages=[{"role": "user", "content": "x"}], temperature=3)


def test_deployment_still_creating_is_404_until_it_succeeds(tmp_path: Path) -> None:
    clock = ManualClock()
    with EmbeddedEmulator(tmp_path / "slow", speed=1.0, clock=clock) as emu:
        url = (
            f"{emu.url}/subscriptions/{SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.CognitiveServices/"
            "accounts/a/deployments/chat?api-version=2025-09-01"
        )
        body = {
            "sku": {"name": "GlobalStandard", "capacity": 1},
            "properties": {"model": {"format": "OpenAI", "name": "gpt-4.1-mini", "version": "2025-04-14"}},
        }
        status, _, doc = http("PUT", url, body=body)
        assert status == 201 and doc["properties"]["provisioningState"] == "Creating"
        chat = f"{emu.url}/openai/deployments/chat/chat/completions?api-version={DATED}"
        message = {"messages": [{"role": "user", "content": "hi"}]}
        status, _, err = http("POST", chat, body=message)
        assert (status, err["error"]["code"]) == (404, "DeploymentNotFound")
        clock.advance(120)
        status, _, ok = http("POST", chat, body=message)
        assert status == 200 and ok["model"] == BASE
        assert arm_client(emu).deployments.get("rg", "a", "chat").properties.provisioning_state == "Succeeded"
        azure_openai(emu).chat.completions.create(model="chat", messages=[{"role": "user", "content": "hi"}])
