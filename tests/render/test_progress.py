"""Apply progress: plain timestamped lines for CI, rich live progress on a terminal."""

from __future__ import annotations

import io
import re

import pytest

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
from fineplan.render.progress import ApplyProgress, elapsed, size

T = 1_795_000_000.0  # 2026-11-18T11:06:40Z


def _events() -> list[Event]:
    up = "chat.jsonl"
    return [
        ResourceStarted("dataset.chat", action="create", at=T),
        UploadProgress("dataset.chat", filename=up, sent=0, total=3_400_000, at=T),
        UploadProgress("dataset.chat", filename=up, sent=1_000_000, total=3_400_000, at=T + 1),
        UploadProgress("dataset.chat", filename=up, sent=1_200_000, total=3_400_000, at=T + 1),  # same 25 % step
        UploadProgress("dataset.chat", filename=up, sent=3_400_000, total=3_400_000, at=T + 2),
        ResourceFinished("dataset.chat", action="create", remote_id="file-1", at=T + 3),
        ResourceStarted("job.sft", action="create", at=T + 3),
        TrainingProgress("job.sft", job_id="ftjob-1", status="queued", at=T + 4),
        TrainingProgress("job.sft", job_id="ftjob-1", status="queued", at=T + 5),  # nothing new
        TrainingProgress(
            "job.sft", job_id="ftjob-1", status="running", epoch=1, n_epochs=3, step=10, train_loss=1.2345, at=T + 60
        ),
        TrainingProgress(
            "job.sft", job_id="ftjob-1", status="running", epoch=1, n_epochs=3, step=20, train_loss=1.1, at=T + 70
        ),  # same epoch, under 30 s later
        TrainingProgress(
            "job.sft", job_id="ftjob-1", status="running", epoch=1, n_epochs=3, step=40, train_loss=1.0, at=T + 95
        ),  # 35 s after the last line
        TrainingProgress(
            "job.sft",
            job_id="ftjob-1",
            status="running",
            epoch=2,
            n_epochs=3,
            step=60,
            train_loss=0.9,
            message="Step 60: training loss=0.9",
            at=T + 130,
        ),
        ResourceFinished("job.sft", action="create", remote_id="ftjob-1", at=T + 200),
        ResourceStarted("deployment.dev", action="create", at=T + 200),
        DeploymentProgress("deployment.dev", account="local", name="dev", state="Creating", at=T + 201),
        DeploymentProgress("deployment.dev", account="local", name="dev", state="Creating", at=T + 205),
        ResourceFailed("deployment.dev", action="create", error="InsufficientQuota: no quota left", at=T + 210),
        ResourceSkipped("deployment.prod", reason="gate on job.sft failed", at=T + 210),
        Message("", text="2 resources were not applied", level="warning", at=T + 211),
    ]


PLAIN = """\
2026-11-18T11:06:40Z dataset.chat: creating…
2026-11-18T11:06:40Z dataset.chat: uploading chat.jsonl: 0 B of 3.4 MB (0%)
2026-11-18T11:06:41Z dataset.chat: uploading chat.jsonl: 1.0 MB of 3.4 MB (29%)
2026-11-18T11:06:42Z dataset.chat: uploading chat.jsonl: 3.4 MB of 3.4 MB (100%)
2026-11-18T11:06:43Z dataset.chat: created in 3s (file-1)
2026-11-18T11:06:43Z job.sft: creating…
2026-11-18T11:06:44Z job.sft: ftjob-1 queued [1s]
2026-11-18T11:07:40Z job.sft: ftjob-1 running, epoch 1/3, step 10, loss 1.2345 [57s]
2026-11-18T11:08:15Z job.sft: ftjob-1 running, epoch 1/3, step 40, loss 1.0000 [1m32s]
2026-11-18T11:08:50Z job.sft: ftjob-1 running, epoch 2/3, step 60, loss 0.9000 [2m07s]
2026-11-18T11:08:50Z job.sft: Step 60: training loss=0.9
2026-11-18T11:10:00Z job.sft: created in 3m17s (ftjob-1)
2026-11-18T11:10:00Z deployment.dev: creating…
2026-11-18T11:10:01Z deployment.dev: deployment local/dev: Creating [1s]
2026-11-18T11:10:10Z deployment.dev: create failed after 10s: InsufficientQuota: no quota left
2026-11-18T11:10:10Z deployment.prod: skipped: gate on job.sft failed
2026-11-18T11:10:11Z Warning: 2 resources were not applied
"""


def test_plain_lines_are_timestamped_and_throttled() -> None:
    out = io.StringIO()
    sink = ApplyProgress(out)  # a StringIO is no TTY: plain lines
    assert sink.interactive is False
    for e in _events():
        sink(e)
    sink.close()
    assert out.getvalue() == PLAIN
    assert sink.counts == {"finished": 2, "failed": 1, "skipped": 1}


def test_rich_progress_on_a_terminal_shows_outcomes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")  # rich sizes a non-terminal file from COLUMNS
    out = io.StringIO()
    with ApplyProgress(out, interactive=True, color=False) as sink:
        for e in _events():
            sink(e)
    text = out.getvalue()
    final = text[text.rindex("dataset.chat") - 20 :]  # the last repaint of the live view
    assert "✓" in final and "created (file-1)" in final and "created (ftjob-1)" in final
    assert "✗" in final and "create failed" in final
    assert "skipped: gate on job.sft failed" in final
    assert "InsufficientQuota: no quota left" in text  # errors are printed above the live view, and stay
    assert not re.search(r"\x1b\[3\dm", text)  # no colours when colour is off


def test_rich_uses_colour_when_allowed() -> None:
    out = io.StringIO()
    with ApplyProgress(out, interactive=True, color=True) as sink:
        sink(ResourceStarted("job.sft", action="create", at=T))
        sink(ResourceFinished("job.sft", action="create", at=T + 1))
    assert "\x1b[32m" in out.getvalue()


def test_human_units() -> None:
    assert [elapsed(s) for s in (0, 59, 60, 192, 3600, 3900)] == ["0s", "59s", "1m00s", "3m12s", "1h00m", "1h05m"]
    assert [size(n) for n in (0, 999, 1000, 3_400_000, 7_500_000_000)] == ["0 B", "999 B", "1.0 kB", "3.4 MB", "7.5 GB"]


def test_a_finished_line_names_the_remote_id_once() -> None:
    out = io.StringIO()
    sink = ApplyProgress(out)
    sink(ResourceStarted("dataset.chat", action="create", at=T))
    sink(ResourceFinished("dataset.chat", action="create", remote_id="file-1", detail="file-1, file-2", at=T))
    sink(ResourceStarted("job.sft", action="create-then-delete", at=T))
    sink(ResourceFinished("job.sft", action="create-then-delete", remote_id="ftjob-1", detail="ftjob-1 → m", at=T))
    sink(ResourceStarted("deployment.dev", action="create", at=T))
    sink(ResourceFinished("deployment.dev", action="create", remote_id="/arm/dev", detail="local/dev (m)", at=T))
    sink.close()
    lines = [line.split(" ", 1)[1] for line in out.getvalue().splitlines() if " in " in line]
    assert lines == [
        "dataset.chat: created in 0s: file-1, file-2",
        "job.sft: replaced in 0s: ftjob-1 → m",
        "deployment.dev: created in 0s (/arm/dev): local/dev (m)",
    ]
