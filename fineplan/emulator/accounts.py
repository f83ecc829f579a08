"""The accounts one emulator serves: each a Microsoft.CognitiveServices account with a subscription, resource
group and location, and a data plane of its own.

Two modes, chosen by the config:

- **Open** (nothing declared; the default, and how every data dir before multi-account support behaves): any
  account ARM names springs into being, as before. These *implicit* accounts share the default account's data
  plane, so a model trained at the root deploys into any of them without `properties.model.source`.
- **Declared** (`accounts:` in emulator.yaml or `EmulatorConfig.accounts`): only declared accounts and accounts
  created with ARM `PUT accounts/{a}` exist; anything else is ARM's 404. Accounts created by PUT (in either mode)
  are real accounts with their own data plane.

Data-plane URLs: the bare root (`{root}/openai/...`) is the default account; `{root}/accounts/{name}/openai/...`
is the account named `name` (account names are unique in one emulator, as Azure's custom subdomains are). Every
data-plane request carries its `Account` (`Request.account`); `Account.data` names the partition its files and
jobs live in ("" for the default account's, shared by implicit accounts).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from fineplan.emulator.apierror import ApiError
from fineplan.emulator.config import ACCOUNT_NAME, AccountSpec, EmulatorConfig
from fineplan.emulator.store import Store, dumps, loads

PROVIDER = "Microsoft.CognitiveServices"
DEFAULT_DATA = ""  # the default account's data-plane partition
NAME = ACCOUNT_NAME


@dataclass(frozen=True, slots=True)
class Account:
    subscription: str
    resource_group: str
    name: str
    location: str
    kind: str = "AIServices"
    sku: str = "S0"
    data: str = DEFAULT_DATA  # the data-plane partition: "" = the default account's
    implicit: bool = False  # sprang into being on first use (open mode); shares the default data plane
    created_at: float = 0.0
    tags: dict[str, str] | None = None
    shared_plane: bool = False  # open mode's default data plane, shared with every implicit account

    @property
    def key(self) -> str:
        """What ARM-side rows (deployments, operations) are keyed by."""
        return account_key(self.subscription, self.resource_group, self.name)

    @property
    def arm_id(self) -> str:
        return (
            f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}/providers/{PROVIDER}"
            f"/accounts/{self.name}"
        )

    @property
    def own_data_plane(self) -> bool:
        return self.data != DEFAULT_DATA


def account_key(subscription: str, resource_group: str, name: str) -> str:
    return f"{subscription}/{resource_group}/{name}".lower()


def parse_account_id(resource_id: str) -> tuple[str, str, str] | None:
    """(subscription, resource group, account) of an account's ARM id (or of a Foundry project under it)."""
    m = re.match(
        r"^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.CognitiveServices/accounts/([^/]+)"
        r"(?:/projects/[^/]+)?/?$",
        resource_id.strip(),
        re.IGNORECASE,
    )
    return (m.group(1), m.group(2), m.group(3)) if m else None


def not_found(subscription: str, resource_group: str, name: str, *, nested: bool) -> ApiError:
    """ARM's 404 for a missing account, or for a nested resource (deployment, models) under one."""
    if nested:
        return ApiError(
            404,
            "ParentResourceNotFound",
            f"Can not perform requested operation on nested resource. Parent resource '{name}' not found.",
        )
    return ApiError(
        404,
        "ResourceNotFound",
        f"The Resource '{PROVIDER}/accounts/{name}' under resource group '{resource_group}' was not found. "
        "For more details please go to https://aka.ms/ARMResourceNotFoundFix",
    )


_COLUMNS = "subscription, resource_group, name, location, kind, sku, data, implicit, created_at, tags"


