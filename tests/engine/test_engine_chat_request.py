"""What `fineplan chat` puts on the wire, read where the emulator receives it: the deployment's chat completions
route, the system message before the question, and the length limit as `max_completion_tokens` (reasoning models
such as o4-mini and its RFT fine-tunes refuse `max_tokens` on Azure)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from engine_helpers import DEPLOYMENT, Emu, RunCli

from fineplan.emulator.http_types import Request

pytestmark = pytest.mark.slow  # end-to-end: the CLI against the emulator


def test_chat_sends_the_limit_as_max_completion_tokens(project: Path, emu: Emu, cli: RunCli) -> None:
    applied = cli(project, "apply", "--auto-approve")
    assert applied.code == 0, applied.text
    seen: list[tuple[str, dict[str, Any]]] = []
    emu.hooks.before("create_chat_completion", lambda op, req: seen.append(_received(req)))

    asked = cli(project, "chat", DEPLOYMENT, "Where is my order?", "--system", "Be brief.", "--max-tokens", "7")
    assert asked.code == 0, asked.text
    assert len(seen) == 1
    path, body = seen[0]
    assert path.endswith("/openai/deployments/support-dev/chat/completions")
    assert body["max_completion_tokens"] == 7
    assert "max_tokens" not in body
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Where is my order?"},
    ]

    # Without --max-tokens no limit is sent at all: the model's own default applies.
    seen.clear()
    assert cli(project, "chat", DEPLOYMENT, "Where is my order?").code == 0
    (_, body), *_ = seen
    assert not {"max_completion_tokens", "max_tokens"} & set(body)
    assert [m["role"] for m in body["messages"]] == ["user"]


def _received(req: Request) -> tuple[str, dict[str, Any]]:
    return req.path, dict(json.loads(req.body))
