"""The local lock between real processes: contention names the holder, a SIGKILLed holder leaves no lock."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fineplan.errors import LockError
from fineplan.state.backend import LockInfo
from fineplan.state.local import LocalBackend
from fineplan.state.model import new_state

SpawnHolder = Callable[..., Any]  # conftest.Holder


def test_a_second_process_fails_fast_naming_the_holder(tmp_path: Path, spawn_holder: SpawnHolder) -> None:
    path = tmp_path / "local.json"
    holder = spawn_holder(["local", str(path), "local"])
    mine = LocalBackend(path, "local")
    with pytest.raises(LockError) as info:
        mine.lock(LockInfo.new("apply"))
    message = str(info.value)
    assert f"pid {holder.pid}" in message and "apply" in message and holder.lock_id in message
    assert f"fineplan force-unlock {holder.lock_id}" in message
    with pytest.raises(LockError, match=f"pid {holder.pid}"):
        mine.write(new_state("local"))
    assert holder.command("write") == "ok 1"  # the holder itself can write
    assert holder.command("release") == "released"
    with mine.lock(LockInfo.new("apply")):
        pass


def test_a_killed_holder_leaves_no_lock(tmp_path: Path, spawn_holder: SpawnHolder) -> None:
    path = tmp_path / "local.json"
    holder = spawn_holder(["local", str(path), "local"])
    mine = LocalBackend(path, "local")
    assert mine.lock_holder() is not None
    holder.kill()
    # The record of the dead holder is still in the lock file, but the kernel released its flock.
    assert holder.lock_id in (path.parent / "local.json.lock").read_text()
    assert mine.lock_holder() is None
    with mine.lock(LockInfo.new("apply")):
        mine.write(new_state("local"))
    assert mine.read() is not None


def test_force_unlock_takes_the_lock_from_a_live_holder_whose_writes_then_fail(
    tmp_path: Path,
    spawn_holder: SpawnHolder,
) -> None:
    path = tmp_path / "local.json"
    holder = spawn_holder(["local", str(path), "local"])
    mine = LocalBackend(path, "local")
    mine.force_unlock(holder.lock_id)
    with mine.lock(LockInfo.new("apply")):
        reply = holder.command("write")
        assert reply.startswith("error LockError:") and "force-unlocked" in reply
        mine.write(new_state("local"))
    assert mine.read() is not None and mine.read().serial == 1  # type: ignore[union-attr]
