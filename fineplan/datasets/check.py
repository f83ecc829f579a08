"""check_dataset: validate a JSONL dataset and measure it, fast, in bounded memory, cached by content.

Default mode: every line is parsed and validated; examples that could exceed the model's per-example limit
(judged from their byte length, a strict upper bound on their token count) are counted exactly; the token totals
come from a deterministic sample with a stated error bound. `exact=True` counts every example. Files under
EXACT_BELOW_BYTES are always counted exactly: it is cheap there.

On Linux, large files are split into byte ranges scanned by forked workers while the parent hashes the file,
loads the tokenizer and samples. A report is cached per (content digest, format, model, mode), and the digest
per file identity, so checking an unchanged file again costs a stat and two SQLite lookups.
"""

from __future__ import annotations

import gc
import hashlib
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import orjson

from fineplan import __version__
from fineplan.datasets import codes as C
from fineplan.datasets import identity
from fineplan.datasets.dedupe import HashLog, bucket_count, find_duplicates, find_leaks, remove_spill
from fineplan.datasets.findings import Findings
from fineplan.datasets.formats import validator_for
from fineplan.datasets.parallel import fork_pool, ranges, worker_count
from fineplan.datasets.scan import (
    PartResult,
    ScanConfig,
    scan_range,
)
from fineplan.datasets.stats import DatasetStats, Ratio, TokenTally, finish_stats, ratio_from_sample
from fineplan.datasets.tokens import get_encoder, model_limits
from fineplan.diagnostics import Diagnostic, Location, Severity
from fineplan.filekind import not_regular

Fmt = Literal["chat", "preference", "reinforcement"]

# Bump when validation or counting changes meaning, so cached reports are not reused.
REPORT_VERSION = f"{__version__}/1"
EXACT_BELOW_BYTES = 4 << 20
SAMPLE_LINES = 1024
PARTS_PER_WORKER = 4
MIN_EXAMPLES = 10
MAX_FILE_BYTES = 512 * 1024 * 1024


@dataclass
class DatasetReport:
    path: str
    format: str
    model: str | None
    diagnostics: list[Diagnostic]
    stats: DatasetStats
    digest: str
    cached: bool = False
    timings: dict[str, float] = field(default_factory=dict, repr=False)

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.diagnostics)

    def to_json(self, n_epochs: int | Literal["auto"] | None = "auto") -> dict[str, Any]:
        return {
            "path": self.path,
            "format": self.format,
            "model": self.model,
            "digest": self.digest,
            "valid": not self.has_errors,
            "diagnostics": [d.to_json() for d in self.diagnostics],
            "stats": self.stats.to_json(n_epochs),
        }


def _report_key(digest: str, fmt: str, model: str | None, mode: str, val: str | None) -> str:
    # The model's limit and tokenizer come from the packaged catalog, which REPORT_VERSION pins.
    raw = "|".join((REPORT_VERSION, digest, fmt, model or "", mode, val or ""))
    return hashlib.sha256(raw.encode()).hexdigest()


def _from_cache(body: bytes, display: str, fmt: str, model: str | None, digest: str) -> DatasetReport:
    data = orjson.loads(body)
    findings = Findings()
    findings.counts = dict(data["counts"])
    findings.samples = {k: [(ln, col, msg) for ln, col, msg in v] for k, v in data["samples"].items()}
    return DatasetReport(
        display, fmt, model, findings.to_diagnostics(display), DatasetStats.from_json(data["stats"]), digest, True
    )


def _to_cache(findings: Findings, stats: DatasetStats) -> bytes:
    return orjson.dumps({"counts": findings.counts, "samples": findings.samples, "stats": stats.__dict__})


def _unreadable(display: str, fmt: str, model: str | None, why: str) -> DatasetReport:
    diag = Diagnostic(Severity.ERROR, C.UNREADABLE, f"dataset cannot be read: {why}", "", Location(display, 1, 1))
    return DatasetReport(display, fmt, model, [diag], DatasetStats(), "")


