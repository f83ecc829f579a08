"""Where the provider connects and how patiently: plain values built from a target, no SDK imports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fineplan.errors import ConfigError

if TYPE_CHECKING:
    from fineplan.spec.models import AzureTarget, LocalTarget

DEFAULT_API_VERSION = "2025-04-01-preview"
DEFAULT_MANAGEMENT_ENDPOINT = "https://management.azure.com"
DATA_PLANE_SCOPE = "https://cognitiveservices.azure.com/.default"
MANAGEMENT_SCOPE = "https://management.azure.com/.default"


@dataclass(frozen=True, slots=True)
class Tuning:
    """Retry, polling and timeout knobs. The defaults suit Azure; `Tuning.local()` suits the emulator."""

    max_retries: int = 5  # openai SDK retries of 408/409/429/5xx and connection errors per call
    arm_retry_total: int = 8  # azure-core retries per ARM request (GET/PUT/DELETE on 408/429/5xx)
    arm_retry_backoff: float = 0.8  # azure-core backoff factor (seconds, doubled per retry)
    lro_polling_interval: float = 10.0  # used only when ARM sends no Retry-After
    file_poll_interval: float = 5.0
    conflict_backoff: float = 2.0  # first wait after a 409 "another operation", doubled per retry
    conflict_backoff_max: float = 30.0
    write_deadline: float = 1800.0  # give up retrying one ARM write (409/429/5xx) after this many seconds
    request_timeout: float = 600.0

    @classmethod
    def local(cls) -> Tuning:
        """For the emulator on loopback: it answers fast and sends `retry-after-ms` on operations in flight."""
        return cls(
            arm_retry_backoff=0.05,
            lro_polling_interval=0.05,
            file_poll_interval=0.05,
            conflict_backoff=0.02,
            conflict_backoff_max=0.5,
            write_deadline=300.0,
            request_timeout=60.0,
        )


@dataclass(frozen=True, slots=True)
class AccountRef:
    """Where ARM finds one account: its subscription and resource group (and region, when declared)."""

    subscription_id: str
    resource_group: str
    region: str | None = None


@dataclass(frozen=True, slots=True)
class Connection:
    """One target: the data-plane endpoint of its default account and the ARM coordinates of its accounts.

    `shared_root` means every account is served from `endpoint` and lives in `resource_group` (the emulator:
    accounts spring into being on first use); otherwise only the default account and `accounts` are known.
    """

    endpoint: str
    subscription_id: str
    account: str
    resource_group: str
    management_endpoint: str = DEFAULT_MANAGEMENT_ENDPOINT
    api_version: str = DEFAULT_API_VERSION
    # extra account -> its resource group (in the target's subscription) or its AccountRef
    accounts: Mapping[str, str | AccountRef] = field(default_factory=dict)
    shared_root: bool = False

    def account_ref(self, account: str) -> AccountRef:
        if account == self.account or self.shared_root:
            return AccountRef(self.subscription_id, self.resource_group)
        try:
            found = self.accounts[account]
        except KeyError:
            known = ", ".join(sorted({self.account, *self.accounts}))
            raise ConfigError(
                f"account {account!r} is not part of this target (known: {known}); "
                "add it under the target's `accounts` with its resource group"
            ) from None
        return AccountRef(self.subscription_id, found) if isinstance(found, str) else found

    def resource_group_for(self, account: str) -> str:
        return self.account_ref(account).resource_group

    def subscription_for(self, account: str) -> str:
        return self.account_ref(account).subscription_id

    @property
    def management_over_http(self) -> bool:
        return self.management_endpoint.startswith("http://")

    @classmethod
    def from_target(cls, target: AzureTarget) -> Connection:
        return cls(
            endpoint=target.endpoint,
            subscription_id=target.subscription_id,
            account=target.account,
            resource_group=target.resource_group,
            management_endpoint=target.management_endpoint,
            api_version=target.api_version,
            accounts=refs_of(target),
        )


def refs_of(target: LocalTarget | AzureTarget) -> dict[str, str | AccountRef]:
    """A target's extra accounts as the connection knows them."""
    from fineplan.spec.models import target_accounts

    return {
        name: AccountRef(str(a.subscription_id), a.resource_group, a.region)
        for name, a in target_accounts(target).items()
        if name != target.account
    }
