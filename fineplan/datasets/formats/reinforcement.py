"""RFT: `messages` whose last message is from the user; every other top-level field is an item field for graders."""

from __future__ import annotations

from typing import Any

from fineplan.datasets import codes as C
from fineplan.datasets.formats.messages import PROMPT, check_messages, check_tools, no_messages
from fineplan.datasets.formats.plan import AddFn, TokenPlan


def check_reinforcement(example: dict[str, Any], add: AddFn) -> TokenPlan:
    plan = TokenPlan()
    msgs = example.get("messages")
    if type(msgs) is not list or not msgs:
        add(C.MISSING_MESSAGES, no_messages(msgs))
        return plan
    if "tools" in example or "parallel_tool_calls" in example:
        check_tools(example, add, plan)
    s = check_messages(msgs, add, plan, PROMPT)
    if s.roles_ok and s.last_role != "user":
        add(C.RFT_LAST_NOT_USER, f"the last message must be from the user, not {s.last_role}")
    return plan
