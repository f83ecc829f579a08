"""The located YAML loader: positions, duplicate keys, merge keys, aliases, unsafe tags, reader errors."""

from __future__ import annotations

import yaml

from fineplan.diagnostics import Location
from fineplan.spec.yaml_located import MAX_NODES, load_documents


def _codes(text: str) -> list[tuple[str, int, int]]:
    _, diags = load_documents(text, "f.yaml")
    return [(d.code, d.location.line, d.location.column) for d in diags if d.location]


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


def test_deep_nesting_is_a_diagnostic() -> None:
    assert [c for c, _, _ in _codes("a: " + "[" * 5000 + "]" * 5000 + "\n")] == ["FP111"]


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
