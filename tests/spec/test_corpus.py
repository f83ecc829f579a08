"""The corpus of broken projects: each case breaks one thing and must yield its code at its line, never a traceback.

A case is tests/spec/corpus/<case>/ with a project (fineplan.yaml, specs/, data/) and expect.yaml:

    why: what the case breaks
    expect: [{code, file, line, column?, summary_contains?, severity?}]
    exit: 1                      # the CLI's exit code
    args: [lint, --no-datasets]  # optional; `--format json` (or `--json` for validate) is appended
    unset_env: [VAR]             # optional: variables that must be unset

Every error the CLI reports must be one of the expected codes, so a case also catches cascades of follow-on errors.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from spec_helpers import describe, located

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted(p.parent.name for p in CORPUS.glob("*/expect.yaml"))
# Codes the issue requires the corpus to cover (FP109/FP110/FP203-symlink also have built-at-test-time cases).
REQUIRED = (
    [f"FP{n}" for n in range(100, 117) if n != 110]
    + [f"FP{n}" for n in range(201, 205)]
    + [f"FP{n}" for n in range(301, 321)]
)


def _expect(case: str) -> dict[str, Any]:
    return yaml.safe_load((CORPUS / case / "expect.yaml").read_text("utf-8"))


def _copy(case: str, tmp_path: Path) -> Path:
    project = tmp_path / case
    shutil.copytree(CORPUS / case, project, ignore=shutil.ignore_patterns("expect.yaml"))
    return project


def check_expectations(code: int, doc: dict[str, Any], expect: dict[str, Any]) -> None:
    found = describe(doc)
    for want in expect["expect"]:
        assert located(doc, want["code"], want["file"], want["line"], want.get("column")), (
            f"expected {want['code']} at {want['file']}:{want['line']}:{want.get('column', '*')}; got\n{found}"
        )
        match = [
            d for d in doc["diagnostics"] if d["code"] == want["code"] and d["range"]["start"]["line"] == want["line"]
        ]
        assert any(want.get("summary_contains", "") in d["summary"] for d in match), found
        assert all(d["severity"] == want.get("severity", "error") for d in match), found
    expected_codes = {w["code"] for w in expect["expect"]}
    unexpected = [d["code"] for d in doc["diagnostics"] if d["severity"] == "error" and d["code"] not in expected_codes]
    assert not unexpected, f"unexpected errors {unexpected}:\n{found}"
    assert code == expect["exit"], found
    assert doc["valid"] is (doc["error_count"] == 0)


def test_corpus_is_large_and_covers_every_foundation_code() -> None:
    assert len(CASES) >= 30
    covered = {w["code"] for case in CASES for w in _expect(case)["expect"]}
    assert not set(REQUIRED) - covered, f"no corpus case for {sorted(set(REQUIRED) - covered)}"


@pytest.mark.parametrize("case", CASES)
def test_corpus_case(case: str, tmp_path: Path, lint_json: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    expect = _expect(case)
    for var in expect.get("unset_env", []):
        monkeypatch.delenv(var, raising=False)
    code, doc = lint_json(_copy(case, tmp_path), *expect.get("args", []))
    check_expectations(code, doc, expect)


@pytest.mark.parametrize("case", [c for c in CASES if c.startswith(("fp1", "fp2"))])
def test_validate_reports_structural_cases_too(case: str, tmp_path: Path, lint_json: Any, monkeypatch) -> None:
    """`validate` (structure and references only) finds every FP1xx/FP2xx case the same way lint does."""
    expect = _expect(case)
    for var in expect.get("unset_env", []):
        monkeypatch.delenv(var, raising=False)
    code, doc = lint_json(_copy(case, tmp_path), "validate")
    check_expectations(code, doc, expect)


# A few cases through a real process: the installed entry point, stderr free of tracebacks.
SUBPROCESS_CASES = ["fp101-bad-indent", "fp111-alias-bomb", "fp202-cycle", "fp301-unknown-base-model"]


@pytest.mark.parametrize("case", SUBPROCESS_CASES)
def test_corpus_case_in_a_subprocess(case: str, tmp_path: Path) -> None:
    expect = _expect(case)
    project = _copy(case, tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in expect.get("unset_env", [])}
    proc = subprocess.run(
        [sys.executable, "-m", "fineplan", "-C", str(project), "lint", "--no-datasets", "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert "Traceback" not in proc.stderr and "Internal error" not in proc.stderr, proc.stderr
    check_expectations(proc.returncode, json.loads(proc.stdout), expect)


def test_text_output_of_a_case_names_file_line_and_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from fineplan.cli.main import main

    project = _copy("fp103-unknown-key", tmp_path)
    assert main(["-C", str(project), "lint", "--no-datasets"]) == 1
    out = capsys.readouterr().out
    assert "Error: FP103" in out
    assert "on specs/main.yaml line 11, column 21" in out
    assert "hyperparameters: {n_epoch: 3}" in out  # the source line is quoted under the location
