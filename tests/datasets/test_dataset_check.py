"""check_dataset as an engine: estimates within their stated bound, parallel == sequential, bounded output,
spilled de-duplication, and the digest / report caches."""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import os
import random
from pathlib import Path
from typing import Any

import pytest
from dataset_helpers import write_jsonl

from fineplan.datasets import check as check_mod
from fineplan.datasets import dedupe, identity, parallel
from fineplan.datasets.check import check_dataset
from fineplan.datasets.quick import first_error
from fineplan.datasets.scan import iter_chunks

WORDS = [
    *("alpha", "beta", "gamma", "delta", "the", "of", "and", "to", "in", "is", "that", "for", "it", "with"),
    *("as", "on", "by", "this", "from", "data", "model", "training", "example", "answer", "question", "value"),
    *("number", "result", "report", "contract", "clause", "party", "agreement", "price", "market", "stock"),
    *("city", "12", "345", "6789", "naïve", "café", "déjà-vu", "Straße", "東京", "😀", "(x)", "[y]", "{z}"),
    *("a+b=c;", "e.g.", "i.e.", "well-known", "state-of-the-art"),
]


def _text(rng: random.Random, lo: int, hi: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(lo, hi)))


def _rows(n: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        msgs: list[dict[str, Any]] = [{"role": "system", "content": "You are helpful."}]
        for _ in range(rng.choice((1, 1, 2))):
            msgs.append({"role": "user", "content": f"#{i} " + _text(rng, 3, 60)})
            msgs.append({"role": "assistant", "content": _text(rng, 5, 200)})
        rows.append({"messages": msgs})
    return rows


def _shape(report: check_mod.DatasetReport) -> list[tuple[str, int, tuple[int, ...], int]]:
    return [
        (d.code, d.location.line if d.location else 0, tuple(o.line for o in d.occurrences), d.count)
        for d in report.diagnostics
    ]


def test_estimate_lies_within_its_stated_bound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(check_mod, "EXACT_BELOW_BYTES", 64 * 1024)
    path = write_jsonl(tmp_path / "d.jsonl", _rows(4000))
    est = check_dataset(path, "chat")
    exact = check_dataset(path, "chat", exact=True)
    assert est.stats.estimated and not exact.stats.estimated
    assert est.stats.sample_size == check_mod.SAMPLE_LINES
    assert 0 < est.stats.error_bound < 0.05
    assert abs(est.stats.tokens_total - exact.stats.tokens_total) <= est.stats.error_bound * exact.stats.tokens_total
    assert est.stats.examples == exact.stats.examples == 4000
    for q in ("tokens_p50", "tokens_p95"):
        assert abs(getattr(est.stats, q) - getattr(exact.stats, q)) <= 0.1 * getattr(exact.stats, q)
    assert abs(est.stats.assistant_share - exact.stats.assistant_share) < 0.03
    assert exact.stats.error_bound == 0


def _messy_file(tmp_path: Path) -> Path:
    rows: list[Any] = list(_rows(3000, seed=3))
    rows[0] = "\ufeff" + json.dumps(rows[0])
    rows[17] = "not json"
    rows[900] = ""
    rows[1500] = {"messages": [{"role": "bot", "content": "x"}]}
    rows[2999] = rows[5]
    rows[2500] = rows[2400]
    return write_jsonl(tmp_path / "messy.jsonl", rows)


@pytest.mark.parametrize("exact", [False, True])
def test_parallel_scan_equals_sequential(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exact: bool) -> None:
    monkeypatch.setattr(check_mod, "EXACT_BELOW_BYTES", 1024)
    path = _messy_file(tmp_path)
    reports = {}
    for workers in ("1", "2"):
        monkeypatch.setenv("FINEPLAN_WORKERS", workers)
        monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0 if workers == "2" else 1 << 40)
        monkeypatch.setenv("FINEPLAN_CACHE_DIR", str(tmp_path / f"cache-{workers}"))
        reports[workers] = check_dataset(path, "chat", exact=exact)
    seq, par = reports["1"], reports["2"]
    assert _shape(seq) == _shape(par)
    assert seq.stats == par.stats
    codes = {d.code for d in seq.diagnostics}
    assert {"FP405", "FP402", "FP404", "FP423", "FP410"} <= codes
    dup = next(d for d in seq.diagnostics if d.code == "FP410")
    assert dup.location is not None and dup.location.line == 2501 and [o.line for o in dup.occurrences] == [3000]


