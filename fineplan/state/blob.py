"""State in an Azure Storage blob, for teams and CI (azure-storage-blob, imported lazily).

- Lock: a lease on the state blob itself (an empty blob is created first if there is none: a lease needs
  a blob; empty content reads as "no state yet"). The lease id is the LockInfo id (a UUID), and the LockInfo
  is kept in the blob's metadata so whoever is locked out sees who holds it. Leases are finite (60 s by
  default) and renewed by a background thread, so a killed holder's lock lapses on its own instead of needing
  force-unlock.
- Lease loss (broken by force-unlock, or expired while the process was stalled) is detected by the renewer and
  by Azure itself, which refuses a write carrying a lease id that is no longer current; writes then raise
  LockError instead of writing.
- Writes are conditional on the etag of the version just read (If-Match, or If-None-Match: * when there is
  none), so two writers can never clobber each other, lock or no lock. The replaced version is copied to
  `<key>.backup` first.
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fineplan.errors import ConfigError, LockError, StateError
from fineplan.state.backend import Backend, Lock, LockInfo, locked_error
from fineplan.state.model import State

if TYPE_CHECKING:
    from azure.storage.blob import BlobLeaseClient, ContainerClient

    from fineplan.spec.models import BlobState

META_KEY = "fineplanlock"
LEASE_SECONDS = 60  # Azure allows 15..60 s for a finite lease
_LEASE_CODES = frozenset(
    {
        "LeaseIdMissing",
        "LeaseIdMismatchWithBlobOperation",
        "LeaseIdMismatchWithLeaseOperation",
        "LeaseLost",
        "LeaseNotPresentWithBlobOperation",
        "LeaseNotPresentWithLeaseOperation",
        "LeaseIsBrokenAndCannotBeRenewed",
        "LeaseIsBreakingAndCannotBeAcquired",
    }
)
_SAS = re.compile(r"(sig|se|sp|sv|skoid|sktid)=[^&\s'\"]+", re.IGNORECASE)


def _code(exc: BaseException) -> str:
    code = getattr(exc, "error_code", None)
    return str(getattr(code, "value", code) or "")


def _describe(exc: BaseException) -> str:
    """A short, credential-free description of an Azure SDK error."""
    lines = str(exc).splitlines()
    text = lines[0] if lines else type(exc).__name__
    head = " ".join(str(p) for p in (getattr(exc, "status_code", None), _code(exc)) if p) or type(exc).__name__
    return _SAS.sub(r"\1=***", f"{head}: {text}")


def _encode(info: LockInfo) -> str:
    return base64.b64encode(info.to_json()).decode("ascii")


def _decode(metadata: Mapping[str, str] | None) -> LockInfo | None:
    value = (metadata or {}).get(META_KEY)
    if not value:
        return None
    try:
        return LockInfo.from_json(base64.b64decode(value, validate=True))
    except ValueError:
        return None


class BlobLock(Lock):
    """A held lease, renewed in the background until released or lost."""

    def __init__(
        self,
        backend: BlobBackend,
        lease: BlobLeaseClient,
        info: LockInfo,
        duration: float,
        renew_every: float,
    ) -> None:
        super().__init__(info)
        self.lease = lease
        self.metadata = {META_KEY: _encode(info)}
        self.lost = threading.Event()
        self.lost_reason = ""
        self._backend = backend
        self._duration = duration
        self._renew_every = renew_every
        self._stop = threading.Event()
        self._released = False
        self._thread = threading.Thread(target=self._renew_loop, name=f"fineplan-lease-{info.id[:8]}", daemon=True)
        self._thread.start()

    def mark_lost(self, reason: str) -> None:
        if not self.lost.is_set():
            self.lost_reason = reason
            self.lost.set()

    def _renew_loop(self) -> None:
        last_ok = time.monotonic()
        while not self._stop.wait(self._renew_every):
            try:
                self.lease.renew()
                last_ok = time.monotonic()
            except Exception as exc:  # any failure is judged below; the thread must not die
                if _code(exc) in _LEASE_CODES or time.monotonic() - last_ok >= self._duration:
                    self.mark_lost(f"renewing the lease failed ({_describe(exc)})")
                    return

    def release(self) -> None:
        if self._released:
            return
        self._released = True
        self._stop.set()
        self._thread.join(timeout=30)
        if self._backend._held is self:
            self._backend._held = None
        if self.lost.is_set():
            return
        try:
            self._backend._blob.set_blob_metadata({}, lease=self.lease)
            self.lease.release()
        except Exception:  # the lease lapses by itself within its duration anyway
            pass


class BlobBackend(Backend):
    def __init__(
        self,
        container: ContainerClient,
        key: str,
        target: str,
        *,
        lease_seconds: int = LEASE_SECONDS,
        renew_every: float | None = None,
    ) -> None:
        if not 15 <= lease_seconds <= 60:
            raise ConfigError(f"lease_seconds must be within 15..60 (Azure's limits), not {lease_seconds}")
        self.target = target
        self.key = key
        self.lease_seconds = lease_seconds
        self.renew_every = renew_every if renew_every is not None else lease_seconds / 3
        self._container = container
        self._blob = container.get_blob_client(key)
        self._backup = container.get_blob_client(key + ".backup")
        self._held: BlobLock | None = None

    @classmethod
    def from_settings(
        cls,
        settings: BlobState,
        target: str,
        key: str,
        environ: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> BlobBackend:
        """Connect with the connection string in env var `connection_string_env`, or `account_url` plus
        DefaultAzureCredential. The connection string's value never appears in messages."""
        from azure.storage.blob import BlobServiceClient

        env = os.environ if environ is None else environ
        client_options: dict[str, Any] = {"retry_total": 3}
        if settings.connection_string_env:
            conn = env.get(settings.connection_string_env)
            if not conn:
                raise ConfigError(
                    f"state.connection_string_env names {settings.connection_string_env}, which is not set"
                )
            try:
                service = BlobServiceClient.from_connection_string(conn, **client_options)
            except ValueError:
                raise ConfigError(f"the connection string in {settings.connection_string_env} is not valid") from None
        elif settings.account_url:
            from azure.identity import DefaultAzureCredential

            service = BlobServiceClient(settings.account_url, credential=DefaultAzureCredential(), **client_options)
        else:
            raise ConfigError("state backend azure_blob needs account_url or connection_string_env")
        return cls(service.get_container_client(settings.container), key, target, **kwargs)

    @property
    def location(self) -> str:
        return self._blob.url.split("?", 1)[0]  # a SAS query string is a credential

    # ------------------------------------------------------------ read / write

    def _download(self) -> tuple[bytes | None, str | None]:
        from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

        try:
            downloader = self._blob.download_blob()
            return downloader.readall(), downloader.properties.etag
        except ResourceNotFoundError:
            return None, None
        except HttpResponseError as exc:
            raise StateError(f"cannot read state blob {self.location}: {_describe(exc)}") from None

    def _parse(self, raw: bytes) -> State:
        return State.from_json(raw, source=f"state blob {self.location}")

    def read(self) -> State | None:
        raw, _ = self._download()
        return self._check_readable(self._parse(raw)) if raw else None

    def write(self, state: State) -> None:
        from azure.core import MatchConditions
        from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceModifiedError

        held = self._held
        if held is not None and held.lost.is_set():
            raise self._lost_error(held)
        raw, etag = self._download()
        stored = self._parse(raw) if raw else None  # never overwrite what we can't read
        serial = self._next_serial(state, stored)
        data = self._encode(state, serial)
        condition: dict[str, Any] = (
            {"match_condition": MatchConditions.IfMissing}
            if etag is None
            else {"etag": etag, "match_condition": MatchConditions.IfNotModified}
        )
        try:
            if etag is None:  # first write: the container may not exist yet either
                with contextlib.suppress(ResourceExistsError):
                    self._container.create_container()
            if raw:
                self._backup.upload_blob(raw, overwrite=True)
            self._blob.upload_blob(
                data,
                overwrite=True,
                lease=held.lease if held else None,
                metadata=held.metadata if held else {},
                **condition,
            )
        except (ResourceModifiedError, ResourceExistsError) as exc:
            if _code(exc) in _LEASE_CODES:
                raise self._lease_error(held, exc) from None
            raise StateError(
                f"refusing to write to {self.location}: another writer changed it at the same moment; "
                f"re-run to start from the new version"
            ) from None
        except HttpResponseError as exc:
            if _code(exc) in _LEASE_CODES:
                raise self._lease_error(held, exc) from None
            raise StateError(f"cannot write state blob {self.location}: {_describe(exc)}") from None
        state.serial = serial

    def _lease_error(self, held: BlobLock | None, exc: BaseException) -> LockError:
        if held is None:
            return locked_error(self.lock_holder(), self.location)
        held.mark_lost(f"Azure refused the write ({_describe(exc)})")
        return self._lost_error(held)

    def _lost_error(self, held: BlobLock) -> LockError:
        return LockError(
            f"lost the lock on {self.location}: {held.lost_reason}; state not written "
            f"(another run may hold the lock now)"
        )

    # ------------------------------------------------------------ locking

    def _ensure_blob(self) -> None:
        from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError

        for _ in range(2):
            try:
                self._blob.upload_blob(b"", overwrite=False)  # If-None-Match: *
                return
            except ResourceExistsError:
                return
            except ResourceNotFoundError:
                with contextlib.suppress(ResourceExistsError):
                    self._container.create_container()
            except HttpResponseError as exc:
                if exc.status_code == 412:  # exists and leased by someone: fine, acquire will say who
                    return
                raise StateError(f"cannot create state blob {self.location}: {_describe(exc)}") from None
        raise StateError(f"cannot create state blob {self.location}: its container keeps disappearing")

    def lock(self, info: LockInfo) -> BlobLock:
        from azure.core.exceptions import HttpResponseError

        info = info.at(self.location)
        self._ensure_blob()
        try:
            lease = self._blob.acquire_lease(lease_duration=self.lease_seconds, lease_id=info.id)
        except HttpResponseError as exc:
            if exc.status_code == 409:
                raise locked_error(self.lock_holder(), self.location) from None
            raise StateError(f"cannot lock state blob {self.location}: {_describe(exc)}") from None
        try:
            self._blob.set_blob_metadata({META_KEY: _encode(info)}, lease=lease)
        except HttpResponseError as exc:
            lease.release()
            raise StateError(f"cannot record the lock on {self.location}: {_describe(exc)}") from None
        held = BlobLock(self, lease, info, self.lease_seconds, self.renew_every)
        if self._held is None:
            self._held = held
        return held

    def lock_holder(self) -> LockInfo | None:
        from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

        try:
            props = self._blob.get_blob_properties()
        except ResourceNotFoundError:
            return None
        except HttpResponseError as exc:
            raise StateError(f"cannot read state blob {self.location}: {_describe(exc)}") from None
        if props.lease.state not in ("leased", "breaking"):
            return None
        return _decode(props.metadata) or LockInfo(operation="unknown", id="", path=self.location)

    def force_unlock(self, lock_id: str) -> None:
        from azure.core.exceptions import HttpResponseError
        from azure.storage.blob import BlobLeaseClient

        holder = self.lock_holder()
        if holder is None:
            raise StateError(f"state {self.location} is not locked")
        if holder.id != lock_id:
            raise StateError(f"lock ID {lock_id!r} does not match the holder's ({holder.id or 'unreadable'})")
        try:
            BlobLeaseClient(self._blob).break_lease(lease_break_period=0)
        except HttpResponseError as exc:
            raise StateError(f"cannot break the lease on {self.location}: {_describe(exc)}") from None
        with contextlib.suppress(HttpResponseError):  # cosmetic: a record on an unleased blob is ignored
            self._blob.set_blob_metadata({})
        if self._held is not None and self._held.info.id == lock_id:
            self._held.mark_lost("it was force-unlocked")
