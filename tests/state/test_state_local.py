from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

import fineplan
from fineplan.errors import LockError, StateError
from fineplan.state import local as local_module
from fineplan.state.backend import LockInfo
from fineplan.state.local import LocalBackend
from fineplan.state.model import ResourceState, State, new_state


def _backend(tmp_path: Path, target: str = "local") -> LocalBackend:
    return LocalBackend(tmp_path / ".fineplan" / "state" / f"{target}.json", target)


def _dataset(name: str) -> ResourceState:
    return ResourceState(
        address=f"dataset.{name}", kind="Dataset", name=name, remote_id=f"file-{name}", inputs_digest="sha256:0"
    )


def test_no_file_reads_as_no_state(tmp_path: Path) -> None:
    assert _backend(tmp_path).read() is None


def test_write_bumps_serial_and_keeps_a_backup_of_the_previous_version(tmp_path: Path) -> None:
    backend = _backend(tmp_path)
    state = new_state("local")
    backend.write(state)
    assert state.serial == 1
    assert not backend.backup_path.exists()
    first_bytes = backend.path.read_bytes()

    state.put(_dataset("chat"))
    backend.write(state)
    assert state.serial == 2
    assert backend.backup_path.read_bytes() == first_bytes
    stored = backend.read()
    assert stored == state
    assert State.from_json(backend.backup_path.read_bytes()).serial == 1


def test_a_crash_before_the_rename_leaves_the_old_state_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = _backend(tmp_path)
    state = new_state("local")
    backend.write(state)
    before = backend.path.read_bytes()

    real_replace = os.replace

    def crash(src: str, dst: str) -> None:
        if Path(dst) == backend.path:  # the backup lands, then the process dies before the state's rename
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash)
    state.put(_dataset("chat"))
    with pytest.raises(OSError, match="No space"):
        backend.write(state)
    monkeypatch.undo()

    assert backend.path.read_bytes() == before
    assert backend.backup_path.read_bytes() == before
    assert backend.read() is not None
    assert state.serial == 1  # the in-memory serial only moves when the write landed
    leftovers = [p.name for p in backend.path.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_data_is_fsynced_before_the_rename_and_the_directory_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = _backend(tmp_path)
    backend.path.parent.mkdir(parents=True)
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append("fsync-dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync-file")
        real_fsync(fd)

    def replace(src: str, dst: str) -> None:
        events.append(f"rename-to-{Path(dst).name}")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    local_module.atomic_write(backend.path, b"{}")
    assert events == ["fsync-file", "rename-to-local.json", "fsync-dir"]


def test_a_state_of_another_lineage_is_refused(tmp_path: Path) -> None:
    backend = _backend(tmp_path)
    backend.write(new_state("local"))
    before = backend.path.read_bytes()
    with pytest.raises(StateError, match="different state"):
        backend.write(new_state("local"))
    assert backend.path.read_bytes() == before


def test_a_writer_working_from_an_old_copy_is_refused(tmp_path: Path) -> None:
    backend = _backend(tmp_path)
    backend.write(new_state("local"))
    mine, theirs = backend.read(), backend.read()
    assert mine is not None and theirs is not None
    theirs.put(_dataset("theirs"))
    backend.write(theirs)
    mine.put(_dataset("mine"))
    with pytest.raises(StateError, match="changed by another run"):
        backend.write(mine)
    stored = backend.read()
    assert stored is not None and stored.addresses() == ["dataset.theirs"]


def test_state_of_another_target_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "shared.json"
    LocalBackend(path, "prod").write(new_state("prod"))
    other = LocalBackend(path, "dev")
    with pytest.raises(StateError, match="target 'prod'"):
        other.read()
    with pytest.raises(StateError, match="target 'prod'"):
        other.write(new_state("prod"))


@pytest.mark.parametrize("content", [b"", b'{"version": 1, "lin', b'{"version": 7}'])
def test_a_corrupt_file_is_a_state_error_and_is_never_overwritten(tmp_path: Path, content: bytes) -> None:
    backend = _backend(tmp_path)
    backend.write(new_state("local"))
    backend.write(backend.read())  # type: ignore[arg-type]  # now a backup exists
    backend.path.write_bytes(content)
    with pytest.raises(StateError, match=r"local\.json") as info:
        backend.read()
    assert str(backend.backup_path) in str(info.value)
    with pytest.raises(StateError):
        backend.write(new_state("local"))
    assert backend.path.read_bytes() == content


def test_lock_contention_names_the_holder_and_frees_on_release(tmp_path: Path) -> None:
    a, b = _backend(tmp_path), _backend(tmp_path)
    with a.lock(LockInfo.new("apply")) as held:
        with pytest.raises(LockError) as info:
            b.lock(LockInfo.new("plan"))
        message = str(info.value)
        assert "apply" in message and held.info.id in message and f"pid {os.getpid()}" in message
        assert held.info.host in message
        holder = b.lock_holder()
        assert holder is not None and holder.id == held.info.id and holder.path == str(a.path)
        with pytest.raises(LockError):
            b.write(new_state("local"))  # an unlocked write takes the lock for itself, so it is refused too
        a.write(new_state("local"))  # the holder writes
    assert b.lock_holder() is None
    with b.lock(LockInfo.new("plan")):
        pass


def test_release_twice_is_harmless(tmp_path: Path) -> None:
    backend = _backend(tmp_path)
    lock = backend.lock(LockInfo.new("apply"))
    lock.release()
    lock.release()
    assert backend.lock_holder() is None


def test_force_unlock_needs_the_holders_id_and_then_frees_the_lock(tmp_path: Path) -> None:
    holder, other = _backend(tmp_path), _backend(tmp_path)
    held = holder.lock(LockInfo.new("apply"))
    with pytest.raises(StateError, match="does not match"):
        other.force_unlock("not-the-id")
    other.force_unlock(held.info.id)
    # The old holder must notice instead of writing under someone else's lock.
    with other.lock(LockInfo.new("apply")), pytest.raises(LockError, match="force-unlocked"):
        holder.write(new_state("local"))
    held.release()
    assert not holder.path.exists()


def test_force_unlock_of_a_free_lock_says_so(tmp_path: Path) -> None:
    backend = _backend(tmp_path)
    with pytest.raises(StateError, match="not locked"):
        backend.force_unlock("anything")
    backend.lock(LockInfo.new("apply")).release()
    with pytest.raises(StateError, match="not locked"):
        backend.force_unlock("anything")


def test_a_journaled_intent_survives_a_run_that_dies_before_recording_the_id(tmp_path: Path) -> None:
    run = _backend(tmp_path)
    with run.lock(LockInfo.new("apply")):
        state = new_state("local")
        intent = state.begin("job.sft", "sha256:abcd")
        run.write(state)  # durable before the money-spending call
        # ... the process dies here: no complete(), no further write
    recovered = _backend(tmp_path).read()
    assert recovered is not None
    assert [(i.op_id, i.address, i.inputs_digest) for i in recovered.pending] == [
        (intent.op_id, "job.sft", "sha256:abcd")
    ]


def test_the_writer_version_is_stamped_on_write(tmp_path: Path) -> None:
    backend = _backend(tmp_path)
    old = new_state("local")
    old.fineplan_version = "0.0.1"
    backend.write(old)
    stored = backend.read()
    assert stored is not None and stored.fineplan_version == fineplan.__version__
