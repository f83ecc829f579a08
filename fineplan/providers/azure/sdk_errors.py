"""Turn the SDKs' exceptions into ProviderError (with Azure's code) without leaking request headers or keys.

The SDK modules are imported only when an exception has to be classified, and only if already loaded: an
exception from openai or azure-core implies its SDK is in `sys.modules`.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from fineplan.errors import ProviderError

CONFLICT_CODES = frozenset({"RequestConflict", "AnotherOperationInProgress", "OperationInProgress"})


def status_of(exc: BaseException) -> int | None:
    """The HTTP status of an SDK error (openai `status_code`, azure-core `status_code`), None if there was none."""
    status = getattr(exc, "status_code", None)
    return status if isinstance(status, int) else None


def code_and_message(exc: BaseException) -> tuple[str | None, str]:
    """Azure's error code and message, read from the parsed error body when there is one."""
    # openai: APIStatusError.body is the "error" object (or the whole body if it had no "error" key)
    body = getattr(exc, "body", None)
    if isinstance(body, Mapping):
        inner = body.get("error", body)
        if isinstance(inner, Mapping) and (inner.get("code") or inner.get("message")):
            return _str_or_none(inner.get("code")), str(inner.get("message") or "")
    # azure-core: HttpResponseError.error is an ODataV4Format with code/message
    error = getattr(exc, "error", None)
    if error is not None and (getattr(error, "code", None) or getattr(error, "message", None)):
        return _str_or_none(error.code), str(error.message or "")
    code = getattr(exc, "code", None) or getattr(exc, "error_code", None)
    message = getattr(exc, "message", None) or str(exc)
    return _str_or_none(getattr(code, "value", code)), str(message).splitlines()[0] if message else type(exc).__name__


def is_not_found(exc: BaseException) -> bool:
    if status_of(exc) == 404:
        return True
    core = sys.modules.get("azure.core.exceptions")
    return bool(core and isinstance(exc, core.ResourceNotFoundError))


def is_operation_conflict(exc: BaseException) -> bool:
    """409 because another operation is running on the account (Azure: retry later), not a permanent conflict."""
    if status_of(exc) != 409:
        return False
    code, message = code_and_message(exc)
    return code in CONFLICT_CODES or "another operation" in message.lower()


def is_transient(exc: BaseException) -> bool:
    """Worth another try later: throttling, server errors, and the per-account operation conflict."""
    status = status_of(exc)
    if status is not None:
        return status in (408, 429) or status >= 500 or is_operation_conflict(exc)
    return _is_connection_error(exc)


def _is_connection_error(exc: BaseException) -> bool:
    openai = sys.modules.get("openai")
    if openai and isinstance(exc, openai.APIConnectionError):
        return True
    core = sys.modules.get("azure.core.exceptions")
    return bool(core and isinstance(exc, core.ServiceRequestError | core.ServiceResponseError))


def to_provider_error(exc: BaseException, doing: str) -> ProviderError:
    """`doing` says what fineplan was doing ("creating fine-tuning job"), for a message a user can act on."""
    if isinstance(exc, ProviderError):
        return exc
    status = status_of(exc)
    code, message = code_and_message(exc)
    if _is_connection_error(exc):
        return ProviderError(f"{doing}: cannot reach the service ({type(exc).__name__}: {message})", code=code)
    if _is_auth_error(exc):
        return ProviderError(
            f"{doing}: authentication failed ({message})", code=code or "AuthenticationFailed", status=status
        )
    head = " ".join(p for p in (str(status) if status else None, code) if p) or type(exc).__name__
    return ProviderError(f"{doing}: {head}: {message}", code=code, status=status)


def _is_auth_error(exc: BaseException) -> bool:
    if status_of(exc) in (401, 403):
        return True
    core = sys.modules.get("azure.core.exceptions")
    return bool(core and isinstance(exc, core.ClientAuthenticationError))


def _str_or_none(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None
