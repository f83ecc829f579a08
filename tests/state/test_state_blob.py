"""The Azure Blob backend against a real Azurite: lease lock, lease loss, conditional (etag) writes."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from azure.storage.blob import BlobLeaseClient, BlobServiceClient, ContainerClient

from fineplan.errors import ConfigError, LockError, StateError
from fineplan.spec.models import BlobState
from fineplan.state.backend import LockInfo
from fineplan.state.blob import META_KEY, BlobBackend
from fineplan.state.factory import open_backend
from fineplan.state.model import ResourceState, new_state

pytestmark = pytest.mark.azurite
KEY = "demo/local.json"
LEASE_MIN = 15  # seconds: Azure's (and Azurite's) shortest finite lease
SpawnHolder = Callable[..., Any]  # conftest.Holder
AzuriteClock = Any  # tests/conftest.py AzuriteClock


def _container(conn: str, name: str) -> ContainerClient:
    return BlobServiceClient.from_connection_string(conn).get_container_client(name)


def _backend(conn: str, name: str, **kwargs: Any) -> BlobBackend:
    kwargs.setdefault("lease_seconds", LEASE_MIN)
    return BlobBackend(_container(conn, name), KEY, "local", **kwargs)


def _dataset(name: str) -> ResourceState:
    return ResourceState(address=f"dataset.{name}", kind="Dataset", name=name, inputs_digest="sha256:0")


def test_read_write_round_trip_with_serial_and_backup(azurite: str, container_name: str) -> None:
    backend = _backend(azurite, container_name)
    assert backend.read() is None  # no container yet
    state = new_state("local")
    backend.write(state)
    assert state.serial == 1
    state.put(_dataset("chat"))
    backend.write(state)
    assert state.serial == 2
    assert _backend(azurite, container_name).read() == state
    backup = _container(azurite, container_name).get_blob_client(KEY + ".backup").download_blob().readall()
    assert b'"serial": 1' in backup


def test_lock_creates_the_blob_and_an_empty_blob_reads_as_no_state(azurite: str, container_name: str) -> None:
    backend = _backend(azurite, container_name)
    with backend.lock(LockInfo.new("apply")):
        assert backend.read() is None
        backend.write(new_state("local"))
    assert backend.read() is not None


def test_second_locker_fails_fast_naming_the_holder(azurite: str, container_name: str) -> None:
    a, b = _backend(azurite, container_name), _backend(azurite, container_name)
    with a.lock(LockInfo.new("apply")) as held:
        with pytest.raises(LockError) as info:
            b.lock(LockInfo.new("destroy"))
        message = str(info.value)
        assert "apply" in message and held.info.id in message and f"pid {held.info.pid}" in message
        assert held.info.host in message and "force-unlock" in message
        holder = b.lock_holder()
        assert holder is not None and holder.id == held.info.id and holder.path == a.location
        # A writer without the lease is refused by Azure and told who holds the lock; nothing is written.
        with pytest.raises(LockError, match="apply"):
            b.write(new_state("local"))
        assert a.read() is None
        a.write(new_state("local"))
    assert b.lock_holder() is None
    with b.lock(LockInfo.new("destroy")):
        pass


def test_lease_loss_is_detected_and_the_old_holder_cannot_write(azurite: str, container_name: str) -> None:
    first = _backend(azurite, container_name, renew_every=0.2)
    lock = first.lock(LockInfo.new("apply"))
    first.write(new_state("local"))
    blob = _container(azurite, container_name).get_blob_client(KEY)
    BlobLeaseClient(blob).break_lease(lease_break_period=0)  # e.g. an operator broke it in the portal
    second = _backend(azurite, container_name)
    with second.lock(LockInfo.new("apply")):
        assert lock.lost.wait(timeout=30), "the renewer never noticed the broken lease"
        stored = first.read()
        assert stored is not None
        with pytest.raises(LockError, match="lost the lock"):
            first.write(stored)
        assert second.read() == stored  # untouched
    lock.release()  # harmless after loss


def test_lease_taken_over_is_refused_by_azure_even_before_the_renewer_runs(azurite: str, container_name: str) -> None:
    first = _backend(azurite, container_name, renew_every=3600)
    first.write(new_state("local"))
    lock = first.lock(LockInfo.new("apply"))
    BlobLeaseClient(_container(azurite, container_name).get_blob_client(KEY)).break_lease(lease_break_period=0)
    with _backend(azurite, container_name).lock(LockInfo.new("apply")):
        stored = first.read()
        assert stored is not None
        with pytest.raises(LockError, match="lost the lock"):
            first.write(stored)
    lock.release()


def test_force_unlock_checks_the_id_and_frees_the_lock(azurite: str, container_name: str) -> None:
    holder, other = _backend(azurite, container_name), _backend(azurite, container_name)
    held = holder.lock(LockInfo.new("apply"))
    with pytest.raises(StateError, match="does not match"):
        other.force_unlock("00000000-0000-0000-0000-000000000000")
    other.force_unlock(held.info.id)
    props = _container(azurite, container_name).get_blob_client(KEY).get_blob_properties()
    assert META_KEY not in props.metadata
    with other.lock(LockInfo.new("apply")), pytest.raises(LockError, match="lost the lock"):
        holder.write(new_state("local"))
    held.release()
    with pytest.raises(StateError, match="not locked"):
        other.force_unlock(held.info.id)


def test_a_writer_working_from_an_old_copy_is_refused(azurite: str, container_name: str) -> None:
    backend = _backend(azurite, container_name)
    backend.write(new_state("local"))
    mine, theirs = backend.read(), backend.read()
    assert mine is not None and theirs is not None
    theirs.put(_dataset("theirs"))
    backend.write(theirs)
    with pytest.raises(StateError, match="changed by another run"):
        backend.write(mine)
    with pytest.raises(StateError, match="different state"):
        backend.write(new_state("local"))


def test_a_write_racing_another_is_stopped_by_the_etag(
    azurite: str, container_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer lands between this writer's read of the current version and its upload."""
    backend, rival = _backend(azurite, container_name), _backend(azurite, container_name)
    backend.write(new_state("local"))
    mine = backend.read()
    assert mine is not None
    real_download = backend._download

    def download_then_rival_writes() -> tuple[bytes | None, str | None]:
        result = real_download()
        theirs = rival.read()
        assert theirs is not None
        theirs.put(_dataset("rival"))
        rival.write(theirs)
        return result

    monkeypatch.setattr(backend, "_download", download_then_rival_writes)
    mine.put(_dataset("mine"))
    with pytest.raises(StateError, match="another writer changed it"):
        backend.write(mine)
    stored = rival.read()
    assert stored is not None and stored.addresses() == ["dataset.rival"]


