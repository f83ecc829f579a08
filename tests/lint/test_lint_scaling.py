"""Lint stays linear in the number of documents (issue 11, item 6), guarded without timing anything.

- Passes over the project: every rule and dataset check may walk the entries a fixed number of times, never once
  per entry (20k documents took minutes when the dataset checks walked every job once per dataset). Counted on a
  dict that records each full iteration: the count must not grow with the project.
- Depth: a stack of thousands of jobs (`base_model: {job: ...}` chains) must lint without RecursionError.
The timings themselves are printed by benchmarks/bench_lint_scale.py.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from fineplan.diagnostics import Diagnostic
from fineplan.graph.dag import DAG
from fineplan.lint.dataset_checks import check_project_datasets
from fineplan.lint.runner import filter_diagnostics, run_project_rules
from fineplan.spec.loader import load_project
from fineplan.spec.project import Project
from fineplan.spec.references import build_graph, check_references

ROWS = "".join(
    json.dumps({"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": f"a{i}"}]}) + "\n"
    for i in range(12)
)


EXACT = {
    "type": "string_check",
    "name": "exact",
    "input": "{{sample.output_text}}",
    "reference": "{{item.reference}}",
    "operation": "eq",
}


class CountingDict(dict[str, Any]):
    """A dict that counts the times it is walked whole (iteration, keys, values, items)."""

    walks = 0

    def __iter__(self) -> Any:
        CountingDict.walks += 1
        return super().__iter__()

    def values(self) -> Any:
        CountingDict.walks += 1
        return super().values()

    def items(self) -> Any:
        CountingDict.walks += 1
        return super().items()

    def keys(self) -> Any:
        CountingDict.walks += 1
        return super().keys()


def _write(root: Path, groups: int) -> Path:
    """Per group a dataset (every other one split), an SFT job, a job stacked on it, two deployments, an
    Evaluation of both and a deployment gated on it."""
    (root / "specs").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "fineplan.yaml").write_text("project: scale\n", encoding="utf-8")
    (root / "data" / "chat.jsonl").write_text(ROWS, encoding="utf-8")
    docs = []
    for g in range(groups):
        split = "\n  split: {validation: 0.25}" if g % 2 else ""
        docs += [
            f"kind: Dataset\nname: ds-{g}\nspec:\n  path: data/chat.jsonl{split}\n",
            f"kind: FineTuningJob\nname: sft-{g}\nspec:\n  base_model: gpt-4.1-mini-2025-04-14\n"
            f"  training_data: ds-{g}\n",
            f"kind: FineTuningJob\nname: top-{g}\nspec:\n  base_model: {{job: sft-{g}}}\n  training_data: ds-{g}\n"
            + (f"  validation_data: ds-{g - 1}\n" if g else ""),
            f"kind: Deployment\nname: dep-{g}\nspec:\n  model: {{job: top-{g}}}\n  account: a-{g}\n",
            f"kind: Deployment\nname: base-{g}\nspec:\n  model: gpt-4.1-mini-2025-04-14\n",
            f"kind: Evaluation\nname: ev-{g}\nspec:\n  data: ds-{g}\n  graders: [{json.dumps(EXACT)}]\n"
            f"  subjects: {{top: {{deployment: dep-{g}}}, base: {{deployment: base-{g}}}}}\n",
            f"kind: Deployment\nname: prod-{g}\nspec:\n  model: {{job: top-{g}}}\n  account: p-{g}\n"
            f"  gate: {{evaluation: {{evaluation: ev-{g}, min_score: {{exact: 0.5}}, beats: base}}}}\n",
        ]
    (root / "specs" / "all.yaml").write_text("---\n".join(docs), encoding="utf-8")
    return root


def _walks(root: Path) -> tuple[int, list[Diagnostic]]:
    loaded, diags = load_project(root)
    assert loaded is not None and not [d for d in diags if d.is_error]
    project: Project = replace(loaded, entries=CountingDict(loaded.entries))
    CountingDict.walks = 0
    found = [*check_references(project), *run_project_rules(project), *check_project_datasets(project)]
    build_graph(project)
    filter_diagnostics(project, found)
    return CountingDict.walks, found


def test_lint_walks_the_project_a_fixed_number_of_times(tmp_path: Path) -> None:
    small, small_found = _walks(_write(tmp_path / "small", 4))
    large, large_found = _walks(_write(tmp_path / "large", 40))
    assert small > 0  # the counter sees the walks at all
    assert large == small, f"{small} walks for 20 documents but {large} for 200: a walk per entry crept in"
    assert len(large_found) == 10 * len(small_found)  # same findings per group (the 12-row file: FP407s etc.)


def test_the_counter_notices_a_walk_per_entry() -> None:
    """The guard can fail: a rule that looks up each entry's peers by walking all entries is counted."""
    entries = CountingDict({f"job.j{i}": i for i in range(30)})
    CountingDict.walks = 0
    for _name in list(dict.items(entries)):
        _ = [v for v in entries.values() if v]
    assert CountingDict.walks == 30


@pytest.mark.parametrize("depth", [3000])
def test_a_deep_stack_of_jobs_lints_without_recursion_errors(tmp_path: Path, depth: int) -> None:
    root = tmp_path / "deep"
    (root / "specs").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "fineplan.yaml").write_text("project: deep\n", encoding="utf-8")
    (root / "data" / "chat.jsonl").write_text(ROWS, encoding="utf-8")
    top = depth - 1
    docs = [
        "kind: Dataset\nname: ds\nspec: {path: data/chat.jsonl}\n",
        "kind: FineTuningJob\nname: j0\nspec: {base_model: gpt-4o-mini-2024-07-18, training_data: ds}\n",
    ]
    docs += [
        f"kind: FineTuningJob\nname: j{i}\nspec: {{base_model: {{job: j{i - 1}}}, training_data: ds"
        + (", method: dpo}\n" if i == top else "}\n")
        for i in range(1, depth)
    ]
    docs.append(f"kind: Deployment\nname: web\nspec: {{model: {{job: j{top}}}}}\n")
    text = "---\n".join(docs)
    (root / "specs" / "all.yaml").write_text(text, encoding="utf-8")
    project, diags = load_project(root)
    assert project is not None and not [d for d in diags if d.is_error]
    found = run_project_rules(project)
    # gpt-4o-mini has no DPO: the top job's root model is found through the whole stack
    top_spec_line = text.splitlines().index(f"name: j{top}") + 2
    assert [(d.code, d.location.line if d.location else 0) for d in found if d.code == "FP302"] == [
        ("FP302", top_spec_line)
    ]
    order = build_graph(project).topological()
    assert order.index("job.j0") < order.index(f"job.j{depth - 1}") < order.index("deployment.web")
    assert len(build_graph(project).downstream("dataset.ds")) == depth + 1


def test_dag_walks_are_iterative() -> None:
    dag = DAG()
    for i in range(1, 50_000):
        dag.add(f"n{i}", [f"n{i - 1}"])
    dag.add("n0", ["n49999"])
    cycle = dag.find_cycle()
    assert cycle is not None and len(cycle) == 50_001 and cycle[0] == cycle[-1]
