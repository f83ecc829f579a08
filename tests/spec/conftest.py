"""Fixtures for the spec tests: run the CLI in-process and read its JSON (helpers live in spec_helpers.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fineplan.cli.main import main

LintJson = Callable[..., tuple[int, dict[str, Any]]]


@pytest.fixture
def lint_json(capsys: pytest.CaptureFixture[str]) -> LintJson:
    """`fineplan -C project <command> ... --format json` in-process → (exit code, parsed JSON)."""

    def run(project: Path, *args: str) -> tuple[int, dict[str, Any]]:
        argv = list(args) or ["lint", "--no-datasets"]
        argv += ["--json"] if argv[0] == "validate" else ["--format", "json"]
        capsys.readouterr()
        code = main(["--debug", "-C", str(project), *argv])  # --debug: a bug raises here instead of exit 1
        out = capsys.readouterr().out
        return code, json.loads(out)

    return run