def check_dataset(
    path: Path,
    fmt: Fmt,
    model: str | None = None,
    *,
    exact: bool = False,
    display_path: str | None = None,
    validation_of: Path | None = None,
    cache_dir: Path | None = None,
) -> DatasetReport:
    """Validate and measure a JSONL dataset. `validation_of`: the training file this one validates (leakage)."""
    validator_for(fmt)  # unknown format: ValueError, a programming error
    path = Path(path)
    display = display_path or str(path)
    # Only stat before anything opens the file: a FIFO would block, a device would never end.
    try:
        why = not_regular(path)
        st = path.stat() if why is None else None
    except OSError as exc:
        return _unreadable(display, fmt, model, exc.strerror or str(exc))
    if st is None:
        return _unreadable(display, fmt, model, f"{display} {why}")
    size = st.st_size
    exact_mode = exact or size <= EXACT_BELOW_BYTES
    val_digest = None
    if validation_of is not None:
        try:
            why = not_regular(validation_of)
        except OSError as exc:
            why = f"cannot be read: {exc.strerror or exc}"
        if why is not None:
            return _unreadable(display, fmt, model, f"its training file {validation_of} {why}")
        val_digest = identity.file_digest(validation_of, cache_dir)

    # The fast path for an unchanged file: a stat and two indexed lookups, nothing else loaded.
    digest = identity.cached_digest(path, st, cache_dir)
    if digest is not None:
        hit = _lookup(digest, fmt, model, exact_mode, val_digest, cache_dir)
        if hit is not None:
            return _from_cache(hit, display, fmt, model, digest)
    limit, encoding = model_limits(model)

    try:
        with path.open("rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        return _unreadable(display, fmt, model, exc.strerror or str(exc))
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        digest = digest or identity.sha256_file(path)
        diag = Diagnostic(
            Severity.ERROR, C.INVALID_UTF8, "file is UTF-16; Azure needs UTF-8 JSONL", "", Location(display, 1, 1)
        )
        return DatasetReport(display, fmt, model, [diag], DatasetStats(bytes=size, encoding=encoding), digest)

    run = _Run(path, st, fmt, model, limit, encoding, exact_mode, validation_of, cache_dir)
    try:
        findings, stats, digest = run.execute(digest, val_digest)
    finally:
        run.cleanup()
    if run.cache_hit is not None:
        return _from_cache(run.cache_hit, display, fmt, model, digest)
    key = _report_key(digest, fmt, model, "exact" if exact_mode else "estimated", val_digest)
    identity.store_report(key, _to_cache(findings, stats), cache_dir)
    report = DatasetReport(display, fmt, model, findings.to_diagnostics(display), stats, digest)
    report.timings = run.timings
    return report


def _lookup(
    digest: str, fmt: str, model: str | None, exact_mode: bool, val_digest: str | None, cache_dir: Path | None
) -> bytes | None:
    """A cached report for this content; an exact one also serves a request for an estimate."""
    for mode in ("exact",) if exact_mode else ("exact", "estimated"):
        body = identity.load_report(_report_key(digest, fmt, model, mode, val_digest), cache_dir)
        if body is not None:
            return body
    return None


class _Run:
    """One uncached check: scan parts (in parallel when it pays), then merge."""

    def __init__(
        self,
        path: Path,
        st: os.stat_result,
        fmt: str,
        model: str | None,
        limit: int,
        encoding: str,
        exact_mode: bool,
        validation_of: Path | None,
        cache_dir: Path | None,
    ) -> None:
        self.path, self.st, self.fmt, self.model = path, st, fmt, model
        self.limit, self.encoding, self.exact_mode = limit, encoding, exact_mode
        self.validation_of, self.cache_dir = validation_of, cache_dir
        self.size = st.st_size
        train_size = validation_of.stat().st_size if validation_of is not None else 0
        self.workers = worker_count(max(self.size, train_size))
        # Hash logs spill here only when a part grows large; a tiny file never touches it.
        self.spill_dir: str | None = tempfile.mkdtemp(prefix="fineplan-scan-")
        self.buckets = bucket_count(max(self.size, train_size))
        self.cache_hit: bytes | None = None
        self.timings: dict[str, float] = {}

    def cleanup(self) -> None:
        if self.spill_dir is not None:
            shutil.rmtree(self.spill_dir, ignore_errors=True)

    def _cfg(self, *, validate: bool = True, tag: str = "p") -> ScanConfig:
        return ScanConfig(
            self.fmt,
            self.limit,
            self.encoding,
            self.exact_mode,
            self.model,
            validate,
            self.spill_dir,
            self.buckets,
            tag,
            sample=0 if self.exact_mode or not validate else SAMPLE_LINES,
            size=self.size,
        )

    def _jobs(self, path: Path, size: int, cfg: ScanConfig) -> list[tuple[str, int, int, ScanConfig, int]]:
        n = 1 if self.workers == 1 else self.workers * PARTS_PER_WORKER
        return [(str(path), s, e, cfg, i) for i, (s, e) in enumerate(ranges(size, n))]

    def execute(self, digest: str | None, val_digest: str | None) -> tuple[Findings, DatasetStats, str]:
        """Scan and merge. Order matters for speed: the digest (hashlib frees the GIL) runs in a thread while
        the tokenizer loads; a cache hit on the digest stops there; workers are forked after the tokenizer is
        loaded so they share its memory and count long examples inline."""
        t0 = time.perf_counter()
        box: dict[str, str | BaseException] = {}

        def hash_file() -> None:
            try:
                box["digest"] = self._digest()
            except BaseException as exc:  # re-raised in the caller's thread
                box["digest"] = exc

        hasher = None
        if digest is None:
            hasher = threading.Thread(target=hash_file, daemon=True)
            hasher.start()
        get_encoder(self.encoding)
        if hasher is not None:
            hasher.join()
            got = box["digest"]
            if isinstance(got, BaseException):
                raise got
            digest = got
            hit = self._cached(digest, val_digest)
            if hit is not None:
                self.cache_hit = hit
                return Findings(), DatasetStats(), digest
        assert digest is not None
        self.timings["prepare"] = time.perf_counter() - t0
        jobs = self._jobs(self.path, self.size, self._cfg())
        if self.validation_of is not None:
            train_size = self.validation_of.stat().st_size
            jobs += self._jobs(self.validation_of, train_size, self._cfg(validate=False, tag="t"))
        if self.workers > 1:
            # Frozen objects are skipped by the workers' collections: no copy-on-write of the parent's heap.
            gc.freeze()
            try:
                with fork_pool(self.workers) as pool:
                    results = pool.starmap(scan_range, jobs, chunksize=1)
            finally:
                gc.unfreeze()
        else:
            results = [scan_range(*job) for job in jobs]
        self.timings["scan"] = time.perf_counter() - t0
        parts = sorted((r for r in results if not _is_train(r)), key=_index)
        train_parts = sorted((r for r in results if _is_train(r)), key=_index)
        ratio = None if self.exact_mode else ratio_from_sample([row for p in parts for row in p.sample])
        findings, stats = self._merge(parts, train_parts, ratio)
        self.timings["total"] = time.perf_counter() - t0
        return findings, stats, digest

    def _digest(self) -> str:
        digest = identity.sha256_file(self.path)
        if identity.same_identity(self.st, self.path.stat()):
            identity.remember_digest(self.path, self.st, digest, self.cache_dir)
        return digest

    def _cached(self, digest: str, val_digest: str | None) -> bytes | None:
        return _lookup(digest, self.fmt, self.model, self.exact_mode, val_digest, self.cache_dir)

    def _merge(
        self, parts: list[PartResult], train_parts: list[PartResult], ratio: Ratio | None
    ) -> tuple[Findings, DatasetStats]:
        findings = Findings()
        tally = TokenTally()
        logs: list[tuple[HashLog, int]] = []
        offset = examples = 0
        for part in parts:
            findings.merge(part.findings, offset)
            tally.merge(part.tally)
            if part.log is not None:
                logs.append((part.log, offset))
            examples += part.examples
            offset += part.lines
        tlogs: list[tuple[HashLog, int]] = []
        toffset = 0
        for part in train_parts:
            if part.log is not None:
                tlogs.append((part.log, toffset))
            toffset += part.lines

        dups = find_duplicates(logs, self.spill_dir)
        findings.add_counted(C.DUPLICATE, dups.count, dups.samples)
        if tlogs:
            leaks = find_leaks(logs, tlogs, self.spill_dir)
            findings.add_counted(C.LEAKAGE, leaks.count, leaks.samples)
        remove_spill([log for log, _ in logs + tlogs])

        if examples < MIN_EXAMPLES:
            findings.add_counted(
                C.TOO_FEW_EXAMPLES, 1, [(1, 1, f"{examples} example(s); fine-tuning needs at least {MIN_EXAMPLES}")]
            )
        if self.size > MAX_FILE_BYTES:
            findings.add_counted(
                C.FILE_TOO_LARGE,
                1,
                [(1, 1, f"file is {self.size / 2**20:,.0f} MB; uploads must be under 512 MB")],
            )
        stats = finish_stats(tally, ratio, examples=examples, encoding=self.encoding, limit=self.limit, size=self.size)
        return findings, stats


def _index(r: PartResult) -> int:
    return r.index


def _is_train(r: PartResult) -> bool:
    return r.log is not None and r.log.tag.startswith("t")
