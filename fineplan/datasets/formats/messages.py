"""Checks shared by the three formats: a list of chat messages, and an example's `tools`.

This is the hot loop of dataset validation: it runs once per message of a possibly huge file, so the common case
(a dict with a known role and a string content) takes the fewest steps, and messages are formatted only for
findings.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from fineplan.datasets import codes as C
from fineplan.datasets.formats.images import check_image_part
from fineplan.datasets.formats.plan import AddFn, TokenPlan
from fineplan.datasets.tokens import ROLE_TOKENS, TOKENS_PER_MESSAGE, TOKENS_PER_NAME, TOKENS_PER_TOOL_CALL

ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
OUTPUT_ROLES = frozenset({"assistant", "tool"})
_COMMON = {"role", "content", "name", "weight"}  # weight is judged by FP426, not as an unknown key
ALLOWED_KEYS: dict[str, frozenset[str]] = {
    "system": frozenset(_COMMON),
    "developer": frozenset(_COMMON),
    "user": frozenset(_COMMON),
    "assistant": frozenset(_COMMON | {"tool_calls", "function_call"}),
    "tool": frozenset(_COMMON | {"tool_call_id"}),
    "function": frozenset(_COMMON),
}
FUNCTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_PER_MESSAGE = TOKENS_PER_MESSAGE + ROLE_TOKENS
_loads = orjson.loads

# Where a message's texts go in the TokenPlan.
PROMPT, CHAT, OUTPUT_A, OUTPUT_B = 0, 1, 2, 3


class MessagesSummary:
    """What the format checks need to know about a message list. Cheap to create: made once per example."""

    __slots__ = ("assistants", "call_ids", "called", "last_role", "roles_ok", "trainable", "users")

    def __init__(self, call_ids: set[str] | None) -> None:
        self.assistants = self.trainable = self.users = 0
        self.last_role: str | None = None
        self.call_ids: set[str] = set(call_ids) if call_ids else _NO_IDS
        self.called: list[str] = _NO_CALLS
        self.roles_ok = True

    def add_call_id(self, cid: str) -> None:
        if self.call_ids is _NO_IDS:
            self.call_ids = set()
        self.call_ids.add(cid)

    def add_called(self, name: str) -> None:
        if self.called is _NO_CALLS:
            self.called = []
        self.called.append(name)


_NO_IDS: set[str] = set()  # shared empty defaults, never mutated
_NO_CALLS: list[str] = []


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_messages(
    msgs: list[Any],
    add: AddFn,
    plan: TokenPlan,
    mode: int,
    where: str = "messages",
    roles: frozenset[str] = ROLES,
    call_ids: set[str] | None = None,
) -> MessagesSummary:
    """Validate `msgs` (already known to be a list) and add their texts to `plan` according to `mode`."""
    s = MessagesSummary(call_ids)
    p_texts = plan.p_texts
    out_texts = plan.a_texts if mode != OUTPUT_B else plan.b_texts
    assert out_texts is not None
    fixed_p = fixed_out = 0
    fast = roles is ROLES
    for i, m in enumerate(msgs):
        # Fast path: {"role": "system"|"developer"|"user"|"assistant", "content": "<non-blank text>"}.
        if fast and type(m) is dict and len(m) == 2:
            content = m.get("content")
            if type(content) is str and content and not content.isspace():
                role = m.get("role")
                if role == "user":
                    s.users += 1
                    s.last_role = role
                    p_texts.append(content)
                    fixed_p += _PER_MESSAGE
                    continue
                if role == "system" or role == "developer":
                    s.last_role = role
                    p_texts.append(content)
                    fixed_p += _PER_MESSAGE
                    continue
                if role == "assistant":
                    s.assistants += 1
                    s.last_role = role
                    if mode == CHAT:
                        s.trainable += 1
                        out_texts.append(content)
                        fixed_out += _PER_MESSAGE
                    else:
                        p_texts.append(content)
                        fixed_p += _PER_MESSAGE
                    continue
        if type(m) is not dict:
            add(C.MESSAGE_MISSING_KEY, f"{where}[{i}] is not an object: {_short(m)}")
            continue
        role = m.get("role")
        if type(role) is not str or role not in ROLES:
            if role is None:
                add(C.MESSAGE_MISSING_KEY, f"{where}[{i}] has no 'role'")
            else:
                add(C.UNKNOWN_ROLE, f"{where}[{i}] has unknown role {_short(role)}")
            s.roles_ok = False
            continue
        if role not in roles:
            add(C.DPO_OUTPUT, f"{where}[{i}] has role {role!r}; outputs hold assistant or tool messages only")
            s.roles_ok = False
        s.last_role = role
        allowed = ALLOWED_KEYS[role]
        if not allowed.issuperset(m):
            extra = sorted(str(k) for k in m if k not in allowed)
            add(C.UNKNOWN_MESSAGE_KEY, f"{where}[{i}] ({role}) has unknown key(s) {', '.join(map(repr, extra))}")

        # Which side of the plan this message's texts go to.
        trained = False
        if role == "assistant":
            s.assistants += 1
            if mode == CHAT:
                trained = True
                if "weight" in m:
                    w = m["weight"]
                    if type(w) not in (int, float) or w not in (0, 1):
                        add(C.INVALID_WEIGHT, f"{where}[{i}] weight must be 0 or 1, not {_short(w)}")
                    elif w == 0:
                        trained = False
            elif mode != PROMPT:
                trained = True
            if trained:
                s.trainable += 1
        elif "weight" in m:
            add(C.INVALID_WEIGHT, f"{where}[{i}] has a weight, but only assistant messages may")
        if mode >= OUTPUT_A and role == "tool":
            trained = True
        texts = out_texts if trained else p_texts
        n_fixed = _PER_MESSAGE

        name = m.get("name")
        if name is not None:
            if type(name) is str and name:
                texts.append(name)
                n_fixed += TOKENS_PER_NAME
            else:
                add(C.INVALID_CONTENT, f"{where}[{i}] name must be a non-empty string")
        elif role == "function":
            add(C.MESSAGE_MISSING_KEY, f"{where}[{i}] (function) has no 'name'")

        has_call = False
        if role == "assistant":
            tc = m.get("tool_calls")
            if tc is not None:
                has_call = True
                n_fixed += _check_tool_calls(tc, f"{where}[{i}].tool_calls", add, texts, s)
            fc = m.get("function_call")
            if fc is not None:
                has_call = True
                n_fixed += _check_function_call(fc, f"{where}[{i}].function_call", add, texts, s)
        elif role == "user":
            s.users += 1
        elif role == "tool":
            tid = m.get("tool_call_id")
            if tid is None:
                add(C.MESSAGE_MISSING_KEY, f"{where}[{i}] (tool) has no 'tool_call_id'")
            elif type(tid) is not str:
                add(C.UNMATCHED_TOOL_CALL_ID, f"{where}[{i}] tool_call_id must be a string")
            elif tid not in s.call_ids:
                add(C.UNMATCHED_TOOL_CALL_ID, f"{where}[{i}] tool_call_id {tid!r} matches no earlier tool call")
            else:
                texts.append(tid)

        content = m.get("content", _ABSENT)
        if type(content) is str:
            if content and not content.isspace():
                texts.append(content)
            elif not has_call:
                add(C.MISSING_CONTENT, f"{where}[{i}] ({role}) has empty content")
        elif content is _ABSENT:
            if not has_call:
                add(C.MESSAGE_MISSING_KEY, f"{where}[{i}] ({role}) has no 'content'")
        elif content is None:
            if not has_call:
                add(C.MISSING_CONTENT, f"{where}[{i}] ({role}) has null content")
        elif type(content) is list:
            n_fixed += _check_parts(content, role, f"{where}[{i}].content", add, texts, plan, has_call)
        else:
            add(C.INVALID_CONTENT, f"{where}[{i}] content must be a string or a list of parts, not {_kind(content)}")

        if trained:
            fixed_out += n_fixed
        else:
            fixed_p += n_fixed
    plan.p_fixed += fixed_p
    if mode == OUTPUT_B:
        plan.b_fixed += fixed_out
    else:
        plan.a_fixed += fixed_out
    return s


_ABSENT: Any = object()


def no_messages(msgs: Any) -> str:
    return "example has no 'messages' list" if msgs is None else "'messages' must be a non-empty list"


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def _check_parts(
    parts: list[Any], role: str, where: str, add: AddFn, texts: list[str], plan: TokenPlan, has_call: bool
) -> int:
    if not parts:
        if not has_call:
            add(C.MISSING_CONTENT, f"{where} is an empty list")
        return 0
    fixed = 0
    useful = False
    for j, part in enumerate(parts):
        if type(part) is not dict:
            add(C.INVALID_CONTENT, f"{where}[{j}] must be an object with a type")
            continue
        kind = part.get("type")
        if kind == "text":
            text = part.get("text")
            if type(text) is not str:
                add(C.INVALID_CONTENT, f"{where}[{j}] (text) needs a string 'text'")
            elif text and not text.isspace():
                texts.append(text)
                useful = True
        elif kind == "image_url":
            if role != "user":
                add(C.IMAGE_OUTSIDE_USER, f"{where}[{j}]: images are allowed in user messages only, not {role}")
                useful = True
                continue
            fixed += check_image_part(part, f"{where}[{j}]", add, plan)
            useful = True
        else:
            add(C.INVALID_CONTENT, f"{where}[{j}] has unknown part type {_short(kind)} (expected text or image_url)")
    if not useful and not has_call:
        add(C.MISSING_CONTENT, f"{where} has no text or image")
    return fixed


def _check_arguments(args: Any, where: str, add: AddFn, texts: list[str]) -> None:
    if type(args) is not str:
        add(C.ARGUMENTS_NOT_JSON, f"{where}.arguments must be a JSON-encoded string, not {_kind(args)}")
        return
    try:
        decoded = _loads(args)
    except orjson.JSONDecodeError:
        add(C.ARGUMENTS_NOT_JSON, f"{where}.arguments is not valid JSON: {_short(args)}")
        return
    if type(decoded) is not dict:
        add(C.ARGUMENTS_NOT_JSON, f"{where}.arguments must encode a JSON object, not {_kind(decoded)}")
    texts.append(args)


def _check_function(fn: Any, where: str, add: AddFn, texts: list[str], s: MessagesSummary) -> None:
    if type(fn) is not dict:
        add(C.INVALID_TOOL_CALL, f"{where} must be an object with name and arguments")
        return
    name = fn.get("name")
    if type(name) is not str or not name:
        add(C.INVALID_TOOL_CALL, f"{where}.name must be a non-empty string")
    else:
        texts.append(name)
        s.add_called(name)
    if "arguments" not in fn:
        add(C.INVALID_TOOL_CALL, f"{where} has no 'arguments'")
    else:
        _check_arguments(fn["arguments"], where, add, texts)
    extra = [k for k in fn if k not in ("name", "arguments")]
    if extra:
        add(C.INVALID_TOOL_CALL, f"{where} has unknown key(s) {', '.join(map(repr, sorted(map(str, extra))))}")


def _check_tool_calls(tc: Any, where: str, add: AddFn, texts: list[str], s: MessagesSummary) -> int:
    if type(tc) is not list or not tc:
        add(C.INVALID_TOOL_CALL, f"{where} must be a non-empty list")
        return 0
    for k, call in enumerate(tc):
        w = f"{where}[{k}]"
        if type(call) is not dict:
            add(C.INVALID_TOOL_CALL, f"{w} must be an object with id, type and function")
            continue
        cid = call.get("id")
        if type(cid) is not str or not cid:
            add(C.INVALID_TOOL_CALL, f"{w}.id must be a non-empty string")
        elif cid in s.call_ids:
            add(C.INVALID_TOOL_CALL, f"{w}.id {cid!r} is used twice in this example")
        else:
            s.add_call_id(cid)
        if call.get("type", "function") != "function":
            add(C.INVALID_TOOL_CALL, f"{w}.type must be 'function', not {_short(call.get('type'))}")
        if "function" not in call:
            add(C.INVALID_TOOL_CALL, f"{w} has no 'function'")
        else:
            _check_function(call["function"], f"{w}.function", add, texts, s)
        extra = [k for k in call if k not in ("id", "type", "function")]
        if extra:
            add(C.INVALID_TOOL_CALL, f"{w} has unknown key(s) {', '.join(map(repr, sorted(map(str, extra))))}")
    return TOKENS_PER_TOOL_CALL * len(tc)


def _check_function_call(fc: Any, where: str, add: AddFn, texts: list[str], s: MessagesSummary) -> int:
    _check_function(fc, where, add, texts, s)
    return TOKENS_PER_TOOL_CALL


def check_tools(example: dict[str, Any], add: AddFn, plan: TokenPlan, where: str = "") -> set[str] | None:
    """Validate `tools` / `functions` / `parallel_tool_calls`; return declared function names (None if none)."""
    declared: set[str] | None = None
    for key in ("tools", "functions"):
        if key not in example:
            continue
        value = example[key]
        w = f"{where}{key}"
        if type(value) is not list:
            add(C.INVALID_TOOLS, f"{w} must be a list")
            continue
        declared = declared if declared is not None else set()
        for k, tool in enumerate(value):
            fn = tool
            if key == "tools":
                if type(tool) is not dict or tool.get("type") != "function":
                    add(C.INVALID_TOOLS, f"{w}[{k}] must be an object with type 'function'")
                    continue
                fn = tool.get("function")
            if type(fn) is not dict:
                add(C.INVALID_TOOLS, f"{w}[{k}] needs a function object with a name")
                continue
            name = fn.get("name")
            if type(name) is not str or not FUNCTION_NAME.match(name):
                add(C.INVALID_TOOLS, f"{w}[{k}] function name {_short(name)} must match [A-Za-z0-9_-]{{1,64}}")
            else:
                declared.add(name)
            params = fn.get("parameters")
            if params is not None and type(params) is not dict:
                add(C.INVALID_TOOLS, f"{w}[{k}] parameters must be a JSON Schema object")
            desc = fn.get("description")
            if desc is not None and type(desc) is not str:
                add(C.INVALID_TOOLS, f"{w}[{k}] description must be a string")
        plan.p_texts.append(orjson.dumps(value).decode())
    ptc = example.get("parallel_tool_calls")
    if ptc is not None and type(ptc) is not bool:
        add(C.INVALID_TOOLS, f"{where}parallel_tool_calls must be true or false")
    return declared


def check_called(declared: set[str] | None, called: list[str], add: AddFn) -> None:
    if declared is None:
        return
    for name in called:
        if name not in declared:
            add(C.UNDECLARED_TOOL, f"tool call to {name!r}, which this example's tools do not declare")
            return
