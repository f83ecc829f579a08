"""Files through the official openai SDK: upload of the real sample datasets, processing, listing, content."""

from __future__ import annotations

from pathlib import Path

import openai
import pytest
from emulator_helpers import SchemaChecker, upload

from fineplan.emulator.datacheck import analyse

SAMPLE_FILES = [
    "sft-gsm8k/train.jsonl",
    "sft-gsm8k/validation.jsonl",
    "sft-tool-calling/train.jsonl",
    "sft-tool-calling/validation.jsonl",
    "dpo-orca/pairs.jsonl",
    "rft-countdown/train.jsonl",
    "rft-countdown/validation.jsonl",
    "rft-clause-matching/validation.jsonl",
]


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_real_sample_files_upload_and_process(
    client: openai.AzureOpenAI, samples: Path, schemas: SchemaChecker, name: str
) -> None:
    path = samples / name
    with path.open("rb") as fh:
        created = client.files.create(file=fh, purpose="fine-tune")
    assert created.id.startswith("file-") and len(created.id) == len("file-") + 32
    assert created.status == "pending"
    assert created.bytes == path.stat().st_size
    assert created.filename == path.name
    done = client.files.wait_for_processing(created.id, poll_interval=0.001)
    assert done.status == "processed", done.status_details
    schemas.dated_def("File", done.model_dump())
    assert client.files.content(created.id).content == path.read_bytes()


def test_raw_rows_that_are_not_chat_fail_processing_naming_line_and_rule(
    client: openai.AzureOpenAI, samples: Path
) -> None:
    # sft-sarcasm holds raw {question, answer} rows: input for a transform, not a training file.
    file_id = upload(client, samples / "sft-sarcasm" / "qa.jsonl")
    done = client.files.wait_for_processing(file_id, poll_interval=0.001)
    assert done.status == "error"
    assert "line 1:" in (done.status_details or "")
    assert "messages" in (done.status_details or "")
    # The rule is the project's dataset validator's code when it is installed.
    rule = analyse((samples / "sft-sarcasm" / "qa.jsonl").read_bytes()).error
    assert rule is not None and rule[1] in (done.status_details or "")


def test_processing_reports_the_first_bad_line(client: openai.AzureOpenAI, tmp_path: Path, samples: Path) -> None:
    lines = (samples / "sft-gsm8k" / "validation.jsonl").read_text().splitlines()[:12]
    lines[6] = '{"messages": [{"content": "no role here"}]}'
    lines[9] = "not json"
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines) + "\n")
    done = client.files.wait_for_processing(upload(client, bad), poll_interval=0.001)
    assert done.status == "error"
    rule = analyse(bad.read_bytes()).error
    assert rule is not None and rule[0] == 7
    assert f"line 7: {rule[1]}:" in (done.status_details or "")


def test_too_few_examples_is_an_error(client: openai.AzureOpenAI, tmp_path: Path, samples: Path) -> None:
    few = tmp_path / "few.jsonl"
    few.write_text("\n".join((samples / "sft-gsm8k" / "validation.jsonl").read_text().splitlines()[:5]) + "\n")
    done = client.files.wait_for_processing(upload(client, few), poll_interval=0.001)
    assert done.status == "error" and "10" in (done.status_details or "")


def test_dated_upload_answers_201_with_location_and_v1_answers_200(
    client: openai.AzureOpenAI, v1: openai.OpenAI, samples: Path
) -> None:
    path = samples / "sft-tool-calling" / "validation.jsonl"
    with path.open("rb") as fh:
        dated = client.files.with_raw_response.create(file=fh, purpose="fine-tune")
    assert dated.status_code == 201
    file_id = dated.parse().id
    assert dated.headers["location"].endswith(f"/openai/files/{file_id}")
    with path.open("rb") as fh:
        plain = v1.files.with_raw_response.create(file=fh, purpose="fine-tune")
    assert plain.status_code == 200 and "location" not in plain.headers


def test_list_filters_pages_and_orders(
    client: openai.AzureOpenAI, v1: openai.OpenAI, samples: Path, schemas: SchemaChecker
) -> None:
    ids = [upload(client, samples / "sft-gsm8k" / "validation.jsonl") for _ in range(5)]
    with (samples / "sft-gsm8k" / "validation.jsonl").open("rb") as fh:
        other = client.files.create(file=fh, purpose="batch").id

    page = v1.files.list(purpose="fine-tune", limit=2)
    assert [f.id for f in page.data] == ids[::-1][:2]
    assert page.has_more is True
    assert [f.id for f in v1.files.list(purpose="fine-tune", limit=2)] == ids[::-1]  # iterating follows `after`
    ascending = client.files.list(purpose="fine-tune", order="asc", limit=3)
    assert [f.id for f in ascending.data] == ids[:3]
    assert other in {f.id for f in client.files.list()}
    raw = client.files.with_raw_response.list(limit=2).http_response.json()
    schemas.v1_schema("AzureListFilesResponse", raw)
    schemas.dated_def("FileList", raw)


def test_get_delete_and_not_found(client: openai.AzureOpenAI, samples: Path, schemas: SchemaChecker) -> None:
    file_id = upload(client, samples / "sft-gsm8k" / "validation.jsonl")
    assert client.files.retrieve(file_id).id == file_id
    deleted = client.files.delete(file_id)
    assert deleted.deleted is True and deleted.id == file_id
    schemas.dated_def("FileDelete", deleted.model_dump())
    with pytest.raises(openai.NotFoundError) as info:
        client.files.retrieve(file_id)
    assert info.value.body is not None and "could not be found" in str(info.value)
    with pytest.raises(openai.NotFoundError):
        client.files.content(file_id)
    with pytest.raises(openai.NotFoundError):
        client.files.delete(file_id)


def test_upload_without_purpose_is_a_bad_request(client: openai.AzureOpenAI, samples: Path) -> None:
    with (samples / "sft-gsm8k" / "validation.jsonl").open("rb") as fh, pytest.raises(openai.BadRequestError) as info:
        client.files.create(file=fh, purpose="nonsense")  # type: ignore[arg-type]
    assert info.value.code == "invalidPayload" and info.value.param == "purpose"


def test_expiry_is_recorded(client: openai.AzureOpenAI, samples: Path) -> None:
    with (samples / "sft-gsm8k" / "validation.jsonl").open("rb") as fh:
        created = client.files.create(
            file=fh, purpose="fine-tune", expires_after={"anchor": "created_at", "seconds": 1_209_600}
        )
    assert created.expires_at == created.created_at + 1_209_600
