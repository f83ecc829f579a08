"""Hypothesis feeds the loader random YAML-ish text, bytes and structures: it must never raise.

Everything the loader finds must come back as located diagnostics, and the lint rules and every renderer must
cope with whatever project the loader returns.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fineplan.diagnostics import Diagnostic
from fineplan.engine import Engine
from fineplan.render.diagnostics_json import render_json
from fineplan.render.diagnostics_text import render_diagnostics
from fineplan.render.github import render_github
from fineplan.render.sarif import render_sarif
from fineplan.spec.yaml_located import load_documents

pytestmark = pytest.mark.slow  # fuzzing: hundreds of generated documents per test

# As many examples as the hypothesis profile says (tests/conftest.py: 100, or 1,000 with HYPOTHESIS_PROFILE=long).
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])

VALID_DOCS: list[dict[str, Any]] = [
    {
        "kind": "Dataset",
        "name": "train",
        "spec": {"path": "data/train.jsonl", "format": "chat", "split": {"validation": 0.2, "seed": 1}},
    },
    {"kind": "Dataset", "name": "prefs", "spec": {"path": "data/train.jsonl", "format": "preference"}},
    {"kind": "Dataset", "name": "rl", "spec": {"path": "data/train.jsonl", "format": "reinforcement"}},
    {
        "kind": "FineTuningJob",
        "name": "sft",
        "spec": {
            "base_model": "gpt-4.1-mini-2025-04-14",
            "method": "supervised",
            "training_data": "train",
            "validation_data": {"dataset": "train", "split": "validation"},
            "hyperparameters": {"n_epochs": 3, "batch_size": 8, "learning_rate_multiplier": 1.5},
            "training_type": "global",
            "suffix": "sft",
            "seed": 42,
        },
    },
    {
        "kind": "FineTuningJob",
        "name": "dpo",
        "spec": {
            "base_model": {"job": "sft"},
            "method": "dpo",
            "training_data": "prefs",
            "hyperparameters": {"beta": 0.1},
        },
    },
    {
        "kind": "FineTuningJob",
        "name": "rft",
        "spec": {
            "base_model": "o4-mini-2025-04-16",
            "method": "reinforcement",
            "training_data": "rl",
            "validation_data": "rl",
            "grader": {
                "type": "string_check",
                "name": "g",
                "input": "{{sample.output_text}}",
                "reference": "{{item.answer}}",
                "operation": "eq",
            },
        },
    },
    {
        "kind": "Deployment",
        "name": "web",
        "spec": {"model": {"job": "sft"}, "type": "developer", "capacity": 50, "gate": {"max_valid_loss": 1.0}},
        "lifecycle": {"prevent_destroy": True, "ignore_changes": ["capacity"]},
    },
]
# The settings fuzzers need a project to load, not a big one.
SMALL_SPEC = "kind: Dataset\nname: train\nspec: {path: data/train.jsonl}\n"
VALID_SETTINGS: dict[str, Any] = {
    "project": "fuzz",
    "specs": ["specs/**/*.yaml"],
    "default_target": "local",
    "targets": {
        "local": {"type": "local"},
        "prod": {
            "type": "azure",
            "subscription_id": "s",
            "resource_group": "rg",
            "account": "a",
            "endpoint": "https://a.openai.azure.com",
            "api_key_env": "KEY",
        },
    },
    "lint": {"ignore": ["FP312"]},
    "policy": {"max_training_cost_usd": 10},
}

# Pieces that make text look like YAML, so the parser gets past the first character more often.
YAML_TOKENS = [
    ": ",
    "- ",
    "\n",
    "\n  ",
    "\n    ",
    "---\n",
    "...\n",
    "{",
    "}",
    "[",
    "]",
    ", ",
    "&a ",
    "*a",
    "&b ",
    "*b",
    "<<: ",
    "!!str ",
    "!!python/object ",
    "!!binary ",
    "!!set ",
    "? ",
    "|\n  ",
    ">\n  ",
    "'",
    '"',
    "#",
    "%YAML 1.1\n",
    "~",
    "null",
    "yes",
    "1e3",
    "0x1f",
    "2024-01-01",
    "\t",
    "\\",
    "\x00",
    "\x07",
    "\u2028",
    "\ufeff",
    "kind",
    "Dataset",
    "FineTuningJob",
    "Deployment",
    "name",
    "spec",
    "path",
    "job",
    "base_model",
    "training_data",
    "model",
    "type",
    "developer",
    "capacity",
    "lifecycle",
    "ignore_changes",
    "${env:HOME}",
    "${env:NOPE_X}",
]
YAMLISH = st.lists(st.one_of(st.sampled_from(YAML_TOKENS), st.text(max_size=4)), max_size=60).map("".join)

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.sampled_from(["train", "sft", "auto", "gpt-4.1-mini-2025-04-14", "developer", "../x", "/etc/passwd", "a\x00b"]),
)
KEYS = st.one_of(
    st.sampled_from(
        [
            "kind",
            "name",
            "spec",
            "path",
            "format",
            "job",
            "model",
            "type",
            "capacity",
            "base_model",
            "method",
            "training_data",
            "validation_data",
            "hyperparameters",
            "n_epochs",
            "split",
            "lifecycle",
            "ignore_changes",
            "grader",
            "grader_file",
            "gate",
            "targets",
            "specs",
            "lint",
        ]
    ),
    st.text(max_size=8),
    st.integers(),
    st.booleans(),
)
STRUCTURES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=5),
    max_leaves=25,
)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz")
    (root / "specs").mkdir()
    (root / "data").mkdir()
    (root / "data/train.jsonl").write_text('{"messages": []}\n')
    (root / "fineplan.yaml").write_text("project: fuzz\n")
    return root


def _check_diagnostics(diags: list[Diagnostic]) -> None:
    for d in diags:
        assert d.code.startswith("FP") and len(d.code) == 5
        assert d.location is not None, d
        assert d.location.line >= 1 and d.location.column >= 1
    # every renderer copes with whatever was found
    json.loads(render_json(diags))
    json.loads(render_sarif(diags))
    render_github(diags)
    render_diagnostics(diags, None, color=False)


def _lint(root: Path, spec: str | bytes, settings_text: str | bytes = "project: fuzz\n") -> list[Diagnostic]:
    spec_path, settings_path = root / "specs/main.yaml", root / "fineplan.yaml"
    for path, content in ((spec_path, spec), (settings_path, settings_text)):
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", errors="surrogatepass")
    diags = Engine(root).lint(datasets=False)
    _check_diagnostics(diags)
    return diags


@FUZZ
@given(st.text())
def test_random_text_never_raises(text: str) -> None:
    docs, diags = load_documents(text, "random.yaml")
    assert isinstance(docs, list)
    _check_diagnostics(diags)


@FUZZ
@given(YAMLISH)
def test_yamlish_text_through_the_whole_lint(project: Path, text: str) -> None:
    _lint(project, text)


@FUZZ
@given(YAMLISH)
def test_yamlish_settings_never_raise(project: Path, text: str) -> None:
    _lint(project, SMALL_SPEC, text)


@FUZZ
@given(st.binary(max_size=200))
def test_random_bytes_never_raise(project: Path, data: bytes) -> None:
    _lint(project, data)


@FUZZ
@given(st.lists(STRUCTURES, min_size=1, max_size=3))
def test_random_structures_never_raise(project: Path, docs: list[Any]) -> None:
    _lint(project, yaml.safe_dump_all(docs, allow_unicode=True))


@FUZZ
@given(STRUCTURES)
def test_random_settings_structures_never_raise(project: Path, settings_doc: Any) -> None:
    _lint(project, SMALL_SPEC, yaml.safe_dump(settings_doc, allow_unicode=True))


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


@st.composite
def mutated(draw: st.DrawFn, original: Any) -> Any:
    """A valid document with a few random edits: drop, replace, add or misspell a key."""
    doc = copy.deepcopy(original)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(doc)))
        if not path:
            continue
        *parent_path, last = path
        parent = doc
        for p in parent_path:
            parent = parent[p]
        action = draw(st.sampled_from(["drop", "replace", "add", "misspell"]))
        if action == "drop":
            del parent[last]
        elif action == "replace":
            parent[last] = draw(STRUCTURES)
        elif action == "add" and isinstance(parent, dict):
            parent[draw(KEYS)] = draw(STRUCTURES)
        elif action == "misspell" and isinstance(parent, dict) and isinstance(last, str) and last:
            parent[last[:-1] + "x"] = parent.pop(last)
    return doc


@FUZZ
@given(
    st.lists(st.sampled_from(range(len(VALID_DOCS))), min_size=1, max_size=6).flatmap(
        lambda idx: st.tuples(*[mutated(VALID_DOCS[i]) for i in idx])
    )
)
def test_mutated_spec_documents_never_raise(project: Path, docs: tuple[Any, ...]) -> None:
    _lint(project, yaml.safe_dump_all(list(docs), allow_unicode=True))


@FUZZ
@given(mutated(VALID_SETTINGS))
def test_mutated_settings_never_raise(project: Path, settings_doc: Any) -> None:
    _lint(project, SMALL_SPEC, yaml.safe_dump(settings_doc, allow_unicode=True))


def test_the_unmutated_documents_are_valid(project: Path) -> None:
    """The fuzz seeds themselves load clean, so mutations start from a real project."""
    diags = _lint(project, yaml.safe_dump_all(VALID_DOCS), yaml.safe_dump(VALID_SETTINGS))
    errors = [d for d in diags if d.is_error]
    assert errors == [], errors
