"""`fineplan init [DIR]` scaffolds a project that lints clean, datasets included, even with --strict."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from cli_helpers import RunCli

from fineplan.errors import ConfigError


def test_init_scaffolds_a_project_that_lints_clean(cli: RunCli, tmp_path: Path) -> None:
    result = cli("-C", tmp_path, "init", "My Support_Bot")
    assert result.code == 0, result.out
    root = tmp_path / "My Support_Bot"
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) == [
        ".gitignore",
        "data/train.jsonl",
        "fineplan.yaml",
        "specs/main.yaml",
    ]
    assert yaml.safe_load((root / "fineplan.yaml").read_text())["project"] == "my-support-bot"
    lint = cli("-C", root, "lint", "--strict", "--format", "json")
    assert lint.code == 0, lint.out
    assert json.loads(lint.out)["diagnostics"] == []


def test_init_defaults_to_the_working_directory(cli: RunCli, tmp_path: Path) -> None:
    project = tmp_path / "2024_Experiments"
    project.mkdir()
    assert cli("-C", project, "init").code == 0
    assert yaml.safe_load((project / "fineplan.yaml").read_text())["project"] == "2024-experiments"
    assert cli("-C", project, "validate").code == 0


def test_init_refuses_to_overwrite_unless_forced(cli: RunCli, tmp_path: Path) -> None:
    assert cli("-C", tmp_path, "init", "p").code == 0
    (tmp_path / "p/fineplan.yaml").write_text("project: mine\n")
    refused = cli("-C", tmp_path, "init", "p")
    assert refused.code == 1
    assert "fineplan.yaml" in refused.out + refused.err
    assert (tmp_path / "p/fineplan.yaml").read_text() == "project: mine\n"
    assert cli("-C", tmp_path, "init", "p", "--force").code == 0
    assert "project: p" in (tmp_path / "p/fineplan.yaml").read_text()


def test_init_name_falls_back_when_nothing_is_usable(cli: RunCli, tmp_path: Path) -> None:
    assert cli("-C", tmp_path, "init", "___").code == 0
    assert yaml.safe_load((tmp_path / "___/fineplan.yaml").read_text())["project"] == "fineplan"


def test_init_into_a_file_is_a_clear_error(cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("not a directory\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="it is a file, not a directory"):  # exit 1 with "Error: ..." without --debug
        cli("-C", tmp_path, "init", "taken")
