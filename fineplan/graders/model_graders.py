"""`score_model` and `label_model`, answered by a deterministic judge instead of a language model.

The judge compares what the grader shows it of the sample with what it shows of the item:

- S = the rendered values of the grader input's `{{sample.*}}` references, joined by spaces (the sample's
  `output_text` when the input references none);
- R = the rendered values of its `{{item.*}}` references, joined by spaces (when it references none: the whole
  rendered prompt with the sample references left out);
- similarity = ROUGE-1 F1 of S against R (lower-cased words; see similarity.py).

`score_model` answers lo + (hi - lo) · similarity for its `range` [lo, hi] (default [0, 1]). `label_model` answers
its first passing label when similarity ≥ 0.5, else its first label that is not passing (or the first label, if
all pass). Both report the call (rendered messages and the answer) so callers can count the judge's tokens.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fineplan.graders.similarity import rouge_n
from fineplan.graders.templates import TEMPLATE, as_text, lookup, references, render_content

LABEL_THRESHOLD = 0.5


@dataclass(frozen=True, slots=True)
class ModelCall:
    model: str
    input: list[dict[str, str]]  # the rendered messages, {role, content}
    output: str


def _messages(grader: Mapping[str, Any]) -> list[Any]:
    value = grader.get("input")
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    return list(value) if isinstance(value, list) else []


def rendered_input(grader: Mapping[str, Any], context: Mapping[str, Any]) -> list[dict[str, str]]:
    return [
        {"role": str(m.get("role") or "user"), "content": render_content(m.get("content"), context)}
        for m in _messages(grader)
        if isinstance(m, dict)
    ]


def judge_similarity(grader: Mapping[str, Any], context: Mapping[str, Any]) -> float:
    refs = list(references([m.get("content") for m in _messages(grader) if isinstance(m, dict)]))
    sample_refs = [r for r in refs if r.partition(".")[0] == "sample"]
    item_refs = [r for r in refs if r.partition(".")[0] == "item"]
    if sample_refs:
        shown = " ".join(as_text(lookup(context, r)) for r in sample_refs)
    else:
        shown = as_text(lookup(context, "sample.output_text"))
    if item_refs:
        known = " ".join(as_text(lookup(context, r)) for r in item_refs)
    else:
        without_sample = {k: v for k, v in context.items() if k != "sample"}
        known = " ".join(
            TEMPLATE.sub(lambda m: as_text(lookup(without_sample, m.group(1))), str(msg["content"]))
            for msg in rendered_input(grader, without_sample)
        )
    return rouge_n(shown, known, 1)


def score_range(grader: Mapping[str, Any]) -> tuple[float, float]:
    value = grader.get("range")
    if isinstance(value, list) and len(value) == 2:
        return float(value[0]), float(value[1])
    return 0.0, 1.0


def score_model(grader: Mapping[str, Any], context: Mapping[str, Any]) -> tuple[float, ModelCall]:
    lo, hi = score_range(grader)
    score = lo + (hi - lo) * judge_similarity(grader, context)
    call = ModelCall(str(grader.get("model") or ""), rendered_input(grader, context), f"{score:g}")
    return score, call


def label_model(grader: Mapping[str, Any], context: Mapping[str, Any]) -> tuple[str, bool, ModelCall]:
    labels = [str(x) for x in grader.get("labels") or []]
    passing = [str(x) for x in grader.get("passing_labels") or []]
    if not labels:
        raise ValueError("label_model needs labels")
    similar = judge_similarity(grader, context) >= LABEL_THRESHOLD
    failing = [label for label in labels if label not in passing]
    label = passing[0] if similar and passing else failing[0] if failing else labels[0]
    call = ModelCall(str(grader.get("model") or ""), rendered_input(grader, context), label)
    return label, label in passing, call
