"""Credentials: an API key only through a named env var, otherwise Entra ID via DefaultAzureCredential.

ARM (deployments) always needs an Entra token, even when an API key serves the data plane. It comes from the env
var a target names in `arm_token_env` (a bearer token, e.g. `az account get-access-token`), else from
DefaultAzureCredential. When no credential is available the first call that needs one fails with one short
ProviderError saying what to do, instead of azure-identity's credential-chain dump (its log warning is dropped).

Keys and tokens are passed straight to the SDKs; nothing here logs or stores them. azure-identity and azure-core
are imported inside the functions that need them.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from fineplan.errors import ConfigError, ProviderError

if TYPE_CHECKING:
    from azure.core.credentials import AccessToken, AccessTokenInfo, TokenCredential
    from azure.core.pipeline.policies import SansIOHTTPPolicy

_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
_MANAGEMENT_SCOPE = "https://management.azure.com/.default"
_CHAIN_LOGGER = "azure.identity._credentials.chained"  # logs the whole credential chain at WARNING on failure
_ENTRA_SOURCES = (
    "run `az login`, set AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET, or use a managed identity"
)
NO_ARM_CREDENTIAL = (
    "ARM (deployments) needs an Entra ID credential and none is available: "
    f"{_ENTRA_SOURCES}; or put an ARM bearer token in the env var named by the target's `arm_token_env`"
)
NO_DATA_PLANE_CREDENTIAL = (
    "The data plane (files, jobs) needs an API key or an Entra ID credential and none is available: "
    f"{_ENTRA_SOURCES}; or name an env var holding the key in the target's `api_key_env`"
)


def api_key_from_env(env_name: str) -> str:
    """The key held by `env_name`; the error names the variable, never a value."""
    value = os.environ.get(env_name, "").strip()
    if not value:
        raise ConfigError(f"environment variable {env_name} (the target's api_key_env) is not set or empty")
    return value


def token_from_env(env_name: str) -> str:
    """The bearer token held by `env_name` (the target's arm_token_env); the error names the variable only."""
    value = os.environ.get(env_name, "").strip()
    if not value:
        raise ConfigError(f"environment variable {env_name} (the target's arm_token_env) is not set or empty")
    return value.removeprefix("Bearer ").strip()


def default_credential(arm_token: str | None = None) -> TokenCredential:
    """The credential of an azure target: `arm_token` (from arm_token_env) for ARM when given, Entra ID via
    DefaultAzureCredential for everything else, failing with one short error when none is available."""
    return EntraCredential(arm_token=arm_token)


class EntraCredential:
    """A TokenCredential: the given ARM token for the management scope, else DefaultAzureCredential (built on
    first use). A failure to get a token becomes one short ProviderError (not a chain dump)."""

    def __init__(self, *, arm_token: str | None = None, management_scope: str = _MANAGEMENT_SCOPE) -> None:
        self._arm = StaticTokenCredential(arm_token, expires_on=_jwt_expiry(arm_token)) if arm_token else None
        self._management_scope = management_scope
        self._inner: Any = None
        self._guard = threading.Lock()

    def __repr__(self) -> str:  # never shows a token
        return f"EntraCredential(arm_token={'set' if self._arm else 'none'})"

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        if self._arm is not None and self._is_management(scopes):
            return self._arm.get_token(*scopes)
        return self._call(scopes, lambda inner: inner.get_token(*scopes, **kwargs))

    def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        if self._arm is not None and self._is_management(scopes):
            return self._arm.get_token_info(*scopes)
        return self._call(scopes, lambda inner: inner.get_token_info(*scopes, options=options))

    def close(self) -> None:
        with self._guard:
            inner, self._inner = self._inner, None
        if inner is not None:
            inner.close()

    def _is_management(self, scopes: tuple[str, ...]) -> bool:
        return any(s.rstrip("/") in (self._management_scope, _MANAGEMENT_SCOPE) for s in scopes)

    def _call(self, scopes: tuple[str, ...], fn: Callable[[Any], Any]) -> Any:
        from azure.core.exceptions import ClientAuthenticationError

        inner = self._default()
        try:
            return fn(inner)
        except ClientAuthenticationError:  # CredentialUnavailableError is one too
            message = NO_ARM_CREDENTIAL if self._is_management(scopes) else NO_DATA_PLANE_CREDENTIAL
            raise ProviderError(message, code="CredentialUnavailable") from None

    def _default(self) -> Any:
        with self._guard:
            if self._inner is None:
                from azure.identity import DefaultAzureCredential

                _quiet_chain_log()
                self._inner = DefaultAzureCredential()
            return self._inner


class _DropChainWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno < logging.WARNING


def _quiet_chain_log() -> None:
    """azure-identity logs every credential it tried at WARNING when the chain fails; the short error says it."""
    logger = logging.getLogger(_CHAIN_LOGGER)
    if not any(isinstance(f, _DropChainWarning) for f in logger.filters):
        logger.addFilter(_DropChainWarning())


def _jwt_expiry(token: str | None) -> int | None:
    """A JWT's `exp` (read, not verified: only to report when the token lapses), else None."""
    try:
        payload = (token or "").split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return int(claims["exp"])
    except (IndexError, ValueError, KeyError, TypeError):
        return None


def token_provider(credential: TokenCredential, scope: str) -> Callable[[], str]:
    """A cached bearer-token callable for the openai SDK's `azure_ad_token_provider`."""
    from azure.identity import get_bearer_token_provider

    return get_bearer_token_provider(credential, scope)


def is_loopback(url: str) -> bool:
    return (urlsplit(url).hostname or "") in _LOOPBACK


def require_safe_transport(url: str, what: str) -> None:
    """Real credentials travel over https, or over plain http only to this machine (a local emulator)."""
    if url.startswith("http://") and not is_loopback(url):
        raise ConfigError(f"{what} {url} uses plain http to another host; credentials are only sent over https")


def bearer_policy_over_http(credential: TokenCredential, scope: str) -> SansIOHTTPPolicy[Any, Any]:
    """azure-core's bearer policy refuses non-TLS URLs; this one sets the header itself (for the emulator)."""
    from azure.core.pipeline.policies import SansIOHTTPPolicy

    get_token = token_provider(credential, scope)

    class BearerOverHttp(SansIOHTTPPolicy[Any, Any]):
        def on_request(self, request: Any) -> None:
            request.http_request.headers["Authorization"] = f"Bearer {get_token()}"

    return BearerOverHttp()


class StaticTokenCredential:
    """A TokenCredential that always returns one fixed token: for the local emulator, which accepts any, and for a
    token handed over in `arm_token_env` (`expires_on`: when it lapses, if known)."""

    def __init__(self, token: str, lifetime: int = 3600, *, expires_on: int | None = None) -> None:
        self._token = token
        self._lifetime = lifetime
        self._expires_on = expires_on

    def __repr__(self) -> str:  # never shows the token
        return "StaticTokenCredential(***)"

    def _expiry(self) -> int:
        return self._expires_on if self._expires_on is not None else int(time.time()) + self._lifetime

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        from azure.core.credentials import AccessToken

        return AccessToken(self._token, self._expiry())

    def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        from azure.core.credentials import AccessTokenInfo

        return AccessTokenInfo(self._token, self._expiry())

    def close(self) -> None:
        """Nothing to release; present because azure-core may call it."""
