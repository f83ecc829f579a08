"""Split shares (issue 11, item 9): the validation part holds round(share × n) rows for every seed, and appending
rows moves existing rows only as far as the share requires (the guarantee stated in specs/reference.md)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from dataset_helpers import write_jsonl

from fineplan.datasets.transforms import materialize, split_key, validation_rows
from fineplan.spec.models import DatasetSpec


def _row(tag: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": f"question {tag}"}, {"role": "assistant", "content": tag}]}


def _parts(root: Path, rows: list[Any], share: float, seed: int) -> tuple[list[str], list[str]]:
    (root / "data").mkdir(parents=True, exist_ok=True)
    write_jsonl(root / "data" / "rows.jsonl", rows)
    spec = DatasetSpec.model_validate({"path": "data/rows.jsonl", "split": {"validation": share, "seed": seed}})
    m = materialize(root, spec)
    assert m.validation is not None
    train = m.train.read_text("utf-8").splitlines()
    val = m.validation.read_text("utf-8").splitlines()
    assert (m.train_rows, m.validation_rows) == (len(train), len(val))
    return train, val


@pytest.mark.parametrize("seed", range(25))
def test_sixty_rows_at_one_fifth_give_twelve_for_every_seed(tmp_path: Path, seed: int) -> None:
    """The audit's case: 60 rows at 0.2 gave 5 rows with one seed and 20 with another."""
    train, val = _parts(tmp_path, [_row(str(i)) for i in range(60)], 0.2, seed)
    assert len(val) == 12 and len(train) == 48


@pytest.mark.parametrize(("n", "share"), [(10, 0.1), (11, 0.5), (37, 0.33), (1000, 0.05), (3, 0.2), (7, 0.9)])
def test_any_size_and_share_holds_round_share_times_n(tmp_path: Path, n: int, share: float) -> None:
    for seed in (0, 1, 99):
        train, val = _parts(tmp_path / str(seed), [_row(str(i)) for i in range(n)], share, seed)
        assert len(val) == validation_rows(n, share) and len(train) + len(val) == n


def test_identical_rows_never_straddle_the_boundary(tmp_path: Path) -> None:
    rows = [_row(str(i)) for i in range(40)] + [_row("copy")] * 9
    train, val = _parts(tmp_path, rows, 0.25, 3)
    copy = json.dumps(_row("copy"))
    assert not (any(r == copy for r in train) and any(r == copy for r in val))
    # the copies count towards whichever side brings the share nearest: within half the group of the target
    assert abs(len(val) - validation_rows(49, 0.25)) <= 9 // 2


@pytest.mark.parametrize("seed", [0, 5, 11])
@pytest.mark.parametrize("appended", [1, 7, 100])
def test_appending_rows_moves_existing_rows_only_as_far_as_the_share_requires(
    tmp_path: Path, seed: int, appended: int
) -> None:
    """The stated guarantee: existing rows change part only across the boundary, all in one direction, and
    exactly |growth of the validation part - appended rows that fall into it| of them."""
    share = 0.2
    old = [_row(str(i)) for i in range(300)]
    new = [_row(f"new-{i}") for i in range(appended)]
    train1, val1 = _parts(tmp_path / "before", old, share, seed)
    train2, val2 = _parts(tmp_path / "after", old + new, share, seed)
    assert len(val2) == validation_rows(len(old) + appended, share)

    new_lines = {json.dumps(r) for r in new}
    to_val = set(train1) & set(val2)
    to_train = set(val1) & set(train2)
    assert not (to_val and to_train), "existing rows moved in both directions"
    grew = len(val2) - len(val1)
    new_in_val = len(new_lines & set(val2))
    assert len(to_val) + len(to_train) == abs(grew - new_in_val)
    if appended == 1:
        assert len(to_val) + len(to_train) <= 1

    # the rows that moved sit next to the old boundary: the lowest of the training rows, or the highest of the
    # validation rows; nothing deeper inside either part moved
    def key(r: str) -> int:
        return split_key(r.encode(), seed)

    if to_val:
        assert sorted(map(key, to_val)) == sorted(map(key, train1))[: len(to_val)]
    if to_train:
        assert sorted(map(key, to_train)) == sorted(map(key, val1))[-len(to_train) :]


def test_row_order_does_not_change_the_split(tmp_path: Path) -> None:
    rows = [_row(str(i)) for i in range(200)]
    shuffled = rows[:]
    random.Random(4).shuffle(shuffled)
    _t1, val1 = _parts(tmp_path / "a", rows, 0.3, 2)
    _t2, val2 = _parts(tmp_path / "b", shuffled, 0.3, 2)
    assert set(val1) == set(val2)
