"""DPO: exactly `input: {messages, tools?, parallel_tool_calls?}`, `preferred_output`, `non_preferred_output`."""

from __future__ import annotations

from typing import Any

from fineplan.datasets import codes as C
from fineplan.datasets.formats.messages import (
    OUTPUT_A,
    OUTPUT_B,
    OUTPUT_ROLES,
    PROMPT,
    check_messages,
    check_tools,
)
from fineplan.datasets.formats.plan import AddFn, TokenPlan

KEYS = frozenset({"input", "preferred_output", "non_preferred_output"})
INPUT_KEYS = frozenset({"messages", "tools", "parallel_tool_calls"})


def check_preference(example: dict[str, Any], add: AddFn) -> TokenPlan:
    plan = TokenPlan()
    plan.b_texts = []
    if len(example) != 3 or not KEYS.issuperset(example):
        missing = sorted(KEYS.difference(example))
        extra = sorted(str(k) for k in example if k not in KEYS)
        parts = ([f"missing {', '.join(missing)}"] if missing else []) + (
            [f"unknown {', '.join(map(repr, extra))}"] if extra else []
        )
        add(C.DPO_KEYS, f"needs exactly input, preferred_output, non_preferred_output ({'; '.join(parts)})")
    inp = example.get("input")
    call_ids: set[str] = set()
    if type(inp) is not dict:
        if inp is not None:
            add(C.DPO_INPUT, "input must be an object with 'messages'")
    else:
        msgs = inp.get("messages")
        if type(msgs) is not list or not msgs:
            add(C.DPO_INPUT, "input.messages must be a non-empty list")
        else:
            call_ids = check_messages(msgs, add, plan, PROMPT, "input.messages").call_ids
        if not INPUT_KEYS.issuperset(inp):
            extra = sorted(str(k) for k in inp if k not in INPUT_KEYS)
            add(C.DPO_INPUT, f"input has unknown key(s) {', '.join(map(repr, extra))}")
        check_tools(inp, add, plan, "input.")
    for key, mode in (("preferred_output", OUTPUT_A), ("non_preferred_output", OUTPUT_B)):
        out = example.get(key)
        if out is None:
            continue
        if type(out) is not list or not out:
            add(C.DPO_OUTPUT, f"{key} must be a non-empty list of assistant messages")
            continue
        s = check_messages(out, add, plan, mode, key, OUTPUT_ROLES, call_ids)
        if s.assistants == 0 and s.roles_ok:
            add(C.DPO_OUTPUT, f"{key} has no assistant message")
    pref, nonpref = example.get("preferred_output"), example.get("non_preferred_output")
    if pref is not None and pref == nonpref:
        add(C.DPO_IDENTICAL, "preferred_output and non_preferred_output are identical: the pair teaches nothing")
    return plan
