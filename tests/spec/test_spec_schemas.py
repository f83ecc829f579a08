"""The published JSON Schemas: checked in under specs/schemas/, equal to the models, and usable by editors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from fineplan.cli.main import main
from fineplan.spec.schema import SCHEMA_NAMES, all_schemas, render_schema, schema_file, stale_schemas

REGENERATE = "python -m fineplan.spec.schema specs/schemas"


@pytest.fixture(scope="module")
def schema_dir(repo_root: Path) -> Path:
    return repo_root / "specs" / "schemas"


def test_checked_in_schemas_match_the_models(schema_dir: Path) -> None:
    stale = stale_schemas(schema_dir)
    assert not stale, f"specs/schemas drifted from fineplan/spec/models.py: {stale}. Regenerate with `{REGENERATE}`."


def test_no_orphan_schema_files(schema_dir: Path) -> None:
    assert sorted(p.name for p in schema_dir.glob("*.json")) == sorted(all_schemas())


@pytest.mark.parametrize("kind", sorted(SCHEMA_NAMES))
def test_schema_command_prints_the_checked_in_file(
    kind: str, schema_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["schema", "--kind", kind]) == 0
    assert capsys.readouterr().out == (schema_dir / schema_file(kind)).read_text("utf-8")


def test_schema_command_without_kind_prints_all_keyed_by_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == all_schemas()


def test_every_schema_is_valid_draft_2020_12(schema_dir: Path) -> None:
    for path in schema_dir.glob("*.json"):
        schema = json.loads(path.read_text("utf-8"))
        Draft202012Validator.check_schema(schema)
        assert schema["$id"].endswith(path.name)


def _validator(schema_dir: Path, kind: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads((schema_dir / schema_file(kind)).read_text("utf-8")))


def _documents(root: Path) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted((root / "specs").glob("**/*.yaml")):
        docs += [d for d in yaml.safe_load_all(path.read_text("utf-8")) if d]
    return docs


def test_quickstart_documents_validate_against_the_schemas(repo_root: Path, schema_dir: Path) -> None:
    quickstart = repo_root / "examples" / "quickstart"
    docs = _documents(quickstart)
    assert {d["kind"] for d in docs} == {"Dataset", "FineTuningJob", "Deployment"}
    for doc in docs:
        errors = list(_validator(schema_dir, doc["kind"]).iter_errors(doc))
        assert not errors, f"{doc['kind']} {doc['name']}: {[e.message for e in errors]}"
    settings = yaml.safe_load((quickstart / "fineplan.yaml").read_text("utf-8"))
    assert not list(_validator(schema_dir, "Project").iter_errors(settings))


@pytest.mark.parametrize(
    ("kind", "doc", "why"),
    [
        ("Dataset", {"kind": "Dataset", "name": "d", "spec": {"path": "a.jsonl", "fromat": "chat"}}, "unknown key"),
        ("Dataset", {"kind": "Dataset", "name": "Bad_Name", "spec": {"path": "a.jsonl"}}, "bad name"),
        ("FineTuningJob", {"kind": "FineTuningJob", "name": "j", "spec": {"base_model": "m"}}, "no training_data"),
        (
            "FineTuningJob",
            {"kind": "FineTuningJob", "name": "j", "spec": {"base_model": "m", "training_data": "d", "method": "sft"}},
            "bad method",
        ),
        ("Deployment", {"kind": "Deployment", "name": "w", "spec": {"model": {"job": "j"}, "capacity": 0}}, "capacity"),
        ("Deployment", {"kind": "Deployment", "name": "w", "spec": {"model": "m", "type": "devloper"}}, "bad type"),
        ("Project", {"targets": {"prod": {"type": "azure", "account": "a"}}}, "azure target missing fields"),
    ],
)
def test_schemas_reject_what_the_loader_rejects(schema_dir: Path, kind: str, doc: dict[str, Any], why: str) -> None:
    assert list(_validator(schema_dir, kind).iter_errors(doc)), why


def test_regenerate_script_writes_and_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from fineplan.spec.schema import _main

    assert _main([str(tmp_path), "--check"]) == 1  # nothing there yet
    assert _main([str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(all_schemas())
    assert _main([str(tmp_path), "--check"]) == 0
    (tmp_path / "dataset.schema.json").write_text("{}\n")
    capsys.readouterr()
    assert _main([str(tmp_path), "--check"]) == 1
    assert "dataset.schema.json" in capsys.readouterr().out
    assert (tmp_path / "dataset.schema.json").read_text() == "{}\n"  # --check never writes
    assert _main([str(tmp_path), "--write"]) == 0
    assert json.loads((tmp_path / "dataset.schema.json").read_text()) == all_schemas()["dataset.schema.json"]
    assert render_schema(all_schemas()["dataset.schema.json"]) == (tmp_path / "dataset.schema.json").read_text()
