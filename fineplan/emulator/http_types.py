"""Plain request/response values passed between the HTTP server and the handlers (no framework)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from fineplan.emulator.accounts import Account


class Plane(enum.Enum):
    DATA_DATED = "dated"  # {root}/openai/...?api-version=YYYY-MM-DD[-preview]
    DATA_V1 = "v1"  # {root}/openai/v1/...
    ARM = "arm"  # {root}/subscriptions/...


@dataclass(slots=True)
class Request:
    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-cased names
    body: bytes
    # The base of absolute URLs in answers: scheme://host:port as the client addressed us, plus `/accounts/{name}`
    # for a data-plane request to a named account's prefix.
    root: str
    plane: Plane = Plane.DATA_DATED
    params: dict[str, str] = field(default_factory=dict)  # path parameters
    # The account the request is for: data plane (the prefix's account, or the default one at the bare root) and
    # ARM routes under accounts/{a}. `account.data` partitions files and jobs; `account.key` keys deployments.
    account: Account | None = None

    def json(self) -> Any:
        from fineplan.emulator.apierror import ApiError

        if not self.body:
            return {}
        try:
            return orjson.loads(self.body)
        except orjson.JSONDecodeError as exc:
            raise ApiError(400, "invalidPayload", f"The request body is not valid JSON: {exc}") from exc

    @property
    def api_version(self) -> str | None:
        return self.query.get("api-version")

    @property
    def data_account(self) -> str:
        """The data-plane partition of this request ("" = the default account's)."""
        return self.account.data if self.account is not None else ""


@dataclass(slots=True)
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = "application/json"


def json_response(status: int, obj: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(status, orjson.dumps(obj), dict(headers or {}))


def empty_response(status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(status, b"", dict(headers or {}), content_type=None)
