"""Cursor paging as the openai SDK expects it: `limit`, `after` (an id), `order`; `has_more` and first/last ids."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fineplan.emulator.apierror import ApiError, invalid


@dataclass(frozen=True, slots=True)
class Page:
    limit: int
    after_seq: int | None
    descending: bool


def read_page(
    query: Mapping[str, str],
    db: sqlite3.Connection,
    table: str,
    *,
    default_limit: int,
    max_limit: int,
    allow_order: bool = False,
    account: str | None = None,
) -> Page:
    """`account`: the cursor must name an item of this data plane (tables with an `account` column)."""
    raw_limit = query.get("limit")
    try:
        limit = default_limit if raw_limit in (None, "") else int(raw_limit)
    except ValueError as exc:
        raise invalid(f"limit must be an integer, got {raw_limit!r}", "limit") from exc
    if not 1 <= limit <= max_limit:
        raise invalid(f"limit must be between 1 and {max_limit}", "limit")
    order = (query.get("order") or "desc").lower() if allow_order else "desc"
    if order not in ("asc", "desc"):
        raise invalid("order must be asc or desc", "order")
    after_seq = None
    after = query.get("after")
    if after:
        if account is None:
            row = db.execute(f"SELECT seq FROM {table} WHERE id = ?", (after,)).fetchone()
        else:
            row = db.execute(f"SELECT seq FROM {table} WHERE id = ? AND account = ?", (after, account)).fetchone()
        if row is None:
            raise ApiError(400, "invalidPayload", f"The cursor 'after={after}' does not name a known item.", "after")
        after_seq = int(row[0])
    return Page(limit, after_seq, order == "desc")


def where_after(page: Page) -> tuple[str, tuple[Any, ...]]:
    """SQL condition + params placing rows after the cursor, and the ORDER BY for the page."""
    if page.after_seq is None:
        return "1=1", ()
    return ("seq < ?" if page.descending else "seq > ?"), (page.after_seq,)


def order_by(page: Page) -> str:
    return "seq DESC" if page.descending else "seq ASC"


def list_body(items: list[dict[str, Any]], has_more: bool) -> dict[str, Any]:
    return {
        "object": "list",
        "data": items,
        "has_more": has_more,
        "first_id": items[0]["id"] if items else None,
        "last_id": items[-1]["id"] if items else None,
    }
