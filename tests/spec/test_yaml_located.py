"""The located YAML loader, with libyaml and pure-Python parsers: positions, duplicate keys, merge keys, aliases,
unsafe tags, nesting depth, reader errors."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import yaml

from fineplan.diagnostics import Location
from fineplan.spec import yaml_located
from fineplan.spec.yaml_located import MAX_DEPTH, MAX_NODES, load_documents


def _codes(text: str) -> list[tuple[str, int, int]]:
    _, diags = load_documents(text, "f.yaml")
    return [(d.code, d.location.line, d.location.column) for d in diags if d.location]


@pytest.fixture(autouse=True, params=["libyaml", "pure-python"])
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs with each YAML parser: libyaml's composer (used when PyYAML has it) and the pure-Python one
    (the fallback without libyaml), which must give the same data, positions and diagnostics."""
    if request.param == "libyaml":
        assert yaml.__with_libyaml__, "PyYAML was installed without libyaml (the wheels on PyPI have it)"
        monkeypatch.setattr(yaml_located, "_LOADER", yaml.CSafeLoader)
    else:
        monkeypatch.setattr(yaml_located, "_LOADER", yaml_located._PureSafeLoader)
    return str(request.param)


def _flow(depth: int) -> str:
    """A mapping holding depth - 1 nested flow sequences: `depth` levels in all."""
    return "a: " + "[" * (depth - 1) + "]" * (depth - 1) + "\n"


def _block(depth: int) -> str:
    """depth - 1 nested block mappings ending in a scalar: `depth` levels in all."""
    return "".join("  " * i + f"k{i}:\n" for i in range(depth - 1)) + "  " * (depth - 1) + "v\n"


def test_values_and_keys_keep_their_positions() -> None:
    docs, diags = load_documents("a: 1\nb:\n  c: [x, y]\n---\nz: 2\n", "f.yaml")
    assert diags == []
    first, second = docs
    assert first.data == {"a": 1, "b": {"c": ["x", "y"]}}
    assert first.location(("b", "c", 1)) == Location("f.yaml", 3, 10, 3, 11)
    assert first.location(("b", "c"), key=True).line == 3 and first.location(("b", "c"), key=True).column == 3
    assert second.location(("z",)).line == 5
    # unknown paths fall back to the nearest known ancestor
    assert first.location(("b", "nope", "deeper")) == first.location(("b",))


def test_duplicate_key_points_at_the_second_and_names_the_first() -> None:
    docs, diags = load_documents("a: 1\nb: 2\na: 3\n", "f.yaml")
    assert [(d.code, d.location.line, d.detail) for d in diags] == [("FP102", 3, "first defined at line 1")]
    assert docs[0].data["a"] == 1


def test_merge_keys_override_without_a_duplicate_key_error() -> None:
    text = (
        "base: &base {format: chat, path: a.jsonl}\n"
        "one:\n  <<: *base\n  format: preference\n"
        "two:\n  <<: [*base, {format: reinforcement, extra: 1}]\n"
        "again: *base\n"
    )
    docs, diags = load_documents(text, "f.yaml")
    assert diags == []
    assert docs[0].data == yaml.safe_load(text)
    assert docs[0].data["one"] == {"format": "preference", "path": "a.jsonl"}


def test_merged_mapping_converted_twice_through_an_alias_stays_clean() -> None:
    text = "b: &b {k: 1}\nx: &x\n  <<: *b\n  k: 2\ny: *x\nz: *x\n"
    docs, diags = load_documents(text, "f.yaml")
    assert diags == []
    assert docs[0].data["z"] == {"k": 2}


def test_duplicate_own_key_next_to_a_merge_is_still_reported() -> None:
    assert _codes("b: &b {k: 1}\nx:\n  <<: *b\n  k: 2\n  k: 3\n") == [("FP102", 5, 3)]


def test_alias_bomb_is_stopped_by_the_node_budget() -> None:
    lines = ["a0: &a0 [" + ", ".join(["x"] * 10) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 7)]
    docs, diags = load_documents("\n".join(lines) + "\n", "bomb.yaml")
    assert docs == []
    assert [d.code for d in diags] == ["FP111"]
    assert f"{MAX_NODES:,}" in diags[0].summary


def test_recursive_alias_is_refused() -> None:
    assert _codes("a: &a [1, *a]\n") == [("FP111", 1, 4)]


@pytest.mark.parametrize("nest", [_flow, _block], ids=["flow", "block"])
def test_nesting_up_to_the_limit_loads(nest: Callable[[int], str]) -> None:
    docs, diags = load_documents(nest(MAX_DEPTH), "f.yaml")
    assert diags == [] and len(docs) == 1


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 999, 1000, 5000])  # libyaml's own limit is 1,000 levels
def test_deep_nesting_is_fp111_with_either_parser(depth: int) -> None:
    docs, diags = load_documents("ok: 1\n---\n" + _flow(depth) + "---\nnever: read\n", "f.yaml")
    assert [d.data for d in docs] == [{"ok": 1}]  # documents before it are kept; the file is not read further
    assert [(d.code, d.summary) for d in diags] == [("FP111", f"YAML nesting is deeper than {MAX_DEPTH} levels")]
    assert diags[0].location.line == 3


def test_deep_block_nesting_points_at_the_first_level_too_deep() -> None:
    assert _codes(_block(MAX_DEPTH + 1)) == [("FP111", MAX_DEPTH, 2 * MAX_DEPTH - 1)]


def test_nesting_made_deep_by_an_alias_is_fp111() -> None:
    half = MAX_DEPTH // 2 + 10
    text = "a: &a " + "[" * half + "]" * half + "\nb: " + "[" * half + "*a" + "]" * half + "\n"
    assert [c for c, _, _ in _codes(text)] == ["FP111"]


def test_python_tags_are_refused_as_unsafe() -> None:
    assert _codes("a: !!python/object/apply:os.system [ls]\n") == [("FP115", 1, 4)]
    assert _codes("a: !!python/name:os.system\n") == [("FP115", 1, 4)]


def test_collection_tags_other_than_map_and_seq_are_refused() -> None:
    assert _codes("a: !!omap [{x: 1}]\n") == [("FP115", 1, 4)]


def test_syntax_error_is_located() -> None:
    assert _codes("a: 1\n  b: 2\n") == [("FP101", 2, 4)]


def test_control_character_is_located_not_raised() -> None:
    assert _codes("a: 1\nb: x\x01y\n") == [("FP101", 2, 5)]


def test_documents_before_a_syntax_error_are_kept() -> None:
    docs, diags = load_documents("a: 1\n---\nb: [\n", "f.yaml")
    assert [d.data for d in docs] == [{"a": 1}]
    assert [d.code for d in diags] == ["FP101"]


def test_non_string_keys_keep_their_type_for_the_schema_to_judge() -> None:
    docs, diags = load_documents("1: a\ntrue: b\n~: c\n", "f.yaml")
    assert diags == []
    assert docs[0].data == {1: "b", None: "c"}  # as in safe_load: true == 1 in Python
