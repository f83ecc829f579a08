"""Shared test fixtures, markers and hypothesis profiles.

Two kinds of tests need something outside the repository. They skip, with a one-line reason, when it is missing,
unless the matching variable is set to 1, which turns the skip into a failure (.ci/run sets both):

- `realdata` (the `samples` / `azure_specs` fixtures): the public sample datasets and Azure REST specs in
  ../shared beside the clone, never copied into the repo. FINEPLAN_REQUIRE_SHARED=1 requires them.
- `azurite` (the `azurite` fixture): the Azure Storage emulator, installed by `bash .ci/azurite.sh` (Node.js/npm).
  FINEPLAN_REQUIRE_AZURITE=1 requires it.

The markers are applied from the fixtures a test uses, so `-m "not realdata"` / `-m "not azurite"` select the rest.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest
from hypothesis import HealthCheck, settings

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SAMPLES = SHARED / "fixtures" / "foundry-samples"
AZURE_SPECS = SHARED / "azure-specs"
REQUIRE_SHARED = "FINEPLAN_REQUIRE_SHARED"
REQUIRE_AZURITE = "FINEPLAN_REQUIRE_AZURITE"

# Hypothesis profiles, chosen with HYPOTHESIS_PROFILE (default `dev`). Loaded here, before the test modules build
# their own settings, which inherit from the loaded profile: the fuzz tests state their example counts relative to
# the profile's max_examples, so `long` makes every fuzz test run ten times as many examples.
settings.register_profile("dev", deadline=None)  # random examples, as many as hypothesis runs by default (100)
settings.register_profile(  # CI: the same examples on every run and every machine, no example database
    "ci", deadline=None, derandomize=True, database=None, max_examples=100, print_blob=True
)
settings.register_profile(  # a longer hunt locally: HYPOTHESIS_PROFILE=long python -m pytest tests/*/test_*fuzz.py
    "long", deadline=None, max_examples=1000, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def _unavailable(reason: str, require: str) -> NoReturn:
    """Skip, or fail when the variable `require` is 1 (CI must run these tests)."""
    if os.environ.get(require) == "1":
        pytest.fail(f"{reason} ({require}=1 requires it)", pytrace=False)
    pytest.skip(reason)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if used & {"samples", "azure_specs"}:
            item.add_marker(pytest.mark.realdata)
        if used & {"azurite", "azurite_service"}:
            item.add_marker(pytest.mark.azurite)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Skips grouped by reason, one line each (pyproject's -r leaves out `s`, whose list names every test)."""
    reasons: Counter[str] = Counter()
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = report.longrepr
        reason = str(longrepr[2] if isinstance(longrepr, tuple) else longrepr)
        reasons[reason.removeprefix("Skipped: ")] += 1
    if reasons:
        terminalreporter.section("skipped, by reason", sep="-")
        for reason, count in reasons.most_common():
            terminalreporter.line(f"{count:4d} {reason}")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def samples() -> Path:
    if not SAMPLES.is_dir():
        _unavailable(f"needs the public sample datasets in {SAMPLES} (see README, Tests)", REQUIRE_SHARED)
    return SAMPLES


@pytest.fixture(scope="session")
def azure_specs() -> Path:
    if not AZURE_SPECS.is_dir():
        _unavailable(f"needs the Azure REST specs in {AZURE_SPECS} (see README, Tests)", REQUIRE_SHARED)
    return AZURE_SPECS


# Azurite's documented development account (public, the same in every Azurite install).
DEV_ACCOUNT = "devstoreaccount1"
DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
# Preloaded into Azurite's Node process: lets a test move Azurite's clock forward (see AzuriteClock).
CLOCK_SCRIPT = Path(__file__).with_name("azurite_clock.cjs")


def _azurite_binary(repo: Path) -> Path | None:
    """FINEPLAN_AZURITE, else what .ci/azurite.sh installed, else one on PATH."""
    explicit = os.environ.get("FINEPLAN_AZURITE")
    if explicit:
        return Path(explicit)
    local = repo / ".ci" / "node_modules" / ".bin" / "azurite-blob"
    if local.exists():
        return local
    found = shutil.which("azurite-blob")
    return Path(found) if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _log_tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:]


