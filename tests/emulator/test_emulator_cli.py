"""`fineplan [-C DIR] emulator serve` as a user runs it: a real process, its first line, its data dir."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import openai
import pytest
from emulator_helpers import DATED, upload

from fineplan.cli.main import main
from fineplan.emulator.embedded import project_data_dir

LISTENING = re.compile(r"^fineplan emulator listening on (https?)://127\.0\.0\.1:(\d+)$")


def serve(*args: str, key: str | None = None) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FINEPLAN_EMULATOR_")}
    if key is not None:
        env["FINEPLAN_EMULATOR_API_KEY"] = key
    return subprocess.Popen(
        [sys.executable, "-m", "fineplan", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def test_serve_a_projects_local_data(tmp_path: Path, samples: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "fineplan.yaml").write_text("project: served\n", encoding="utf-8")
    proc = serve("-C", str(project), "emulator", "serve", "--port", "0", "--speed", "1e7", "--quiet", key="k3y")
    try:
        first = proc.stdout.readline().strip() if proc.stdout else ""
        m = LISTENING.match(first)
        assert m, first
        url = f"{m.group(1)}://127.0.0.1:{m.group(2)}"
        client = openai.AzureOpenAI(azure_endpoint=url, api_version=DATED, api_key="k3y")
        file_id = upload(client, samples / "sft-gsm8k" / "validation.jsonl")
        assert client.files.retrieve(file_id).id == file_id
        with pytest.raises(openai.AuthenticationError):  # the key came from the environment
            openai.AzureOpenAI(azure_endpoint=url, api_version=DATED, api_key="nope").files.list()
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert (project_data_dir(project) / "emulator.sqlite3").is_file()


def test_serve_outside_a_project_creates_nothing_where_it_was_started(tmp_path: Path) -> None:
    somewhere = tmp_path / "somewhere"
    somewhere.mkdir()
    proc = serve("-C", str(somewhere), "emulator", "serve", "--port", "0", "--quiet")
    try:
        first = proc.stdout.readline().strip() if proc.stdout else ""
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert LISTENING.match(first), first
    assert proc.returncode == 0, err
    assert "no fineplan.yaml" in err and "--data-dir" in err
    assert list(somewhere.iterdir()) == [], "the emulator left files where it was started"


def test_serve_with_tls_prints_the_ca_file(tmp_path: Path) -> None:
    proc = serve("emulator", "serve", "--data-dir", str(tmp_path / "d"), "--tls", "--quiet")
    try:
        first = proc.stdout.readline().strip() if proc.stdout else ""
        second = proc.stdout.readline().strip() if proc.stdout else ""
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    assert LISTENING.match(first) and first.split("://")[0].endswith("https")
    assert second == f"CA certificate: {tmp_path / 'd' / 'tls' / 'ca.pem'}"


def test_a_bad_fault_spec_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["emulator", "serve", "--data-dir", str(tmp_path / "d"), "--faults", "rate=7"])
    assert code == 1
    assert "rate must be within 0..1" in capsys.readouterr().err


def test_serve_a_project_whose_local_target_declares_accounts(repo_root: Path, tmp_path: Path) -> None:
    """examples/promotion's dev and prod accounts are served as its embedded emulator serves them."""
    import shutil

    project = tmp_path / "promotion"
    shutil.copytree(repo_root / "examples" / "promotion", project, ignore=shutil.ignore_patterns(".fineplan"))
    proc = serve("-C", str(project), "emulator", "serve", "--port", "0", "--quiet")
    try:
        first = proc.stdout.readline().strip() if proc.stdout else ""
        assert LISTENING.match(first), first
        lines = [proc.stdout.readline().strip() for _ in range(2)] if proc.stdout else []
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert lines[0].startswith("default account dev: subscription 00000000-0000-0000-0000-00000000de00, resource group")
    assert "location swedencentral" in lines[0]
    assert lines[1].startswith("account prod: subscription 00000000-0000-0000-0000-00000000f400")
    assert "location eastus2" in lines[1] and lines[1].endswith("/accounts/prod/")
