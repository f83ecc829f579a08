"""Each text_similarity metric against values computed by hand from its definition (see similarity.py)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fineplan.graders import similarity as S

CAND, REF = "the cat sat on the mat", "the cat is on the mat"


def _lcs_dp(a: str, b: str) -> int:
    row = [0] * (len(b) + 1)
    for ca in a:
        prev = 0
        for j, cb in enumerate(b, start=1):
            prev, row[j] = row[j], prev + 1 if ca == cb else max(row[j], row[j - 1])
    return row[-1]


@given(st.text(alphabet="abcd", max_size=80), st.text(alphabet="abcd", max_size=80))
def test_bit_parallel_lcs_agrees_with_dynamic_programming(a: str, b: str) -> None:
    assert S.lcs_length(a, b) == _lcs_dp(a, b)


def test_fuzzy_match_is_normalised_indel_similarity() -> None:
    # LCS("kitten", "sitting") = "ittn": 2·4 / 13 (rapidfuzz's fuzz.ratio gives 61.54)
    assert S.fuzzy_match("kitten", "sitting") == pytest.approx(8 / 13)
    assert S.fuzzy_match("same", "same") == 1.0
    assert S.fuzzy_match("abc", "xyz") == 0.0


def test_bleu_with_a_smoothed_zero_order() -> None:
    # p1 = 5/6, p2 = 3/5, p3 = 1/4, p4 = 0 matches of 3 -> 1/(2·3); equal lengths: no brevity penalty
    assert S.bleu(CAND, REF) == pytest.approx((5 / 6 * 3 / 5 * 1 / 4 * 1 / 6) ** 0.25)


def test_bleu_brevity_penalty_and_perfect_match() -> None:
    assert S.bleu(CAND, CAND) == pytest.approx(1.0)
    assert S.bleu(CAND, CAND + " today") == pytest.approx(math.exp(1 - 7 / 6))
    assert S.bleu("", REF) == 0.0


def test_bleu_effective_order_for_short_candidates() -> None:
    # two tokens: only orders 1 and 2 exist; p1 = 2/2, p2 = 1/1, brevity exp(1 - 6/2)
    assert S.bleu("the cat", REF) == pytest.approx(math.exp(1 - 3))


def test_gleu_is_min_of_precision_and_recall_over_all_ngrams() -> None:
    # matches 5 + 3 + 1 + 0 = 9 over 6 + 5 + 4 + 3 = 18 n-grams on both sides
    assert S.gleu(CAND, REF) == pytest.approx(0.5)
    # candidate "the cat": matches 2 + 1 = 3; candidate n-grams 3, reference 18 -> 3 / 18
    assert S.gleu("the cat", REF) == pytest.approx(3 / 18)


def test_meteor_exact_matching_with_fragmentation_penalty() -> None:
    # 5 matches in 2 chunks; P = R = 5/6; Fmean = 5/6; penalty 0.5·(2/5)^3
    assert S.meteor(CAND, REF) == pytest.approx(5 / 6 * (1 - 0.5 * (2 / 5) ** 3))
    # no stemming: "cats" does not match "cat"
    assert S.meteor("cats", "cat") == 0.0


def test_rouge_n_and_l() -> None:
    assert S.rouge_n(CAND, REF, 1) == pytest.approx(5 / 6)
    assert S.rouge_n(CAND, REF, 2) == pytest.approx(3 / 5)
    assert S.rouge_n(CAND, REF, 4) == 0.0
    assert S.rouge_l(CAND, REF) == pytest.approx(5 / 6)  # LCS: the cat on the mat
    # lower-cased, punctuation dropped
    assert S.rouge_n("The CAT!", "the cat", 2) == 1.0


def test_rouge_5_needs_five_word_runs() -> None:
    text = "one two three four five six"
    assert S.rouge_n(text, "one two three four five", 5) == pytest.approx(2 * (1 / 2 * 1) / (1 / 2 + 1))


def test_cosine_of_term_frequencies() -> None:
    assert S.cosine("a a b", "a b b") == pytest.approx(4 / 5)
    assert S.cosine("b a", "a b") == pytest.approx(1.0)
    assert S.cosine("a", "b") == 0.0


def test_every_metric_name_is_computed() -> None:
    for name in S.METRIC_NAMES:
        # METEOR keeps a fragmentation penalty even for one chunk: 0.5 · (1/6)^3 for six matched words
        expected = 1 - 0.5 * (1 / 6) ** 3 if name == "meteor" else 1.0
        assert S.text_similarity(CAND, CAND, name) == pytest.approx(expected), name
    with pytest.raises(ValueError, match="unknown evaluation_metric"):
        S.text_similarity("a", "b", "bert_score")
