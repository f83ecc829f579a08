"""Exact duplicates within a file and training rows repeated in validation, in bounded memory.

Each scanned part logs (hash of the line, line number) pairs. Small logs stay in memory; big ones spill to
bucket files (bucket = low bits of the hash) so that the join later holds one bucket at a time. Hashes are
Python's keyed 64-bit SipHash of the line bytes: fast, and the same in every process forked from one parent
(which is why the scanner only parallelises with fork).
"""

from __future__ import annotations

import os
from array import array
from dataclasses import dataclass, field
from pathlib import Path

from fineplan.datasets.findings import KEEP, Sample

SPILL_AT = 1 << 18  # records a part keeps in memory before spilling (4 MiB)
MEM_RECORDS = 200_000  # records the join handles in one dict (~25 MB)


def bucket_count(size_bytes: int) -> int:
    """Buckets so that one holds at most ~MEM_RECORDS lines, assuming lines of >= 64 bytes."""
    need = size_bytes // 64 // MEM_RECORDS + 1
    n = 1
    while n < need and n < 4096:
        n <<= 1
    return n


@dataclass
class HashLog:
    """(hash, line) records of one part, interleaved in one array; spilled to bucket files when large."""

    spill_dir: str | None
    buckets: int
    tag: str
    records: array = field(default_factory=lambda: array("q"))
    files: list[str] = field(default_factory=list)

    def maybe_spill(self) -> None:
        if self.spill_dir is not None and len(self.records) >= 2 * SPILL_AT:
            self.spill()

    def spill(self) -> None:
        assert self.spill_dir is not None
        mask = self.buckets - 1
        parts: list[array] = [array("q") for _ in range(self.buckets)]
        rec = self.records
        for i in range(0, len(rec), 2):
            h = rec[i]
            b = parts[h & mask]
            b.append(h)
            b.append(rec[i + 1])
        for b, arr in enumerate(parts):
            if arr:
                path = os.path.join(self.spill_dir, f"{self.tag}-{b}.bin")
                with open(path, "ab") as fh:
                    arr.tofile(fh)
                if path not in self.files:
                    self.files.append(path)
        self.records = array("q")

    def finish(self) -> None:
        if self.files and self.records:
            self.spill()

    def bucket(self, b: int) -> array:
        """This part's records of bucket b (in line order)."""
        if not self.files:
            mask = self.buckets - 1
            rec = self.records
            if self.buckets == 1:
                return rec
            out = array("q")
            for i in range(0, len(rec), 2):
                if rec[i] & mask == b:
                    out.append(rec[i])
                    out.append(rec[i + 1])
            return out
        path = os.path.join(self.spill_dir or "", f"{self.tag}-{b}.bin")
        out = array("q")
        if path in self.files:
            with open(path, "rb") as fh:
                out.frombytes(fh.read())
        return out

    def __len__(self) -> int:
        if self.files:
            return sum(os.path.getsize(p) for p in self.files) // 16 + len(self.records) // 2
        return len(self.records) // 2


def _merged(logs: list[tuple[HashLog, int]], b: int) -> tuple[array, array]:
    """(hashes, global lines) of bucket b across parts, in line order."""
    hashes, lines = array("q"), array("q")
    for log, offset in logs:
        rec = log.bucket(b)
        hashes.extend(rec[0::2])
        ln = rec[1::2]
        if offset:
            ln = array("q", (x + offset for x in ln))
        lines.extend(ln)
    return hashes, lines


def _spill_all(logs: list[tuple[HashLog, int]], spill_dir: str) -> None:
    for log, _ in logs:
        if not log.files:
            log.spill_dir = spill_dir
            log.spill()


@dataclass
class DupResult:
    count: int = 0
    samples: list[Sample] = field(default_factory=list)


def find_duplicates(logs: list[tuple[HashLog, int]], spill_dir: str | None) -> DupResult:
    """Lines whose bytes equal an earlier line's; `logs` are (part log, line offset) in file order."""
    res = DupResult()
    for b in _buckets(logs, spill_dir):
        hashes, lines = _merged(logs, b)
        if len(set(hashes)) == len(hashes):
            continue
        first: dict[int, int] = {}
        for h, ln in zip(hashes, lines, strict=True):
            earlier = first.get(h)
            if earlier is None:
                first[h] = ln
            else:
                res.count += 1
                if len(res.samples) < KEEP * 4:
                    res.samples.append((ln, 1, f"repeats line {earlier} exactly"))
    res.samples = sorted(res.samples)[:KEEP]
    return res


def find_leaks(
    val_logs: list[tuple[HashLog, int]], train_logs: list[tuple[HashLog, int]], spill_dir: str | None
) -> DupResult:
    """Validation lines whose bytes equal a training line's."""
    res = DupResult()
    buckets = _buckets(val_logs + train_logs, spill_dir)
    for b in buckets:
        train_hashes, train_lines = _merged(train_logs, b)
        if not train_hashes:
            continue
        where = dict(zip(train_hashes, train_lines, strict=True))
        hashes, lines = _merged(val_logs, b)
        for h, ln in zip(hashes, lines, strict=True):
            t = where.get(h)
            if t is not None:
                res.count += 1
                if len(res.samples) < KEEP * 4:
                    res.samples.append((ln, 1, f"same as training line {t}"))
    res.samples = sorted(res.samples)[:KEEP]
    return res


def _buckets(logs: list[tuple[HashLog, int]], spill_dir: str | None) -> range:
    if not logs:
        return range(0)
    n = logs[0][0].buckets
    spilled = any(log.files for log, _ in logs)
    total = sum(len(log) for log, _ in logs)
    if not spilled and total <= MEM_RECORDS:
        # Everything fits: treat the in-memory arrays as one bucket each.
        for log, _ in logs:
            log.buckets = 1
        return range(1)
    if spill_dir is None:
        return range(1) if n == 1 else range(n)
    _spill_all(logs, spill_dir)
    return range(n)


def remove_spill(logs: list[HashLog]) -> None:
    for log in logs:
        for p in log.files:
            Path(p).unlink(missing_ok=True)
