"""The emulator embedded in a CLI command (target `local`): started on a free loopback port for the duration of
one command, data under the project's `.fineplan/`.

    with EmbeddedEmulator(project_data_dir(root)) as emu:
        client = openai.AzureOpenAI(azure_endpoint=emu.url, api_key="local", api_version="2025-04-01-preview")

Speed: the `speed` argument, else FINEPLAN_EMULATOR_SPEED, else config.DEFAULT_SPEED (the quickstart's two
jobs finish in well under a minute with visible progress). Faults: the `faults` argument, else
FINEPLAN_EMULATOR_FAULTS (see faults.py for the syntax). `quota` overrides per-SKU account quota on top of the
data dir's `emulator.yaml`; `accounts` declares the accounts to serve (instead of emulator.yaml's, see
accounts.py); `clock` lets tests move time by hand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from types import TracebackType

from fineplan.emulator.clock import Clock, system_clock
from fineplan.emulator.config import AccountSpec, EmulatorConfig, load_overrides, resolve_faults, resolve_speed
from fineplan.emulator.server import EmulatorServer

PROJECT_DATA_SUBDIR = Path(".fineplan") / "emulator"


def project_data_dir(project_root: Path) -> Path:
    """Where a project's `local` target keeps its emulator data (also what `fineplan -C DIR emulator serve` serves)."""
    return project_root / PROJECT_DATA_SUBDIR


def build_config(
    data_dir: Path,
    *,
    speed: float | None = None,
    faults: str | None = None,
    api_key: str | None = None,
    quota: Mapping[str, int] | None = None,
    accounts: Sequence[AccountSpec] | None = None,
    default_account: str | None = None,
) -> EmulatorConfig:
    config = load_overrides(EmulatorConfig(), data_dir)
    config = replace(config, speed=resolve_speed(speed), faults=resolve_faults(faults), api_key=api_key)
    if accounts:
        config = config.with_accounts(tuple(accounts), default_account)
    return config.with_quota(quota) if quota else config


class EmbeddedEmulator:
    def __init__(
        self,
        data_dir: Path,
        *,
        speed: float | None = None,
        faults: str | None = None,
        api_key: str | None = None,
        tls: bool = False,
        quota: Mapping[str, int] | None = None,
        accounts: Sequence[AccountSpec] | None = None,
        default_account: str | None = None,
        clock: Clock = system_clock,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.config = build_config(
            self.data_dir,
            speed=speed,
            faults=faults,
            api_key=api_key,
            quota=quota,
            accounts=accounts,
            default_account=default_account,
        )
        self.tls = tls
        self._clock = clock
        self._host, self._port = host, port
        self._server: EmulatorServer | None = None

    @property
    def url(self) -> str:
        return self._running().url

    @property
    def ca_path(self) -> Path | None:
        return self._running().ca_path

    @property
    def server(self) -> EmulatorServer:
        return self._running()

    def _running(self) -> EmulatorServer:
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() or use it as a context manager")
        return self._server

    def start(self) -> EmbeddedEmulator:
        if self._server is None:
            self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._server = EmulatorServer(
                self.data_dir, self.config, host=self._host, port=self._port, tls=self.tls, clock=self._clock
            ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> EmbeddedEmulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
