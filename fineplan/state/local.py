"""State in a local file (default `.fineplan/state/<target>.json`).

- Lock: `fcntl.flock` on a sidecar `<name>.lock` file that also holds the holder's LockInfo as JSON. The
  kernel drops the lock when its holder exits or is killed, so a crash never leaves a lock behind. The file
  itself stays (emptied on release): a stale record in it means nothing unless the flock is actually held.
- `force_unlock` swaps in a fresh lock file; the old holder keeps a lock on an orphaned inode and its next
  write notices and refuses (for filesystems where a holder's lock outlives it, e.g. some NFS setups).
- Writes: temp file + fsync + rename + fsync of the directory; the previous version is kept as
  `<name>.backup`.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import tempfile
from pathlib import Path

from fineplan.errors import LockError, StateError
from fineplan.fsutil import atomic_write
from fineplan.fsutil import fsync_dir as _fsync_dir
from fineplan.state.backend import Backend, Lock, LockInfo, locked_error
from fineplan.state.model import State

_ACQUIRE_ATTEMPTS = 5


def _read_info(fd: int) -> LockInfo | None:
    try:
        return LockInfo.from_json(os.pread(fd, 64 * 1024, 0))
    except OSError:
        return None


def _try_flock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return False
        raise
    return True


class LocalLock(Lock):
    def __init__(self, backend: LocalBackend, fd: int, info: LockInfo) -> None:
        super().__init__(info)
        self._backend = backend
        self._fd: int | None = fd

    def still_held(self) -> bool:
        """False once force-unlock replaced the lock file under us."""
        if self._fd is None:
            return False
        try:
            return os.stat(self._backend.lock_path).st_ino == os.fstat(self._fd).st_ino
        except FileNotFoundError:
            return False

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)  # only ever our own inode, even after a force-unlock swapped the path
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
            if self._backend._held is self:
                self._backend._held = None


class LocalBackend(Backend):
    def __init__(self, path: Path, target: str) -> None:
        self.path = path
        self.target = target
        self.lock_path = path.with_name(path.name + ".lock")
        self.backup_path = path.with_name(path.name + ".backup")
        self._held: LocalLock | None = None

    @property
    def location(self) -> str:
        return str(self.path)

    # ------------------------------------------------------------ read / write

    def read(self) -> State | None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StateError(f"cannot read state file {self.path}: {exc.strerror}") from None
        return self._check_readable(self._parse(raw))

    def _parse(self, raw: bytes) -> State:
        try:
            return State.from_json(raw, source=f"state file {self.path}")
        except StateError as exc:
            if self.backup_path.is_file():
                raise StateError(f"{exc}\nThe previous version is kept in {self.backup_path}.") from None
            raise

    def write(self, state: State) -> None:
        if self._held is None:
            # Nobody asked for the lock: hold it just for this write so the check-then-replace is exclusive.
            with self.lock(LockInfo.new("write")):
                self._write_locked(state)
            return
        if not self._held.still_held():
            raise LockError(
                f"the lock on {self.path} was force-unlocked while this run held it; state not written "
                f"(another run may be writing it now)"
            )
        self._write_locked(state)

    def _write_locked(self, state: State) -> None:
        try:
            current: bytes | None = self.path.read_bytes()
        except FileNotFoundError:
            current = None
        stored = self._parse(current) if current is not None else None  # never overwrite what we can't read
        serial = self._next_serial(state, stored)
        data = self._encode(state, serial)
        if current is not None:
            atomic_write(self.backup_path, current)
        atomic_write(self.path, data)
        state.serial = serial

    # ------------------------------------------------------------ locking

    def lock(self, info: LockInfo) -> LocalLock:
        info = info.at(str(self.path))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(_ACQUIRE_ATTEMPTS):
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                if not _try_flock(fd):
                    raise locked_error(_read_info(fd), str(self.path))
                if os.stat(self.lock_path).st_ino != os.fstat(fd).st_ino:
                    os.close(fd)  # force-unlock swapped the file between our open and flock: lock the new one
                    continue
                os.ftruncate(fd, 0)
                os.pwrite(fd, info.to_json(), 0)
                os.fsync(fd)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.close(fd)
                raise
            held = LocalLock(self, fd, info)
            if self._held is None:
                self._held = held
            return held
        raise LockError(f"could not lock {self.path}: its lock file kept being replaced")

    def lock_holder(self) -> LockInfo | None:
        try:
            fd = os.open(self.lock_path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return None
        try:
            if _try_flock(fd):
                fcntl.flock(fd, fcntl.LOCK_UN)
                return None
            return _read_info(fd) or LockInfo(operation="unknown", id="", path=str(self.path))
        finally:
            os.close(fd)

    def force_unlock(self, lock_id: str) -> None:
        holder = self.lock_holder()
        if holder is None:
            raise StateError(f"state {self.path} is not locked")
        if holder.id != lock_id:
            raise StateError(f"lock ID {lock_id!r} does not match the holder's ({holder.id or 'unreadable'})")
        # Replace the file rather than unlinking it so there is never a moment with no lock file to flock.
        fd, tmp = tempfile.mkstemp(dir=self.lock_path.parent, prefix=f".{self.lock_path.name}.", suffix=".tmp")
        os.close(fd)
        os.chmod(tmp, 0o644)
        os.replace(tmp, self.lock_path)
        _fsync_dir(self.lock_path.parent)
