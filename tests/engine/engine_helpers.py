"""Shared by the engine end-to-end tests (a uniquely named module: every test directory has its own conftest.py).

The tests drive the real CLI (in-process for speed, or as a subprocess when it must be killed) against an
emulator that runs inside the test process, so a test can
- look at what "Azure" holds through the official SDKs (`Emu.jobs()`, `Emu.deployments()`, ...),
- move the emulator's clock (`Emu.clock`), e.g. a day forward to expire Developer deployments,
- act at an exact point of an apply (`Emu.hooks`): e.g. SIGKILL the apply the moment its job-create call has
  been served but before the answer reaches it, which is the window the intent journal exists for.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fineplan.emulator.apierror import ApiError
from fineplan.emulator.app import Emulator
from fineplan.emulator.embedded import EmbeddedEmulator
from fineplan.emulator.http_types import Plane, Request, Response
from fineplan.emulator.routes import classify
from fineplan.providers.factory import LOCAL_API_KEY
from fineplan.state.model import State

API_VERSION = "2025-04-01-preview"
SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"  # LocalTarget's defaults
RESOURCE_GROUP = "fineplan-local"
ACCOUNT = "local"
PROJECT = "quickstart"
JOBS = ("job.support-sft", "job.support-dpo")
DATASETS = ("dataset.support-chat", "dataset.support-faq", "dataset.support-prefs")
DEPLOYMENT = "deployment.support-dev"
ALL = (*DATASETS, *JOBS, DEPLOYMENT)
# Simulated seconds per real second. Slow enough that a Developer deployment lives 216 s (24 h / 400) and a
# running job is seen by a few polls; fast enough that the quickstart applies in about three seconds.
SPEED = 400.0
# Phase lengths (simulated seconds) for the tests' emulator: training long enough to be caught "running".
DURATIONS = {
    "file_processing": 10,
    "job_queue": 20,
    "job_startup": 20,
    "epoch_min": 120,
    "job_finalize": 20,
    "deployment_create": 60,
    "deployment_update": 30,
    "deployment_delete": 30,
}


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


class OffsetClock:
    """Real time plus an offset the test moves (the emulator's clock; fineplan itself keeps real time). Frozen,
    it stands still: nothing in the emulator progresses until `thaw()`."""

    def __init__(self, offset: float = 0.0) -> None:
        self.offset = offset
        self._frozen_at: float | None = None
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._frozen_at if self._frozen_at is not None else time.time() + self.offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.offset += seconds
            if self._frozen_at is not None:
                self._frozen_at += seconds

    def freeze(self) -> None:
        with self._lock:
            if self._frozen_at is None:
                self._frozen_at = time.time() + self.offset

    def thaw(self) -> None:
        with self._lock:
            if self._frozen_at is not None:
                self.offset = self._frozen_at - time.time()
                self._frozen_at = None


Before = Callable[[str, Request], None]
After = Callable[[str, Request, Response], Response | None]


class Hooks:
    """Calls test code around the emulator's request handling, keyed by operation name (see emulator.faults).

    A `before` hook runs before the request is handled (nothing has happened yet); an `after` hook runs once it
    has been handled and committed, before the answer is sent, and may replace the answer. Operation "*" is every
    call.
    """

    def __init__(self, emulator: Emulator) -> None:
        self._emulator = emulator
        self._dispatch = emulator.dispatch
        self._before: list[tuple[str, Before]] = []
        self._after: list[tuple[str, After]] = []
        self._lock = threading.Lock()
        emulator.dispatch = self._handle  # type: ignore[method-assign]

    def before(self, op: str, fn: Before) -> None:
        with self._lock:
            self._before.append((op, fn))

    def after(self, op: str, fn: After) -> None:
        with self._lock:
            self._after.append((op, fn))

    def clear(self) -> None:
        with self._lock:
            self._before.clear()
            self._after.clear()

    def _op(self, req: Request) -> str | None:
        req.plane = classify(req.path) or Plane.DATA_DATED
        try:
            return self._emulator.router.match(req).op
        except ApiError:
            return None

    def _handle(self, req: Request) -> Response:
        op = self._op(req)
        with self._lock:
            before = [fn for o, fn in self._before if o in (op, "*")]
            after = [fn for o, fn in self._after if o in (op, "*")]
        for fn in before:
            fn(op or "", req)
        resp: Response = self._dispatch(req)
        for hook in after:
            replaced = hook(op or "", req, resp)
            if replaced is not None:
                resp = replaced
        return resp


@dataclass
class Emu:
    """The emulator the CLI talks to (via FINEPLAN_EMULATOR_URL), with SDK views of what it holds."""

    embedded: EmbeddedEmulator
    clock: OffsetClock
    hooks: Hooks
    _clients: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.embedded.url

    # ------------------------------------------------------------ official SDK clients

    @property
    def openai(self) -> Any:
        if "openai" not in self._clients:
            import openai

            self._clients["openai"] = openai.AzureOpenAI(
                azure_endpoint=self.url, api_key=LOCAL_API_KEY, api_version=API_VERSION, max_retries=8
            )
        return self._clients["openai"]

    @property
    def arm(self) -> Any:
        if "arm" not in self._clients:
            from azure.core.credentials import AccessToken
            from azure.core.pipeline.policies import SansIOHTTPPolicy
            from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

            class Credential:
                def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
                    return AccessToken(LOCAL_API_KEY, int(time.time()) + 3600)

            class Bearer(SansIOHTTPPolicy):  # type: ignore[type-arg]
                def on_request(self, request: Any) -> None:  # the SDK's own policy refuses plain http
                    request.http_request.headers["Authorization"] = f"Bearer {LOCAL_API_KEY}"

            self._clients["arm"] = CognitiveServicesManagementClient(
                Credential(),  # type: ignore[arg-type]
                SUBSCRIPTION,
                base_url=self.url,
                authentication_policy=Bearer(),
                polling_interval=0.01,
            )
        return self._clients["arm"]

    def fast_training(self, jump: float = 3.0) -> None:
        """From now on, simulated time jumps ahead whenever a job is created, so it has finished by the time the
        apply first polls it (`jump` real seconds = jump × speed simulated ones; the quickstart's jobs need ~1 s)."""
        self.hooks.after("create_job", lambda op, req, resp: self.clock.advance(jump))

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    # ------------------------------------------------------------ what it holds

    def jobs(self) -> list[Any]:
        return list(self.openai.fine_tuning.jobs.list(limit=100))

    def job_counts(self, project: str = PROJECT) -> Counter[str]:
        """How many jobs the emulator holds per fineplan address (from the metadata fineplan tags them with)."""
        counts: Counter[str] = Counter()
        for job in self.jobs():
            meta = job.metadata or {}
            if meta.get("fineplan_project") == project:
                counts[meta.get("fineplan_address", "?")] += 1
        return counts

    def job(self, job_id: str) -> Any:
        return self.openai.fine_tuning.jobs.retrieve(job_id)

    def files(self) -> list[Any]:
        return [f for f in self.openai.files.list(purpose="fine-tune") if f.status not in ("deleted", "deleting")]

    def deployments(self, account: str = ACCOUNT) -> list[Any]:
        return list(self.arm.deployments.list(RESOURCE_GROUP, account))

    def deployment(self, name: str, account: str = ACCOUNT) -> Any:
        return self.arm.deployments.get(RESOURCE_GROUP, account, name)

    def wait_deployment_settled(self, name: str, account: str = ACCOUNT, timeout: float = 30.0) -> Any:
        return poll(
            lambda: (d := self.deployment(name, account)).properties.provisioning_state == "Succeeded" and d,
            timeout,
            f"deployment {name} to settle",
        )

    def delete_deployment(self, name: str, account: str = ACCOUNT) -> None:
        self.arm.deployments.begin_delete(RESOURCE_GROUP, account, name).result()

    def set_capacity(self, name: str, capacity: int, account: str = ACCOUNT) -> None:
        from azure.mgmt.cognitiveservices.models import PatchResourceTagsAndSku, Sku

        current = self.deployment(name, account)
        patch = PatchResourceTagsAndSku(sku=Sku(name=current.sku.name, capacity=capacity))
        self.arm.deployments.begin_update(RESOURCE_GROUP, account, name, patch).result()
        self.wait_deployment_settled(name, account)

    @staticmethod
    def arm_deployment_body(model: str, sku: str, capacity: int) -> Any:
        from azure.mgmt.cognitiveservices.models import Deployment, DeploymentModel, DeploymentProperties, Sku

        return Deployment(
            sku=Sku(name=sku, capacity=capacity),
            properties=DeploymentProperties(
                model=DeploymentModel(format="OpenAI", name=model, version="1"),
                rai_policy_name="Microsoft.DefaultV2",
                version_upgrade_option="NoAutoUpgrade",
            ),
        )

    def create_deployment(self, name: str, model: str, sku: str, capacity: int, account: str = ACCOUNT) -> None:
        """A deployment made outside fineplan (no fineplan tags), as a portal user would."""
        body = self.arm_deployment_body(model, sku, capacity)
        self.arm.deployments.begin_create_or_update(RESOURCE_GROUP, account, name, body).result()
        self.wait_deployment_settled(name, account)

    def is_empty(self) -> bool:
        return not self.jobs() and not self.files() and not self.deployments()


def poll(check: Callable[[], Any], timeout: float, what: str, interval: float = 0.02) -> Any:
    """Call `check` until it returns something truthy (returned); fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


# ---------------------------------------------------------------- the project on disk


def state_path(root: Path, target: str = "local") -> Path:
    return root / ".fineplan" / "state" / f"{target}.json"


def load_state(root: Path) -> State:
    """The state file as the CLI would load it (raises if it does not parse and validate)."""
    path = state_path(root)
    return State.from_json(path.read_bytes(), source=str(path))


def append_row(root: Path, rel: str = "data/support_chat.jsonl") -> None:
    """Append one well-formed chat example to a dataset of the quickstart."""
    row = {
        "messages": [
            {"role": "system", "content": "You are Nimbus, the support assistant for Cloudberry."},
            {"role": "user", "content": "Do you ship to Iceland?"},
            {"role": "assistant", "content": "Yes: 5 to 8 working days, tracked."},
        ]
    }
    with (root / rel).open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(row) + "\n")


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def changes_by_address(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["address"]: c for c in plan["resource_changes"]}


def actions(plan: dict[str, Any]) -> dict[str, str]:
    return {c["address"]: c["action"] for c in plan["resource_changes"]}


# ---------------------------------------------------------------- the CLI in a subprocess


class Spawned:
    """`python -m fineplan ...` in its own process (so it can be killed), output to a file."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._fh = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "fineplan", *argv],
            stdin=subprocess.DEVNULL,
            stdout=self._fh,
            stderr=subprocess.STDOUT,
            env=env,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def signal(self, sig: signal.Signals) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)

    def wait(self, timeout: float = 60.0) -> int:
        try:
            return self.proc.wait(timeout)
        finally:
            if self.proc.poll() is not None:
                self._fh.close()

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def kill(self) -> None:
        self.signal(signal.SIGKILL)
        self.wait()


# Fixture types, here rather than in conftest.py: `from conftest import` picks whichever conftest loaded first.
RunCli = Callable[..., Result]
StartEmulator = Callable[..., Emu]
Spawn = Callable[..., Spawned]
