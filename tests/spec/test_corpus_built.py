"""Broken projects that need unusual bytes or file-system tricks, so they are built at test time in tmp dirs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from spec_helpers import describe, find, located, write_project

SETTINGS = "project: built\n"
CHAT = '{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}\n'
DATASET = "kind: Dataset\nname: train\nspec:\n  path: data/train.jsonl\n"
RFT_JOB = """\
kind: Dataset
name: rl
spec: {path: data/rl.jsonl, format: reinforcement}
---
kind: FineTuningJob
name: rft
spec:
  base_model: o4-mini-2025-04-16
  method: reinforcement
  training_data: rl
  validation_data: rl
  grader_file: grader.json
"""


def _project(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    return write_project(tmp_path / "project", {"fineplan.yaml": SETTINGS, "data/train.jsonl": CHAT, **files})


def test_spec_file_not_utf8(tmp_path: Path, lint_json: Any) -> None:
    spec = b"kind: Dataset\nname: train\n# caf\xe9 (Latin-1)\nspec: {path: data/train.jsonl}\n"
    code, doc = lint_json(_project(tmp_path, {"specs/main.yaml": spec}))
    assert located(doc, "FP110", "specs/main.yaml", 3, 6), describe(doc)
    assert "0xe9" in find(doc, "FP110")[0]["detail"]
    assert code == 1


def test_settings_file_not_utf8(tmp_path: Path, lint_json: Any) -> None:
    project = _project(tmp_path, {"fineplan.yaml": b"project: built\n\xff\xfe: x\n", "specs/main.yaml": DATASET})
    code, doc = lint_json(project)
    assert located(doc, "FP110", "fineplan.yaml", 2, 1), describe(doc)
    assert code == 1


def test_grader_file_not_utf8(tmp_path: Path, lint_json: Any) -> None:
    project = write_project(
        tmp_path / "p",
        {
            "fineplan.yaml": SETTINGS,
            "specs/main.yaml": RFT_JOB,
            "data/rl.jsonl": '{"messages": [{"role": "user", "content": "2+2?"}], "answer": "4"}\n',
            "grader.json": b'{"type": "string_check", "name": "\xe9"}\n',
        },
    )
    code, doc = lint_json(project)
    assert located(doc, "FP110", "grader.json", 1, 35), describe(doc)
    assert code == 1


def test_empty_spec_file_is_a_warning(tmp_path: Path, lint_json: Any) -> None:
    project = _project(tmp_path, {"specs/main.yaml": DATASET, "specs/empty.yaml": ""})
    code, doc = lint_json(project)
    assert located(doc, "FP109", "specs/empty.yaml", 1), describe(doc)
    assert find(doc, "FP109")[0]["severity"] == "warning"
    assert code == 0
    strict_code, _ = lint_json(project, "lint", "--no-datasets", "--strict")
    assert strict_code == 1


def test_empty_settings_file_is_a_warning_and_defaults_apply(tmp_path: Path, lint_json: Any) -> None:
    project = _project(tmp_path, {"fineplan.yaml": "", "specs/main.yaml": DATASET})
    code, doc = lint_json(project)
    assert located(doc, "FP109", "fineplan.yaml", 1), describe(doc)
    assert code == 0


def test_control_character_is_located(tmp_path: Path, lint_json: Any) -> None:
    spec = "kind: Dataset\nname: train\nspec:\n  path: data/train.jsonl\x07\n"
    project = _project(tmp_path, {"specs/main.yaml": spec})
    code, doc = lint_json(project)
    assert located(doc, "FP101", "specs/main.yaml", 4, 25), describe(doc)
    assert code == 1


def test_utf8_bom_is_accepted(tmp_path: Path, lint_json: Any) -> None:
    project = _project(tmp_path, {"specs/main.yaml": b"\xef\xbb\xbf" + DATASET.encode()})
    code, doc = lint_json(project)
    assert doc["diagnostics"] == [] and code == 0


def test_oversized_spec_file(tmp_path: Path, lint_json: Any) -> None:
    big = DATASET + "# padding\n" * 600_000  # > 5 MiB
    project = _project(tmp_path, {"specs/big.yaml": big})
    code, doc = lint_json(project)
    assert located(doc, "FP111", "specs/big.yaml", 1), describe(doc)
    assert code == 1


@pytest.mark.parametrize("link", ["file", "directory"])
def test_dataset_symlink_escaping_the_root(tmp_path: Path, lint_json: Any, link: str) -> None:
    outside = write_project(tmp_path / "outside", {"secret.jsonl": CHAT})
    project = write_project(tmp_path / "project", {"fineplan.yaml": SETTINGS, "specs/main.yaml": DATASET})
    if link == "file":
        (project / "data").mkdir()
        (project / "data/train.jsonl").symlink_to(outside / "secret.jsonl")
    else:
        (project / "data").symlink_to(outside, target_is_directory=True)
        (outside / "train.jsonl").write_text(CHAT)
    code, doc = lint_json(project)
    assert located(doc, "FP203", "specs/main.yaml", 4, 9), describe(doc)
    assert code == 1


def test_symlink_inside_the_root_is_fine(tmp_path: Path, lint_json: Any) -> None:
    project = write_project(
        tmp_path / "project", {"fineplan.yaml": SETTINGS, "specs/main.yaml": DATASET, "raw/chat.jsonl": CHAT}
    )
    (project / "data").mkdir()
    (project / "data/train.jsonl").symlink_to(project / "raw/chat.jsonl")
    code, doc = lint_json(project)
    assert code == 0, describe(doc)


def test_grader_symlink_escaping_the_root(tmp_path: Path, lint_json: Any) -> None:
    outside = write_project(tmp_path / "outside", {"grader.json": '{"type": "string_check"}'})
    project = write_project(
        tmp_path / "project",
        {
            "fineplan.yaml": SETTINGS,
            "specs/main.yaml": RFT_JOB,
            "data/rl.jsonl": '{"messages": [{"role": "user", "content": "2+2?"}], "answer": "4"}\n',
        },
    )
    (project / "grader.json").symlink_to(outside / "grader.json")
    code, doc = lint_json(project)
    assert located(doc, "FP203", "specs/main.yaml", 12, 16), describe(doc)
    assert code == 1


def test_spec_file_symlink_escaping_the_root(tmp_path: Path, lint_json: Any) -> None:
    outside = write_project(tmp_path / "outside", {"evil.yaml": DATASET.replace("data/train.jsonl", "/etc/passwd")})
    project = _project(tmp_path, {"specs/main.yaml": DATASET})
    (project / "specs/evil.yaml").symlink_to(outside / "evil.yaml")
    code, doc = lint_json(project)
    assert located(doc, "FP203", "specs/evil.yaml", 1), describe(doc)
    assert not find(doc, "FP108"), "the file outside the root must not be read"
    assert code == 1


def test_dataset_symlink_loop(tmp_path: Path, lint_json: Any) -> None:
    project = write_project(tmp_path / "project", {"fineplan.yaml": SETTINGS, "specs/main.yaml": DATASET})
    (project / "data").mkdir()
    os.symlink("train.jsonl", project / "data/train.jsonl")  # points at itself
    code, doc = lint_json(project)
    assert located(doc, "FP204", "specs/main.yaml", 4, 9), describe(doc)
    assert code == 1


def test_dataset_path_that_is_a_directory(tmp_path: Path, lint_json: Any) -> None:
    project = write_project(tmp_path / "project", {"fineplan.yaml": SETTINGS, "specs/main.yaml": DATASET})
    (project / "data/train.jsonl").mkdir(parents=True)
    code, doc = lint_json(project)
    assert located(doc, "FP204", "specs/main.yaml", 4, 9), describe(doc)
    assert code == 1


def test_project_directory_missing(tmp_path: Path, lint_json: Any) -> None:
    code, doc = lint_json(tmp_path / "nowhere")
    assert [d["code"] for d in doc["diagnostics"]] == ["FP100"]
    assert code == 1
