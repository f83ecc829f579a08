"""Processing of uploaded training files: which format, how many examples and tokens, and the first bad line.

The project's dataset validator (`fineplan.datasets.first_error` / `count_training_tokens`) decides when it is
installed; until then, and for anything it cannot answer, a small structural check and a crude token estimate
(≈ 4 characters per token) stand in. Everything goes through `analyse()`, the one entry point.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from fineplan.catalog import load_catalog

CHAT, PREFERENCE, REINFORCEMENT = "chat", "preference", "reinforcement"
ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})

# Which dataset format each fine-tuning method trains on.
METHOD_FORMAT = {"supervised": CHAT, "dpo": PREFERENCE, "reinforcement": REINFORCEMENT}


@dataclass(frozen=True, slots=True)
class FileAnalysis:
    format: str | None
    examples: int
    tokens: int  # one epoch's training tokens
    error: tuple[int, str, str] | None  # (line, rule code, message) of the first bad line

    @property
    def ok(self) -> bool:
        return self.error is None

    def describe_error(self) -> str:
        if self.error is None:
            return ""
        line, code, message = self.error
        return f"Invalid training file: line {line}: {code}: {message}"


def analyse(data: bytes) -> FileAnalysis:
    own = structural_analysis(data)
    external = _external_validator()
    if external is None or own.format is None:
        return own
    first_error, count_tokens = external
    try:
        error = first_error(data, own.format)
        tokens = _count_with(count_tokens, data, own.format) if error is None else own.tokens
    except (TypeError, ValueError, KeyError, NotImplementedError):
        return own  # an interface mismatch with the validator must not take the emulator down
    if error is not None:
        line, code, message = error
        return FileAnalysis(own.format, own.examples, own.tokens, (int(line), str(code), str(message)))
    if own.error is not None and own.error[1] == "too_few_examples":
        return own
    return FileAnalysis(own.format, own.examples, int(tokens), None)


def _external_validator() -> tuple[Callable[..., Any], Callable[..., Any]] | None:
    try:
        from fineplan.datasets import count_training_tokens, first_error
    except ImportError:
        return None
    return first_error, count_training_tokens


def _count_with(count_tokens: Callable[..., Any], data: bytes, fmt: str) -> int:
    with tempfile.TemporaryDirectory(prefix="fineplan-emu-") as tmp:
        path = Path(tmp) / "upload.jsonl"
        path.write_bytes(data)
        return int(count_tokens(path, fmt))


def structural_analysis(data: bytes) -> FileAnalysis:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return FileAnalysis(None, 0, 0, (_line_of(data, exc.start), "encoding", "the file is not valid UTF-8"))
    fmt: str | None = None
    examples = tokens = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = orjson.loads(line)
        except orjson.JSONDecodeError:
            return FileAnalysis(fmt, examples, tokens, (number, "invalid_json", "the line is not valid JSON"))
        if not isinstance(row, dict):
            return FileAnalysis(fmt, examples, tokens, (number, "data_type", "each line must be a JSON object"))
        if fmt is None:
            fmt = _infer_format(row)
        problem = _check_row(row, fmt)
        if problem is not None:
            return FileAnalysis(fmt, examples, tokens, (number, *problem))
        examples += 1
        tokens += _estimate_tokens(row)
    minimum = load_catalog().limits["min_examples"]
    if examples < minimum:
        last = max(1, len(text.splitlines()))
        return FileAnalysis(
            fmt,
            examples,
            tokens,
            (last, "too_few_examples", f"the file has {examples} examples; at least {minimum} are required"),
        )
    return FileAnalysis(fmt, examples, tokens, None)


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _infer_format(row: dict[str, Any]) -> str:
    if "input" in row and "preferred_output" in row:
        return PREFERENCE
    messages = row.get("messages")
    last = messages[-1] if isinstance(messages, list) and messages else None
    return REINFORCEMENT if isinstance(last, dict) and last.get("role") == "user" else CHAT


def _check_row(row: dict[str, Any], fmt: str) -> tuple[str, str] | None:
    if fmt == PREFERENCE:
        return _check_preference(row)
    problem = _check_messages(row.get("messages"))
    if problem is not None:
        return problem
    messages = row["messages"]
    if fmt == REINFORCEMENT:
        if messages[-1].get("role") != "user":
            return "last_message_not_user", "a reinforcement example's last message must come from the user"
        return None
    if not any(m.get("role") == "assistant" for m in messages):
        return "example_missing_assistant_message", "the example has no assistant message"
    return None


def _check_messages(messages: Any) -> tuple[str, str] | None:
    if not isinstance(messages, list) or not messages:
        return "missing_messages_list", "the example needs a non-empty `messages` list"
    for index, message in enumerate(messages, start=1):
        if not isinstance(message, dict):
            return "data_type", f"message {index} is not an object"
        if "role" not in message:
            return "message_missing_key", f"message {index} has no `role`"
        if message["role"] not in ROLES:
            return "unrecognized_role", f"message {index} has the unknown role {message['role']!r}"
        has_call = bool(message.get("tool_calls") or message.get("function_call"))
        if message.get("content") is None and not has_call:
            return "missing_content", f"message {index} has no content"
    return None


def _check_preference(row: dict[str, Any]) -> tuple[str, str] | None:
    for key in ("input", "preferred_output", "non_preferred_output"):
        if key not in row:
            return "missing_preference_key", f"the example has no `{key}`"
    inp = row["input"]
    if not isinstance(inp, dict):
        return "data_type", "`input` must be an object"
    problem = _check_messages(inp.get("messages"))
    if problem is not None:
        return problem
    for key in ("preferred_output", "non_preferred_output"):
        output = row[key]
        problem = _check_messages(output)
        if problem is not None:
            return problem[0], f"`{key}`: {problem[1]}"
        if not any(m.get("role") == "assistant" for m in output):
            return "example_missing_assistant_message", f"`{key}` has no assistant message"
    return None


def _estimate_tokens(row: dict[str, Any]) -> int:
    """≈ 4 characters per token over every string in the example, plus a few per message for the framing."""
    chars = 0
    messages = 0
    stack: list[Any] = [row]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            chars += len(value)
        elif isinstance(value, dict):
            if "role" in value:
                messages += 1
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return chars // 4 + 4 * messages + 3
