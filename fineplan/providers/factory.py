"""Open the provider a target names. There is one code path: target `local` is the Azure provider pointed at the
embedded emulator (or at a running one named by FINEPLAN_EMULATOR_URL, whose key, if it was started with one, is
read from FINEPLAN_EMULATOR_API_KEY), with a fixed key and a stub credential.

An emulator in open mode serves every account from one root (they share a data plane); one that declares its
accounts gives each its own, so the provider then knows those accounts' subscriptions and resource groups and finds
their endpoints through ARM (`properties.endpoint`), exactly as on Azure (one ARM client per subscription). A local
target that lists `accounts` declares them (and its default account) to its embedded emulator, so a project that
promotes across accounts runs from a plain clone; otherwise the data dir's emulator.yaml may declare them.

    with open_provider(root, "local", target) as handle:
        handle.provider.list_jobs()
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from fineplan.providers.azure.connection import AccountRef, Connection, Tuning, refs_of
from fineplan.providers.azure.credentials import (
    EntraCredential,
    StaticTokenCredential,
    api_key_from_env,
    require_safe_transport,
    token_from_env,
)
from fineplan.providers.azure.provider import AzureProvider
from fineplan.spec.models import AzureTarget, LocalTarget

if TYPE_CHECKING:
    from fineplan.emulator.config import AccountSpec
    from fineplan.emulator.embedded import EmbeddedEmulator

EMULATOR_URL_ENV = "FINEPLAN_EMULATOR_URL"
EMULATOR_KEY_ENV = "FINEPLAN_EMULATOR_API_KEY"  # only for a running emulator started with `--api-key`
LOCAL_API_KEY = "fineplan-local"  # not a secret: the emulator is this machine's own stand-in for Azure


def local_provider(
    url: str,
    target: LocalTarget,
    *,
    api_key: str = LOCAL_API_KEY,
    tuning: Tuning | None = None,
    accounts: Mapping[str, str | AccountRef] | None = None,
    data_endpoint: str | None = None,
) -> AzureProvider:
    """The Azure provider pointed at an emulator root serving both planes. Without `accounts` (an emulator in open
    mode) every account lives there; with them (declared account -> resource group or AccountRef) those are the
    target's other accounts, each with its own endpoint. The key doubles as the ARM bearer token, which is what an
    emulator started with `--api-key` checks. `data_endpoint`: the target account's data plane, when it is not the
    emulator's default account (served at the root)."""
    root = url.rstrip("/")
    connection = Connection(
        endpoint=(data_endpoint or root).rstrip("/"),
        subscription_id=target.subscription_id,
        account=target.account,
        resource_group=target.resource_group,
        management_endpoint=root,
        accounts=dict(accounts or {}),
        shared_root=accounts is None,
    )
    return AzureProvider(
        connection,
        api_key=api_key,
        credential=StaticTokenCredential(api_key),
        tuning=tuning or Tuning.local(),
    )


def azure_provider(target: AzureTarget, *, tuning: Tuning | None = None) -> tuple[AzureProvider, EntraCredential]:
    """The provider of an azure target and the credential it uses (the caller closes it): the API key of
    `api_key_env` for the data plane, the ARM token of `arm_token_env` for deployments, Entra ID for the rest.
    Missing env vars fail here, at plan start; a missing Entra credential fails, in one short error, at the
    first call that needs it (refresh reads ARM first thing)."""
    connection = Connection.from_target(target)
    require_safe_transport(connection.endpoint, "endpoint")
    require_safe_transport(connection.management_endpoint, "management_endpoint")
    api_key = api_key_from_env(target.api_key_env) if target.api_key_env else None
    arm_token = token_from_env(target.arm_token_env) if target.arm_token_env else None
    from fineplan.providers.azure.controlplane import management_scope

    credential = EntraCredential(arm_token=arm_token, management_scope=management_scope(connection))
    return AzureProvider(connection, api_key=api_key, credential=credential, tuning=tuning), credential


class ProviderHandle:
    """Owns a provider and, for an embedded local target, the emulator behind it; closing stops both."""

    def __init__(
        self,
        target_name: str,
        provider: AzureProvider,
        emulator: EmbeddedEmulator | None = None,
        credential: EntraCredential | None = None,
    ) -> None:
        self.target_name = target_name
        self.provider = provider
        self.emulator = emulator
        self._credential = credential
        self._closed = False

    @property
    def emulator_url(self) -> str | None:
        return self.emulator.url if self.emulator is not None else None

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self.provider.close()
        finally:
            if self._credential is not None:
                self._credential.close()  # DefaultAzureCredential holds HTTP sessions of its own
            if self.emulator is not None:
                self.emulator.stop()

    def __enter__(self) -> ProviderHandle:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def declared_accounts(emulator: EmbeddedEmulator, target: LocalTarget) -> dict[str, str | AccountRef] | None:
    """The other accounts an emulator declares, in any subscription, with those the target lists (the target's
    coordinates win), or None for an emulator in open mode."""
    declared = emulator.config.accounts
    if not declared:
        return None
    found: dict[str, str | AccountRef] = {
        a.name: AccountRef(a.subscription, a.resource_group, a.location) for a in declared if a.name != target.account
    }
    return found | refs_of(target)


def emulator_accounts(target: LocalTarget) -> list[AccountSpec] | None:
    """The accounts a local target declares to its embedded emulator: the default one first, then `accounts`
    (None: the target lists none, so emulator.yaml or open mode decides)."""
    if not target.accounts:
        return None
    from fineplan.emulator.config import LOCAL_LOCATION, AccountSpec
    from fineplan.spec.models import target_accounts

    return [
        AccountSpec(name, str(a.subscription_id), a.resource_group, a.region or LOCAL_LOCATION)
        for name, a in target_accounts(target).items()
    ]


def account_endpoint(emulator: EmbeddedEmulator, account: str) -> str | None:
    """The data-plane URL of a declared account that is not the emulator's default (None: the root serves it)."""
    config = emulator.config
    if not config.accounts or account.lower() == config.default_account.name.lower():
        return None
    return f"{emulator.url}/accounts/{account}"


def open_provider(project_root: Path, target_name: str, target: LocalTarget | AzureTarget) -> ProviderHandle:
    """Start what the target needs and return a handle to use as a context manager."""
    if isinstance(target, AzureTarget):
        provider, credential = azure_provider(target)
        return ProviderHandle(target_name, provider, credential=credential)
    if isinstance(target, LocalTarget):
        external = os.environ.get(EMULATOR_URL_ENV, "").strip()
        if external:
            key = os.environ.get(EMULATOR_KEY_ENV, "").strip() or LOCAL_API_KEY
            accounts = refs_of(target) or None  # the running emulator must serve them (its emulator.yaml)
            return ProviderHandle(target_name, local_provider(external, target, api_key=key, accounts=accounts))
        from fineplan.emulator.embedded import EmbeddedEmulator, project_data_dir  # server code only when embedded

        # The embedded emulator checks the same fixed key the provider sends, so auth headers are exercised too.
        declared = emulator_accounts(target)
        emulator = EmbeddedEmulator(
            project_data_dir(project_root),
            speed=target.speed,
            api_key=LOCAL_API_KEY,
            accounts=declared,
            default_account=target.account if declared else None,
        )
        emulator.start()
        try:
            provider = local_provider(
                emulator.url,
                target,
                accounts=declared_accounts(emulator, target),
                data_endpoint=account_endpoint(emulator, target.account),
            )
            return ProviderHandle(target_name, provider, emulator)
        except BaseException:
            emulator.stop()
            raise
    raise TypeError(f"unknown target type {type(target).__name__}")
