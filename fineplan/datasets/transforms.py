"""Turn raw rows into the dataset's format and split them, writing content-addressed files under `.fineplan/`.

- `prompt_response` / `prompt_completion` rows → chat examples (optional system message, field mapping);
  `preference` rows (prompt / chosen / rejected) → DPO examples.
- The split puts in validation the round(share × n) rows whose keyed hash (of the row's bytes after the transform,
  keyed by the seed) is lowest: the share holds exactly whatever the seed; the choice depends on the rows'
  content, not their order; identical rows always land on the same side (no leakage by duplication); appending
  rows moves existing rows only across the boundary, in one direction, and only as many as the appended rows
  fail to supply (see `split_boundary` and specs/reference.md).
- Outputs are named by their sha256 (`.fineplan/datasets/<sha256>.jsonl`), each with a line map back to the
  source; an index keyed by the source digest and the transform settings makes an unchanged source cost one
  lookup, and remembers the rows per part. Sources are only ever read.
"""

from __future__ import annotations

import bisect
import hashlib
import math
import os
import tempfile
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from fineplan.datasets.identity import file_digest
from fineplan.datasets.scan import BOM, iter_lines
from fineplan.errors import ConfigError, FineplanError
from fineplan.spec.models import DatasetSpec, Split, Transform

OUTPUT_DIR = Path(".fineplan") / "datasets"
TRANSFORM_VERSION = "3"  # 2: outputs carry a line map back to the source; 3: exact split shares


class TransformError(FineplanError):
    """A source row cannot be transformed; the message names the line, `line` holds it."""

    line: int | None = None


LINE_MAP_SUFFIX = ".lines"  # beside each output: the source line of every output line (uint32, native order)


def source_lines(output: Path) -> list[int] | None:
    """Source line numbers of an output's lines (1-based, in order), so findings point at the user's file."""
    try:
        data = output.with_suffix(LINE_MAP_SUFFIX).read_bytes()
    except OSError:
        return None
    lines = array("I")
    lines.frombytes(data)
    return lines.tolist()


@dataclass(frozen=True)
class Materialized:
    train: Path
    validation: Path | None
    train_digest: str
    validation_digest: str | None
    # Rows (non-blank lines) per part, known whenever fineplan wrote the part; None for an untouched source,
    # whose rows are counted by the dataset check instead.
    train_rows: int | None = None
    validation_rows: int | None = None

    def rows(self) -> dict[str, int | None]:
        """{'train': rows, 'validation': rows} for the parts there are."""
        out = {"train": self.train_rows}
        if self.validation is not None:
            out["validation"] = self.validation_rows
        return out


def source_path(project_root: Path, spec: DatasetSpec) -> Path:
    root = project_root.resolve()
    path = (root / spec.path).resolve()
    if not path.is_relative_to(root):
        raise ConfigError(f"dataset path {spec.path!r} is outside the project root")
    return path


def materialize(project_root: Path, spec: DatasetSpec) -> Materialized:
    """Apply `spec.transform` and `spec.split`; with neither, the source itself is the training file."""
    src = source_path(project_root, spec)
    src_digest = file_digest(src)
    if spec.transform is None and spec.split is None:
        return Materialized(src, None, src_digest, None)
    out_dir = project_root.resolve() / OUTPUT_DIR
    settings = {
        "v": TRANSFORM_VERSION,
        "source": src_digest,
        "transform": spec.transform.model_dump(by_alias=True) if spec.transform else None,
        "split": spec.split.model_dump() if spec.split else None,
    }
    key = hashlib.sha256(orjson.dumps(settings, option=orjson.OPT_SORT_KEYS)).hexdigest()
    index = out_dir / "index" / f"{key}.json"
    cached = _from_index(index, out_dir)
    if cached is not None:
        return cached
    out_dir.mkdir(parents=True, exist_ok=True)
    result = _write(src, spec.transform, spec.split, out_dir)
    index.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(
        index,
        orjson.dumps(
            {
                "train": result.train_digest,
                "validation": result.validation_digest,
                "train_rows": result.train_rows,
                "validation_rows": result.validation_rows,
                **settings,
            }
        ),
    )
    return result


