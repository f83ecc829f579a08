"""The streaming scan of one byte range of a JSONL file: validate, hash and tally every line that starts in it.

A part reads its range in 4 MiB blocks, so memory does not grow with the file; nor with a line: one longer than
the model's limit × 128 bytes is streamed first (datasets/longline.py) and, when its text proves it over the
limit, reported without ever being held, parsed or tokenized; long texts are tokenized in pieces. Several parts
of one file can run in parallel processes; each reports line numbers relative to its first line and the caller
rebases them.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from math import log as _log
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from fineplan.datasets import codes as C
from fineplan.datasets.dedupe import HashLog
from fineplan.datasets.findings import Findings
from fineplan.datasets.formats import TokenPlan, validator_for
from fineplan.datasets.longline import long_line_threshold, min_tokens
from fineplan.datasets.stats import CHAR_LINEAR, CHAR_STEPS, FIXED_BITS, TokenTally
from fineplan.datasets.tokens import get_encoder

BLOCK = 4 << 20
_INV_LINEAR = 1 / CHAR_LINEAR
_FIXED_MAX = (1 << FIXED_BITS) - 1
BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class ScanConfig:
    fmt: str
    limit: int
    encoding: str
    exact: bool
    model: str | None = None
    validate: bool = True  # False: only hash lines (the training side of the leakage check)
    spill_dir: str | None = None
    buckets: int = 1
    tag: str = "p"
    # Systematic sample for the token estimate: positions (2k+1)·size/(2·sample) for k < sample; a position
    # selects the line containing it. 0: no sample (exact mode).
    sample: int = 0
    size: int = 0


@dataclass
class PartResult:
    index: int
    lines: int = 0  # lines that start in the range, blank ones included
    examples: int = 0  # non-blank lines
    findings: Findings = field(default_factory=Findings)
    tally: TokenTally = field(default_factory=TokenTally)
    log: HashLog | None = None
    sample: list[tuple[int, int, int, int, int, int]] = field(default_factory=list)  # stats.SampleRow


def _first_line_start(f: BinaryIO, start: int) -> int | None:
    """Offset of the first line that starts at or after `start` (None: no such line)."""
    if start == 0:
        return 0
    f.seek(start - 1)
    skipped = 0
    while True:
        chunk = f.read(1 << 16)
        if not chunk:
            return None
        i = chunk.find(b"\n")
        if i >= 0:
            return start + skipped + i
        skipped += len(chunk)


@dataclass(frozen=True)
class LongLines:
    """How the reader treats lines longer than `threshold` bytes: it streams through them with a TextBound first,
    and only if their counted text does not prove them over `limit` tokens does it read them whole."""

    threshold: int
    fmt: str
    limit: int


@dataclass(frozen=True)
class SkippedLine:
    """A line proven over the token limit without being held: where it is and what proved it."""

    offset: int
    length: int  # bytes, without the newline
    counted_bytes: int  # lower bound of its counted text (longline.TextBound)


def _stream_line(f: BinaryIO, pending: list[bytes], policy: LongLines, block: int) -> tuple[int, int, bool, bytes]:
    """Read on to the end of a line begun in `pending`, never holding more than a block: (length, counted text
    bytes, whether a newline ended it, bytes read after the newline)."""
    from fineplan.datasets.longline import TextBound

    bound = TextBound(policy.fmt)
    length = 0
    for piece in pending:
        bound.feed(piece)
        length += len(piece)
    pending.clear()
    while True:
        data = f.read(block)
        if not data:
            return length, bound.counted_bytes(), False, b""
        i = data.find(b"\n")
        if i >= 0:
            bound.feed(data[:i])
            return length + i, bound.counted_bytes(), True, data[i + 1 :]
        bound.feed(data)
        length += len(data)


def iter_chunks(
    f: BinaryIO, start: int, end: int, block: int = BLOCK, long_lines: LongLines | None = None
) -> Iterator[tuple[bytes | SkippedLine, int, int]]:
    """Yield (chunk, file offset of chunk, stop): `chunk` holds whole lines (newline-terminated except a final
    line at EOF); the lines starting before index `stop` are the ones of the range [start, end).

    With `long_lines`, a line longer than its threshold is never held unless it must be: it is streamed once,
    and yielded as a SkippedLine (stop 0) if its text proves it over the limit, else read again and yielded as
    a chunk of its own. So memory stays within the threshold plus a block for every line that is rejected."""
    from fineplan.datasets.longline import proven_over

    pos = _first_line_start(f, start)
    if pos is None:
        return
    f.seek(pos)
    pending: list[bytes] = []
    held = 0  # bytes in pending: the start of a line that begins at pos
    while pos < end:
        data = f.read(block)
        if not data:
            if pending:
                tail = b"".join(pending)
                yield tail, pos, len(tail)
            return
        cut = data.rfind(b"\n")
        if cut < 0:
            pending.append(data)
            held += len(data)
            if long_lines is None or held <= long_lines.threshold:
                continue
            length, counted, newline, rest = _stream_line(f, pending, long_lines, block)
            after = pos + length + (1 if newline else 0)
            if proven_over(counted, long_lines.fmt, long_lines.limit):
                yield SkippedLine(pos, length, counted), pos, 0
            else:  # long for another reason (images, say): it has to be read to be checked
                f.seek(pos)
                line = f.read(length + (1 if newline else 0))
                yield line, pos, len(line)
                del line
            if not newline or after >= end:
                return
            pos = after
            f.seek(after + len(rest))
            pending = [rest] if rest else []
            held = len(rest)
            continue
        if pending:
            cut += held
            pending.append(data)
            data = b"".join(pending)
            pending = []
            held = 0
        whole = cut + 1
        yield data, pos, min(whole, end - pos)
        if pos + whole >= end:
            return
        if whole < len(data):
            pending.append(data[whole:])
            held = len(data) - whole
        pos += whole


def iter_lines(f: BinaryIO, start: int = 0, end: int | None = None) -> Iterator[tuple[bytes, int]]:
    """(line without newline, offset) for the lines starting in [start, end); convenient, not the hot path."""
    if end is None:
        f.seek(0, 2)
        end = f.tell()
    for chunk, base, stop in iter_chunks(f, start, end):
        assert isinstance(chunk, bytes)  # no long-line policy: only chunks
        s = 0
        while s < stop:
            e = chunk.find(b"\n", s)
            if e < 0:
                e = len(chunk)
            yield chunk[s:e], base + s
            s = e + 1


def iter_rows(files: Iterable[Path]) -> Iterator[tuple[Path, int, Any]]:
    """(file, line number, row) of every parseable JSONL row of `files`, each file once; unreadable files and
    lines that are not JSON are skipped (the dataset check reports them)."""
    for file in dict.fromkeys(files):
        try:
            fh = open(file, "rb")  # noqa: SIM115 - closed by the with below
        except OSError:
            continue
        with fh:
            for line_no, (raw, _off) in enumerate(iter_lines(fh), start=1):
                if not raw.strip():
                    continue
                try:
                    yield file, line_no, orjson.loads(raw.removeprefix(b"\xef\xbb\xbf"))
                except orjson.JSONDecodeError:
                    continue


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_fallback(raw: bytes, findings: Findings, line: int) -> Any:
    """orjson refused the line: find the precise reason (or accept what strict JSON allows, e.g. huge ints)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        findings.add_at(
            C.INVALID_UTF8, f"invalid UTF-8 byte 0x{raw[exc.start]:02x} at byte {exc.start + 1}", line, exc.start + 1
        )
        return None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        findings.add_at(C.INVALID_JSON, f"invalid JSON: {exc.msg} (column {exc.colno})", line, exc.colno)
    except ValueError as exc:
        findings.add_at(C.INVALID_JSON, f"invalid JSON: {exc}", line, 1)
    except RecursionError:
        findings.add_at(C.INVALID_JSON, "invalid JSON: nested too deeply", line, 1)
    return None


