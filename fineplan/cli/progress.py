"""The progress sink commands hand to the engine: rich on a TTY, timestamped lines otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fineplan.apply.events import EventSink


@contextmanager
def progress_sink() -> Iterator[EventSink]:
    from fineplan.render.progress import ApplyProgress

    renderer = ApplyProgress()
    try:
        yield renderer
    finally:
        renderer.close()
