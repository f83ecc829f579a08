"""Uploaded-file processing: the structural fallback on real and broken files, and the switch to the project's
dataset validator."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from fineplan.emulator import datacheck
from fineplan.emulator.apierror import ApiError
from fineplan.emulator.multipart import parse_multipart


@pytest.mark.parametrize(
    ("name", "fmt", "examples"),
    [
        ("sft-gsm8k/train.jsonl", "chat", 449),
        ("sft-tool-calling/train.jsonl", "chat", 86),
        ("dpo-orca/pairs.jsonl", "preference", 284),
        ("rft-countdown/train.jsonl", "reinforcement", 100),
        ("rft-clause-matching/validation.jsonl", "reinforcement", 40),
    ],
)
def test_real_files_pass_the_structural_check(samples: Path, name: str, fmt: str, examples: int) -> None:
    result = datacheck.structural_analysis((samples / name).read_bytes())
    assert (result.format, result.examples, result.error) == (fmt, examples, None)
    assert result.tokens > examples * 10


def _chat(content: str = "hi") -> dict:
    return {"messages": [{"role": "user", "content": content}, {"role": "assistant", "content": "ok"}]}


def _file(rows: list, bad_at: int | None = None, bad: str = "") -> bytes:
    lines = [json.dumps(r) for r in rows]
    if bad_at is not None:
        lines[bad_at - 1] = bad
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        ("{not json", "invalid_json"),
        ("[1, 2]", "data_type"),
        ('{"messages": []}', "missing_messages_list"),
        ('{"messages": [{"content": "x"}]}', "message_missing_key"),
        ('{"messages": [{"role": "robot", "content": "x"}]}', "unrecognized_role"),
        ('{"messages": [{"role": "user"}, {"role": "assistant", "content": "x"}]}', "missing_content"),
        (
            '{"messages": [{"role": "user", "content": "x"}, {"role": "system", "content": "y"}]}',
            "last_message_not_user",
        ),
    ],
)
def test_the_first_bad_line_and_its_rule(bad: str, code: str) -> None:
    rows = [_chat() for _ in range(12)]
    if code == "last_message_not_user":  # an RFT file: the first line decides the format
        rows = [{"messages": [{"role": "user", "content": "q"}], "answer": "a"} for _ in range(12)]
    result = datacheck.structural_analysis(_file(rows, 5, bad))
    assert result.error is not None and result.error[:2] == (5, code)


def test_preference_rows_need_all_three_keys() -> None:
    row = {
        "input": {"messages": [{"role": "user", "content": "q"}]},
        "preferred_output": [{"role": "assistant", "content": "a"}],
        "non_preferred_output": [{"role": "assistant", "content": "b"}],
    }
    broken = dict(row)
    del broken["non_preferred_output"]
    result = datacheck.structural_analysis(_file([row] * 11 + [broken]))
    assert result.format == "preference" and result.error is not None
    assert result.error[:2] == (12, "missing_preference_key")


def test_too_few_examples_and_bad_encoding() -> None:
    few = datacheck.structural_analysis(_file([_chat()] * 9))
    assert few.error is not None and few.error[1] == "too_few_examples"
    assert datacheck.structural_analysis(b'{"messages": "\xff"}\n').error[1] == "encoding"  # type: ignore[index]
    with_bom = datacheck.structural_analysis(b"\xef\xbb\xbf" + _file([_chat()] * 10))
    assert with_bom.error is None


def test_analyse_falls_back_without_the_dataset_validator(monkeypatch: pytest.MonkeyPatch, samples: Path) -> None:
    data = (samples / "sft-gsm8k" / "validation.jsonl").read_bytes()
    monkeypatch.setitem(sys.modules, "fineplan.datasets", None)  # import fails as if not installed
    assert datacheck.analyse(data) == datacheck.structural_analysis(data)


def test_multipart_parsing() -> None:
    body = (
        b'--xyz\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nfine-tune\r\n'
        b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="my data.jsonl"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\nline1\r\nline2\r\n--xyz--\r\n"
    )
    parts = parse_multipart('multipart/form-data; boundary="xyz"', body)
    assert parts["purpose"].text() == "fine-tune"
    assert parts["file"].filename == "my data.jsonl" and parts["file"].data == b"line1\r\nline2"
    with pytest.raises(ApiError):
        parse_multipart("multipart/form-data", body)
    with pytest.raises(ApiError):
        parse_multipart("application/json", body)