def describe(value: Any) -> str:
    kind = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(type(value), "a number")
    return f"line is {kind}, not a JSON object"


def scan_range(path: str, start: int, end: int, cfg: ScanConfig, index: int = 0) -> PartResult:
    """Scan the lines starting in [start, end). Runs in a worker process; returns a small, picklable result."""
    # Parsed JSON holds no reference cycles: reference counting frees it all, so the cyclic collector only
    # costs time here (it would walk every live object each time a few hundred dicts are allocated).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        with open(path, "rb") as f:
            return scan_stream(f, start, end, cfg, index)
    finally:
        if was_enabled:
            gc.enable()


def scan_stream(
    f: BinaryIO, start: int, end: int, cfg: ScanConfig, index: int = 0, *, stop_on_error: bool = False
) -> PartResult:
    """scan_range on an open binary stream; `stop_on_error` ends the scan after the first error-level line."""
    res = PartResult(index)
    findings = res.findings
    tally = res.tally
    log = HashLog(cfg.spill_dir, cfg.buckets, f"{cfg.tag}{index}")
    res.log = log
    rec = log.records
    validate = validator_for(cfg.fmt) if cfg.validate else None
    exact = cfg.exact
    count = get_encoder(cfg.encoding).count if (exact and validate is not None) else None
    loads = orjson.loads
    decode_error = orjson.JSONDecodeError
    add = findings.add
    limit = cfg.limit
    exact_hist = tally.exact
    est_hist = tally.est
    ln = examples = counted = exact_trained = over = 0
    est_fixed = est_tfixed = est_chars = est_tchars = 0
    too_long = f"over the {limit:,}-token limit per example" + (f" of {cfg.model}" if cfg.model else "")
    sample_rows = res.sample
    k_total, span2 = cfg.sample, 2 * cfg.sample
    # Positions before this part's first line belong to the previous part's last line (it scans it whole).
    next_k = max(0, (span2 * start // cfg.size - 1) // 2) if cfg.size and k_total and not exact else k_total
    next_pos = (2 * next_k + 1) * cfg.size // span2 if next_k < k_total else 1 << 62

    policy = LongLines(long_line_threshold(limit), cfg.fmt, limit)
    for chunk, base, stop in iter_chunks(f, start, end, long_lines=policy):
        if isinstance(chunk, SkippedLine):  # proven over the limit while streaming: never held, never parsed
            ln += 1
            examples += 1
            after = chunk.offset + chunk.length + 1
            while next_pos < after:  # sample positions inside it are not drawn (it is not a valid example)
                next_k += 1
                next_pos = (2 * next_k + 1) * cfg.size // span2 if next_k < k_total else 1 << 62
            if validate is not None:
                findings.line = ln
                findings.fatal = False
                over += 1
                add(
                    C.EXAMPLE_TOO_LONG,
                    f"example has at least {min_tokens(chunk.counted_bytes, cfg.fmt):,} tokens "
                    f"({chunk.counted_bytes / 2**20:,.1f} MiB of message text in a {chunk.length / 2**20:,.1f} MiB "
                    f"line), {too_long}; the line was not parsed",
                )
            if stop_on_error and findings.errors:
                break
            continue
        view = memoryview(chunk)
        find = chunk.find
        size = len(chunk)
        s = 0
        while s < stop:
            if stop_on_error and findings.errors:
                break
            e = find(b"\n", s)
            if e < 0:
                e = size
            ln += 1
            off = base + s
            raw = view[s:e]
            first = chunk[s] if e > s else 10
            s = e + 1
            draws = 0
            if base + s > next_pos:  # this line's bytes [off, off + len + 1) hold sample position(s)
                while next_pos < base + s:
                    if next_pos >= off:
                        draws += 1
                    next_k += 1
                    next_pos = (2 * next_k + 1) * cfg.size // span2 if next_k < k_total else 1 << 62
            if first <= 32 or first == 0xEF:
                if off == 0 and raw[:3] == BOM:
                    findings.line = ln
                    add(C.BOM, "file starts with a UTF-8 byte order mark (accepted, but better without)")
                    raw = raw[3:]
                if not bytes(raw).strip():
                    findings.line = ln
                    add(C.BLANK_LINE, "blank line (JSONL needs one JSON object per line)")
                    continue
            examples += 1
            rec.append(hash(raw if chunk[e - 1] > 32 else bytes(raw).rstrip()))
            rec.append(ln)
            if validate is None:
                continue
            try:
                obj = loads(raw)
            except decode_error:
                obj = parse_fallback(bytes(raw), findings, ln)
                if obj is None:
                    continue
            findings.line = ln
            findings.fatal = False
            if type(obj) is not dict:
                add(C.NOT_OBJECT, describe(obj))
                continue
            try:
                plan: TokenPlan = validate(obj, add)
            except Exception as exc:  # a validator bug must not hide the rest of the file
                add(C.INTERNAL, f"validator failed on this line: {type(exc).__name__}: {exc}")
                continue
            if findings.fatal:
                continue
            fixed = plan.p_fixed + plan.a_fixed + plan.b_fixed
            # Tokens never outnumber the bytes of the text, so only long lines can exceed the limit.
            if exact or fixed + plan.uncertain + len(raw) > limit:
                if count is None:
                    count = get_encoder(cfg.encoding).count
                total, trained, seq = plan.counts(count)
                exact_hist[total] = exact_hist.get(total, 0) + 1
                exact_trained += trained
                counted += 1
                if seq > limit:
                    over += 1
                    add(C.EXAMPLE_TOO_LONG, f"example has {seq:,} tokens, {too_long}")
                continue
            chars, tchars = plan.chars()
            if draws:
                if count is None:
                    count = get_encoder(cfg.encoding).count
                total, trained, _seq = plan.counts(count)
                sample_rows.append(
                    (draws, len(raw) + 1, chars, total - fixed, tchars, trained - plan.a_fixed - plan.b_fixed)
                )
            # stats.est_key, inlined: this runs once per example
            bucket = chars if chars < CHAR_LINEAR else CHAR_LINEAR + int(_log(chars * _INV_LINEAR) * CHAR_STEPS)
            key = (bucket << FIXED_BITS) | (fixed if fixed < _FIXED_MAX else _FIXED_MAX)
            est_hist[key] = est_hist.get(key, 0) + 1
            est_fixed += fixed
            est_tfixed += plan.a_fixed + plan.b_fixed
            est_chars += chars
            est_tchars += tchars
            counted += 1
        log.maybe_spill()
        rec = log.records
        if stop_on_error and findings.errors:
            break
    log.finish()
    res.lines = ln
    res.examples = examples
    tally.counted = counted
    tally.exact_trained = exact_trained
    tally.over_limit = over
    tally.est_fixed = est_fixed
    tally.est_trained_fixed = est_tfixed
    tally.est_chars = est_chars
    tally.est_trained_chars = est_tchars
    return res
