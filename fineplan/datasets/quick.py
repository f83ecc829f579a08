"""Quick entry points for the local emulator: is an uploaded file acceptable, and how many tokens does it train.

`first_error` is structural only (no tokenizer): it stops at the first error-level finding, which is what the
emulator needs to mark an upload "error" the way Azure's file processing does.
"""

from __future__ import annotations

import io
from pathlib import Path

from fineplan.datasets import codes as C
from fineplan.datasets.formats import validator_for
from fineplan.datasets.scan import ScanConfig, scan_stream
from fineplan.datasets.tokens import DEFAULT_ENCODING, DEFAULT_MAX_TOKENS
from fineplan.filekind import not_regular

MIN_EXAMPLES = 10
MAX_FILE_BYTES = 512 * 1024 * 1024


def first_error(data: bytes | Path, fmt: str) -> tuple[int, str, str] | None:
    """(line, code, message) of the first error in a JSONL dataset, or None if it is acceptable."""
    validator_for(fmt)
    if isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
        size = len(raw)
        stream: io.BufferedIOBase = io.BytesIO(raw)
    else:
        why = not_regular(data)
        if why is not None:  # never open a FIFO (it blocks) or a device (it never ends)
            return 1, C.UNREADABLE, f"dataset cannot be read: it {why}"
        size = Path(data).stat().st_size
        stream = open(data, "rb")  # noqa: SIM115 - closed below
    if size > MAX_FILE_BYTES:
        stream.close()
        return 1, C.FILE_TOO_LARGE, f"file is {size / 2**20:,.0f} MB; uploads must be under 512 MB"
    # A huge per-example limit: token limits are a model property, not checked here.
    cfg = ScanConfig(fmt, 1 << 62, DEFAULT_ENCODING, exact=False)
    try:
        if stream.read(2) in (b"\xff\xfe", b"\xfe\xff"):
            return 1, C.INVALID_UTF8, "file is UTF-16; Azure needs UTF-8 JSONL"
        part = scan_stream(stream, 0, size, cfg, stop_on_error=True)  # type: ignore[arg-type]
    finally:
        stream.close()
    errors = [
        s
        for code, samples in part.findings.samples.items()
        if C.SEVERITY[code] is C.E
        for s in ((ln, code, msg) for ln, _col, msg in samples)
    ]
    if errors:
        return min(errors)
    if part.examples < MIN_EXAMPLES:
        return 1, C.TOO_FEW_EXAMPLES, f"{part.examples} example(s); fine-tuning needs at least {MIN_EXAMPLES}"
    return None


def count_training_tokens(path: Path, fmt: str, model: str | None = None) -> int:
    """Exact tokens of the file's valid examples (what a job bills per epoch)."""
    from fineplan.datasets.check import check_dataset

    return check_dataset(Path(path), fmt, model, exact=True).stats.tokens_total  # type: ignore[arg-type]


__all__ = ["DEFAULT_MAX_TOKENS", "count_training_tokens", "first_error"]
