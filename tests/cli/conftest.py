"""Fixtures for the CLI tests: run `fineplan` in-process and capture what it prints."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from fineplan.cli.main import main


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


RunCli = Callable[..., Result]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> RunCli:
    """cli("-C", dir, "lint") → Result(exit code, stdout, stderr). `--debug` so a bug raises instead of exit 1."""

    def run(*argv: str | Path) -> Result:
        capsys.readouterr()
        try:
            code = main(["--debug", *map(str, argv)])
        except SystemExit as exc:  # argparse: --version, --help, usage errors
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


CHAT_ROWS = "".join(
    '{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is %d + %d?"}, '
    '{"role": "assistant", "content": "%d."}]}\n' % (a, a + 1, 2 * a + 1)
    for a in range(12)
)
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


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    """A small project that lints clean except for one FP312 warning (its Developer deployment, on line 16)."""

    def make(specs: str = SPECS, settings: str = "project: cli\n", name: str = "project") -> Path:
        root = tmp_path / name
        for rel, text in {"fineplan.yaml": settings, "specs/main.yaml": specs, "data/train.jsonl": CHAT_ROWS}.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text, encoding="utf-8")
        return root

    return make
