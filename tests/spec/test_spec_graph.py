"""The resource graph: a small DAG, built from a project (Dataset ← job ← stacked job ← deployment)."""

from __future__ import annotations

from pathlib import Path

import pytest
from spec_helpers import write_project

from fineplan.graph.dag import DAG, CycleError
from fineplan.spec.loader import load_project
from fineplan.spec.references import build_graph


def test_topological_order_puts_dependencies_first_and_is_deterministic() -> None:
    dag = DAG()
    dag.add("deployment.web", ["job.dpo"])
    dag.add("job.dpo", ["job.sft", "dataset.prefs"])
    dag.add("job.sft", ["dataset.train"])
    order = dag.topological()
    assert order == ["dataset.prefs", "dataset.train", "job.sft", "job.dpo", "deployment.web"]
    assert all(order.index(d) < order.index(n) for n in order for d in dag.dependencies(n))


def test_downstream_and_dependents() -> None:
    dag = DAG()
    dag.add("b", ["a"])
    dag.add("c", ["b"])
    dag.add("d", ["a"])
    assert dag.dependents("a") == {"b", "d"}
    assert dag.downstream("a") == {"b", "c", "d"}
    assert dag.downstream("c") == set()


def test_cycle_is_found_as_a_closed_path() -> None:
    dag = DAG()
    dag.add("a", ["b"])
    dag.add("b", ["c"])
    dag.add("c", ["a"])
    dag.add("d", ["a"])
    cycle = dag.find_cycle()
    assert cycle is not None and cycle[0] == cycle[-1] and set(cycle) == {"a", "b", "c"}
    with pytest.raises(CycleError) as err:
        dag.topological()
    assert " -> " in str(err.value)


def test_build_graph_from_a_project(tmp_path: Path) -> None:
    root = write_project(
        tmp_path,
        {
            "fineplan.yaml": "project: graph\n",
            "data/a.jsonl": "{}\n",
            "specs/main.yaml": (
                "kind: Dataset\nname: train\nspec: {path: data/a.jsonl}\n---\n"
                "kind: Dataset\nname: prefs\nspec: {path: data/a.jsonl, format: preference}\n---\n"
                "kind: FineTuningJob\nname: sft\nspec: {base_model: gpt-4.1-mini-2025-04-14, training_data: train,"
                " validation_data: {dataset: train, split: validation}}\n---\n"
                "kind: FineTuningJob\nname: dpo\nspec: {base_model: {job: sft}, method: dpo, training_data: prefs}\n"
                "---\nkind: Deployment\nname: web\nspec: {model: {job: dpo}}\n"
            ),
        },
    )
    project, diags = load_project(root)
    assert diags == []
    dag = build_graph(project)
    assert dag.dependencies("job.sft") == {"dataset.train"}
    assert dag.dependencies("job.dpo") == {"job.sft", "dataset.prefs"}
    assert dag.dependencies("deployment.web") == {"job.dpo"}
    assert dag.downstream("dataset.train") == {"job.sft", "job.dpo", "deployment.web"}
