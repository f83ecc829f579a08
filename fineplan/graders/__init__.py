"""Grader computation: the RFT/Evals grader schema (string_check, text_similarity, score_model, label_model,
python, multi) evaluated on one item and one sample. Pure apart from python graders, which run in a worker
process (python_grader.py). Shapes are validated elsewhere (fineplan.datasets.graders.check_grader); graders
given here are taken as valid, and anything that still cannot be computed becomes an errored result.

    with GradingSession() as session:
        result = session.grade(grader, item={"answer": "42"}, sample=sample_from_text("42"))
        result.score, result.passed

A grader passes when its score is at least its `pass_threshold`; without one, at least the middle of its score
range ([0, 1] except for score_model's `range`). `label_model` scores 1.0 for a passing label and 0.0 otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from fineplan.graders import model_graders
from fineplan.graders.formula import FormulaError
from fineplan.graders.formula import evaluate as combine
from fineplan.graders.python_grader import DEFAULT_MEMORY_BYTES, DEFAULT_TIMEOUT_S, PythonGraderPool
from fineplan.graders.similarity import text_similarity
from fineplan.graders.string_check import string_check
from fineplan.graders.templates import render

__all__ = ["GraderResult", "GradingSession", "ModelCall", "sample_from_text"]

ModelCall = model_graders.ModelCall


@dataclass(frozen=True, slots=True)
class GraderResult:
    name: str
    type: str
    score: float
    passed: bool
    error: str | None = None
    sample: dict[str, Any] | None = None  # what a model grader was asked and answered
    model_calls: tuple[ModelCall, ...] = ()
    sub_results: dict[str, GraderResult] = field(default_factory=dict)

    @property
    def errored(self) -> bool:
        return self.error is not None


def sample_from_text(text: str, tool_calls: list[Any] | None = None) -> dict[str, Any]:
    """The `sample` namespace for a model answer: output_text, output_json (the answer parsed as a JSON object,
    else an empty object), output_tools and choices."""
    try:
        parsed = json.loads(text)
    except (json.JSONDecodeError, TypeError):
        parsed = None
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return {
        "output_text": text,
        "output_json": parsed if isinstance(parsed, dict) else {},
        "output_tools": list(tool_calls or []),
        "choices": [{"index": 0, "message": message}],
    }


def _threshold(grader: Mapping[str, Any], lo: float = 0.0, hi: float = 1.0) -> float:
    value = grader.get("pass_threshold")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return lo + (hi - lo) / 2


class GradingSession:
    """Grades items one by one; owns the python grader workers until closed."""

    def __init__(self, python_timeout_s: float = DEFAULT_TIMEOUT_S, memory_bytes: int = DEFAULT_MEMORY_BYTES) -> None:
        self.python = PythonGraderPool(python_timeout_s, memory_bytes)

    def grade(self, grader: Mapping[str, Any], item: Mapping[str, Any], sample: Mapping[str, Any]) -> GraderResult:
        context = {"item": item, "sample": sample}
        kind, name = str(grader.get("type")), str(grader.get("name") or grader.get("type"))
        try:
            return self._grade(grader, kind, name, context)
        except (ValueError, TypeError, KeyError, FormulaError) as exc:
            return GraderResult(name, kind, 0.0, False, error=str(exc))

    def _grade(self, grader: Mapping[str, Any], kind: str, name: str, context: dict[str, Any]) -> GraderResult:
        if kind == "string_check":
            score = string_check(
                render(str(grader["input"]), context), render(str(grader["reference"]), context), grader["operation"]
            )
            return GraderResult(name, kind, score, score >= _threshold(grader))
        if kind == "text_similarity":
            score = text_similarity(
                render(str(grader["input"]), context),
                render(str(grader["reference"]), context),
                str(grader["evaluation_metric"]),
            )
            return GraderResult(name, kind, score, score >= _threshold(grader))
        if kind == "score_model":
            score, call = model_graders.score_model(grader, context)
            lo, hi = model_graders.score_range(grader)
            return GraderResult(
                name, kind, score, score >= _threshold(grader, lo, hi), sample=_call_sample(call), model_calls=(call,)
            )
        if kind == "label_model":
            _label, passed, call = model_graders.label_model(grader, context)
            return GraderResult(
                name, kind, 1.0 if passed else 0.0, passed, sample=_call_sample(call), model_calls=(call,)
            )
        if kind == "python":
            outcome = self.python.grade(str(grader["source"]), context["sample"], context["item"])
            if outcome.score is None:
                return GraderResult(name, kind, 0.0, False, error=outcome.error)
            return GraderResult(name, kind, outcome.score, outcome.score >= _threshold(grader))
        if kind == "multi":
            subs = {key: self._grade(sub, str(sub.get("type")), key, context) for key, sub in grader["graders"].items()}
            failed = [f"{key}: {r.error}" for key, r in subs.items() if r.error]
            calls = tuple(c for r in subs.values() for c in r.model_calls)
            if failed:
                return GraderResult(name, kind, 0.0, False, "; ".join(failed), model_calls=calls, sub_results=subs)
            score = combine(str(grader["calculate_output"]), {k: r.score for k, r in subs.items()})
            return GraderResult(name, kind, score, score >= _threshold(grader), model_calls=calls, sub_results=subs)
        raise ValueError(f"unknown grader type {kind!r}")

    def close(self) -> None:
        self.python.close()

    def __enter__(self) -> GradingSession:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _call_sample(call: ModelCall) -> dict[str, Any]:
    return {
        "input": call.input,
        "output": [{"role": "assistant", "content": call.output}],
        "model": call.model,
        "finish_reason": "stop",
    }
