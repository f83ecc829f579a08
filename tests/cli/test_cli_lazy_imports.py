"""`fineplan --version`, `lint` and `validate` never import the heavy SDKs (openai, azure.*): start-up matters."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# Runs the CLI in a fresh interpreter, then reports which SDK modules got imported, after a marker line.
WRAPPER = """
import json, sys
from fineplan.cli.main import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("openai", "azure", "httpx", "httpx2"))
print("\\n@@modules@@" + json.dumps({"code": code, "heavy": heavy}))
"""


def _run(*argv: str) -> tuple[int, list[str], str]:
    proc = subprocess.run(
        [sys.executable, "-c", WRAPPER, *argv], capture_output=True, text=True, timeout=120, check=False
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    out, _, report = proc.stdout.rpartition("@@modules@@")
    data = json.loads(report)
    return data["code"], data["heavy"], out


@pytest.mark.parametrize(
    "argv",
    [
        ["--version"],
        ["-C", "{quickstart}", "validate"],
        ["-C", "{quickstart}", "lint"],
        ["-C", "{quickstart}", "lint", "--format", "sarif"],
        ["lint", "--list-rules"],
    ],
    ids=["version", "validate", "lint", "lint-sarif", "list-rules"],
)
def test_no_sdk_is_imported(argv: list[str], repo_root: Path) -> None:
    quickstart = str(repo_root / "examples" / "quickstart")
    code, heavy, out = _run(*(a.replace("{quickstart}", quickstart) for a in argv))
    assert code == 0, out
    assert heavy == [], f"fineplan {' '.join(argv)} imported {heavy}"


def test_the_wrapper_would_notice_an_sdk_import() -> None:
    """The check itself can fail: importing openai in the same process shows up in the report."""
    proc = subprocess.run(
        [sys.executable, "-c", "import openai\n" + WRAPPER, "--version"], capture_output=True, text=True, timeout=120
    )
    report = json.loads(proc.stdout.rpartition("@@modules@@")[2])
    assert "openai" in report["heavy"]


def test_version_prints_the_package_version() -> None:
    from fineplan import __version__

    code, _, out = _run("--version")
    assert code == 0
    assert out.strip() == f"fineplan {__version__}"
