"""One chat completion from an emulated model: the answers (answers.py), shaped by the request's sampling
parameters, with token counts. Shared by the chat completions endpoint and eval runs.

Order of shaping, per choice:
1. tools: an answer holding tool calls is returned as tool calls (finish_reason "tool_calls") when the request
   offers tools whose names cover them and `tool_choice` is not "none"; otherwise its text, or the generic answer.
2. response_format: `json_schema` fits the answer into the schema (json_fit.py); `json_object` keeps a JSON object
   answer and wraps anything else as {"answer": text}.
3. stop: the text ends before the first stop sequence it contains.
4. max_tokens / max_completion_tokens: the text is cut to that many tokens (finish_reason "length").

Tokens: o200k_base (the catalog's encoding), offline. Prompt: per message 3 + 1 (role) + its text, 1 more for a
`name`, 3 + name + arguments per tool call in the history, the request's tools as compact JSON, and a 3-token
reply primer (tokens.py's convention). Completion: the text, or 3 + name + arguments per tool call.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fineplan.datasets.tokens import (
    REPLY_PRIMER,
    ROLE_TOKENS,
    TOKENS_PER_MESSAGE,
    TOKENS_PER_NAME,
    TOKENS_PER_TOOL_CALL,
    Encoder,
)
from fineplan.emulator.simulation.answers import GENERIC_ANSWER, Answer, EmulatedModel, text_of
from fineplan.emulator.simulation.json_fit import fit_schema


@dataclass(frozen=True, slots=True)
class SamplingParams:
    n: int = 1
    temperature: float = 1.0
    max_tokens: int | None = None
    response_format: Mapping[str, Any] | None = None
    tools: Sequence[Mapping[str, Any]] = ()
    tool_choice: Any = None
    stop: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Choice:
    content: str | None
    finish_reason: str
    tool_calls: tuple[dict[str, Any], ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Completion:
    choices: tuple[Choice, ...]
    prompt_tokens: int
    completion_tokens: int

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def complete(
    model: EmulatedModel, messages: Sequence[Mapping[str, Any]], params: SamplingParams, encoder: Encoder, salt: str
) -> Completion:
    """`salt` makes tool call ids unique per completion (they are derived from it, so still reproducible)."""
    answers = model.answers(messages, params.n, params.temperature)
    choices = tuple(_shape(a, params, encoder, f"{salt}:{i}") for i, a in enumerate(answers))
    return Completion(choices, count_prompt(messages, params.tools, encoder), sum(_cost(c, encoder) for c in choices))


def _shape(answer: Answer, params: SamplingParams, encoder: Encoder, salt: str) -> Choice:
    if answer.tool_calls and _tools_allow(answer.tool_calls, params):
        calls = tuple(
            {
                "id": "call_" + hashlib.sha256(f"{salt}:{j}".encode()).hexdigest()[:24],
                "type": "function",
                "function": {
                    "name": str((c.get("function") or {}).get("name") or ""),
                    "arguments": str((c.get("function") or {}).get("arguments") or "{}"),
                },
            }
            for j, c in enumerate(answer.tool_calls)
        )
        return Choice(None, "tool_calls", calls)
    text = answer.content if answer.content else GENERIC_ANSWER
    text = _formatted(text, params.response_format)
    finish = "stop"
    for stop in params.stop:
        if stop and stop in text:
            text = text[: text.index(stop)]
    if params.max_tokens is not None and encoder.count(text) > params.max_tokens:
        text, finish = truncate(text, params.max_tokens, encoder), "length"
    return Choice(text, finish)


def _tools_allow(calls: Sequence[Mapping[str, Any]], params: SamplingParams) -> bool:
    if not params.tools or params.tool_choice == "none":
        return False
    offered = {str((t.get("function") or {}).get("name")) for t in params.tools if isinstance(t, Mapping)}
    wanted = {str((c.get("function") or {}).get("name")) for c in calls}
    forced = params.tool_choice.get("function", {}).get("name") if isinstance(params.tool_choice, Mapping) else None
    return wanted <= offered and (forced is None or wanted == {forced})


def _formatted(text: str, response_format: Mapping[str, Any] | None) -> str:
    if not response_format:
        return text
    kind = response_format.get("type")
    if kind == "json_schema":
        spec = response_format.get("json_schema") or {}
        schema = spec.get("schema") if isinstance(spec, Mapping) else None
        if isinstance(schema, Mapping):
            return json.dumps(fit_schema(text, schema), ensure_ascii=False)
    if kind == "json_object":
        try:
            if isinstance(json.loads(text), dict):
                return text
        except json.JSONDecodeError:
            pass
        return json.dumps({"answer": text}, ensure_ascii=False)
    return text


def truncate(text: str, max_tokens: int, encoder: Encoder) -> str:
    """The longest prefix of `text` that counts at most `max_tokens` tokens (binary search on characters)."""
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if encoder.count(text[:mid]) <= max_tokens:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo]


def _call_tokens(call: Mapping[str, Any], encoder: Encoder) -> int:
    fn = call.get("function") or {}
    return (
        TOKENS_PER_TOOL_CALL + encoder.count(str(fn.get("name") or "")) + encoder.count(str(fn.get("arguments") or ""))
    )


def _cost(choice: Choice, encoder: Encoder) -> int:
    if choice.tool_calls:
        return sum(_call_tokens(c, encoder) for c in choice.tool_calls)
    return encoder.count(choice.content or "")


def count_prompt(messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]], encoder: Encoder) -> int:
    total = REPLY_PRIMER
    for m in messages:
        total += TOKENS_PER_MESSAGE + ROLE_TOKENS + encoder.count(text_of(m.get("content")))
        if m.get("name"):
            total += TOKENS_PER_NAME
        total += sum(_call_tokens(c, encoder) for c in m.get("tool_calls") or [] if isinstance(c, Mapping))
    if tools:
        total += encoder.count(json.dumps(list(tools), separators=(",", ":")))
    return total
