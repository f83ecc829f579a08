"""The project loader beyond the corpus: what loads, what it becomes, and the finer points of its diagnostics."""

from __future__ import annotations

from pathlib import Path

import pytest
from spec_helpers import write_project

from fineplan.spec.loader import load_project
from fineplan.spec.models import AzureTarget, DatasetRef, FineTuningJob, JobRef

CHAT = '{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}\n'
DATASET = "kind: Dataset\nname: train\nspec: {path: data/train.jsonl}\n"


def _load(tmp_path: Path, spec: str, settings: str = "project: units\n", **files: str):
    root = write_project(
        tmp_path / "p",
        {"fineplan.yaml": settings, "specs/main.yaml": spec, "data/train.jsonl": CHAT, **files},
    )
    return load_project(root)


def _codes(diags) -> list[str]:
    return [d.code for d in diags]


def test_a_full_project_loads_into_frozen_models(tmp_path: Path) -> None:
    project, diags = _load(
        tmp_path,
        DATASET + "---\nkind: FineTuningJob\nname: sft\nspec:\n  base_model: gpt-4.1-mini-2025-04-14\n"
        "  training_data: train\n  validation_data: {dataset: train, split: validation}\n"
        "---\nkind: FineTuningJob\nname: dpo\nspec: {base_model: {job: sft}, method: dpo, training_data: train}\n",
    )
    assert diags == []
    assert project is not None
    assert list(project.entries) == ["dataset.train", "job.sft", "job.dpo"]
    sft = project.get("FineTuningJob", "sft").resource
    assert isinstance(sft, FineTuningJob)
    assert sft.spec.validation_data == DatasetRef(dataset="train", split="validation")
    assert project.get("FineTuningJob", "dpo").resource.spec.base_model == JobRef(job="sft")
    with pytest.raises(Exception):  # noqa: B017 - pydantic raises its own ValidationError for frozen models
        sft.spec.seed = 3  # type: ignore[misc]


@pytest.mark.parametrize("value", ["yes", "true", "on", "1.0", "'3'"])
def test_numbers_are_strict(tmp_path: Path, value: str) -> None:
    spec = DATASET + f"---\nkind: Deployment\nname: web\nspec: {{model: gpt-4.1-mini-2025-04-14, capacity: {value}}}\n"
    _, diags = _load(tmp_path, spec)
    assert _codes(diags) == ["FP105"]
    assert "capacity" in diags[0].summary


def test_floats_accept_integers(tmp_path: Path) -> None:
    spec = DATASET + (
        "---\nkind: FineTuningJob\nname: sft\nspec:\n  base_model: gpt-4.1-mini-2025-04-14\n  training_data: train\n"
        "  hyperparameters: {learning_rate_multiplier: 2, n_epochs: auto}\n"
    )
    project, diags = _load(tmp_path, spec)
    assert diags == []
    assert project.get("FineTuningJob", "sft").resource.spec.hyperparameters.learning_rate_multiplier == 2


def test_env_interpolation_and_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FP_TEST_SUB", "1234")
    monkeypatch.delenv("FP_TEST_UNSET", raising=False)
    settings = (
        "project: units\ntargets:\n  prod:\n    type: azure\n    subscription_id: sub-${env:FP_TEST_SUB}\n"
        "    resource_group: ${env:FP_TEST_UNSET:-rg-default}\n    account: a\n"
        "    endpoint: https://a.openai.azure.com/\n"
    )
    project, diags = _load(tmp_path, DATASET, settings)
    assert diags == []
    prod = project.settings.targets["prod"]
    assert isinstance(prod, AzureTarget)
    assert (prod.subscription_id, prod.resource_group, prod.endpoint) == (
        "sub-1234",
        "rg-default",
        "https://a.openai.azure.com",
    )


def test_unknown_key_in_a_target_suggests_the_field(tmp_path: Path) -> None:
    settings = "project: units\ntargets:\n  local: {type: local, sped: 2}\n"
    _, diags = _load(tmp_path, DATASET, settings)
    assert _codes(diags) == ["FP103"]
    assert 'Did you mean "speed"' in diags[0].summary
    assert (diags[0].location.line, diags[0].location.column) == (3, 24)


def test_unknown_key_in_a_job_reference_suggests_job(tmp_path: Path) -> None:
    spec = DATASET + "---\nkind: FineTuningJob\nname: a\nspec: {base_model: {jobs: sft}, training_data: train}\n"
    _, diags = _load(tmp_path, spec)
    assert "FP103" in _codes(diags)
    assert 'Did you mean "job"' in next(d for d in diags if d.code == "FP103").summary


def test_an_invalid_resource_still_counts_as_declared(tmp_path: Path) -> None:
    """A dataset with a bad field must not also make every job that uses it 'dangling'."""
    spec = (
        "kind: Dataset\nname: train\nspec: {path: data/train.jsonl, format: chatt}\n"
        "---\nkind: FineTuningJob\nname: sft\nspec: {base_model: gpt-4.1-mini-2025-04-14, training_data: train}\n"
    )
    _, diags = _load(tmp_path, spec)
    assert _codes(diags) == ["FP105"]


def test_default_target_local_is_implicit(tmp_path: Path) -> None:
    settings = "project: units\ntargets:\n  prod: {type: azure, subscription_id: s, resource_group: r, account: a, "
    settings += "endpoint: 'https://a.openai.azure.com'}\n"
    _, diags = _load(tmp_path, DATASET, settings)
    assert diags == []


