"""Chat completions on a deployment (`fineplan chat`), through `openai.AzureOpenAI` on the deployment's account.

A deployment answers on its own account's data-plane endpoint, which for an account other than the target's
default one is read from ARM (`properties.endpoint`), so the client is built per call for that endpoint with the
provider's own credentials. The SDK's retries (429/5xx) apply; what is left becomes a ProviderError.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from fineplan.providers.azure.connection import Connection, Tuning
from fineplan.providers.azure.sdk_errors import to_provider_error
from fineplan.providers.base import ChatReply

if TYPE_CHECKING:
    from collections.abc import Callable


def chat_completion(
    connection: Connection,
    tuning: Tuning,
    endpoint: str,
    deployment: str,
    messages: list[dict[str, str]],
    *,
    max_tokens: int | None = None,
    api_key: str | None = None,
    token_provider: Callable[[], str] | None = None,
) -> ChatReply:
    from fineplan.providers.azure.dataplane import build_client

    client = build_client(
        replace(connection, endpoint=endpoint.rstrip("/")), tuning, api_key=api_key, token_provider=token_provider
    )
    kwargs: dict[str, Any] = {"model": deployment, "messages": messages}
    if max_tokens is not None:
        # Not `max_tokens`: reasoning models (o4-mini and its RFT fine-tunes, gpt-5) refuse it with
        # "unsupported_parameter"; every chat model of the data-plane API versions fineplan uses takes this one.
        kwargs["max_completion_tokens"] = max_tokens
    try:
        with client:
            response = client.chat.completions.create(**kwargs)
    except Exception as exc:
        raise to_provider_error(exc, f"asking deployment {deployment}") from exc
    choice = response.choices[0] if response.choices else None
    usage = response.usage
    return ChatReply(
        content=(choice.message.content or "") if choice is not None else "",
        model=str(response.model or ""),
        finish_reason=str(choice.finish_reason) if choice is not None and choice.finish_reason else None,
        usage=(
            {
                "prompt_tokens": int(usage.prompt_tokens),
                "completion_tokens": int(usage.completion_tokens),
                "total_tokens": int(usage.total_tokens),
            }
            if usage is not None
            else {}
        ),
    )
