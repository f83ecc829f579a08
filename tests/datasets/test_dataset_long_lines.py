"""A huge JSONL line (issue 11, item 7): the right finding at the right line, in bounded memory.

An example whose message text alone proves it over the model's token limit is rejected while it is streamed:
never held whole, never parsed, never tokenized. A line that is long for another reason (image data) is still read
and checked. Memory is guarded structurally (what the parser and the tokenizer are ever handed) and, in a
subprocess, with an address-space limit far below what holding the line would take.
"""

from __future__ import annotations

import base64
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import orjson
import pytest
from dataset_helpers import fillers

from fineplan.datasets import scan as scan_mod
from fineplan.datasets.check import check_dataset
from fineplan.datasets.longline import MAX_TOKEN_BYTES, TextBound, long_line_threshold
from fineplan.datasets.tokens import Encoder, get_encoder

NANO = "gpt-4.1-nano-2025-04-14"  # 32,768 tokens per example: lines over 4 MiB are streamed first
MB = 1 << 20


def _write(path: Path, huge: bytes, after: list[Any] | None = None) -> Path:
    """Ten valid examples, the huge line (line 11), then `after` (line 12 on)."""
    with path.open("wb") as fh:
        for row in fillers("chat"):
            fh.write(orjson.dumps(row) + b"\n")
        fh.write(huge + b"\n")
        for row in after or []:
            fh.write(orjson.dumps(row) + b"\n")
    return path