def test_endpoint_must_be_a_url(tmp_path: Path) -> None:
    settings = "project: units\ntargets:\n  prod: {type: azure, subscription_id: s, resource_group: r, account: a, "
    settings += "endpoint: a.openai.azure.com}\n"
    _, diags = _load(tmp_path, DATASET, settings)
    assert _codes(diags) == ["FP105"]
    assert "http(s) URL" in diags[0].summary


def test_inline_ignores_are_collected_per_file_and_line(tmp_path: Path) -> None:
    spec = "kind: Dataset  # fineplan: ignore[FP401, fp402] legacy file\nname: train\nspec: {path: data/train.jsonl}\n"
    project, _ = _load(tmp_path, spec, "project: units  # fineplan: ignore[FP112]\n")
    assert project.inline_ignores["specs/main.yaml"] == {1: frozenset({"FP401", "FP402"})}
    assert project.inline_ignores["fineplan.yaml"] == {1: frozenset({"FP112"})}


def test_spec_globs_are_deduplicated_and_settings_file_is_never_a_spec(tmp_path: Path) -> None:
    settings = 'project: units\nspecs: ["specs/*.yaml", "specs/**/*.yaml", "*.yaml"]\n'
    project, diags = _load(tmp_path, DATASET, settings)
    assert diags == []
    assert list(project.entries) == ["dataset.train"]


def test_grader_file_is_loaded_into_the_entry(tmp_path: Path) -> None:
    spec = (
        "kind: Dataset\nname: rl\nspec: {path: data/train.jsonl, format: reinforcement}\n---\n"
        "kind: FineTuningJob\nname: rft\nspec:\n  base_model: o4-mini-2025-04-16\n  method: reinforcement\n"
        "  training_data: rl\n  validation_data: rl\n  grader_file: graders/g.json\n"
    )
    project, diags = _load(tmp_path, spec, **{"graders/g.json": '{"type": "string_check", "name": "g"}'})
    assert diags == []
    assert project.get("FineTuningJob", "rft").grader == {"type": "string_check", "name": "g"}


def test_null_documents_are_skipped(tmp_path: Path) -> None:
    project, diags = _load(tmp_path, "---\n~\n---\n" + DATASET)
    assert diags == []
    assert list(project.entries) == ["dataset.train"]


def test_target_without_type_names_the_missing_key(tmp_path: Path) -> None:
    _, diags = _load(tmp_path, DATASET, "project: units\ntargets: {prod: {account: a}}\n")
    assert [(d.code, d.location.line, d.location.column) for d in diags] == [("FP104", 2, 17)]
    assert "targets.prod.type" in diags[0].summary


def test_unknown_target_type_points_at_it_with_a_suggestion(tmp_path: Path) -> None:
    _, diags = _load(tmp_path, DATASET, "project: units\ntargets:\n  prod:\n    type: azur\n")
    assert [(d.code, d.location.line, d.location.column) for d in diags] == [("FP105", 4, 11)]
    assert 'Did you mean "azure"' in diags[0].summary


def _dangling(diags) -> list[str]:
    return [d.summary for d in diags if d.code == "FP201"]


def test_did_you_mean_never_suggests_the_referring_resource(tmp_path: Path) -> None:
    """Issue 11, item 12: `{job: helpsteer-sf}` in job helpsteer-sft suggested helpsteer-sft itself."""
    spec = DATASET + (
        "---\nkind: FineTuningJob\nname: helpsteer-sft\nspec: {base_model: {job: helpsteer-sf}, training_data: train}\n"
    )
    _, diags = _load(tmp_path, spec)
    [summary] = _dangling(diags)
    assert "refers to FineTuningJob 'helpsteer-sf'" in summary and "Did you mean" not in summary

    other = spec + (
        "---\nkind: FineTuningJob\nname: helpsteer-rft\n"
        "spec: {base_model: gpt-4.1-mini-2025-04-14, training_data: train}\n"
    )
    _, diags = _load(tmp_path / "other", other)
    assert _dangling(diags) == [
        "FineTuningJob 'helpsteer-sft' refers to FineTuningJob 'helpsteer-sf', which is not declared. "
        'Did you mean "helpsteer-rft"?'
    ]


def test_did_you_mean_suggests_only_names_of_the_referenced_kind(tmp_path: Path) -> None:
    """A dataset reference suggests datasets, a `{job: ...}` jobs, however close another kind's name is."""
    spec = (
        "kind: Dataset\nname: support-data\nspec: {path: data/train.jsonl}\n"
        "---\nkind: Deployment\nname: support-sft\nspec: {model: {job: support-sf}}\n"
        "---\nkind: FineTuningJob\nname: support-job\n"
        "spec: {base_model: gpt-4.1-mini-2025-04-14, training_data: support-sft}\n"
    )
    _, diags = _load(tmp_path, spec)
    assert sorted(_dangling(diags)) == [
        "Deployment 'support-sft' refers to FineTuningJob 'support-sf', which is not declared. "
        'Did you mean "support-job"?',
        "FineTuningJob 'support-job' refers to Dataset 'support-sft', which is not declared. "
        'Did you mean "support-data"?',
    ]


def test_did_you_mean_knows_resources_whose_document_is_invalid(tmp_path: Path) -> None:
    spec = DATASET + (
        "---\nkind: FineTuningJob\nname: sft-main\nspec: {base_model: gpt-4.1-mini-2025-04-14, training_data: train,"
        " n_epochs: 3}\n"
        "---\nkind: Deployment\nname: web\nspec: {model: {job: sft-mian}}\n"
    )
    _, diags = _load(tmp_path, spec)
    assert 'Did you mean "sft-main"?' in _dangling(diags)[0]
