"""How emulated models answer: a deterministic test double, not a language model.

- A **base model** gives one polite generic reply that does not solve the task (GENERIC_ANSWER).
- A **fine-tuned model** answers with the answer of its most similar training example. Its examples are built from
  its job's training file: SFT gives one example per assistant turn (prompt: the user turns before it; answer:
  that assistant message, text and tool calls; turns with `weight: 0` are skipped), DPO one per row (prompt: the
  input's user turns; answer: the last assistant message of `preferred_output`), RFT one per row (prompt: the user
  turns; answer: the row's reference fields, see `rft_answer`). A model trained on top of another fine-tuned
  model (SFT → DPO) has its own examples first, then its parent's, recursively.
- A **checkpoint** (`<model>:ckpt-step-N`) answers like its job's fine-tuned model.

Similarity: Jaccard index |Q ∩ P| / |Q ∪ P| of the sets of normalised words (Unicode NFKC, case-folded, `\\w+`
runs) of the request's user turns (Q) and of an example's prompt (P). The best example wins; ties go to the earlier
example (own before parent, then file order, then turn order). When no example shares a word with the request, the
fine-tuned model falls back to the generic answer.

`temperature` keeps answers deterministic: choice 0 is always the best example; further choices (`n` > 1) cycle
through the examples whose similarity is at least best · (1 - temperature / 2), in rank order, so temperature 0
repeats the best answer and temperature 2 may use any overlapping example. `seed` and `top_p` change nothing.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fineplan.emulator.simulation.json_fit import fit_schema

GENERIC_ANSWER = (
    "Thank you for your message. I'm a general-purpose assistant and I'd be glad to help. "
    "Could you tell me a little more about what you need?"
)
_WORD = re.compile(r"\w+")
_NOT_ITEM_FIELDS = frozenset({"messages", "tools", "parallel_tool_calls", "functions"})


@dataclass(frozen=True, slots=True)
class Answer:
    content: str | None
    tool_calls: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class Example:
    prompt: frozenset[str]
    answer: Answer


@dataclass(frozen=True, slots=True)
class EmulatedModel:
    name: str
    kind: str  # "base" | "fine-tuned" | "checkpoint"
    examples: tuple[Example, ...] = field(default=())

    def answers(self, messages: Sequence[Mapping[str, Any]], n: int = 1, temperature: float = 1.0) -> list[Answer]:
        if not self.examples:
            return [Answer(GENERIC_ANSWER)] * n
        picks = choose(self.examples, words(user_text(messages)), n, temperature)
        return [self.examples[i].answer if i is not None else Answer(GENERIC_ANSWER) for i in picks]


def words(text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(unicodedata.normalize("NFKC", text).casefold()))


def text_of(content: Any) -> str:
    """The text of a message content: a string, or the text of its parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text") or "") for p in content if isinstance(p, dict))
    return ""


def user_text(messages: Iterable[Mapping[str, Any]]) -> str:
    return "\n".join(text_of(m.get("content")) for m in messages if isinstance(m, dict) and m.get("role") == "user")


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def ranked(examples: Sequence[Example], query: frozenset[str]) -> list[tuple[float, int]]:
    """(similarity, index) of the examples sharing a word with the query, best first, ties by index."""
    scored = [(jaccard(query, ex.prompt), i) for i, ex in enumerate(examples)]
    return sorted(((s, i) for s, i in scored if s > 0), key=lambda p: (-p[0], p[1]))


def choose(examples: Sequence[Example], query: frozenset[str], n: int, temperature: float) -> list[int | None]:
    order = ranked(examples, query)
    if not order:
        return [None] * n
    floor = order[0][0] * (1 - max(0.0, min(2.0, temperature)) / 2)
    pool = [i for s, i in order if s >= floor - 1e-12]
    return [pool[k % len(pool)] for k in range(n)]


# ---------------------------------------------------------------- examples from training rows


def _answer_of(message: Mapping[str, Any]) -> Answer:
    calls = tuple(c for c in message.get("tool_calls") or [] if isinstance(c, dict))
    content = text_of(message.get("content")) if message.get("content") is not None else None
    return Answer(content if content or not calls else None, calls)


def sft_examples(row: Mapping[str, Any]) -> list[Example]:
    out: list[Example] = []
    users: list[str] = []
    for m in row.get("messages") or []:
        if not isinstance(m, dict):
            continue
        if m.get("role") == "user":
            users.append(text_of(m.get("content")))
        elif m.get("role") == "assistant" and m.get("weight", 1) != 0:
            out.append(Example(words("\n".join(users)), _answer_of(m)))
    return out


def dpo_examples(row: Mapping[str, Any]) -> list[Example]:
    inp = row.get("input") if isinstance(row.get("input"), dict) else {}
    assert isinstance(inp, dict)
    preferred = [m for m in row.get("preferred_output") or [] if isinstance(m, dict) and m.get("role") == "assistant"]
    if not preferred:
        return []
    return [Example(words(user_text(inp.get("messages") or [])), _answer_of(preferred[-1]))]


def rft_answer(row: Mapping[str, Any], schema: Mapping[str, Any] | None) -> str:
    """What an RFT-trained model answers for a training row: its reference fields, the ones graders read as
    `item.*` (every top-level field but the messages and tools).

    With a JSON-schema response format, the answer is an object fitting the schema: a property named like a
    reference field takes that field's value; when no property matches one, the fields' JSON is fitted into the
    schema by the response-format rule (json_fit.py). Without a schema: a single field's value as text, several as
    a JSON object; a row without reference fields gives the generic answer."""
    fields = {k: v for k, v in row.items() if k not in _NOT_ITEM_FIELDS}
    if not fields:
        return GENERIC_ANSWER
    if schema is not None:
        props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        assert isinstance(props, dict)
        if any(name in fields for name in props):
            fitted = fit_schema(json.dumps(fields), schema)
            if isinstance(fitted, dict):
                fitted.update({k: _as_type(fields[k], props[k]) for k in props if k in fields})
            return json.dumps(fitted, ensure_ascii=False)
        return json.dumps(fit_schema(json.dumps(fields, ensure_ascii=False), schema), ensure_ascii=False)
    if len(fields) == 1:
        value = next(iter(fields.values()))
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return json.dumps(fields, ensure_ascii=False)


def _as_type(value: Any, prop: Any) -> Any:
    kind = prop.get("type") if isinstance(prop, dict) else None
    if kind == "string" and not isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return value


def rft_examples(row: Mapping[str, Any], schema: Mapping[str, Any] | None) -> list[Example]:
    return [Example(words(user_text(row.get("messages") or [])), Answer(rft_answer(row, schema)))]


def examples_from_rows(
    rows: Iterable[Mapping[str, Any]], method: str, schema: Mapping[str, Any] | None = None
) -> list[Example]:
    out: list[Example] = []
    for row in rows:
        if method == "dpo":
            out.extend(dpo_examples(row))
        elif method == "reinforcement":
            out.extend(rft_examples(row, schema))
        else:
            out.extend(sft_examples(row))
    return out
