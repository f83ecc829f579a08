"""Apply progress: the executor's events as live rich progress on a terminal, or plain timestamped lines in CI.

    sink = ApplyProgress()             # picks rich or plain from the stream (TTY or not)
    try:
        executor.apply(plan, events=sink)
    finally:
        sink.close()

Plain lines use each event's own timestamp (`Event.at`, UTC), so CI logs show when things happened, and are
throttled (uploads every 25 %, training on a status/epoch change or every 30 s of progress) so logs stay short.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from fineplan.apply.events import (
    DeploymentProgress,
    Event,
    Message,
    ResourceFailed,
    ResourceFinished,
    ResourceSkipped,
    ResourceStarted,
    TrainingProgress,
    UploadProgress,
)
from fineplan.plan.model import Action
from fineplan.render.color import use_color

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

_DOING: dict[str, str] = {  # keyed by Action values, as events carry them
    Action.CREATE: "creating",
    Action.UPDATE: "updating",
    Action.CREATE_THEN_DELETE: "replacing (new one first)",
    Action.DELETE_THEN_CREATE: "replacing (deleting the old one first)",
    Action.DELETE: "destroying",
    Action.WAIT: "waiting for",
    Action.READ: "reading",
}
_DONE: dict[str, str] = {
    Action.CREATE: "created",
    Action.UPDATE: "updated",
    Action.CREATE_THEN_DELETE: "replaced",
    Action.DELETE_THEN_CREATE: "replaced",
    Action.DELETE: "destroyed",
    Action.WAIT: "finished",
    Action.READ: "read",
}
_UPLOAD_STEP = 25  # percent between plain upload lines
_TRAINING_EVERY = 30.0  # seconds of event time between plain training lines with the same status and epoch


def finished_detail(event: ResourceFinished) -> str:
    """` (file-1)`, `: ftjob-1 → gpt-…` or ` (id): detail`: the remote id once, even when the detail names it."""
    what = f" ({event.remote_id})" if event.remote_id and event.remote_id not in event.detail else ""
    return what + (f": {event.detail}" if event.detail else "")


def elapsed(seconds: float) -> str:
    """`45s`, `3m12s`, `1h05m`."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


def size(n: int) -> str:
    """Bytes for people: 512 B, 1.2 MB (decimal units, as upload tools show them)."""
    value = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def training_detail(e: TrainingProgress) -> str:
    parts = [e.status]
    if e.epoch is not None:
        parts.append(f"epoch {e.epoch}/{e.n_epochs}" if e.n_epochs else f"epoch {e.epoch}")
    if e.step is not None:
        parts.append(f"step {e.step:,}")
    if e.train_loss is not None:
        parts.append(f"loss {e.train_loss:.4f}")
    return ", ".join(parts)


@dataclass
class _Resource:
    started: float
    action: str = ""
    upload_bucket: int = -1
    training_key: tuple[Any, ...] = ()
    training_at: float = 0.0
    deployment_state: str = ""
    messages: set[str] = field(default_factory=set)


class ApplyProgress:
    """An EventSink (`__call__(event)`) showing apply progress; call `close()` when apply ends.

    `interactive` (default: the stream is a TTY) picks rich live progress over plain lines; `color` (default:
    `use_color(stream)`, so NO_COLOR is honoured) only matters for rich.
    """

    def __init__(
        self, stream: TextIO | None = None, *, interactive: bool | None = None, color: bool | None = None
    ) -> None:
        self.stream = stream or sys.stdout
        if interactive is None:
            interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interactive = interactive
        self.color = use_color(self.stream) if color is None else color
        self._impl: _Plain | _Rich = _Rich(self.stream, self.color) if interactive else _Plain(self.stream)
        self.counts = {"finished": 0, "failed": 0, "skipped": 0}

    def __call__(self, event: Event) -> None:
        if isinstance(event, ResourceFinished):
            self.counts["finished"] += 1
        elif isinstance(event, ResourceFailed):
            self.counts["failed"] += 1
        elif isinstance(event, ResourceSkipped):
            self.counts["skipped"] += 1
        self._impl.handle(event)

    def close(self) -> None:
        self._impl.close()

    def __enter__(self) -> ApplyProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------------------------------------- plain lines


