"""Fixtures for the CLI tests: run `fineplan` in-process and capture what it prints; write small projects."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import CHAT_ROWS, SPECS, MakeProject, Result, RunCli

from fineplan.cli.main import main


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


@pytest.fixture
def make_project(tmp_path: Path) -> MakeProject:
    """A small project (cli_helpers.SPECS by default) with twelve chat examples in data/train.jsonl."""

    def make(specs: str = SPECS, settings: str = "project: cli\n", name: str = "project") -> Path:
        root = tmp_path / name
        for rel, text in {"fineplan.yaml": settings, "specs/main.yaml": specs, "data/train.jsonl": CHAT_ROWS}.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text, encoding="utf-8")
        return root

    return make
