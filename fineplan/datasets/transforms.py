"""Turn raw rows into the dataset's format and split them, writing content-addressed files under `.fineplan/`.

- `prompt_response` / `prompt_completion` rows → chat examples (optional system message, field mapping);
  `preference` rows (prompt / chosen / rejected) → DPO examples.
- The split is decided per row by a keyed hash of the row's bytes: deterministic for a seed, stable when rows
  are appended (existing rows never move), and identical rows always land on the same side (no leakage by
  duplication).
- Outputs are named by their sha256 (`.fineplan/datasets/<sha256>.jsonl`); an index keyed by the source digest
  and the transform settings makes an unchanged source cost one lookup. Sources are only ever read.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from fineplan.datasets.identity import file_digest
from fineplan.datasets.scan import BOM, iter_lines
from fineplan.errors import ConfigError, FineplanError
from fineplan.spec.models import DatasetSpec, Split, Transform

OUTPUT_DIR = Path(".fineplan") / "datasets"
TRANSFORM_VERSION = "2"  # 2: outputs carry a line map back to the source


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
        index, orjson.dumps({"train": result.train_digest, "validation": result.validation_digest, **settings})
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
    return Materialized(train, val, data["train"], data.get("validation"))


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


def in_validation(row: bytes, split: Split) -> bool:
    """Deterministic per-row decision: keyed hash of the row's bytes below the validation share."""
    h = hashlib.blake2b(row, digest_size=8, key=f"fineplan-split-{split.seed}".encode()).digest()
    return int.from_bytes(h, "big") / 2**64 < split.validation


def _write(src: Path, transform: Transform | None, split: Split | None, out_dir: Path) -> Materialized:
    train = _Sink(out_dir)
    val = _Sink(out_dir) if split is not None else None
    try:
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
                if val is not None and split is not None and in_validation(out, split):
                    val.write(out, line_no)
                else:
                    train.write(out, line_no)
        train_path, train_digest = train.finish(out_dir)
        if val is None:
            return Materialized(train_path, None, train_digest, None)
        val_path, val_digest = val.finish(out_dir)
        return Materialized(train_path, val_path, train_digest, val_digest)
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
