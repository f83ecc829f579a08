"""Chat SFT: `{"messages": [...], "tools"?: [...], "parallel_tool_calls"?: bool}` (legacy `functions` too)."""

from __future__ import annotations

from typing import Any

from fineplan.datasets import codes as C
from fineplan.datasets.formats.messages import CHAT, check_called, check_messages, check_tools, no_messages
from fineplan.datasets.formats.plan import AddFn, TokenPlan

KEYS = frozenset({"messages", "tools", "parallel_tool_calls", "functions"})


def check_chat(example: dict[str, Any], add: AddFn) -> TokenPlan:
    plan = TokenPlan()
    msgs = example.get("messages")
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
            add(C.NO_ASSISTANT, "example has no assistant message: there is nothing to learn")
        elif s.trainable == 0:
            add(C.NO_TRAINABLE_TOKENS, "every assistant message has weight 0: the example trains nothing")
        if s.users == 0:
            add(C.NO_USER_MESSAGE, "example has no user message")
    return plan
