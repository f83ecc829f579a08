"""The emulator's knobs and their documented defaults.

Precedence everywhere: explicit argument / CLI flag, then environment (FINEPLAN_EMULATOR_SPEED,
FINEPLAN_EMULATOR_FAULTS), then `emulator.yaml` in the data dir (quota, page size, durations), then the defaults
below. Durations are *simulated* seconds; the speed factor divides them into real seconds.

Account quota (per account and SKU, in the SKU's capacity unit: thousands of tokens per minute, or PTUs for
provisioned SKUs) defaults to DEFAULT_QUOTA. Azure's real quotas vary by subscription and region; these are
generous but finite so that InsufficientQuota can be reached on purpose, e.g. with `emulator.yaml`:

    quota: {GlobalStandard: 50}

Accounts (see accounts.py): none declared means open mode, where every account ARM names springs into being and
shares the default account's data plane. Declaring accounts serves exactly those (and those created by ARM PUT),
each with its own data plane; the first is the default (served at the bare root) unless `default_account` names
another:

    accounts:
      - {name: dev, subscription: 00000000-0000-0000-0000-000000000001, resource_group: rg-dev,
         location: swedencentral}
      - {name: prod, subscription: 00000000-0000-0000-0000-000000000002, resource_group: rg-prod,
         location: eastus2}
    default_account: dev
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from fineplan.errors import ConfigError

SPEED_ENV = "FINEPLAN_EMULATOR_SPEED"
FAULTS_ENV = "FINEPLAN_EMULATOR_FAULTS"
OVERRIDES_FILE = "emulator.yaml"

# Simulated time runs this many times faster than real time unless told otherwise. With 25 examples per file and
# 3 epochs, an SFT job then a DPO job on it (≈ 270 + 435 simulated seconds with the real sample data) take ≈ 18 s
# in total, each reporting ~75 steps as it goes; a deployment create (60 simulated seconds) takes 1.5 s.
DEFAULT_SPEED = 40.0

# The default account matches the `local` target's defaults, so ARM ids the provider builds name a real account.
DEFAULT_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
DEFAULT_RESOURCE_GROUP = "fineplan-local"
DEFAULT_ACCOUNT = "local"
LOCAL_LOCATION = "local"  # the emulator's own region: no region availability applies
ACCOUNT_KINDS = ("AIServices", "OpenAI")
ACCOUNT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,63}$")  # ARM's pattern for Cognitive Services accounts

DEFAULT_QUOTA: Mapping[str, int] = {
    "standard": 300,
    "globalstandard": 1000,
    "datazonestandard": 500,
    "developertier": 500,
    "provisionedmanaged": 100,
    "globalprovisionedmanaged": 100,
    "datazoneprovisionedmanaged": 100,
    "globalbatch": 1000,
    "datazonebatch": 1000,
}


@dataclass(frozen=True, slots=True)
class Durations:
    """Simulated seconds each step takes (divided by the speed factor at run time)."""

    file_processing: float = 20.0
    job_queue: float = 60.0
    job_startup: float = 60.0
    epoch_min: float = 30.0
    training_tokens_per_second: float = 200.0
    rft_slowdown: float = 4.0  # RFT samples and grades: the same data takes longer per epoch
    job_finalize: float = 60.0
    deployment_create: float = 60.0
    deployment_update: float = 30.0
    deployment_delete: float = 30.0
    eval_queue: float = 30.0  # an eval run waits this long before sampling starts
    eval_item: float = 2.0  # then samples and grades one data source item per this many seconds


@dataclass(frozen=True, slots=True)
class AccountSpec:
    """An account to serve: its ARM coordinates and region."""

    name: str
    subscription: str = DEFAULT_SUBSCRIPTION
    resource_group: str = DEFAULT_RESOURCE_GROUP
    location: str = LOCAL_LOCATION
    kind: str = "AIServices"
    sku: str = "S0"


@dataclass(frozen=True, slots=True)
class EmulatorConfig:
    speed: float = DEFAULT_SPEED
    api_key: str | None = None
    faults: str | None = None
    quota: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_QUOTA))
    durations: Durations = field(default_factory=Durations)
    deployment_page_size: int = 100
    data_list_default_limit: int = 20
    data_list_max_limit: int = 10_000
    location: str = LOCAL_LOCATION  # where operation status URLs of the default account point
    default_account: AccountSpec = field(default_factory=lambda: AccountSpec(DEFAULT_ACCOUNT))
    accounts: tuple[AccountSpec, ...] = ()  # declared accounts (the default among them); empty = open mode
    # Polling hint (real milliseconds) sent on in-flight operations; the SDKs would otherwise wait 30 s.
    max_retry_after_ms: int = 1000
    # Real seconds one python grader call may take (Azure documents minutes; tests set a second or less).
    python_grader_timeout_s: float = 60.0

    def __post_init__(self) -> None:
        if not self.speed > 0:
            raise ConfigError(f"emulator speed must be > 0, got {self.speed}")

    def quota_for(self, sku: str) -> int:
        return int(self.quota.get(sku.lower(), 0))

    def with_accounts(self, accounts: tuple[AccountSpec, ...], default: str | None = None) -> EmulatorConfig:
        """Declare `accounts` (the first is the default unless `default` names another)."""
        if not accounts:
            return self
        names = [a.name.lower() for a in accounts]
        duplicate = next((n for n in names if names.count(n) > 1), None)
        if duplicate is not None:
            raise ConfigError(f"emulator account {duplicate!r} is declared twice (account names must be unique)")
        chosen = accounts[0]
        if default is not None:
            found = [a for a in accounts if a.name.lower() == default.lower()]
            if not found:
                raise ConfigError(f"default_account {default!r} is not one of the declared accounts")
            chosen = found[0]
        return replace(self, accounts=accounts, default_account=chosen, location=chosen.location)

    def with_quota(self, overrides: Mapping[str, int]) -> EmulatorConfig:
        merged = dict(self.quota)
        merged.update({k.lower(): int(v) for k, v in overrides.items()})
        return replace(self, quota=merged)


def resolve_speed(explicit: float | None) -> float:
    if explicit is not None:
        return float(explicit)
    raw = os.environ.get(SPEED_ENV)
    if raw:
        try:
            return float(raw)
        except ValueError as exc:
            raise ConfigError(f"{SPEED_ENV} must be a number, got {raw!r}") from exc
    return DEFAULT_SPEED


def resolve_faults(explicit: str | None) -> str | None:
    return explicit if explicit is not None else (os.environ.get(FAULTS_ENV) or None)


def load_overrides(config: EmulatorConfig, data_dir: Path) -> EmulatorConfig:
    """Apply `emulator.yaml` from the data dir, if present (quota, deployment_page_size, durations,
    python_grader_timeout_s)."""
    path = data_dir / OVERRIDES_FILE
    if not path.is_file():
        return config
    import yaml

    raw = yaml.safe_load(path.read_text("utf-8")) or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping")
    return apply_overrides(config, raw, source=str(path))


def apply_overrides(config: EmulatorConfig, raw: Mapping[str, Any], *, source: str = "overrides") -> EmulatorConfig:
    known = {"quota", "deployment_page_size", "durations", "python_grader_timeout_s", "accounts", "default_account"}
    unknown = set(raw) - known
    if unknown:
        raise ConfigError(f"{source}: unknown keys {sorted(unknown)} (known: {sorted(known)})")
    if "quota" in raw:
        config = config.with_quota(dict(raw["quota"]))
    if "python_grader_timeout_s" in raw:
        config = replace(config, python_grader_timeout_s=float(raw["python_grader_timeout_s"]))
    if "deployment_page_size" in raw:
        config = replace(config, deployment_page_size=int(raw["deployment_page_size"]))
    if "durations" in raw:
        names = {f.name for f in fields(Durations)}
        bad = set(raw["durations"]) - names
        if bad:
            raise ConfigError(f"{source}: unknown durations {sorted(bad)}")
        config = replace(
            config, durations=replace(config.durations, **{k: float(v) for k, v in raw["durations"].items()})
        )
    if "accounts" in raw or "default_account" in raw:
        accounts = parse_accounts(raw.get("accounts"), source)
        default = raw.get("default_account")
        if default is not None and not isinstance(default, str):
            raise ConfigError(f"{source}: default_account must be an account name")
        if default is not None and not accounts:
            raise ConfigError(f"{source}: default_account needs `accounts` to choose from")
        config = config.with_accounts(accounts, default)
    return config


def parse_accounts(raw: Any, source: str) -> tuple[AccountSpec, ...]:
    """`accounts:` of emulator.yaml: a list of {name, subscription?, resource_group?, location?, kind?, sku?}."""
    from fineplan.catalog.regions import load_regions

    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ConfigError(f"{source}: accounts must be a list of {{name, subscription, resource_group, location}}")
    known = {f.name for f in fields(AccountSpec)}
    regions = load_regions()
    out: list[AccountSpec] = []
    for i, item in enumerate(raw):
        where = f"{source}: accounts[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"]:
            raise ConfigError(f"{where}: expected a mapping with a `name`")
        bad = set(item) - known
        if bad:
            raise ConfigError(f"{where}: unknown keys {sorted(bad)} (known: {sorted(known)})")
        if not all(isinstance(v, str) and v for v in item.values()):
            raise ConfigError(f"{where}: every value must be a non-empty string")
        spec = AccountSpec(**item)
        if not ACCOUNT_NAME.match(spec.name):
            raise ConfigError(f"{where}: account name {spec.name!r} must be 2-64 letters, digits, '_', '.' or '-'")
        if spec.location != LOCAL_LOCATION and not regions.is_region(spec.location):
            raise ConfigError(
                f"{where}: location {spec.location!r} is not an Azure OpenAI region "
                f"(use one of {', '.join(sorted(regions.regions))}, or {LOCAL_LOCATION!r})"
            )
        if spec.kind not in ACCOUNT_KINDS:
            raise ConfigError(f"{where}: kind must be one of {', '.join(ACCOUNT_KINDS)}")
        out.append(spec)
    return tuple(out)
