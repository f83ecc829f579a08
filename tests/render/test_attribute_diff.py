"""Attribute-level diffs in Terraform's grammar."""

from __future__ import annotations

from fineplan.render.attribute_diff import AttributeDiff, changed_paths


def _render(mode: str, before: object, after: object, **kw: object) -> list[str]:
    return AttributeDiff(**kw).render(mode, before, after)  # type: ignore[arg-type]


def test_create_lists_every_attribute_aligned_with_unknowns() -> None:
    lines = _render("create", None, {"model": "m", "capacity": 1}, unknown=["id"])
    assert lines == [
        "      + capacity = 1",
        "      + id       = (known after apply)",
        '      + model    = "m"',
    ]


def test_update_shows_only_changes_and_counts_the_rest() -> None:
    before = {"capacity": 10, "type": "standard", "tags": {"a": "1", "b": "2"}}
    after = {"capacity": 20, "type": "standard", "tags": {"a": "1", "b": "3"}}
    assert _render("update", before, after) == [
        "      ~ capacity = 10 -> 20",
        "      ~ tags     = {",
        '          ~ b = "2" -> "3"',
        "            # (1 unchanged element hidden)",
        "        }",
        "        # (1 unchanged attribute hidden)",
    ]


def test_forces_replacement_marks_the_nested_attribute_that_forced_it() -> None:
    before = {"hyperparameters": {"n_epochs": 3}, "digest": "a"}
    after = {"hyperparameters": {"n_epochs": 4}, "digest": "a"}
    lines = _render("update", before, after, forces=["hyperparameters.n_epochs"])
    assert "          ~ n_epochs = 3 -> 4 # forces replacement" in lines


def test_forces_is_ignored_outside_an_in_place_diff() -> None:
    assert "forces" not in "\n".join(_render("create", None, {"digest": "a"}, forces=["digest"]))


def test_known_after_apply_replaces_the_old_value() -> None:
    lines = _render("update", {"id": "ftjob-1", "model": "x"}, {"model": "x"}, unknown=["id"])
    assert lines[0] == '      ~ id = "ftjob-1" -> (known after apply)'


def test_delete_ends_values_in_null() -> None:
    assert _render("delete", {"h": {"n": 1}, "s": "x"}, None) == [
        "      - h = {",
        "          - n = 1",
        "        } -> null",
        '      - s = "x" -> null',
    ]


def test_list_changes_show_added_and_removed_elements() -> None:
    lines = _render("update", {"l": ["a", "b", "c"]}, {"l": ["a", "c", "d"]})
    assert lines == [
        "      ~ l = [",
        '          - "b",',
        '          + "d",',
        "            # (2 unchanged elements hidden)",
        "        ]",
    ]


def test_added_and_removed_attributes_and_shape_changes() -> None:
    lines = _render("update", {"old": 1, "m": "name"}, {"new": 2, "m": {"job": "sft"}})
    assert "      + new = 2" in lines
    assert "      - old = 1 -> null" in lines
    assert '      - m   = "name"' in lines and "      + m   = {" in lines


def test_type_change_is_a_change() -> None:
    """deepdiff sees 1 -> "1" (a classic YAML surprise); == on mixed types would too, but the path must show."""
    assert changed_paths({"seed": 1}, {"seed": "1"}) == [("seed",)]
    assert _render("update", {"seed": 1}, {"seed": "1"}) == ['      ~ seed = 1 -> "1"']


def test_painted_signs_carry_colour() -> None:
    from fineplan.render.color import Painter

    lines = _render("create", None, {"a": 1}, paint=Painter(True))
    assert "\x1b[32m" in lines[0]


def test_nulls_are_hidden_on_create_and_read_as_absent_on_update() -> None:
    assert _render("create", None, {"suffix": None, "seed": 1}) == ["      + seed = 1"]
    assert _render("update", {"suffix": None, "seed": 1}, {"suffix": "x", "seed": None}) == [
        "      - seed   = 1 -> null",
        '      + suffix = "x"',
    ]
    assert _render("update", {"grader": None, "seed": 1}, {"seed": 1}) == ["        # (2 unchanged attributes hidden)"]
