"""Desired state from a real project: a job whose training and validation data are two parts of one dataset."""

from __future__ import annotations

import json
from pathlib import Path

from fineplan.kinds import REGISTRY
from fineplan.kinds.job import JobDesired, PartRef
from fineplan.plan.desired import compute_desired
from fineplan.resource import Desired
from fineplan.spec.loader import load_project


def _project(root: Path, base_model: str) -> None:
    (root / "specs").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "fineplan.yaml").write_text("project: parts\n", encoding="utf-8")
    rows = [
        {"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": f"a{i}"}]}
        for i in range(40)
    ]
    (root / "data" / "t.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (root / "specs" / "s.yaml").write_text(
        "kind: Dataset\nname: train\nspec: {path: data/t.jsonl, split: {validation: 0.3, seed: 1}}\n---\n"
        "kind: FineTuningJob\nname: base\nspec: {base_model: gpt-4.1-nano-2025-04-14, training_data: train}\n---\n"
        f"kind: FineTuningJob\nname: sft\nspec:\n  base_model: {base_model}\n"
        "  training_data: train\n  validation_data: train\n",
        encoding="utf-8",
    )


def _desired(root: Path) -> dict[str, Desired]:
    project, diags = load_project(root)
    assert project is not None and not [d for d in diags if d.is_error], diags
    return compute_desired(project, REGISTRY, with_stats=False)


def _job(root: Path, address: str) -> JobDesired:
    job = _desired(root)[address]
    assert isinstance(job, JobDesired)
    return job


def test_split_dataset_feeds_training_and_validation(tmp_path: Path) -> None:
    _project(tmp_path, "gpt-4.1-nano-2025-04-14")
    job = _job(tmp_path, "job.sft")
    assert job.training == PartRef("dataset.train", "train")
    assert job.validation == PartRef("dataset.train", "validation")
    assert job.attributes["validation_data"] and job.attributes["training_data"] != job.attributes["validation_data"]
    assert job.depends_on == ("dataset.train",)


def test_stacked_job_on_a_split_dataset_keeps_its_validation_dataset(tmp_path: Path) -> None:
    _project(tmp_path, "{job: base}")
    job = _job(tmp_path, "job.sft")
    assert job.validation == PartRef("dataset.train", "validation")  # not the parent job in depends_on
    assert job.depends_on == ("dataset.train", "job.base")
    assert job.parent == "job.base" and job.inputs_from == {"base_model": "job.base"}
