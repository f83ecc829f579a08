"""Fixtures for the engine end-to-end tests: a temp copy of examples/quickstart, an emulator inside the test process
that the CLI reaches through FINEPLAN_EMULATOR_URL, and the CLI run in-process or as a killable subprocess."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from engine_helpers import DURATIONS, SPEED, Emu, Hooks, OffsetClock, Result, RunCli, Spawn, Spawned, StartEmulator

from fineplan.cli.main import main
from fineplan.emulator.embedded import EmbeddedEmulator
from fineplan.errors import DiagnosticsError, FineplanError
from fineplan.providers.factory import EMULATOR_KEY_ENV, EMULATOR_URL_ENV, LOCAL_API_KEY


@pytest.fixture
def project(repo_root: Path, tmp_path: Path) -> Path:
    """A fresh copy of examples/quickstart (without any local state it may carry)."""
    root = tmp_path / "quickstart"
    shutil.copytree(repo_root / "examples" / "quickstart", root, ignore=shutil.ignore_patterns(".fineplan"))
    return root


@pytest.fixture
def start_emulator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[StartEmulator]:
    """start_emulator(speed=, faults=, clock_offset=) → Emu, and points the CLI at it (env)."""
    started: list[Emu] = []

    def start(speed: float = SPEED, faults: str | None = None, clock_offset: float = 0.0) -> Emu:
        data_dir = tmp_path / f"emulator-{len(started)}"
        data_dir.mkdir()
        (data_dir / "emulator.yaml").write_text(yaml.safe_dump({"durations": DURATIONS}), encoding="utf-8")
        clock = OffsetClock(clock_offset)
        embedded = EmbeddedEmulator(data_dir, speed=speed, faults=faults or "", api_key=LOCAL_API_KEY, clock=clock)
        embedded.start()
        emu = Emu(embedded, clock, Hooks(embedded.server.emulator))
        started.append(emu)
        monkeypatch.setenv(EMULATOR_URL_ENV, emu.url)
        monkeypatch.delenv(EMULATOR_KEY_ENV, raising=False)
        return emu

    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("FINEPLAN_EMULATOR_FAULTS", raising=False)
    yield start
    for emu in started:
        emu.hooks.clear()
        emu.close()
        emu.embedded.stop()


@pytest.fixture
def emu(start_emulator: StartEmulator) -> Emu:
    return start_emulator()


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> RunCli:
    """cli(root, "plan", ...) → Result. In-process; a bug (not a FineplanError) fails the test with its traceback."""

    def run(root: Path, *argv: Any) -> Result:
        capsys.readouterr()
        err = ""
        try:
            code = main(["--debug", "-C", str(root), *map(str, argv)])
        except DiagnosticsError as exc:
            from fineplan.render.diagnostics_text import render_diagnostics

            code, err = exc.exit_code, render_diagnostics(exc.diagnostics)
        except FineplanError as exc:
            code, err = exc.exit_code, f"Error: {exc}\n"
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err + err)

    return run


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Spawn]:
    """spawn(root, "apply", ...) → Spawned: the CLI in a subprocess with the test's environment."""
    procs: list[Spawned] = []

    def start(root: Path, *argv: Any) -> Spawned:
        log = tmp_path / f"cli-{len(procs)}.log"
        proc = Spawned(["-C", str(root), *map(str, argv)], dict(os.environ), log)
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.proc.poll() is None:
            proc.kill()