def test_concurrent_unlocked_writers_never_lose_an_update(azurite: str, container_name: str) -> None:
    _backend(azurite, container_name).write(new_state("local"))
    writers, per_writer = 4, 3
    landed: list[int] = []
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        backend = _backend(azurite, container_name)
        try:
            for i in range(per_writer):
                while True:  # read-modify-write, retried when another writer got there first
                    state = backend.read()
                    assert state is not None
                    state.put(_dataset(f"w{n}-{i}"))
                    try:
                        backend.write(state)
                    except StateError:
                        continue
                    landed.append(state.serial)
                    break
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    final = _backend(azurite, container_name).read()
    assert final is not None
    assert len(final.resources) == writers * per_writer  # every update survived
    assert sorted(landed) == list(range(2, 2 + writers * per_writer))  # each serial landed exactly once
    assert final.serial == 1 + writers * per_writer


def test_corrupt_blob_is_a_state_error(azurite: str, container_name: str) -> None:
    container = _container(azurite, container_name)
    container.create_container()
    container.get_blob_client(KEY).upload_blob(b'{"version": 1, "lin')
    backend = _backend(azurite, container_name)
    with pytest.raises(StateError, match="not valid JSON"):
        backend.read()
    with pytest.raises(StateError, match="not valid JSON"):
        backend.write(new_state("local"))


def test_a_killed_holder_lock_lapses_with_its_lease(
    azurite: str, container_name: str, spawn_holder: SpawnHolder, azurite_clock: AzuriteClock
) -> None:
    holder = spawn_holder(["blob", container_name, KEY, "local"], env={"HOLDER_CONNECTION_STRING": azurite})
    mine = _backend(azurite, container_name)
    with pytest.raises(LockError, match=f"pid {holder.pid}"):
        mine.lock(LockInfo.new("apply"))
    holder.kill()
    # Nobody renews the holder's 15 s lease any more (Azure's shortest). Azurite's clock moves past its expiry
    # instead of the test waiting for it: the lease must have lapsed by itself, with no force-unlock.
    azurite_clock.advance(LEASE_MIN + 1)
    with mine.lock(LockInfo.new("apply")):
        mine.write(new_state("local"))
    assert mine.read() is not None


def test_open_backend_reads_the_connection_string_from_the_named_env_var(
    azurite: str, container_name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = BlobState(
        backend="azure_blob", connection_string_env="FP_TEST_STATE_CONN", container=container_name, key=None
    )
    monkeypatch.delenv("FP_TEST_STATE_CONN", raising=False)
    with pytest.raises(ConfigError, match="FP_TEST_STATE_CONN") as info:
        open_backend(tmp_path, settings, "prod", "demo")
    monkeypatch.setenv("FP_TEST_STATE_CONN", azurite)
    backend = open_backend(tmp_path, settings, "prod", "demo")
    assert isinstance(backend, BlobBackend) and backend.key == "demo/prod.json"
    assert "AccountKey" not in backend.location and azurite not in str(info.value)
    backend.write(new_state("prod"))
    assert backend.read() is not None
