"""The URL map: one table of (method, path pattern, operation name, handler). Operation names are what scripted
faults refer to. Data-plane paths accept both `/openai/...` (dated) and `/openai/v1/...`, at the bare root (the
default account) or under `/accounts/{name}` (that account's data plane; `split_account_prefix` strips it before
routing, so data routes never see it); ARM paths match case-insensitively, as ARM does."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from fineplan.emulator.apierror import ApiError
from fineplan.emulator.http_types import Plane, Request, Response

Handler = Callable[[Request], Response]

_DATA = r"^/openai(?:/v1)?"
_ACCOUNT = (
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.CognitiveServices"
    r"/accounts/(?P<account>[^/]+)"
)
_LOCATION = r"^/subscriptions/(?P<sub>[^/]+)/providers/Microsoft\.CognitiveServices/locations/(?P<location>[^/]+)"
_RESOURCE_GROUP = r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.CognitiveServices"
_SUBSCRIPTION = r"^/subscriptions/(?P<sub>[^/]+)/providers/Microsoft\.CognitiveServices"
_ACCOUNT_PREFIX = re.compile(r"^/accounts/(?P<name>[^/]+)(?P<rest>/openai(?:/.*)?)$")


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    op: str
    handler: Handler
    dated_only: bool = False


def data_route(method: str, path: str, op: str, handler: Handler, *, dated_only: bool = False) -> Route:
    return Route(method, re.compile(_DATA + path + "$"), op, handler, dated_only)


def v1_route(method: str, path: str, op: str, handler: Handler) -> Route:
    """A route Azure serves in the v1 style only (e.g. `/openai/v1/chat/completions`, whose dated form is per
    deployment)."""
    return Route(method, re.compile(r"^/openai/v1" + path + "$"), op, handler)


def arm_route(method: str, path: str, op: str, handler: Handler, *, base: str = _ACCOUNT) -> Route:
    return Route(method, re.compile(base + path + "$", re.IGNORECASE), op, handler)


def location_route(method: str, path: str, op: str, handler: Handler) -> Route:
    return arm_route(method, path, op, handler, base=_LOCATION)


def resource_group_route(method: str, path: str, op: str, handler: Handler) -> Route:
    return arm_route(method, path, op, handler, base=_RESOURCE_GROUP)


def subscription_route(method: str, path: str, op: str, handler: Handler) -> Route:
    return arm_route(method, path, op, handler, base=_SUBSCRIPTION)


def split_account_prefix(path: str) -> tuple[str | None, str]:
    """`/accounts/dev/openai/files` → ("dev", "/openai/files"); any other path → (None, path)."""
    m = _ACCOUNT_PREFIX.match(path)
    return (m.group("name"), m.group("rest")) if m else (None, path)


def classify(path: str) -> Plane | None:
    if path.startswith("/openai/v1/") or path == "/openai/v1":
        return Plane.DATA_V1
    if path.startswith("/openai/"):
        return Plane.DATA_DATED
    if path.lower().startswith("/subscriptions/"):
        return Plane.ARM
    return None


class Router:
    def __init__(self, routes: list[Route]) -> None:
        self.routes = routes

    def match(self, req: Request) -> Route:
        allowed = False
        for route in self.routes:
            m = route.pattern.match(req.path)
            if m is None or (route.dated_only and req.plane is Plane.DATA_V1):
                continue
            if route.method != req.method:
                allowed = True
                continue
            req.params = {k: v for k, v in m.groupdict().items() if v is not None}
            return route
        if allowed:
            raise ApiError(405, "MethodNotAllowed", f"The method {req.method} is not allowed on {req.path}.")
        if req.plane is Plane.ARM:
            raise ApiError(404, "InvalidResourceType", f"No ARM resource is served at {req.path}.")
        raise ApiError(404, "404", "Resource not found")
