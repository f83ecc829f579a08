"""Exact duplicates within a file and training rows repeated in validation, in bounded memory.

Each scanned part logs (hash of the line, line number) pairs. A part keeps at most SPILL_AT records in memory and
spills the rest to bucket files (bucket = low bits of the hash). The join then holds at most ~MEM_RECORDS
distinct hashes at a time: buckets are read in groups that fit, as streams, so even ten million copies of one
line cost one dictionary entry. Hashes are Python's keyed 64-bit SipHash of the line bytes: fast, and the same in
every process forked from one parent (which is why the scanner only parallelises with fork).
"""

from __future__ import annotations

import heapq
import os
import re
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from fineplan.datasets.findings import KEEP, Sample

SPILL_AT = 1 << 18  # records a part keeps in memory before spilling (4 MiB)
MEM_RECORDS = 200_000  # distinct hashes the join holds at once (~25 MB of dict)
READ_RECORDS = 1 << 16  # records read from a bucket file at a time
MAX_BUCKETS = 4096


def bucket_count(size_bytes: int) -> int:
    """Buckets so that one holds at most ~MEM_RECORDS lines even if every line were 8 bytes long."""
    need = size_bytes // 8 // MEM_RECORDS + 1
    n = 1
    while n < need and n < MAX_BUCKETS:
        n <<= 1
    return n


@dataclass
class HashLog:
    """(hash, line) records of one part, interleaved in one array; spilled to bucket files when large."""

    spill_dir: str | None
    buckets: int
    tag: str
    records: array[int] = field(default_factory=lambda: array("q"))
    spilled: list[int] = field(default_factory=list)  # bucket ids with a file

    def maybe_spill(self) -> None:
        if self.spill_dir is not None and len(self.records) >= 2 * SPILL_AT:
            self.spill()

    def path(self, b: int) -> str:
        return os.path.join(self.spill_dir or "", f"{self.tag}-{b}.bin")

    def spill(self) -> None:
        """Move the in-memory records to the bucket files (appending, so line order is kept per bucket)."""
        assert self.spill_dir is not None
        os.makedirs(self.spill_dir, exist_ok=True)
        mask = self.buckets - 1
        parts: dict[int, array[int]] = {}
        rec = self.records
        for i in range(0, len(rec), 2):
            h = rec[i]
            arr = parts.get(h & mask)
            if arr is None:
                arr = parts[h & mask] = array("q")
            arr.append(h)
            arr.append(rec[i + 1])
        for b, arr in parts.items():
            with open(self.path(b), "ab") as fh:
                arr.tofile(fh)
            if b not in self.spilled:
                self.spilled.append(b)
        self.records = array("q")

    def finish(self) -> None:
        if self.spilled and self.records:
            self.spill()

    def count(self, b: int) -> int:
        return os.path.getsize(self.path(b)) // 16 if b in self.spilled else 0

    def read(self, b: int) -> Iterator[array[int]]:
        """This part's records of bucket b, in line order, a chunk at a time."""
        if b not in self.spilled:
            return
        with open(self.path(b), "rb") as fh:
            while chunk := fh.read(16 * READ_RECORDS):
                arr = array("q")
                arr.frombytes(chunk)
                yield arr

    def __len__(self) -> int:
        return sum(self.count(b) for b in self.spilled) + len(self.records) // 2


Logs = list[tuple[HashLog, int]]  # (part log, line offset of the part), in file order


class _Earliest:
    """The KEEP findings with the smallest line numbers, whatever order they arrive in."""

    def __init__(self) -> None:
        self.count = 0
        self._heap: list[tuple[int, str]] = []  # max-heap by line via negation

    def add(self, line: int, message: str) -> None:
        self.count += 1
        item = (-line, message)
        if len(self._heap) < KEEP:
            heapq.heappush(self._heap, item)
        elif item > self._heap[0]:
            heapq.heapreplace(self._heap, item)

    def samples(self) -> list[Sample]:
        return sorted((-neg, 1, msg) for neg, msg in self._heap)


