"""Errors in the shape each plane answers with.

Data plane: `{"error": {"code", "message", "param"}}` (the openai SDK maps the status to its own exception class).
ARM: `{"error": {"code", "message"}}` (azure-core maps 404/409/401 to ResourceNotFoundError, ResourceExistsError,
ClientAuthenticationError, everything else to HttpResponseError).
"""

from __future__ import annotations

from fineplan.emulator.http_types import Plane, Response, json_response


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.param = param
        self.headers = dict(headers or {})

    def to_response(self, plane: Plane) -> Response:
        if plane is Plane.ARM:
            body: dict[str, object] = {"code": self.code, "message": self.message}
            if self.param:
                body["target"] = self.param
        else:
            body = {"code": self.code, "message": self.message, "param": self.param, "type": "error"}
        return json_response(self.status, {"error": body}, self.headers)


def not_found(what: str, ident: str, plane: Plane) -> ApiError:
    if plane is Plane.ARM:
        return ApiError(404, "DeploymentNotFound", f"The specified deployment '{ident}' does not exist.")
    return ApiError(404, "notFound", f"The specified {what} '{ident}' could not be found.")


def invalid(message: str, param: str | None = None) -> ApiError:
    return ApiError(400, "invalidPayload", message, param)