class _Plain:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.resources: dict[str, _Resource] = {}

    def _state(self, event: Event) -> _Resource:
        return self.resources.setdefault(event.address, _Resource(started=event.at))

    def _write(self, event: Event, text: str) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(event.at))
        prefix = f"{event.address}: " if event.address else ""
        self.stream.write(f"{stamp} {prefix}{text}\n")
        self.stream.flush()

    def handle(self, event: Event) -> None:
        r = self._state(event)
        took = elapsed(event.at - r.started)
        if isinstance(event, ResourceStarted):
            self.resources[event.address] = _Resource(started=event.at, action=event.action)
            self._write(event, f"{_DOING.get(event.action, event.action)}…")
        elif isinstance(event, UploadProgress):
            percent = 100 * event.sent // event.total if event.total else 100
            bucket = percent // _UPLOAD_STEP
            if bucket > r.upload_bucket:
                r.upload_bucket = bucket
                self._write(
                    event, f"uploading {event.filename}: {size(event.sent)} of {size(event.total)} ({percent}%)"
                )
        elif isinstance(event, TrainingProgress):
            key = (event.status, event.epoch)
            if key != r.training_key or event.at - r.training_at >= _TRAINING_EVERY:
                r.training_key, r.training_at = key, event.at
                self._write(event, f"{event.job_id} {training_detail(event)} [{took}]")
            if event.message and event.message not in r.messages:
                r.messages.add(event.message)
                self._write(event, event.message)
        elif isinstance(event, DeploymentProgress):
            if event.state != r.deployment_state:
                r.deployment_state = event.state
                self._write(event, f"deployment {event.account}/{event.name}: {event.state} [{took}]")
        elif isinstance(event, ResourceFinished):
            self._write(event, f"{_DONE.get(event.action, event.action)} in {took}{finished_detail(event)}")
        elif isinstance(event, ResourceFailed):
            self._write(event, f"{event.action} failed after {took}: {event.error}")
        elif isinstance(event, ResourceSkipped):
            self._write(event, f"skipped: {event.reason}")
        elif isinstance(event, Message):
            label = {"warning": "Warning: ", "error": "Error: "}.get(event.level, "")
            self._write(event, f"{label}{event.text}")

    def close(self) -> None:
        self.stream.flush()


# ---------------------------------------------------------------------------------------------- rich live view


class _Rich:
    def __init__(self, stream: TextIO, color: bool) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
        from rich.text import Text

        class StatusColumn(SpinnerColumn):
            """A spinner while the resource is in progress; its outcome mark (✓ ✗ –) once it ended."""

            def render(self, task: Any) -> Any:
                mark = task.fields.get("mark")
                return Text.from_markup(mark) if mark else super().render(task)

        self.console = Console(file=stream, force_terminal=True, no_color=not color, highlight=False)
        self.progress: Progress = Progress(
            StatusColumn(),
            TextColumn("[bold]{task.fields[address]}"),
            BarColumn(bar_width=24),
            TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(),
            console=self.console,
        )
        self.tasks: dict[str, TaskID] = {}
        self.progress.start()

    def _task(self, address: str) -> TaskID:
        if address not in self.tasks:
            self.tasks[address] = self.progress.add_task("", total=None, address=address, detail="", mark="")
        return self.tasks[address]

    def handle(self, event: Event) -> None:
        from rich.markup import escape

        p = self.progress
        if isinstance(event, Message):
            style = {"warning": "yellow", "error": "red"}.get(event.level, "")
            text = escape(event.text)
            p.console.print(f"[{style}]{text}[/]" if style else text)
            return
        task = self._task(event.address)
        if isinstance(event, ResourceStarted):
            p.update(task, detail=escape(f"{_DOING.get(event.action, event.action)}…"))
        elif isinstance(event, UploadProgress):
            detail = f"uploading {event.filename}: {size(event.sent)} of {size(event.total)}"
            p.update(task, total=event.total or None, completed=event.sent, detail=escape(detail))
        elif isinstance(event, TrainingProgress):
            p.update(
                task,
                total=event.n_epochs or None,
                completed=event.epoch or 0,
                detail=escape(f"{event.job_id} {training_detail(event)}"),
            )
            if event.message:
                p.console.print(f"[dim]{escape(event.address)}: {escape(event.message)}[/]")
        elif isinstance(event, DeploymentProgress):
            p.update(task, total=None, detail=escape(f"{event.name}: {event.state}"))
        elif isinstance(event, ResourceFinished):
            what = f" ({event.remote_id})" if event.remote_id else ""
            done = f"{_DONE.get(event.action, event.action)}{what}"
            p.update(task, total=1, completed=1, detail=f"[green]{escape(done)}[/]", mark="[green]✓[/]")
            p.stop_task(task)
        elif isinstance(event, ResourceFailed):
            p.update(task, total=1, completed=0, detail=f"[red]{escape(event.action)} failed[/]", mark="[red]✗[/]")
            p.stop_task(task)
            p.console.print(f"[red bold]Error:[/] {escape(event.address)}: {escape(event.error)}")
        elif isinstance(event, ResourceSkipped):
            p.update(
                task, total=1, completed=0, detail=f"[yellow]skipped: {escape(event.reason)}[/]", mark="[yellow]–[/]"
            )
            p.stop_task(task)

    def close(self) -> None:
        self.progress.stop()
