"""Issue 11 item 15: saved plans are written 0600 like state (atomically, through fineplan.fsutil)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from fineplan.cli.main import main
from fineplan.fsutil import atomic_write, write_private


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_write_private_is_0600_whatever_the_umask_or_the_old_file(tmp_path: Path) -> None:
    old = os.umask(0o000)
    try:
        target = tmp_path / "plan.json"
        target.write_text("old", encoding="utf-8")
        target.chmod(0o666)
        write_private(target, "new ✓")
    finally:
        os.umask(old)
    assert target.read_text(encoding="utf-8") == "new ✓" and _mode(target) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]  # no temp file left behind


def test_atomic_write_keeps_a_mode_the_user_chose(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    target.write_bytes(b"{}")
    target.chmod(0o640)
    atomic_write(target, b'{"a": 1}')
    assert _mode(target) == 0o640 and target.read_bytes() == b'{"a": 1}'
    fresh = tmp_path / "fresh.json"
    atomic_write(fresh, b"{}")
    assert _mode(fresh) == 0o600


@pytest.mark.slow  # the CLI against the embedded emulator
def test_plan_out_writes_the_saved_plan_0600(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("FINEPLAN_EMULATOR_URL", raising=False)
    (tmp_path / "fineplan.yaml").write_text("project: private\ntargets:\n  local: {type: local}\n", encoding="utf-8")
    old = os.umask(0o022)  # the usual default, under which write_text would give 0644
    try:
        assert main(["-C", str(tmp_path), "plan", "-out", str(tmp_path / "saved.plan")]) in (0, 2)
    finally:
        os.umask(old)
    capsys.readouterr()
    saved = tmp_path / "saved.plan"
    assert saved.is_file() and _mode(saved) == 0o600