def _wait_listening(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            last = (log.read_text(errors="replace").strip().splitlines() or [""])[-1]
            _unavailable(f"Azurite could not be started (exit {proc.returncode}): {last}", REQUIRE_AZURITE)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"Azurite did not listen on port {port} within 60 s:\n{_log_tail(log)}")


@dataclass(frozen=True)
class AzuriteService:
    connection_string: str
    port: int
    clock_file: Path  # milliseconds added to Azurite's clock (read by azurite_clock.cjs)


@pytest.fixture(scope="session")
def azurite_service(repo_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AzuriteService]:
    """A running Azurite blob service (one per test worker). Skips when Azurite is not installed or cannot start,
    unless FINEPLAN_REQUIRE_AZURITE=1; .ci/azurite.sh installs it."""
    binary = _azurite_binary(repo_root)
    if binary is None or not binary.exists():
        _unavailable(
            "needs Azurite (the Azure Storage emulator): `bash .ci/azurite.sh` installs it with npm, "
            "or set FINEPLAN_AZURITE to an azurite-blob executable",
            REQUIRE_AZURITE,
        )
    workspace = tmp_path_factory.mktemp("azurite")
    log = workspace / "azurite.log"
    clock_file = workspace / "clock-offset-ms"
    clock_file.write_text("0", encoding="ascii")
    port = _free_port()
    env = {
        **os.environ,
        "NODE_OPTIONS": f"{os.environ.get('NODE_OPTIONS', '')} --require {CLOCK_SCRIPT}".strip(),
        "FINEPLAN_AZURITE_CLOCK_FILE": str(clock_file),
    }
    args = ["--blobHost", "127.0.0.1", "--blobPort", str(port), "--inMemoryPersistence", "--silent"]
    args += ["--skipApiVersionCheck", "--loose", "--disableTelemetry"]
    with log.open("wb") as out:
        try:
            proc = subprocess.Popen(
                [str(binary), *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=workspace,  # in-memory persistence: nothing should land here, but never in the repo
                env=env,
            )
        except OSError as exc:
            _unavailable(f"Azurite could not be started: {exc}", REQUIRE_AZURITE)
    try:
        _wait_listening(proc, port, log)
        yield AzuriteService(
            f"DefaultEndpointsProtocol=http;AccountName={DEV_ACCOUNT};AccountKey={DEV_KEY};"
            f"BlobEndpoint=http://127.0.0.1:{port}/{DEV_ACCOUNT};",
            port,
            clock_file,
        )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def azurite(azurite_service: AzuriteService) -> str:
    """The connection string of the worker's Azurite (see azurite_service)."""
    return azurite_service.connection_string


class AzuriteClock:
    """Moves Azurite's clock forward, so a finite lease lapses without waiting for it in real time.

    Azurite judges lease expiry by its own clock; azurite_clock.cjs (preloaded into its Node process) adds the
    offset in `clock_file` to every reading of it, so the move takes effect on Azurite's very next request.
    The clock only moves forward, and only tests that ask for it move it.
    """

    def __init__(self, service: AzuriteService) -> None:
        self.service = service

    def _server_time(self) -> float:
        """Azurite's clock, as it dates a response (second resolution)."""
        from azure.storage.blob import BlobServiceClient

        service = BlobServiceClient.from_connection_string(self.service.connection_string)
        return float(service.get_account_information()["date"].timestamp())

    def advance(self, seconds: int) -> None:
        before = self._server_time()
        offset = int(self.service.clock_file.read_text(encoding="ascii"))
        self.service.clock_file.write_text(str(offset + seconds * 1000), encoding="ascii")
        # Real time only adds to the move, so less than `seconds` means the clock script is not in Azurite.
        assert self._server_time() - before >= seconds, (
            "Azurite's clock did not move: azurite_clock.cjs is preloaded through NODE_OPTIONS, so FINEPLAN_AZURITE "
            "must be Azurite's own Node script (azurite-blob)"
        )


@pytest.fixture
def azurite_clock(azurite_service: AzuriteService) -> AzuriteClock:
    return AzuriteClock(azurite_service)