class AccountRegistry:
    """Accounts live in the store's `accounts` table; declared ones are written there at start."""

    def __init__(self, store: Store, config: EmulatorConfig, now: float) -> None:
        self.store = store
        self.config = config
        self.declared_mode = bool(config.accounts)
        spec = config.default_account
        self._default = Account(
            spec.subscription, spec.resource_group, spec.name, spec.location, spec.kind, spec.sku, DEFAULT_DATA
        )
        with store.write() as db:
            self._upsert(db, replace(self._default, created_at=now))
            for declared in config.accounts:
                if declared.name.lower() != spec.name.lower():
                    self._upsert(db, _from_spec(declared, now))

    # ------------------------------------------------------------ lookups

    @property
    def default(self) -> Account:
        return self._stored(self._default.key) or self._view(self._default)

    def get(self, subscription: str, resource_group: str, name: str) -> Account | None:
        """A stored account, or in open mode the implicit account ARM would create (not stored until written)."""
        found = self._stored(account_key(subscription, resource_group, name))
        if found is not None or self.declared_mode:
            return found
        return self._implicit(subscription, resource_group, name)

    def require(self, subscription: str, resource_group: str, name: str, *, nested: bool) -> Account:
        found = self.get(subscription, resource_group, name)
        if found is None:
            raise not_found(subscription, resource_group, name, nested=nested)
        return found

    def by_name(self, name: str) -> Account | None:
        """The account a data-plane prefix `/accounts/{name}` names (open mode: an implicit one if unknown)."""
        if name.lower() == self._default.name.lower():
            return self.default
        row = (
            self.store.read()
            .execute(f"SELECT {_COLUMNS} FROM accounts WHERE name = ? COLLATE NOCASE ORDER BY created_at", (name,))
            .fetchone()
        )
        if row is not None:
            return self._view(_from_row(row))
        if self.declared_mode:
            return None
        return self._implicit(self._default.subscription, self._default.resource_group, name)

    def listed(self, subscription: str, resource_group: str | None = None) -> list[Account]:
        db = self.store.read()
        if resource_group is None:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM accounts WHERE subscription = ? COLLATE NOCASE ORDER BY created_at",
                (subscription,),
            ).fetchall()
        else:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM accounts WHERE subscription = ? COLLATE NOCASE "
                "AND resource_group = ? COLLATE NOCASE ORDER BY created_at",
                (subscription, resource_group),
            ).fetchall()
        return [self._view(_from_row(r)) for r in rows]

    def all(self) -> list[Account]:
        rows = self.store.read().execute(f"SELECT {_COLUMNS} FROM accounts ORDER BY created_at").fetchall()
        accounts = [self._view(_from_row(r)) for r in rows]
        default_key = self._default.key
        return sorted(accounts, key=lambda a: a.key != default_key)  # the default first, then by age

    # ------------------------------------------------------------ writes

    def persist(self, db: sqlite3.Connection, account: Account, now: float) -> Account:
        """Store an implicit account on its first write (as ARM did before: accounts spring into being)."""
        if self._stored(account.key, db) is not None:
            return account
        stored = replace(account, created_at=now)
        self._upsert(db, stored)
        return stored

    def create(self, db: sqlite3.Connection, spec: AccountSpec, tags: dict[str, str] | None, now: float) -> Account:
        """A real account (PUT accounts/{a}) with its own data plane."""
        clash = db.execute(
            "SELECT subscription, resource_group FROM accounts WHERE name = ? COLLATE NOCASE AND key != ?",
            (spec.name, account_key(spec.subscription, spec.resource_group, spec.name)),
        ).fetchone()
        if clash is not None or (
            spec.name.lower() == self._default.name.lower()
            and account_key(spec.subscription, spec.resource_group, spec.name) != self._default.key
        ):
            raise ApiError(
                409,
                "CustomDomainInUse",
                f"The account name '{spec.name}' is already in use by another account of this emulator (names are "
                "its data-plane subdomains, unique like Azure's custom subdomains).",
            )
        account = replace(_from_spec(spec, now), tags=tags)
        self._upsert(db, account)
        return self._stored(account.key, db) or account

    def delete(self, db: sqlite3.Connection, account: Account) -> None:
        db.execute("DELETE FROM accounts WHERE key = ?", (account.key,))

    # ------------------------------------------------------------ helpers

    def _stored(self, key: str, db: sqlite3.Connection | None = None) -> Account | None:
        conn = db or self.store.read()
        row = conn.execute(f"SELECT {_COLUMNS} FROM accounts WHERE key = ?", (key,)).fetchone()
        return None if row is None else self._view(_from_row(row))

    def _implicit(self, subscription: str, resource_group: str, name: str) -> Account:
        return self._view(Account(subscription, resource_group, name, self._default.location, implicit=True))

    def _view(self, account: Account) -> Account:
        """What lookups answer: rows from before accounts had locations get the default one; in open mode the
        default data plane is marked shared (every implicit account's deployments answer there)."""
        location = account.location or self._default.location
        shared = not self.declared_mode and not account.own_data_plane
        return replace(account, location=location, shared_plane=shared)

    @staticmethod
    def _upsert(db: sqlite3.Connection, account: Account) -> None:
        """Insert, or update an existing account's settings (its creation time stays)."""
        db.execute(
            "INSERT INTO accounts(key, subscription, resource_group, name, location, kind, sku, data, implicit, "
            "created_at, tags) VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(key) DO UPDATE SET "
            "location = excluded.location, kind = excluded.kind, sku = excluded.sku, data = excluded.data, "
            "implicit = excluded.implicit, tags = excluded.tags",
            (
                account.key,
                account.subscription,
                account.resource_group,
                account.name,
                account.location,
                account.kind,
                account.sku,
                account.data,
                int(account.implicit),
                account.created_at,
                None if account.tags is None else dumps(account.tags),
            ),
        )


def _from_spec(spec: AccountSpec, now: float) -> Account:
    key = account_key(spec.subscription, spec.resource_group, spec.name)
    return Account(
        spec.subscription, spec.resource_group, spec.name, spec.location, spec.kind, spec.sku, key, created_at=now
    )


def _from_row(row: Iterable[Any]) -> Account:
    sub, rg, name, location, kind, sku, data, implicit, created_at, tags = row
    return Account(
        subscription=str(sub),
        resource_group=str(rg),
        name=str(name),
        location=str(location or ""),
        kind=str(kind or "AIServices"),
        sku=str(sku or "S0"),
        data=str(data or DEFAULT_DATA),
        implicit=bool(implicit),
        created_at=float(created_at),
        tags=loads(tags) if tags else None,
    )