def test_one_systematic_error_is_one_bounded_diagnostic(tmp_path: Path) -> None:
    n = 50_000
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b'{"messages": [{"role": "human", "content": "q"}, {"role": "assistant", "content": "a"}]}\n' * n)
    report = check_dataset(path, "chat")
    roles = [d for d in report.diagnostics if d.code == "FP423"]
    assert len(roles) == 1
    assert roles[0].count == n and len(roles[0].occurrences) == 9
    dups = next(d for d in report.diagnostics if d.code == "FP410")
    assert dups.count == n - 1 and len(dups.occurrences) == 9
    assert len(report.to_json()["diagnostics"]) == len(report.diagnostics) <= 3


def test_spilled_dedupe_matches_in_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = _rows(600, seed=11)
    train = write_jsonl(tmp_path / "train.jsonl", rows)
    val_rows = _rows(300, seed=12)
    val_rows[10], val_rows[250] = rows[5], rows[599]
    val_rows[200] = val_rows[100]
    val = write_jsonl(tmp_path / "val.jsonl", val_rows)
    baseline = _shape(check_dataset(val, "chat", validation_of=train))
    monkeypatch.setattr(dedupe, "SPILL_AT", 16)
    monkeypatch.setattr(dedupe, "MEM_RECORDS", 50)
    monkeypatch.setattr(check_mod, "REPORT_VERSION", "spill-test")
    spilled = check_dataset(val, "chat", validation_of=train)
    assert _shape(spilled) == baseline
    assert [(c, line) for c, line, _, _ in baseline] == [("FP411", 11), ("FP410", 201)]


def test_report_cache_and_relabelling(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [*_rows(20), {"messages": []}])
    first = check_dataset(path, "chat", display_path="data/d.jsonl")
    assert not first.cached and first.diagnostics[0].location.file == "data/d.jsonl"  # type: ignore[union-attr]

    def no_reading(_p: Path) -> str:
        raise AssertionError("an unchanged file must not be read again")

    with monkeypatch.context() as m:
        m.setattr(identity, "sha256_file", no_reading)
        again = check_dataset(path, "chat", display_path="elsewhere.jsonl")
    assert again.cached and again.digest == first.digest
    assert _shape(again) == _shape(first) and again.stats == first.stats
    assert again.diagnostics[0].location.file == "elsewhere.jsonl"  # type: ignore[union-attr]

    os.utime(path, ns=(1, 1))  # same bytes, new identity: re-hashed, report reused
    touched = check_dataset(path, "chat")
    assert touched.cached and touched.digest == first.digest
    with path.open("ab") as fh:
        fh.write(b'{"messages": [{"role": "user", "content": "new"}, {"role": "assistant", "content": "row"}]}\n')
    changed = check_dataset(path, "chat")
    assert not changed.cached and changed.digest != first.digest and changed.stats.examples == 22


def test_exact_request_does_not_reuse_an_estimate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(check_mod, "EXACT_BELOW_BYTES", 1024)
    path = write_jsonl(tmp_path / "d.jsonl", _rows(300))
    assert check_dataset(path, "chat").stats.estimated
    exact = check_dataset(path, "chat", exact=True)
    assert not exact.cached and not exact.stats.estimated
    assert check_dataset(path, "chat").cached  # the exact report now serves default requests too


def test_file_digest_and_its_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "f.jsonl"
    path.write_bytes(b"x" * 3_000_000)
    want = hashlib.sha256(path.read_bytes()).hexdigest()
    assert identity.file_digest(path) == want
    with monkeypatch.context() as m:
        m.setattr(identity, "sha256_file", lambda _p: "stale")
        assert identity.file_digest(path) == want  # served from the cache
        os.utime(path, ns=(5, 5))
        path.write_bytes(b"y" * 3_000_000)  # same size, new mtime
        assert identity.file_digest(path) == "stale"  # re-read (here: by the stub)
    monkeypatch.setenv("FINEPLAN_CACHE_DIR", "")
    assert identity.file_digest(path) == hashlib.sha256(b"y" * 3_000_000).hexdigest()


