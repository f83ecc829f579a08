"""Typed events the executor emits. The core never prints: renderers (render.progress) consume these."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Event:
    address: str
    at: float = field(default_factory=time.time, kw_only=True)


@dataclass(frozen=True)
class ResourceStarted(Event):
    action: str  # create | update | replace | delete | wait
    kind: str = ""


@dataclass(frozen=True)
class UploadProgress(Event):
    filename: str
    sent: int
    total: int


@dataclass(frozen=True)
class TrainingProgress(Event):
    job_id: str
    status: str
    epoch: int | None = None
    n_epochs: int | None = None
    step: int | None = None
    train_loss: float | None = None
    message: str | None = None


@dataclass(frozen=True)
class DeploymentProgress(Event):
    account: str
    name: str
    state: str  # Accepted | Creating | Succeeded | Deleting ...


@dataclass(frozen=True)
class ResourceFinished(Event):
    action: str
    remote_id: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class ResourceFailed(Event):
    action: str
    error: str


@dataclass(frozen=True)
class ResourceSkipped(Event):
    reason: str


@dataclass(frozen=True)
class Message(Event):
    text: str
    level: str = "info"


EventSink = Callable[[Event], None]


def discard(_: Event) -> None:
    """A sink that ignores events (library use, tests)."""
