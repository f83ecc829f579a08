"""The emulated model behind a model name: a catalog base model, a fine-tuned model of this resource, or one of
its checkpoints (the answering rule is in simulation/answers.py).

A fine-tuned model's examples are indexed on first use from its job's training file in the store, then cached:
a succeeded job's training data and parent never change, so the cache needs no invalidation. Its parent (the
job's base model, when that is itself fine-tuned) is loaded the same way and its examples are appended.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import orjson

from fineplan.catalog import load_catalog
from fineplan.datasets.graders import json_schema_of
from fineplan.emulator.core import Core
from fineplan.emulator.dataplane.job_records import CHECKPOINT_MARK
from fineplan.emulator.simulation.answers import EmulatedModel, Example, examples_from_rows
from fineplan.emulator.store import loads

_CACHE_SIZE = 32
_MAX_DEPTH = 8  # stacked fine-tunes deeper than this are not a real use


class EmulatedModels:
    def __init__(self, core: Core) -> None:
        self.core = core
        self._cache: OrderedDict[str, EmulatedModel] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, name: str) -> EmulatedModel:
        model, mark, _step = name.partition(CHECKPOINT_MARK)
        found = self._fine_tuned(model, 0)
        if found is None:
            return EmulatedModel(name, "base")
        return EmulatedModel(name, "checkpoint", found.examples) if mark else found

    def _fine_tuned(self, name: str, depth: int) -> EmulatedModel | None:
        with self._lock:
            cached = self._cache.get(name)
            if cached is not None:
                self._cache.move_to_end(name)
                return cached
        row = (
            self.core.store.read()
            .execute("SELECT doc FROM jobs WHERE fine_tuned_model = ? ORDER BY seq DESC LIMIT 1", (name,))
            .fetchone()
        )
        if row is None or depth > _MAX_DEPTH:
            return None
        job = loads(row[0])
        examples = self._own_examples(job)
        parent_name = str(job.get("model") or "")
        if parent_name and parent_name not in load_catalog().models:
            parent = self._fine_tuned(parent_name, depth + 1)
            if parent is not None:
                examples.extend(parent.examples)
        model = EmulatedModel(name, "fine-tuned", tuple(examples))
        with self._lock:
            self._cache[name] = model
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return model

    def _own_examples(self, job: dict[str, Any]) -> list[Example]:
        row = (
            self.core.store.read()
            .execute("SELECT content FROM files WHERE id = ?", (job.get("training_file"),))
            .fetchone()
        )
        if row is None:
            return []  # the training file was deleted since: only the parent's examples remain
        method = job.get("method") if isinstance(job.get("method"), dict) else {}
        assert isinstance(method, dict)
        kind = str(method.get("type") or "supervised")
        section = method.get(kind) if isinstance(method.get(kind), dict) else {}
        assert isinstance(section, dict)
        schema = json_schema_of(section.get("response_format"))
        return examples_from_rows(_rows(bytes(row[0])), kind, schema)


def _rows(content: bytes) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for line in content.removeprefix(b"\xef\xbb\xbf").splitlines():
        if not line.strip():
            continue
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if isinstance(value, dict):
            out.append(value)
    return out
