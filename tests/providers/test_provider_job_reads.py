"""How the provider reads jobs back: as Azure sent them, with no SDK typing in between (issue 11 item 13: a
`multi` grader made every read print pydantic serializer warnings) and with "auto" for what Azure echoes as -1
(item 15: pending jobs report the hyperparameters they asked for)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
from provider_helpers import running_provider, wait_for

from fineplan.providers.base import JobRequest

MULTI_GRADER: dict[str, Any] = {
    "type": "multi",
    "name": "exact-and-close",
    "calculate_output": "0.5 * exact + 0.5 * close",
    "graders": {
        "exact": {
            "type": "string_check",
            "name": "exact",
            "input": "{{sample.output_text}}",
            "reference": "{{item.target}}",
            "operation": "eq",
        },
        "close": {
            "type": "text_similarity",
            "name": "close",
            "input": "{{sample.output_text}}",
            "reference": "{{item.target}}",
            "evaluation_metric": "fuzzy_match",
        },
    },
}


def test_a_job_with_a_multi_grader_reads_back_without_any_warning(tmp_path: Path, samples: Path) -> None:
    folder = samples / "rft-countdown"
    with running_provider(tmp_path / "emu") as (_, provider), warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning (pydantic's serializer ones included) fails the test
        training = provider.upload_file(folder / "train.jsonl", "countdown-train.jsonl")
        validation = provider.upload_file(folder / "validation.jsonl", "countdown-valid.jsonl")
        created = provider.create_job(
            JobRequest(
                model="o4-mini-2025-04-16",
                training_file=provider.wait_file_processed(training.id, timeout=30).id,
                validation_file=provider.wait_file_processed(validation.id, timeout=30).id,
                method="reinforcement",
                training_type="standard",
                grader=MULTI_GRADER,
            )
        )
        assert created.method == "reinforcement"
        assert any(j.id == created.id for j in provider.list_jobs())
        job = wait_for(lambda: provider.get_job(created.id))
        assert job.status == "succeeded", job.error
        assert provider.list_jobs()[0].id == created.id  # read again, now holding results too


def test_a_pending_job_reports_auto_not_minus_one(tmp_path: Path, samples: Path) -> None:
    with running_provider(tmp_path / "emu", speed=0.001) as (_, provider):  # nothing advances during the test
        uploaded = provider.upload_file(samples / "sft-gsm8k" / "validation.jsonl", "train.jsonl")
        created = provider.create_job(
            JobRequest(model="gpt-4.1-mini-2025-04-14", training_file=uploaded.id, method="supervised")
        )
        job = provider.get_job(created.id)
        assert job is not None and job.status == "pending"
        assert job.hyperparameters == {"n_epochs": "auto", "batch_size": "auto", "learning_rate_multiplier": "auto"}
        listed = next(j for j in provider.list_jobs() if j.id == created.id)
        assert -1 not in listed.hyperparameters.values()


@pytest.mark.parametrize(
    ("echo", "expected"),
    [
        ({"n_epochs": -1, "batch_size": -1, "learning_rate_multiplier": -1}, "auto"),
        ({"n_epochs": -1, "batch_size": 8}, None),
    ],
)
def test_minus_one_echoes_of_every_hyperparameter_read_as_auto(echo: dict[str, Any], expected: str | None) -> None:
    from fineplan.providers.azure.mapping import job_from_wire

    job = job_from_wire({"id": "ftjob-1", "hyperparameters": echo, "method": {"type": "supervised"}})
    assert job.hyperparameters["n_epochs"] == "auto"
    if expected is not None:
        assert set(job.hyperparameters.values()) == {expected}
    else:
        assert job.hyperparameters["batch_size"] == 8
