"""Edits of the state document behind `fineplan state rm` and `state mv`. Pure: the caller reads, locks and writes."""

from __future__ import annotations

from collections.abc import Sequence

from fineplan.errors import StateError
from fineplan.resource import Kind
from fineplan.state.model import State


def remove(state: State, addresses: Sequence[str]) -> str:
    """Stop managing `addresses` for good: Azure keeps the objects and refresh never adopts them back."""
    missing = [a for a in addresses if a not in state.resources]
    if missing:
        raise StateError(f"not in state: {', '.join(missing)}")
    for address in addresses:
        state.forget(state.resources[address])
        state.remove(address)
    return (
        f"Removed {len(addresses)} resource(s) from state. The Azure objects are untouched and "
        "fineplan will not adopt them again (use `fineplan import` to manage one again)."
    )


def move(state: State, source: str, destination: str, *, keep_name: bool = False) -> str:
    """Give a record a new address of the same kind. `keep_name` keeps the record's name: for kinds whose name is
    their identity in Azure, which cannot rename them (a deployment), so a spec of the new name replaces it."""
    res = state.get(source)
    if res is None:
        raise StateError(f"{source} is not in state")
    if destination in state.resources:
        raise StateError(f"{destination} already exists in state")
    kind = Kind(res.kind)
    prefix, _, name = destination.partition(".")
    if prefix != kind.prefix or not name:
        raise StateError(f"{destination} must be {kind.prefix}.NAME for a {kind.value}")
    state.remove(source)
    res.address = destination
    if not keep_name:
        res.name = name
    state.put(res)
    return f"Moved {source} to {destination}."
