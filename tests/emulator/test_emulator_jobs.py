"""Fine-tuning jobs through the official openai SDK: creation rules, the simulated run, events, checkpoints,
results, and Azure's shapes (dated and v1 URL styles)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import openai
import pytest
from emulator_helpers import DATED, FAST, SchemaChecker, azure_openai, http, upload, wait_job

from fineplan.emulator.datacheck import analyse
from fineplan.emulator.embedded import EmbeddedEmulator

BASE = "gpt-4.1-mini-2025-04-14"


def sft_method(**hyper: Any) -> dict[str, Any]:
    return {"type": "supervised", "supervised": {"hyperparameters": hyper}}


@pytest.fixture
def chat_file(client: openai.AzureOpenAI, samples: Path) -> str:
    return upload(client, samples / "sft-gsm8k" / "validation.jsonl")


def test_sft_job_runs_to_success_as_azure_reports_it(
    client: openai.AzureOpenAI, samples: Path, schemas: SchemaChecker
) -> None:
    train_path = samples / "sft-tool-calling" / "train.jsonl"
    train, valid = upload(client, train_path), upload(client, samples / "sft-tool-calling" / "validation.jsonl")
    metadata = {"fineplan.address": "job.tools-sft", "fineplan.digest": "sha256:" + "ab" * 32}
    raw = client.fine_tuning.jobs.with_raw_response.create(
        model=BASE,
        training_file=train,
        validation_file=valid,
        suffix="tools-v1",
        seed=42,
        metadata=metadata,
        method=sft_method(n_epochs=2),
        extra_body={"trainingType": "globalStandard"},
    )
    assert raw.status_code == 201
    created = raw.parse()
    assert raw.headers["location"].endswith(f"/openai/fine_tuning/jobs/{created.id}")
    assert created.id.startswith("ftjob-") and len(created.id) == len("ftjob-") + 32
    assert created.status == "pending"
    assert created.metadata == metadata
    assert created.seed == 42
    schemas.job(raw.http_response.json())

    job = wait_job(client, created.id)
    assert job.status == "succeeded"
    assert job.fine_tuned_model == f"{BASE}.ft-{created.id.removeprefix('ftjob-')}-tools-v1"
    assert job.trained_tokens == analyse(train_path.read_bytes()).tokens * 2
    assert job.hyperparameters.n_epochs == 2
    assert job.finished_at is not None and job.finished_at >= job.created_at
    assert job.metadata == metadata
    raw_job = client.fine_tuning.jobs.with_raw_response.retrieve(job.id).http_response.json()
    assert raw_job["trainingType"] == "globalStandard"
    assert raw_job["user_provided_suffix"] == "tools-v1"
    schemas.job(raw_job)

    events = list(client.fine_tuning.jobs.list_events(job.id, limit=100))
    messages = [e.message for e in events]
    assert messages[0] == "Job succeeded."  # newest first
    assert messages[-1] == "Job enqueued. Waiting for jobs ahead to complete."
    assert "Job started." in messages
    assert f"Training tokens billed: {job.trained_tokens}" in messages
    assert f"Completed results file: {job.result_files[0]}" in messages
    assert any(e.type == "metrics" for e in events)
    for event in client.fine_tuning.jobs.with_raw_response.list_events(job.id).http_response.json()["data"]:
        schemas.dated_def("FineTuningJobEvent", event)

    checkpoints = list(client.fine_tuning.jobs.checkpoints.list(job.id))
    assert len(checkpoints) == 2
    steps_per_epoch = checkpoints[-1].step_number
    assert [c.step_number for c in checkpoints] == [2 * steps_per_epoch, steps_per_epoch]
    assert checkpoints[0].fine_tuned_model_checkpoint == f"{job.fine_tuned_model}:ckpt-step-{2 * steps_per_epoch}"
    assert checkpoints[0].metrics.full_valid_loss is not None  # a validation file was given
    for ckpt in client.fine_tuning.jobs.checkpoints.with_raw_response.list(job.id).http_response.json()["data"]:
        schemas.dated_def("FineTuningJobCheckpoint", ckpt)

    result = client.files.retrieve(job.result_files[0])
    assert (result.purpose, result.filename, result.status) == ("fine-tune-results", "results.csv", "processed")
    rows = list(csv.DictReader(io.StringIO(client.files.content(result.id).text)))
    assert list(rows[0]) == [
        "step",
        "train_loss",
        "train_mean_token_accuracy",
        "valid_loss",
        "validation_mean_token_accuracy",
        "full_valid_loss",
        "full_valid_mean_token_accuracy",
    ]
    assert len(rows) == 2 * steps_per_epoch
    assert rows[steps_per_epoch - 1]["full_valid_loss"] != "" and rows[0]["full_valid_loss"] == ""


def test_v1_style_answers_200_and_lists_the_same_jobs(
    v1: openai.OpenAI, client: openai.AzureOpenAI, chat_file: str
) -> None:
    raw = v1.fine_tuning.jobs.with_raw_response.create(model=BASE, training_file=chat_file)
    assert raw.status_code == 200 and "location" not in raw.headers
    job_id = raw.parse().id
    assert [j.id for j in client.fine_tuning.jobs.list()] == [job_id]
    assert wait_job(v1, job_id).status == "succeeded"


@pytest.mark.parametrize(
    ("overrides", "param", "fragment"),
    [
        ({"model": "o4-mini-2025-04-16"}, "method", "does not support fine-tuning method 'supervised'"),
        ({"model": "gpt-4o-mini-2024-07-18", "method": {"type": "dpo", "dpo": {}}}, "method", "'dpo'"),
        (
            {"model": "Ministral-3B", "extra_body": {"trainingType": "standard"}},
            "trainingType",
            "does not support fine-tuning with Standard TrainingType",
        ),
        ({"extra_body": {"trainingType": "spot"}}, "trainingType", "Unknown trainingType"),
        ({"model": "gpt-5-nano"}, "model", "does not support fine-tuning"),
        ({"model": f"{BASE}.ft-{'0' * 32}"}, "model", "not a succeeded fine-tuned model"),
        ({"suffix": "x" * 41}, "suffix", "1..40"),
        ({"suffix": "bad suffix"}, "suffix", "letters, digits"),
        ({"seed": -1}, "seed", "0..2147483647"),
        ({"metadata": {f"k{i}": "v" for i in range(17)}}, "metadata", "16"),
        ({"metadata": {"k": "v" * 513}}, "metadata", "512"),
        ({"method": sft_method(n_epochs=26)}, "method.supervised.hyperparameters.n_epochs", "1..25"),
        ({"method": sft_method(beta=0.1)}, "method.supervised.hyperparameters.beta", "Unknown hyperparameter"),
        (
            {
                "method": {"type": "reinforcement", "reinforcement": {"grader": {"type": "vibes"}}},
                "model": "o4-mini-2025-04-16",
                "validation_file": None,
            },
            "method.reinforcement.grader",
            "grader",
        ),
        ({"training_file": "file-" + "0" * 32}, "training_file", "could not be found"),
    ],
)
def test_creation_is_refused_as_azure_refuses_it(
    client: openai.AzureOpenAI, chat_file: str, overrides: dict[str, Any], param: str, fragment: str
) -> None:
    kwargs: dict[str, Any] = {"model": BASE, "training_file": chat_file, **overrides}
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    with pytest.raises(openai.BadRequestError) as info:
        client.fine_tuning.jobs.create(**kwargs)
    assert info.value.param == param
    assert fragment in info.value.message
    assert client.fine_tuning.jobs.list().data == []


def test_rft_needs_a_validation_file(client: openai.AzureOpenAI, samples: Path) -> None:
    train = upload(client, samples / "rft-countdown" / "train.jsonl")
    grader = json.loads((samples / "rft-countdown" / "score_model_grader.json").read_text())
    with pytest.raises(openai.BadRequestError) as info:
        client.fine_tuning.jobs.create(
            model="o4-mini-2025-04-16",
            training_file=train,
            method={"type": "reinforcement", "reinforcement": {"grader": grader}},
        )
    assert info.value.param == "validation_file"


def test_training_type_matches_case_insensitively(client: openai.AzureOpenAI, chat_file: str) -> None:
    for sent in ("GLOBALSTANDARD", "globalstandard", "developerTier"):
        job = client.fine_tuning.jobs.with_raw_response.create(
            model=BASE, training_file=chat_file, extra_body={"trainingType": sent}
        ).http_response.json()
        assert job["trainingType"] == ("developerTier" if sent == "developerTier" else "globalStandard")


def test_dpo_accepts_both_body_shapes_and_echoes_the_nested_one(
    client: openai.AzureOpenAI, samples: Path, schemas: SchemaChecker
) -> None:
    pairs = upload(client, samples / "dpo-orca" / "pairs.jsonl")
    nested = client.fine_tuning.jobs.create(
        model=BASE,
        training_file=pairs,
        method={"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.2, "n_epochs": 1}}},
    )
    flat = client.fine_tuning.jobs.create(
        model=BASE, training_file=pairs, method={"type": "dpo", "dpo": {"beta": 0.2, "l2_multiplier": 0.1}}
    )
    assert nested.method.dpo.hyperparameters.beta == 0.2
    flat_raw = client.fine_tuning.jobs.with_raw_response.retrieve(flat.id).http_response.json()
    assert flat_raw["method"]["dpo"]["hyperparameters"]["beta"] == 0.2
    assert flat_raw["method"]["dpo"]["hyperparameters"]["l2_multiplier"] == 0.1
    assert "beta" not in flat_raw["method"]["dpo"]
    schemas.job(flat_raw)


def test_invalid_training_file_makes_the_job_fail_naming_line_and_rule(
    client: openai.AzureOpenAI, samples: Path
) -> None:
    raw_rows = upload(client, samples / "sft-sarcasm" / "qa.jsonl")
    job = client.fine_tuning.jobs.create(model=BASE, training_file=raw_rows)
    assert job.status == "pending"  # accepted: validation happens while the job is queued
    failed = wait_job(client, job.id)
    assert failed.status == "failed"
    assert failed.error.param == "training_file"
    assert failed.error.code == "invalid_training_file"
    assert "line 1:" in failed.error.message and "messages" in failed.error.message
    assert failed.fine_tuned_model is None
    assert any(e.level == "error" for e in client.fine_tuning.jobs.list_events(job.id))


def test_an_invalid_validation_file_fails_the_job_naming_it(
    client: openai.AzureOpenAI, chat_file: str, samples: Path
) -> None:
    bad = upload(client, samples / "sft-sarcasm" / "qa.jsonl")
    failed = wait_job(
        client, client.fine_tuning.jobs.create(model=BASE, training_file=chat_file, validation_file=bad).id
    )
    assert failed.status == "failed"
    assert (failed.error.code, failed.error.param) == ("invalid_validation_file", "validation_file")


def test_a_file_of_the_wrong_format_for_the_method_fails_the_job(client: openai.AzureOpenAI, chat_file: str) -> None:
    job = client.fine_tuning.jobs.create(model=BASE, training_file=chat_file, method={"type": "dpo", "dpo": {}})
    failed = wait_job(client, job.id)
    assert failed.status == "failed" and "preference" in failed.error.message


def test_a_succeeded_fine_tuned_model_can_be_the_base_of_another_job(
    client: openai.AzureOpenAI, chat_file: str, samples: Path
) -> None:
    sft = wait_job(client, client.fine_tuning.jobs.create(model=BASE, training_file=chat_file, suffix="sft").id)
    pairs = upload(client, samples / "dpo-orca" / "pairs.jsonl")
    dpo = client.fine_tuning.jobs.create(
        model=sft.fine_tuned_model,
        training_file=pairs,
        suffix="dpo",
        method={"type": "dpo", "dpo": {"hyperparameters": {"n_epochs": 1}}},
    )
    assert dpo.model == sft.fine_tuned_model
    done = wait_job(client, dpo.id)
    assert done.status == "succeeded"
    # Azure names the model after the catalog base, not after the chain.
    assert done.fine_tuned_model == f"{BASE}.ft-{dpo.id.removeprefix('ftjob-')}-dpo"


def test_list_pages_newest_first_and_filters_by_metadata(client: openai.AzureOpenAI, chat_file: str) -> None:
    ids = [
        client.fine_tuning.jobs.create(model=BASE, training_file=chat_file, metadata={"n": str(i)}).id for i in range(5)
    ]
    page = client.fine_tuning.jobs.list(limit=2)
    assert [j.id for j in page.data] == ids[::-1][:2] and page.has_more
    assert [j.id for j in client.fine_tuning.jobs.list(limit=2)] == ids[::-1]
    assert [j.id for j in client.fine_tuning.jobs.list(metadata={"n": "3"})] == [ids[3]]


def test_events_and_checkpoints_page(client: openai.AzureOpenAI, chat_file: str) -> None:
    job = wait_job(
        client, client.fine_tuning.jobs.create(model=BASE, training_file=chat_file, method=sft_method(n_epochs=3)).id
    )
    every = list(client.fine_tuning.jobs.list_events(job.id, limit=100))
    first = client.fine_tuning.jobs.list_events(job.id, limit=3)
    assert [e.id for e in first.data] == [e.id for e in every[:3]] and first.has_more
    assert [e.id for e in client.fine_tuning.jobs.list_events(job.id, limit=3)] == [e.id for e in every]
    ckpts = client.fine_tuning.jobs.checkpoints.list(job.id, limit=1)
    assert len(ckpts.data) == 1 and ckpts.has_more
    assert len(list(client.fine_tuning.jobs.checkpoints.list(job.id, limit=1))) == 3


def test_unknown_job_is_not_found(client: openai.AzureOpenAI) -> None:
    missing = "ftjob-" + "0" * 32
    for call in (
        lambda: client.fine_tuning.jobs.retrieve(missing),
        lambda: client.fine_tuning.jobs.cancel(missing),
        lambda: client.fine_tuning.jobs.list_events(missing),
        lambda: client.fine_tuning.jobs.checkpoints.list(missing),
    ):
        with pytest.raises(openai.NotFoundError):
            call()


def test_delete_only_terminal_jobs_and_only_in_the_dated_style(
    client: openai.AzureOpenAI, v1: openai.OpenAI, emulator: EmbeddedEmulator, chat_file: str
) -> None:
    done = wait_job(client, client.fine_tuning.jobs.create(model=BASE, training_file=chat_file).id)
    with pytest.raises(openai.APIStatusError) as info:
        v1.delete(f"/fine_tuning/jobs/{done.id}", cast_to=object)  # the v1 API has no job deletion
    assert info.value.status_code == 405
    url = f"{emulator.url}/openai/fine_tuning/jobs/{{}}?api-version={DATED}"
    status, _, body = http("DELETE", url.format(done.id))
    assert status == 204 and body == b""
    with pytest.raises(openai.NotFoundError):
        client.fine_tuning.jobs.retrieve(done.id)


def test_metrics_are_deterministic_and_plausible(tmp_path: Path, samples: Path) -> None:
    def run(folder: str, seed: int) -> tuple[list[Any], list[Any], list[Any]]:
        with EmbeddedEmulator(tmp_path / folder, speed=FAST) as emu:
            c = azure_openai(emu)
            chat = upload(c, samples / "sft-gsm8k" / "validation.jsonl")
            pairs = upload(c, samples / "dpo-orca" / "pairs.jsonl")
            rft_train = upload(c, samples / "rft-countdown" / "train.jsonl")
            rft_valid = upload(c, samples / "rft-countdown" / "validation.jsonl")
            grader = json.loads((samples / "rft-countdown" / "score_model_grader.json").read_text())
            jobs = [
                c.fine_tuning.jobs.create(model=BASE, training_file=chat, seed=seed, method=sft_method(n_epochs=4)),
                c.fine_tuning.jobs.create(
                    model=BASE,
                    training_file=pairs,
                    seed=seed,
                    method={"type": "dpo", "dpo": {"hyperparameters": {"n_epochs": 3}}},
                ),
                c.fine_tuning.jobs.create(
                    model="o4-mini-2025-04-16",
                    training_file=rft_train,
                    validation_file=rft_valid,
                    seed=seed,
                    method={
                        "type": "reinforcement",
                        "reinforcement": {"grader": grader, "hyperparameters": {"n_epochs": 3}},
                    },
                ),
            ]
            out = []
            for job in jobs:
                assert wait_job(c, job.id).status == "succeeded"
                ckpts = sorted(c.fine_tuning.jobs.checkpoints.list(job.id), key=lambda k: k.step_number)
                out.append([k.metrics.model_dump(exclude_none=True) for k in ckpts])
            return out[0], out[1], out[2]

    sft, dpo, rft = run("a", seed=7)
    assert (sft, dpo, rft) == run("b", seed=7)  # same data, hyperparameters and seed: same numbers
    assert run("c", seed=8)[0] != sft

    losses = [m["train_loss"] for m in sft]
    accuracy = [m["train_mean_token_accuracy"] for m in sft]
    assert losses == sorted(losses, reverse=True) and len(set(losses)) == 4
    assert accuracy == sorted(accuracy) and len(set(accuracy)) == 4
    assert 0.05 < losses[-1] < losses[0] < 3.0

    assert {"train_loss", "train_preference_accuracy", "train_reward_margin"} <= set(dpo[0])
    assert "train_mean_token_accuracy" not in dpo[0]
    assert dpo[0]["train_loss"] < 0.7  # DPO's loss starts at ln 2
    assert [m["train_preference_accuracy"] for m in dpo] == sorted(m["train_preference_accuracy"] for m in dpo)

    assert {"train_reward_mean", "valid_reward_mean", "train_reasoning_tokens_mean"} <= set(rft[0])
    rewards = [m["train_reward_mean"] for m in rft]
    assert rewards == sorted(rewards) and rewards[0] < rewards[-1]