def _from_index(index: Path, out_dir: Path) -> Materialized | None:
    try:
        data = orjson.loads(index.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    train = out_dir / f"{data['train']}.jsonl"
    val = out_dir / f"{data['validation']}.jsonl" if data.get("validation") else None
    outputs = [train] if val is None else [train, val]
    if not all(p.is_file() and p.with_suffix(LINE_MAP_SUFFIX).is_file() for p in outputs):
        return None
    return Materialized(
        train, val, data["train"], data.get("validation"), data.get("train_rows"), data.get("validation_rows")
    )


class _Sink:
    """A temp file that hashes what is written and is renamed to `<sha256>.jsonl` at the end."""

    def __init__(self, out_dir: Path) -> None:
        fd, name = tempfile.mkstemp(prefix=".tmp-", suffix=".jsonl", dir=out_dir)
        self.tmp = Path(name)
        self.fh = os.fdopen(fd, "wb", buffering=1 << 20)
        self.sha = hashlib.sha256()
        self.rows = 0
        self.source_lines = array("I")

    def write(self, line: bytes, source_line: int) -> None:
        data = line + b"\n"
        self.fh.write(data)
        self.sha.update(data)
        self.rows += 1
        self.source_lines.append(source_line)

    def finish(self, out_dir: Path) -> tuple[Path, str]:
        self.fh.close()
        digest = self.sha.hexdigest()
        final = out_dir / f"{digest}.jsonl"
        _atomic_write(final.with_suffix(LINE_MAP_SUFFIX), self.source_lines.tobytes())
        os.replace(self.tmp, final)
        return final, digest

    def discard(self) -> None:
        self.fh.close()
        self.tmp.unlink(missing_ok=True)


def split_key(row: bytes, seed: int) -> int:
    """The row's place in the split order: a 64-bit keyed hash of its bytes (identical rows, identical keys)."""
    h = hashlib.blake2b(row, digest_size=8, key=f"fineplan-split-{seed}".encode()).digest()
    return int.from_bytes(h, "big")


def validation_rows(n: int, share: float) -> int:
    """How many of n rows the validation part holds: round(share × n), halves rounded up."""
    return math.floor(share * n + 0.5)


_TOP_BITS = 16  # the first pass counts keys per bucket of their top bits; only one bucket is then sorted


def split_boundary(keys: array[int], buckets: list[int], share: float) -> tuple[int, bool]:
    """(key, inclusive): a row goes to validation iff its key < key, or == key when inclusive.

    The boundary is the k-th lowest key (k = validation_rows(n, share)). Copies of one row share a key and are
    never split; when copies sit exactly at the boundary they all go to the side that brings the count nearest
    to k (nearer or equal: validation). With distinct rows the validation part holds exactly k rows.
    """
    k = validation_rows(len(keys), share)
    if k == 0:
        return 0, False
    below = bucket = 0
    while below + buckets[bucket] < k:  # the bucket holding the k-th lowest key
        below += buckets[bucket]
        bucket += 1
    shift = 64 - _TOP_BITS
    inside = sorted(key for key in keys if key >> shift == bucket)
    boundary = inside[k - below - 1]
    under = below + bisect.bisect_left(inside, boundary)
    at = bisect.bisect_right(inside, boundary) - (under - below)
    return boundary, (under + at - k) <= (k - under)


def _rows(src: Path, transform: Transform | None) -> Iterator[tuple[bytes, int]]:
    """(output row, source line) for every non-blank source line, transformed."""
    with open(src, "rb") as f:
        line_no = 0
        for raw, off in iter_lines(f):
            line_no += 1
            if off == 0 and raw.startswith(BOM):
                raw = raw[3:]
            if not raw.strip():
                continue
            try:
                out = convert_row(raw, transform, line_no) if transform is not None else raw.rstrip(b"\r")
            except TransformError as exc:
                exc.line = line_no
                raise
            yield out, line_no


def _write(src: Path, transform: Transform | None, split: Split | None, out_dir: Path) -> Materialized:
    """Write the parts. A split reads the source twice: once to find the boundary key, once to write."""
    boundary: tuple[int, bool] | None = None
    if split is not None:
        keys: array[int] = array("Q")
        buckets = [0] * (1 << _TOP_BITS)
        shift = 64 - _TOP_BITS
        for out, _line in _rows(src, transform):
            key = split_key(out, split.seed)
            keys.append(key)
            buckets[key >> shift] += 1
        boundary = split_boundary(keys, buckets, split.validation)
        del keys, buckets
    train = _Sink(out_dir)
    val = _Sink(out_dir) if split is not None else None
    try:
        for out, line_no in _rows(src, transform):
            if val is not None and split is not None and boundary is not None:
                key = split_key(out, split.seed)
                if key < boundary[0] or (key == boundary[0] and boundary[1]):
                    val.write(out, line_no)
                    continue
            train.write(out, line_no)
        train_path, train_digest = train.finish(out_dir)
        if val is None:
            return Materialized(train_path, None, train_digest, None, train.rows)
        val_path, val_digest = val.finish(out_dir)
        return Materialized(train_path, val_path, train_digest, val_digest, train.rows, val.rows)
    except BaseException:
        train.discard()
        if val is not None:
            val.discard()
        raise


def _field(row: dict[str, Any], path: str, line: int) -> Any:
    node: Any = row
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise TransformError(f"line {line}: field {path!r} is missing")
    return node


def _turns(value: Any, role: str, path: str, line: int) -> list[dict[str, Any]]:
    """A field as messages: a string becomes one message of `role`; a list of messages is taken as is."""
    if isinstance(value, str):
        return [{"role": role, "content": value}]
    if isinstance(value, list) and value and all(isinstance(m, dict) and "role" in m for m in value):
        return value
    raise TransformError(f"line {line}: field {path!r} must be a string or a list of messages")


def convert_row(raw: bytes, t: Transform, line: int) -> bytes:
    try:
        row = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise TransformError(f"line {line}: not valid JSON ({exc})") from None
    if not isinstance(row, dict):
        raise TransformError(f"line {line}: row must be a JSON object")
    system = [{"role": "system", "content": t.system_message}] if t.system_message else []
    prompt = _turns(_field(row, t.prompt_field, line), "user", t.prompt_field, line)
    if t.from_ == "preference":
        chosen = _turns(_field(row, t.chosen_field, line), "assistant", t.chosen_field, line)
        rejected = _turns(_field(row, t.rejected_field, line), "assistant", t.rejected_field, line)
        example: dict[str, Any] = {
            "input": {"messages": system + prompt},
            "preferred_output": chosen,
            "non_preferred_output": rejected,
        }
    else:
        answer_fields = {"prompt_response": t.response_field or "response"}
        name = answer_fields.get(t.from_, t.completion_field or "completion")
        answer = _turns(_field(row, name, line), "assistant", name, line)
        example = {"messages": system + prompt + answer}
    return orjson.dumps(example)


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