def _text_line(megabytes: int) -> bytes:
    words = b"lorem ipsum dolor sit amet, consectetur adipiscing elit \\u00e9 \\n " * (megabytes * MB // 60 + 1)
    return b'{"messages": [{"role": "user", "content": "' + words + b'"}, {"role": "assistant", "content": "ok"}]}'


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """The longest input the JSON parser and the tokenizer are given during a check (in this process)."""
    monkeypatch.setenv("FINEPLAN_WORKERS", "1")
    seen = {"parsed": 0, "tokenized": 0}
    loads = orjson.loads

    def spy_loads(data: Any) -> Any:
        seen["parsed"] = max(seen["parsed"], len(data))
        return loads(data)

    monkeypatch.setattr(scan_mod.orjson, "loads", spy_loads)
    enc = get_encoder("o200k_base")
    encode = enc._encode

    def spy_encode(text: str) -> Any:
        seen["tokenized"] = max(seen["tokenized"], len(text))
        return encode(text)

    monkeypatch.setattr(enc, "_encode", spy_encode)
    return seen


def test_a_huge_line_is_fp409_at_its_line_and_is_never_parsed(tmp_path: Path, recorded: dict[str, int]) -> None:
    bad_after = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": ""}]}
    path = _write(tmp_path / "huge.jsonl", _text_line(24), [bad_after])
    report = check_dataset(path, "chat", NANO)
    found = {d.code: d for d in report.diagnostics}
    assert set(found) == {"FP409", "FP424"}
    assert found["FP409"].location is not None and found["FP409"].location.line == 11
    assert "32,768-token limit" in found["FP409"].summary and "not parsed" in found["FP409"].summary
    assert found["FP424"].location is not None and found["FP424"].location.line == 12  # numbering carries on
    assert report.stats.examples == 12 and report.stats.over_limit == 1
    # never held: nothing near the line's 24 MB reached the parser or the tokenizer
    threshold = long_line_threshold(32768) + scan_mod.BLOCK
    assert 0 < recorded["parsed"] < threshold
    assert recorded["tokenized"] <= 2 * Encoder.CHUNK_CHARS


def test_a_line_held_whole_is_tokenized_in_pieces_and_counted_exactly(
    tmp_path: Path, recorded: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path / "long.jsonl", _text_line(2))  # under the streaming threshold: parsed and counted
    monkeypatch.setenv("FINEPLAN_CACHE_DIR", "")  # no report cache: both checks below count
    [chunked] = [d.summary for d in check_dataset(path, "chat", NANO).diagnostics if d.code == "FP409"]
    assert 0 < recorded["tokenized"] <= 2 * Encoder.CHUNK_CHARS  # never the whole 2 MB text at once
    monkeypatch.setattr(Encoder, "CHUNK_CHARS", 1 << 40)  # the old way: the whole text in one call
    [whole] = [d.summary for d in check_dataset(path, "chat", NANO).diagnostics if d.code == "FP409"]
    assert chunked == whole and "tokens, over the 32,768-token limit" in whole


def test_chunked_counting_equals_counting_whole() -> None:
    enc = get_encoder("o200k_base")
    text = ("Une phrase, with numbers 12345 and symbols #!? — plus naïve words. " * 3000) + "end"
    assert len(text) > Encoder.CHUNK_CHARS * 3
    assert enc.count(text) == len(enc.encode(text))


def _png_data_uri(decoded_bytes: int) -> str:
    raw = zlib.compress(b"")
    ihdr = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + (64).to_bytes(4, "big") * 2 + b"\x08\x02\x00\x00\x00"
    payload = ihdr + raw + b"\x00" * (decoded_bytes - len(ihdr) - len(raw))
    return "data:image/png;base64," + base64.b64encode(payload).decode()


def test_a_line_long_because_of_an_image_is_still_read_and_checked(tmp_path: Path) -> None:
    """Image data is not counted text: a 9 MB line of it proves nothing and must be parsed like any other."""
    parts = [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": _png_data_uri(7 * MB)}},
    ]
    row = {"messages": [{"role": "user", "content": parts}, {"role": "assistant", "content": "A square."}]}
    path = _write(tmp_path / "image.jsonl", orjson.dumps(row))
    assert path.stat().st_size > long_line_threshold(32768) + scan_mod.BLOCK
    report = check_dataset(path, "chat", NANO)
    assert [d.code for d in report.diagnostics] == []
    assert report.stats.examples == 11


@pytest.mark.parametrize(
    ("line", "fmt", "counted"),
    [
        (b'{"messages": [{"role": "user", "content": "abcd"}]}', "chat", 4),
        (b'{"messages": [{"role": "user", "content": [{"type": "text", "text": "ab\\"c"}]}]}', "chat", 0),
        (b'{"messages": [{"content": "abcdefgh", "content": "ab"}]}', "chat", 2),  # the parser keeps the last
        (b'{"messages": [{"cont\\u0065nt": "abcdefgh"}]}', "chat", 0),  # an escaped key could be anything
        (b'{"content": "abcdefgh", "messages": []}', "reinforcement", 0),  # an item field, not a message
        (b'{"input": {"messages": [{"content": "abcd"}]}, "preferred_output": [{"content": "xy"}]}', "preference", 6),
        (b'["messages", {"content": "abcd"}]', "chat", 0),
        (b'{"messages": [{"content": "abcd"', "chat", 0),  # unfinished: proves nothing
    ],
)
def test_text_bound_counts_only_what_the_token_count_counts(line: bytes, fmt: str, counted: int) -> None:
    for cut in (len(line), 1, 7):  # fed whole and in pieces
        bound = TextBound(fmt)
        for i in range(0, len(line), cut):
            bound.feed(line[i : i + cut])
        assert bound.counted_bytes() == counted, cut


def test_no_token_is_longer_than_the_bound_assumes() -> None:
    from fineplan.datasets.tokens import _load_ranks

    for name in ("o200k_base", "cl100k_base"):
        assert max(map(len, _load_ranks(name))) <= MAX_TOKEN_BYTES


_LIMITED = r"""
import resource, sys
from pathlib import Path
from fineplan.datasets.check import check_dataset
from fineplan.datasets.tokens import get_encoder
get_encoder("o200k_base")
check_dataset(Path(sys.argv[1]), "chat", sys.argv[2])  # warm: every lazy import and allocation pool in place
mapped = next(int(ln.split()[1]) for ln in open("/proc/self/status") if ln.startswith("VmSize:")) * 1024
soft = mapped + int(sys.argv[4]) * 2**20
resource.setrlimit(resource.RLIMIT_AS, (soft, resource.RLIM_INFINITY))
report = check_dataset(Path(sys.argv[3]), "chat", sys.argv[2])
print(sorted((d.code, d.location.line) for d in report.diagnostics))
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_a_64_mb_line_is_checked_within_a_small_address_space(tmp_path: Path) -> None:
    """The real bound: with the address space capped at 64 MB above what a warmed-up check already maps, a file
    whose one line is 64 MB still gets its FP409 (holding, parsing or tokenizing the line would need far more)."""
    small = _write(tmp_path / "small.jsonl", orjson.dumps(fillers("chat", 1, start=5)[0]))
    huge = _write(tmp_path / "huge.jsonl", _text_line(64))
    proc = subprocess.run(
        [sys.executable, "-c", _LIMITED, str(small), NANO, str(huge), "64"],
        capture_output=True,
        text=True,
        timeout=300,
        env={"FINEPLAN_WORKERS": "1", **_env()},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "[('FP409', 11)]"


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != "FINEPLAN_WORKERS"}


@pytest.mark.parametrize(
    ("rel", "fmt"),
    [
        ("sft-gsm8k/train.jsonl", "chat"),
        ("sft-tool-calling/train.jsonl", "chat"),
        ("dpo-orca/pairs.jsonl", "preference"),
        ("rft-countdown/train.jsonl", "reinforcement"),
        ("rft-clause-matching/validation.jsonl", "reinforcement"),
    ],
)
def test_text_bound_never_exceeds_the_text_the_validator_counts(samples: Path, rel: str, fmt: str) -> None:
    """On every row of the real samples, fed in small pieces: the bound is a lower bound (and a useful one)."""
    from fineplan.datasets.formats import validator_for

    tight = []
    for raw in (samples / rel).read_bytes().splitlines():
        if not raw.strip():
            continue
        plan = validator_for(fmt)(orjson.loads(raw), lambda _code, _msg: None)
        counted = sum(len(t.encode("utf-8")) for t in (*plan.p_texts, *plan.a_texts, *(plan.b_texts or [])))
        bound = TextBound(fmt)
        for i in range(0, len(raw), 333):
            bound.feed(raw[i : i + 333])
        assert bound.counted_bytes() <= counted, raw[:120]
        tight.append(bound.counted_bytes() / counted if counted else 1.0)
    assert sum(tight) / len(tight) > 0.3
