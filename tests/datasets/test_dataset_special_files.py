"""A FIFO, directory, socket or device as a dataset (issue 11, item 8): a located diagnostic that says what it is,
never "does not exist", and nothing ever opens it (a FIFO would block the reader until a writer appears).

The CLI runs in a subprocess with a timeout, so a regression that opens the FIFO fails instead of hanging."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from fineplan.datasets import first_error
from fineplan.datasets.check import check_dataset
from fineplan.datasets.identity import file_digest
from fineplan.filekind import NotARegularFile, not_regular

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")


def _fineplan(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fineplan.cli.main", *argv], capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A directory with a short path: a Unix socket's path must fit in ~100 bytes."""
    with tempfile.TemporaryDirectory(prefix="fp-", dir="/tmp") as d:
        yield Path(d)


def _project(root: Path, make: str) -> None:
    (root / "specs").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "fineplan.yaml").write_text("project: special\n", encoding="utf-8")
    (root / "specs" / "d.yaml").write_text(
        "kind: Dataset\nname: odd\nspec:\n  path: data/odd.jsonl\n  format: chat\n", encoding="utf-8"
    )
    target = root / "data" / "odd.jsonl"
    if make == "fifo":
        os.mkfifo(target)
    elif make == "directory":
        target.mkdir()
    elif make == "socket":
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(target))
        sock.close()


WORDS = {
    "fifo": "is a FIFO (named pipe), not a regular file",
    "directory": "is a directory, not a regular file",
    "socket": "is a socket, not a regular file",
}


@pytest.mark.parametrize("make", sorted(WORDS))
def test_lint_names_what_the_dataset_path_is(short_dir: Path, make: str) -> None:
    _project(short_dir, make)
    proc = _fineplan("-C", str(short_dir), "lint", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    diags = json.loads(proc.stdout)["diagnostics"]
    [d] = [d for d in diags if d["code"] == "FP204"]
    assert WORDS[make] in d["summary"] and "does not exist" not in d["summary"]
    assert d["range"]["filename"] == "specs/d.yaml" and d["range"]["start"]["line"] == 4  # at `path:`


def test_inspect_by_name_and_by_path_never_open_a_fifo(short_dir: Path) -> None:
    _project(short_dir, "fifo")
    by_name = _fineplan("-C", str(short_dir), "dataset", "inspect", "odd")
    assert by_name.returncode == 1 and WORDS["fifo"] in by_name.stdout and "Traceback" not in by_name.stderr
    by_path = _fineplan("-C", str(short_dir), "dataset", "inspect", "data/odd.jsonl", "--json")
    assert by_path.returncode == 1
    [d] = json.loads(by_path.stdout)["diagnostics"]
    assert d["code"] == "FP401" and WORDS["fifo"] in d["summary"]
    assert d["range"]["filename"] == "data/odd.jsonl"


def test_validation_of_a_fifo_is_named(short_dir: Path) -> None:
    _project(short_dir, "fifo")
    (short_dir / "data" / "val.jsonl").write_text('{"messages": []}\n', encoding="utf-8")
    proc = _fineplan(
        "-C", str(short_dir), "dataset", "inspect", "data/val.jsonl", "--validation-of", "data/odd.jsonl", "--json"
    )
    assert proc.returncode == 1
    assert WORDS["fifo"] in json.loads(proc.stdout)["diagnostics"][0]["summary"]


def test_a_device_is_named_too(tmp_path: Path) -> None:
    report = check_dataset(Path("/dev/null"), "chat", display_path="/dev/null")
    assert [d.code for d in report.diagnostics] == ["FP401"]
    assert "is a character device, not a regular file" in report.diagnostics[0].summary


def test_library_entry_points_refuse_before_opening(short_dir: Path) -> None:
    fifo = short_dir / "pipe.jsonl"
    os.mkfifo(fifo)
    assert not_regular(fifo) == WORDS["fifo"]
    assert not_regular(short_dir / "absent.jsonl") == "does not exist"
    with pytest.raises(NotARegularFile, match="FIFO"):
        file_digest(fifo)
    got = first_error(fifo, "chat")
    assert got is not None and got[1] == "FP401" and "FIFO" in got[2]