@dataclass
class DupResult:
    count: int = 0
    samples: list[Sample] = field(default_factory=list)


def _in_memory(logs: Logs) -> Iterator[tuple[int, int]]:
    for log, offset in logs:
        rec = log.records
        for i in range(0, len(rec), 2):
            yield rec[i], rec[i + 1] + offset


def _groups(logs: Logs, spill_dir: str | None) -> list[list[int]] | None:
    """Bucket groups that each fit MEM_RECORDS, or None when everything fits in memory unspilled."""
    if not any(log.spilled for log, _ in logs) and sum(len(log) for log, _ in logs) <= MEM_RECORDS:
        return None
    if spill_dir is None:
        raise ValueError("a spill directory is needed to de-duplicate this many lines")
    for log, _ in logs:
        if log.records:
            log.spill_dir = log.spill_dir or spill_dir
            log.spill()
    n = logs[0][0].buckets
    groups: list[list[int]] = []
    current: list[int] = []
    size = 0
    for b in range(n):
        c = sum(log.count(b) for log, _ in logs)
        if current and size + c > MEM_RECORDS:
            groups.append(current)
            current, size = [], 0
        current.append(b)
        size += c
    if current:
        groups.append(current)
    return groups


def _bucket_records(logs: Logs, group: list[int]) -> Iterator[tuple[int, int]]:
    for b in group:
        for log, offset in logs:
            for arr in log.read(b):
                for i in range(0, len(arr), 2):
                    yield arr[i], arr[i + 1] + offset


def repeats_message(line: int) -> str:
    return f"repeats line {line} exactly"


def leak_message(line: int) -> str:
    return f"same as training line {line}"


_REPEATS = re.compile(r"^repeats line (\d+) exactly$")
_LEAK = re.compile(r"^same as training line (\d+)$")


def relocate_message(message: str, this_file: Callable[[int], str], training_file: Callable[[int], str]) -> str:
    """A FP410 / FP411 message with its line reference re-pointed (e.g. from a split part to the source file):
    `this_file(n)` / `training_file(n)` say where line n of the checked / training file is. Others: unchanged."""
    m = _REPEATS.match(message)
    if m:
        return f"repeats {this_file(int(m.group(1)))} exactly"
    m = _LEAK.match(message)
    if m:
        return f"same as training {training_file(int(m.group(1)))}"
    return message


def find_duplicates(logs: Logs, spill_dir: str | None) -> DupResult:
    """Lines whose bytes equal an earlier line's."""
    earliest = _Earliest()
    groups = _groups(logs, spill_dir)
    if groups is None:
        hashes = array("q")
        for log, _ in logs:
            hashes.extend(log.records[0::2])
        if len(set(hashes)) == len(hashes):
            return DupResult()
        streams: list[Iterator[tuple[int, int]]] = [_in_memory(logs)]
    else:
        streams = [_bucket_records(logs, g) for g in groups]
    for stream in streams:
        first: dict[int, int] = {}
        for h, line in stream:
            seen = first.get(h)
            if seen is None:
                first[h] = line
            else:
                earliest.add(line, repeats_message(seen))
    return DupResult(earliest.count, earliest.samples())


def find_leaks(val_logs: Logs, train_logs: Logs, spill_dir: str | None) -> DupResult:
    """Validation lines whose bytes equal a training line's."""
    earliest = _Earliest()
    groups = _groups(val_logs + train_logs, spill_dir)
    if groups is None:
        pairs = [(_in_memory(train_logs), _in_memory(val_logs))]
    else:
        pairs = [(_bucket_records(train_logs, g), _bucket_records(val_logs, g)) for g in groups]
    for train, val in pairs:
        where: dict[int, int] = {}
        for h, line in train:
            where.setdefault(h, line)
        for h, line in val:
            t = where.get(h)
            if t is not None:
                earliest.add(line, leak_message(t))
    return DupResult(earliest.count, earliest.samples())


def remove_spill(logs: list[HashLog]) -> None:
    for log in logs:
        for b in log.spilled:
            Path(log.path(b)).unlink(missing_ok=True)
