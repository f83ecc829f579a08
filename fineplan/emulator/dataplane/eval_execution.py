"""What an eval run computes for each data source item: the sample (for a `completions` run, the emulated
deployment's answer to the rendered input messages; for `jsonl`, the row's own `sample`) and every testing
criterion's result (fineplan.graders). Pure apart from the graders' python workers; the run service stores the
outcome and reveals it item by item as simulated time passes.

Items are checked against the eval's item schema first; an item that does not fit, or whose `item_reference`
does not name a message list, is errored without sampling. An item whose sampling or any grader errors has
status "error"; otherwise "pass" when every criterion passed, else "fail". Errored criteria count as failed in
`per_testing_criteria_results` and carry `error: {code, message}` in their result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jsonschema

from fineplan.datasets.tokens import Encoder
from fineplan.emulator.simulation.answers import EmulatedModel
from fineplan.emulator.simulation.completion import SamplingParams, complete, count_prompt
from fineplan.graders import GradingSession, sample_from_text
from fineplan.graders.templates import lookup, render_content

Usage = dict[str, list[int]]  # model name -> [invocations, prompt tokens, completion tokens]


@dataclass(frozen=True, slots=True)
class Sampler:
    model: EmulatedModel
    model_name: str
    input_messages: Mapping[str, Any]
    params: SamplingParams
    encoder: Encoder
    echo: Mapping[str, Any]  # temperature, max_completion_tokens, top_p, seed as the sample reports them


@dataclass(slots=True)
class ItemOutcome:
    status: str
    item: Any
    results: list[dict[str, Any]]
    sample: dict[str, Any]
    usage: Usage = field(default_factory=dict)


def _add(usage: Usage, model: str, prompt: int, completion: int) -> None:
    entry = usage.setdefault(model, [0, 0, 0])
    entry[0] += 1
    entry[1] += prompt
    entry[2] += completion


def _empty_sample(echo: Mapping[str, Any], model: str = "") -> dict[str, Any]:
    return {
        "input": [],
        "output": [],
        "finish_reason": "",
        "model": model,
        "usage": {"total_tokens": 0, "completion_tokens": 0, "prompt_tokens": 0, "cached_tokens": 0},
        "error": None,
        "temperature": echo.get("temperature", 1.0),
        "max_completion_tokens": echo.get("max_completion_tokens", 0),
        "top_p": echo.get("top_p", 1.0),
        "seed": echo.get("seed", 42),
    }


def _errored(item: Any, echo: Mapping[str, Any], code: str, message: str) -> ItemOutcome:
    sample = _empty_sample(echo)
    sample["error"] = {"code": code, "message": message}
    return ItemOutcome("error", item, [], sample)


def render_input(input_messages: Mapping[str, Any], item: Any) -> list[dict[str, Any]]:
    if input_messages.get("type") == "item_reference":
        ref = str(input_messages.get("item_reference") or "")
        value = lookup({"item": item}, ref if ref.startswith("item.") else f"item.{ref}")
        if not isinstance(value, list) or not all(isinstance(m, dict) and "role" in m for m in value):
            raise ValueError(f"{ref} is not a list of messages")
        return [{**m, "content": render_content(m.get("content"), {"item": item})} for m in value]
    template = input_messages.get("template") or []
    return [
        {"role": str(m.get("role") or "user"), "content": render_content(m.get("content"), {"item": item})}
        for m in template
        if isinstance(m, dict)
    ]


def run_items(
    criteria: Sequence[Mapping[str, Any]],
    item_schema: Mapping[str, Any],
    rows: Sequence[tuple[Any, Any]],
    sampler: Sampler | None,
    session: GradingSession,
    encoder: Encoder,
    salt: str,
) -> list[ItemOutcome]:
    validator = jsonschema.validators.validator_for(item_schema)(item_schema)
    echo = sampler.echo if sampler is not None else {}
    out: list[ItemOutcome] = []
    for index, (item, given_sample) in enumerate(rows):
        problem = next(iter(validator.iter_errors(item)), None)
        if problem is not None:
            out.append(_errored(item, echo, "invalid_item", f"item does not match the item_schema: {problem.message}"))
            continue
        usage: Usage = {}
        if sampler is not None:
            try:
                messages = render_input(sampler.input_messages, item)
            except ValueError as exc:
                out.append(_errored(item, echo, "invalid_input_messages", str(exc)))
                continue
            result = complete(sampler.model, messages, sampler.params, sampler.encoder, f"{salt}:{index}")
            choice = result.choices[0]
            text = choice.content or ""
            namespace = sample_from_text(text, list(choice.tool_calls))
            _add(usage, sampler.model_name, result.prompt_tokens, result.completion_tokens)
            sample = _empty_sample(echo, sampler.model_name)
            output: dict[str, Any] = {"role": "assistant", "content": text}
            if choice.tool_calls:
                output["tool_calls"] = list(choice.tool_calls)
            sample.update(
                input=[{"role": m["role"], "content": m["content"]} for m in messages],
                output=[output],
                finish_reason=choice.finish_reason,
                usage={
                    "total_tokens": result.total_tokens,
                    "completion_tokens": result.completion_tokens,
                    "prompt_tokens": result.prompt_tokens,
                    "cached_tokens": 0,
                },
            )
        else:
            given = dict(given_sample) if isinstance(given_sample, Mapping) else {}
            given_text = given.get("output_text")
            namespace = {**sample_from_text(given_text), **given} if isinstance(given_text, str) else given
            sample = _empty_sample(echo, str(given.get("model") or ""))
            if isinstance(given_text, str):
                sample["output"] = [{"role": "assistant", "content": given_text}]
                sample["finish_reason"] = "stop"
        results: list[dict[str, Any]] = []
        for g in criteria:
            r = session.grade(g, item, namespace)
            entry: dict[str, Any] = {
                "name": g.get("id") or r.name,
                "type": r.type,
                "score": r.score,
                "passed": r.passed,
                "sample": r.sample,
            }
            if r.error is not None:
                entry["error"] = {"code": "grader_error", "message": r.error}
            for call in r.model_calls:
                _add(usage, call.model, count_prompt(call.input, (), encoder), encoder.count(call.output))
            results.append(entry)
        if any("error" in e for e in results):
            status = "error"
        else:
            status = "pass" if all(e["passed"] for e in results) else "fail"
        out.append(ItemOutcome(status, item, results, sample, usage))
    return out
