"""Credentials: an API key only through a named env var, otherwise Entra ID via DefaultAzureCredential.

Keys and tokens are passed straight to the SDKs; nothing here logs or stores them. azure-identity and azure-core
are imported inside the functions that need them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from fineplan.errors import ConfigError

if TYPE_CHECKING:
    from azure.core.credentials import AccessToken, AccessTokenInfo, TokenCredential
    from azure.core.pipeline.policies import SansIOHTTPPolicy

_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def api_key_from_env(env_name: str) -> str:
    """The key held by `env_name`; the error names the variable, never a value."""
    value = os.environ.get(env_name, "").strip()
    if not value:
        raise ConfigError(f"environment variable {env_name} (the target's api_key_env) is not set or empty")
    return value


def default_credential() -> TokenCredential:
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential()


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
    """A TokenCredential that always returns one fixed token: for the local emulator, which accepts any."""

    def __init__(self, token: str, lifetime: int = 3600) -> None:
        self._token = token
        self._lifetime = lifetime

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        from azure.core.credentials import AccessToken

        return AccessToken(self._token, int(time.time()) + self._lifetime)

    def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        from azure.core.credentials import AccessTokenInfo

        return AccessTokenInfo(self._token, int(time.time()) + self._lifetime)

    def close(self) -> None:
        """Nothing to release; present because azure-core may call it."""
