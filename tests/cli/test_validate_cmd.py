"""`fineplan validate`: structure and references only, text or `terraform validate -json` shaped output."""

from __future__ import annotations

import json

from cli_helpers import SPECS, MakeProject, RunCli


def test_valid_project(cli: RunCli, make_project: MakeProject) -> None:
    result = cli("-C", make_project(), "validate")
    assert (result.code, result.out) == (0, "Success! The configuration is valid.\n")


def test_validate_skips_compatibility_and_dataset_rules(cli: RunCli, make_project: MakeProject) -> None:
    """An unknown base model (FP301) and a broken dataset (FP4xx) are lint's business, not validate's."""
    project = make_project(SPECS.replace("gpt-4.1-nano-2025-04-14", "gpt-9"))
    (project / "data/train.jsonl").write_text("not json\n", encoding="utf-8")
    result = cli("-C", project, "validate", "--json")
    assert result.code == 0
    assert json.loads(result.out)["diagnostics"] == []
    assert cli("-C", project, "lint").code == 1


def test_validate_reports_structure_with_source_line(cli: RunCli, make_project: MakeProject) -> None:
    result = cli("-C", make_project(SPECS.replace("training_data: train", "training_data: trian")), "validate")
    assert result.code == 1
    assert "Error: FP201 FineTuningJob 'sft' refers to Dataset 'trian', which is not declared" in result.out
    assert 'Did you mean "train"?' in result.out
    assert "on specs/main.yaml line 9, column 18" in result.out
    assert "     9 |   training_data: trian" in result.out
    assert result.out.rstrip().endswith("1 error(s), 0 warning(s).")


def test_validate_json_shape(cli: RunCli, make_project: MakeProject) -> None:
    result = cli("-C", make_project(SPECS.replace("kind: Deployment", "kind: Deploy")), "validate", "--json")
    doc = json.loads(result.out)
    assert result.code == 1
    assert (doc["valid"], doc["error_count"], doc["warning_count"]) == (False, 1, 0)
    (diag,) = doc["diagnostics"]
    assert diag["code"] == "FP107" and diag["severity"] == "error"
    assert diag["range"] == {
        "filename": "specs/main.yaml",
        "start": {"line": 12, "column": 7},
        "end": {"line": 12, "column": 13},
    }


def test_missing_project_directory(cli: RunCli, tmp_path) -> None:
    result = cli("-C", tmp_path / "nope", "validate")
    assert result.code == 1
    assert "FP100" in result.out


def test_project_path_that_is_a_file_is_not_reported_as_missing(cli: RunCli, make_project: MakeProject) -> None:
    result = cli("-C", make_project() / "fineplan.yaml", "validate")
    assert result.code == 1
    assert "is not a directory" in result.out and "does not exist" not in result.out


def test_a_target_account_with_an_unknown_key_is_located(cli: RunCli, make_project: MakeProject) -> None:
    settings = "project: cli\ntargets:\n  local:\n    type: local\n    accounts:\n      prod: {resource_grp: rg-prod}\n"
    root = make_project(settings=settings)
    result = cli("-C", root, "validate")
    assert result.code == 1
    assert "fineplan.yaml" in result.out + result.err
    assert "resource_grp" in result.out + result.err
