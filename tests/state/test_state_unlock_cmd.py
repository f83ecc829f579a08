"""`fineplan force-unlock LOCK_ID` end to end through the CLI entry point."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fineplan.cli.main import main
from fineplan.errors import LockError
from fineplan.spec.models import LocalState
from fineplan.state.backend import LockInfo
from fineplan.state.factory import open_backend, state_path
from fineplan.state.local import LocalBackend
from fineplan.state.model import new_state


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "fineplan.yaml").write_text(
        "project: demo\ntargets:\n  local: {type: local}\n  staging: {type: local}\n", encoding="utf-8"
    )
    return tmp_path


def _backend(project: Path, target: str = "local") -> LocalBackend:
    backend = open_backend(project, LocalState(path=None), target, "demo")
    assert isinstance(backend, LocalBackend)
    return backend


def _stuck(operation: str = "apply") -> LockInfo:
    """A lock record whose holder has exited: the pid of a finished child (a stuck lock, e.g. on NFS)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return LockInfo(operation=operation, pid=child.pid)


def test_force_unlock_frees_a_stuck_lock(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stuck = _backend(project)
    held = stuck.lock(_stuck())
    assert main(["-C", str(project), "force-unlock", held.info.id, "--force"]) == 0
    assert "unlocked" in capsys.readouterr().out
    with _backend(project).lock(LockInfo.new("apply")), pytest.raises(LockError, match="force-unlocked"):
        stuck.write(new_state("local"))
    held.release()


def test_force_unlock_targets_the_named_target_only(project: Path) -> None:
    local = _backend(project, "local").lock(_stuck())
    staging = _backend(project, "staging").lock(_stuck())
    assert main(["-C", str(project), "force-unlock", staging.info.id, "--target", "staging", "--force"]) == 0
    assert _backend(project, "staging").lock_holder() is None
    holder = _backend(project, "local").lock_holder()
    assert holder is not None and holder.id == local.info.id
    local.release()
    staging.release()


def test_wrong_id_unknown_target_and_free_lock_are_errors(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-C", str(project), "force-unlock", "some-id", "--force"]) == 1
    assert "is not locked" in capsys.readouterr().err
    with _backend(project).lock(LockInfo.new("apply")) as held:
        assert main(["-C", str(project), "force-unlock", "wrong-id", "--force"]) == 1
        assert "does not match" in capsys.readouterr().err
        assert main(["-C", str(project), "force-unlock", held.info.id, "-t", "nope", "--force"]) == 1
        assert "unknown target 'nope'" in capsys.readouterr().err
        assert _backend(project).lock_holder() is not None


def test_without_force_and_without_a_terminal_it_refuses(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    with _backend(project).lock(_stuck()) as held:
        assert main(["-C", str(project), "force-unlock", held.info.id]) == 1
        assert "--force" in capsys.readouterr().err
        assert _backend(project).lock_holder() is not None


def test_the_default_local_path_is_under_dot_fineplan(project: Path) -> None:
    assert state_path(project, LocalState(path=None), "staging") == project / ".fineplan" / "state" / "staging.json"
    custom = LocalState(path="state/{project}-{target}.json")
    assert state_path(project, custom, "prod", "demo") == project / "state" / "demo-prod.json"


def test_a_live_holder_on_this_host_is_refused_unless_told_twice(
    project: Path,
    spawn_holder: Callable[..., Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 11 item 2: --force alone must not break the lock of a running process; the refusal (and, with
    --break-live-lock, the warning) is on stderr whatever stdin is."""
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    path = project / ".fineplan" / "state" / "local.json"
    holder = spawn_holder(["local", str(path), "local"])
    assert main(["-C", str(project), "force-unlock", holder.lock_id, "--force"]) == 1
    err = capsys.readouterr().err
    assert f"process {holder.pid} on this host" in err and "--break-live-lock" in err
    live = _backend(project).lock_holder()
    assert live is not None and live.id == holder.lock_id  # untouched

    assert main(["-C", str(project), "force-unlock", holder.lock_id, "--force", "--break-live-lock"]) == 0
    captured = capsys.readouterr()
    assert f"Warning: process {holder.pid} on this host" in captured.err and "unlocked" in captured.out
    with _backend(project).lock(LockInfo.new("apply")):
        reply = holder.command("write")
    assert reply.startswith("error LockError:") and "force-unlocked" in reply


def test_a_live_holder_is_refused_at_the_terminal_too(
    project: Path,
    spawn_holder: Callable[..., Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt="": pytest.fail("asked to confirm breaking a live lock"))
    holder = spawn_holder(["local", str(project / ".fineplan" / "state" / "local.json"), "local"])
    assert main(["-C", str(project), "force-unlock", holder.lock_id]) == 1
    assert "still holds the lock" in capsys.readouterr().err
    assert _backend(project).lock_holder() is not None
