"""Shared by the CLI tests (a uniquely named module: every test directory has its own conftest.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


RunCli = Callable[..., Result]
MakeProject = Callable[..., Path]

CHAT_ROWS = "".join(
    json.dumps(
        {
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": f"What is {a} + {a + 1}?"},
                {"role": "assistant", "content": f"{2 * a + 1}."},
            ]
        }
    )
    + "\n"
    for a in range(12)
)
# Lints clean except for one FP312 warning: its Developer deployment, on line 16.
SPECS = """\
kind: Dataset
name: train
spec: {path: data/train.jsonl, format: chat}
---
kind: FineTuningJob
name: sft
spec:
  base_model: gpt-4.1-nano-2025-04-14
  training_data: train
  suffix: sums
---
kind: Deployment
name: web
spec:
  model: {job: sft}
  type: developer
"""