def test_project_cache_dir_option(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", _rows(12))
    own = tmp_path / "project-cache"
    check_dataset(path, "chat", cache_dir=own)
    assert (own / identity.DB_NAME).is_file()
    assert check_dataset(path, "chat", cache_dir=own).cached


def test_empty_missing_and_unknown_format(tmp_path: Path) -> None:
    empty = tmp_path / "e.jsonl"
    empty.write_bytes(b"")
    assert [d.code for d in check_dataset(empty, "chat").diagnostics] == ["FP407"]
    assert [d.code for d in check_dataset(tmp_path / "nope.jsonl", "chat").diagnostics] == ["FP401"]
    assert [d.code for d in check_dataset(tmp_path, "chat").diagnostics] == ["FP401"]
    with pytest.raises(ValueError):
        check_dataset(empty, "sft")  # type: ignore[arg-type]


def test_report_json_shape(samples: Path) -> None:
    doc = check_dataset(samples / "sft-gsm8k" / "validation.jsonl", "chat").to_json(n_epochs=2)
    assert set(doc) >= {"diagnostics", "stats", "digest", "valid"}
    st = doc["stats"]
    for key in ("examples", "tokens_total", "tokens_min", "tokens_mean", "tokens_p50", "tokens_p95", "tokens_max"):
        assert key in st
    assert st["billed"] == {"tokens": st["tokens_total"] * 2, "epochs": 2, "n_epochs": 2}
    assert 0 < st["assistant_share"] < 1


@pytest.mark.parametrize("cut_seed", range(5))
def test_byte_ranges_cover_every_line_once(cut_seed: int) -> None:
    rng = random.Random(cut_seed)
    lines = [("x" * rng.choice((0, 1, 5, 70, 3000))).encode() for _ in range(400)]
    data = b"\n".join(lines) + (b"\n" if cut_seed % 2 else b"")
    cuts = sorted({0, len(data), *(rng.randrange(len(data)) for _ in range(7))})
    got: list[bytes] = []
    for start, end in itertools.pairwise(cuts):
        for chunk, _base, stop in iter_chunks(io.BytesIO(data), start, end, block=257):
            s = 0
            while s < stop:
                e = chunk.find(b"\n", s)
                e = len(chunk) if e < 0 else e
                got.append(chunk[s:e])
                s = e + 1
    want = data.split(b"\n")
    if want[-1] == b"":
        want.pop()
    assert got == want


def test_first_error_on_bytes() -> None:
    good = b'{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}\n'
    rows = [good.replace(b'"a"', f'"{i}"'.encode()) for i in range(12)]
    assert first_error(b"".join(rows), "chat") is None
    rows[4] = b'{"messages": [{"role": "user", "content": "q"}]}\n'
    rows[8] = b"oops\n"
    assert first_error(b"".join(rows), "chat") == (
        5,
        "FP434",
        "example has no assistant message: there is nothing to learn",
    )
    assert first_error(b"\xff\xfe{", "chat") == (1, "FP406", "file is UTF-16; Azure needs UTF-8 JSONL")


def test_inlined_histogram_key_matches_est_key() -> None:
    from fineplan.datasets.formats import check_chat
    from fineplan.datasets.scan import ScanConfig, scan_stream
    from fineplan.datasets.stats import est_key

    rows = _rows(200, seed=5)
    data = b"".join(json.dumps(r).encode() + b"\n" for r in rows)
    part = scan_stream(io.BytesIO(data), 0, len(data), ScanConfig("chat", 1 << 40, "o200k_base", False))
    want: dict[int, int] = {}
    for r in rows:
        plan = check_chat(r, lambda _c, _m: None)
        key = est_key(plan.fixed(), plan.chars()[0])
        want[key] = want.get(key, 0) + 1
    assert part.tally.est == want


def test_missing_training_file_for_leakage(tmp_path: Path) -> None:
    val = write_jsonl(tmp_path / "v.jsonl", _rows(12))
    report = check_dataset(val, "chat", validation_of=tmp_path / "absent.jsonl")
    assert [d.code for d in report.diagnostics] == ["FP401"] and "training file" in report.diagnostics[0].summary


def test_massive_duplicates_in_bounded_buckets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Many copies of a few lines, with tiny memory limits: one dict entry per distinct line, earliest lines shown."""
    monkeypatch.setattr(dedupe, "SPILL_AT", 32)
    monkeypatch.setattr(dedupe, "MEM_RECORDS", 40)
    monkeypatch.setattr(dedupe, "READ_RECORDS", 7)
    rows = _rows(30, seed=9)
    lines = [rows[i % 30] for i in range(3000)]  # 30 distinct rows, 100 times each
    path = write_jsonl(tmp_path / "d.jsonl", lines)
    monkeypatch.setenv("FINEPLAN_WORKERS", "2")
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)
    dup = next(d for d in check_dataset(path, "chat").diagnostics if d.code == "FP410")
    assert dup.count == 2970
    assert [dup.location.line if dup.location else 0, *(o.line for o in dup.occurrences)] == list(range(31, 41))
    assert dup.summary == "repeats line 1 exactly"
