"""Chat SFT: `{"messages": [...], "tools"?: [...], "parallel_tool_calls"?: bool}` (legacy `functions` too)."""

from __future__ import annotations

from typing import Any

from fineplan.datasets import codes as C
from fineplan.datasets.formats.messages import CHAT, check_called, check_messages, check_tools, no_messages
from fineplan.datasets.formats.plan import AddFn, TokenPlan
from fineplan.datasets.tokens import ROLE_TOKENS, TOKENS_PER_MESSAGE

KEYS = frozenset({"messages", "tools", "parallel_tool_calls", "functions"})
PER_MESSAGE = TOKENS_PER_MESSAGE + ROLE_TOKENS
NO_ASSISTANT_MESSAGE = "example has no assistant message: there is nothing to learn"
NO_USER_MESSAGE = "example has no user message"


def check_chat(example: dict[str, Any], add: AddFn) -> TokenPlan:
    msgs = example.get("messages")
    if len(example) == 1 and type(msgs) is list and msgs:
        plan = simple_chat(msgs, add)
        if plan is not None:
            return plan
    return general_chat(example, add)


def general_chat(example: dict[str, Any], add: AddFn) -> TokenPlan:
    msgs = example.get("messages")
    plan = TokenPlan()
    if type(msgs) is not list or not msgs:
        add(C.MISSING_MESSAGES, no_messages(msgs))
        return plan
    if not KEYS.issuperset(example):
        extra = sorted(str(k) for k in example if k not in KEYS)
        add(C.UNKNOWN_EXAMPLE_KEY, f"unknown top-level key(s) {', '.join(map(repr, extra))} (Azure ignores them)")
    declared = check_tools(example, add, plan) if len(example) > 1 else None
    s = check_messages(msgs, add, plan, CHAT)
    check_called(declared, s.called, add)
    if s.roles_ok:
        if s.assistants == 0:
            add(C.NO_ASSISTANT, NO_ASSISTANT_MESSAGE)
        elif s.trainable == 0:
            add(C.NO_TRAINABLE_TOKENS, "every assistant message has weight 0: the example trains nothing")
        if s.users == 0:
            add(C.NO_USER_MESSAGE, NO_USER_MESSAGE)
    return plan


def simple_chat(msgs: list[Any], add: AddFn) -> TokenPlan | None:
    """The common case, checked in one tight loop: only {role, content: text} messages of system, developer,
    user and assistant. Same result as the general path; None sends anything else there."""
    plan = TokenPlan()
    p_texts, a_texts = plan.p_texts, plan.a_texts
    users = assistants = chars = trained = 0
    for m in msgs:
        if type(m) is not dict or len(m) != 2:
            return None
        content = m.get("content")
        if type(content) is not str or not content or content.isspace():
            return None
        role = m.get("role")
        if role == "user":
            users += 1
            p_texts.append(content)
        elif role == "assistant":
            assistants += 1
            a_texts.append(content)
            trained += len(content)
        elif role == "system" or role == "developer":
            p_texts.append(content)
        else:
            return None
        chars += len(content)
    plan.p_fixed += PER_MESSAGE * (len(msgs) - assistants)
    plan.a_fixed += PER_MESSAGE * assistants
    plan.known_chars = (chars, trained)
    if assistants == 0:
        add(C.NO_ASSISTANT, NO_ASSISTANT_MESSAGE)
    if users == 0:
        add(C.NO_USER_MESSAGE, NO_USER_MESSAGE)
    return plan
