"""Open the provider a target names. There is one code path: target `local` is the Azure provider pointed at the
embedded emulator (or at a running one named by FINEPLAN_EMULATOR_URL, whose key, if it was started with one, is
read from FINEPLAN_EMULATOR_API_KEY), with a fixed key and a stub credential.

    with open_provider(root, "local", target) as handle:
        handle.provider.list_jobs()
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from fineplan.providers.azure.connection import Connection, Tuning
from fineplan.providers.azure.credentials import StaticTokenCredential
from fineplan.providers.azure.provider import AzureProvider
from fineplan.spec.models import AzureTarget, LocalTarget

if TYPE_CHECKING:
    from fineplan.emulator.embedded import EmbeddedEmulator

EMULATOR_URL_ENV = "FINEPLAN_EMULATOR_URL"
EMULATOR_KEY_ENV = "FINEPLAN_EMULATOR_API_KEY"  # only for a running emulator started with `--api-key`
LOCAL_API_KEY = "fineplan-local"  # not a secret: the emulator is this machine's own stand-in for Azure


def local_provider(
    url: str, target: LocalTarget, *, api_key: str = LOCAL_API_KEY, tuning: Tuning | None = None
) -> AzureProvider:
    """The Azure provider pointed at an emulator root serving both planes; every account lives there. The key
    doubles as the ARM bearer token, which is what an emulator started with `--api-key` checks."""
    root = url.rstrip("/")
    connection = Connection(
        endpoint=root,
        subscription_id=target.subscription_id,
        account=target.account,
        resource_group=target.resource_group,
        management_endpoint=root,
        shared_root=True,
    )
    return AzureProvider(
        connection,
        api_key=api_key,
        credential=StaticTokenCredential(api_key),
        tuning=tuning or Tuning.local(),
    )


class ProviderHandle:
    """Owns a provider and, for an embedded local target, the emulator behind it; closing stops both."""

    def __init__(self, target_name: str, provider: AzureProvider, emulator: EmbeddedEmulator | None = None) -> None:
        self.target_name = target_name
        self.provider = provider
        self.emulator = emulator
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
            if self.emulator is not None:
                self.emulator.stop()

    def __enter__(self) -> ProviderHandle:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def open_provider(project_root: Path, target_name: str, target: LocalTarget | AzureTarget) -> ProviderHandle:
    """Start what the target needs and return a handle to use as a context manager."""
    if isinstance(target, AzureTarget):
        return ProviderHandle(target_name, AzureProvider.from_target(target))
    if isinstance(target, LocalTarget):
        external = os.environ.get(EMULATOR_URL_ENV, "").strip()
        if external:
            key = os.environ.get(EMULATOR_KEY_ENV, "").strip() or LOCAL_API_KEY
            return ProviderHandle(target_name, local_provider(external, target, api_key=key))
        from fineplan.emulator.embedded import EmbeddedEmulator, project_data_dir  # server code only when embedded

        # The embedded emulator checks the same fixed key the provider sends, so auth headers are exercised too.
        emulator = EmbeddedEmulator(project_data_dir(project_root), speed=target.speed, api_key=LOCAL_API_KEY)
        emulator.start()
        try:
            return ProviderHandle(target_name, local_provider(emulator.url, target), emulator)
        except BaseException:
            emulator.stop()
            raise
    raise TypeError(f"unknown target type {type(target).__name__}")
