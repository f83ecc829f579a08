"""The Backend contract every state store follows, and the lock record shown to whoever is locked out.

- `read()` returns the stored State, or None when there is none yet.
- `write(state)` refuses a state of another lineage or target, or one older than what is stored (someone else
  wrote meanwhile); otherwise it stores it with serial = stored serial + 1 and sets `state.serial` to match.
- `lock(info)` takes the exclusive lock at once or raises LockError naming the holder (no waiting: two
  concurrent applies must fail fast). The returned Lock is a context manager that releases it.
- `force_unlock(lock_id)` removes a lock whose holder cannot release it; the id must match the holder's.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import uuid
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from fineplan import __version__
from fineplan.errors import LockError, StateError
from fineplan.state.model import State


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers) and no USER variable
        return "unknown"


@dataclass(frozen=True)
class LockInfo:
    """Who holds a lock: shown in LockError and needed by `fineplan force-unlock ID`."""

    operation: str
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    pid: int = field(default_factory=os.getpid)
    host: str = field(default_factory=socket.gethostname)
    who: str = field(default_factory=_user)
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    version: str = __version__
    path: str = ""

    @classmethod
    def new(cls, operation: str) -> LockInfo:
        return cls(operation=operation)

    def at(self, path: str) -> LockInfo:
        return replace(self, path=path)

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True).encode("utf-8")

    @classmethod
    def from_json(cls, raw: bytes | str) -> LockInfo | None:
        """The lock record, or None if `raw` is empty or not one (e.g. a lock file left half-written)."""
        try:
            data: Any = json.loads(raw) if raw else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            return None
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        known.setdefault("operation", "unknown")
        try:
            return cls(**known)
        except TypeError:
            return None

    def holder_alive(self) -> bool:
        """True when the holder is a running process on this host (pid alive here). A holder on another host, or
        one whose pid is gone, may be stuck; a live one is not, and breaking its lock lets two runs write."""
        if self.host != socket.gethostname() or self.pid <= 0:
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True  # alive, owned by another user
        return True

    def describe(self) -> str:
        return (
            f"ID:        {self.id}\n"
            f"Operation: {self.operation}\n"
            f"Who:       {self.who}@{self.host} (pid {self.pid})\n"
            f"Created:   {self.created}\n"
            f"Version:   fineplan {self.version}\n"
            f"Path:      {self.path}"
        )


def locked_error(holder: LockInfo | None, location: str) -> LockError:
    """The error for a lock someone else holds, naming them and the way out."""
    if holder is None or not holder.id:
        return LockError(f"state {location} is locked by another process (its lock details are not readable)")
    return LockError(
        f"state {location} is locked by {holder.operation} (pid {holder.pid} on {holder.host}, "
        f"{holder.who}, since {holder.created})\nLock Info:\n{holder.describe()}\n"
        f"If that process is gone and the lock is stuck: fineplan force-unlock {holder.id}"
    )


class Lock(ABC):
    """A held lock. Releasing twice is harmless."""

    def __init__(self, info: LockInfo) -> None:
        self.info = info

    @abstractmethod
    def release(self) -> None: ...

    def __enter__(self) -> Lock:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


class Backend(ABC):
    """A place the state of one target lives."""

    target: str

    @property
    @abstractmethod
    def location(self) -> str:
        """Where the state lives, for messages (a path or a blob URL; never a credential)."""

    @abstractmethod
    def read(self) -> State | None: ...

    @abstractmethod
    def write(self, state: State) -> None: ...

    @abstractmethod
    def lock(self, info: LockInfo) -> Lock: ...

    @abstractmethod
    def lock_holder(self) -> LockInfo | None:
        """Who holds the lock now, or None if it is free."""

    @abstractmethod
    def force_unlock(self, lock_id: str) -> None: ...

    # ------------------------------------------------------------ shared checks

    def _check_readable(self, state: State) -> State:
        if state.target != self.target:
            raise StateError(f"{self.location} holds the state of target {state.target!r}, not {self.target!r}")
        return state

    def _next_serial(self, state: State, stored: State | None) -> int:
        """The serial `state` is stored with, after refusing what would clobber another writer's work."""
        if state.target != self.target:
            raise StateError(f"refusing to write the state of target {state.target!r} to {self.location}")
        if stored is None:
            return state.serial + 1
        if stored.lineage != state.lineage:
            raise StateError(
                f"refusing to write to {self.location}: it holds a different state "
                f"(lineage {stored.lineage}, this one is {state.lineage})"
            )
        if state.serial < stored.serial:
            raise StateError(
                f"refusing to write to {self.location}: it was changed by another run since this one read it "
                f"(stored serial {stored.serial}, this run's serial {state.serial}); re-run to start from it"
            )
        return max(state.serial, stored.serial) + 1

    @staticmethod
    def _encode(state: State, serial: int) -> bytes:
        """The bytes stored for `state` at `serial`, stamped with the fineplan version that wrote them."""
        return state.model_copy(update={"serial": serial, "fineplan_version": __version__}).to_json()
