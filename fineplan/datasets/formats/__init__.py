"""Per-format example validators: each takes a parsed JSONL object and an `add(code, message)` sink and returns
the example's TokenPlan."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from fineplan.datasets.formats.chat import check_chat
from fineplan.datasets.formats.plan import AddFn, TokenPlan
from fineplan.datasets.formats.preference import check_preference
from fineplan.datasets.formats.reinforcement import check_reinforcement

Format = Literal["chat", "preference", "reinforcement"]
FORMATS: tuple[Format, ...] = ("chat", "preference", "reinforcement")
Validator = Callable[[dict[str, Any], AddFn], TokenPlan]

VALIDATORS: dict[str, Validator] = {
    "chat": check_chat,
    "preference": check_preference,
    "reinforcement": check_reinforcement,
}


def validator_for(fmt: str) -> Validator:
    try:
        return VALIDATORS[fmt]
    except KeyError:
        raise ValueError(f"unknown dataset format {fmt!r}; expected one of {', '.join(FORMATS)}") from None


__all__ = ["FORMATS", "VALIDATORS", "AddFn", "Format", "TokenPlan", "validator_for"]
