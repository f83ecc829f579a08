"""`text_similarity` metrics, computed offline and exactly as specified below; each returns a score in [0, 1].

- `fuzzy_match`: normalised InDel similarity of the two strings, characters as they are:
  2·LCS(a, b) / (|a| + |b|) (what rapidfuzz's `fuzz.ratio` computes, divided by 100; 1.0 for two empty strings).
- `bleu`: sentence BLEU-4 in the style of sacrebleu's `sentence_bleu`: clipped n-gram precisions for n = 1..4
  over the orders the candidate has n-grams for ("effective order"), a zero-match order smoothed as
  1 / (2^k · total) for its k-th occurrence ("exp" smoothing), geometric mean, brevity penalty
  exp(1 - r/c) when the candidate is shorter. Tokens: words and single punctuation marks, case kept.
- `gleu`: sentence Google-BLEU (Wu et al. 2016, as nltk's `sentence_gleu`): over all 1..4-grams, matches / max(
  candidate n-grams, reference n-grams), i.e. min(precision, recall). Same tokens as BLEU.
- `meteor`: METEOR (Banerjee & Lavie; nltk's parameters alpha 0.9, beta 3, gamma 0.5) with **exact** word
  matching only: nltk also matches Porter stems and WordNet synonyms, which need data we do not ship, so
  inflected or synonymous words count as misses here. Lower-cased words.
- `rouge_1` … `rouge_5`: ROUGE-N F1 of clipped n-gram overlap; `rouge_l`: sentence-level ROUGE-L F1 from the
  longest common subsequence of words. Tokens as Google's rouge_score without stemming: lower-cased runs of
  letters and digits.
- `cosine`: OpenAI embeds both texts with text-embedding-3-large; there is no embedding model offline, so this is
  the cosine of term-frequency vectors of lower-cased words: 1.0 for the same words in any order, 0.0 for no
  shared word. It ranks answers like a lexical overlap, not like meaning. A documented stand-in, not Azure's score.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Callable, Hashable, Sequence

_BLEU_TOKEN = re.compile(r"\w+|[^\w\s]")
_WORD = re.compile(r"\w+")
_ROUGE_TOKEN = re.compile(r"[^\W_]+")
MAX_ORDER = 4


def lcs_length(a: Sequence[Hashable], b: Sequence[Hashable]) -> int:
    """Length of the longest common subsequence, bit-parallel (Hyyrö 2004): O(|a|·|b| / word size)."""
    if not a or not b:
        return 0
    if len(a) < len(b):
        a, b = b, a
    masks: dict[Hashable, int] = {}
    for i, sym in enumerate(b):
        masks[sym] = masks.get(sym, 0) | (1 << i)
    full = (1 << len(b)) - 1
    v = full
    for sym in a:
        u = v & masks.get(sym, 0)
        v = ((v + u) | (v - u)) & full
    return len(b) - v.bit_count()


def fuzzy_match(text: str, reference: str) -> float:
    total = len(text) + len(reference)
    if total == 0:
        return 1.0
    return 2.0 * lcs_length(text, reference) / total


def _ngrams(tokens: Sequence[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def _overlap(cand: Counter[tuple[str, ...]], ref: Counter[tuple[str, ...]]) -> int:
    return sum(min(count, ref[gram]) for gram, count in cand.items())


def bleu(text: str, reference: str) -> float:
    cand, ref = _BLEU_TOKEN.findall(text), _BLEU_TOKEN.findall(reference)
    if not cand or not ref:
        return 0.0
    log_sum, orders, smooth = 0.0, 0, 1.0
    for n in range(1, MAX_ORDER + 1):
        total = len(cand) - n + 1
        if total <= 0:
            break  # effective order: the candidate has no n-grams this long
        matches = _overlap(_ngrams(cand, n), _ngrams(ref, n))
        if matches == 0:
            smooth *= 2.0
            precision = 1.0 / (smooth * total)
        else:
            precision = matches / total
        log_sum += math.log(precision)
        orders += 1
    brevity = 1.0 if len(cand) > len(ref) else math.exp(1.0 - len(ref) / len(cand))
    return brevity * math.exp(log_sum / orders)


def gleu(text: str, reference: str) -> float:
    cand, ref = _BLEU_TOKEN.findall(text), _BLEU_TOKEN.findall(reference)
    matches = cand_total = ref_total = 0
    for n in range(1, MAX_ORDER + 1):
        c, r = _ngrams(cand, n), _ngrams(ref, n)
        matches += _overlap(c, r)
        cand_total += sum(c.values())
        ref_total += sum(r.values())
    denominator = max(cand_total, ref_total)
    return matches / denominator if denominator else 0.0


def meteor(text: str, reference: str, alpha: float = 0.9, beta: float = 3.0, gamma: float = 0.5) -> float:
    hyp = [w.lower() for w in _WORD.findall(text)]
    ref = [w.lower() for w in _WORD.findall(reference)]
    if not hyp or not ref:
        return 0.0
    # nltk's exact-match stage: hypothesis words from the end, each to the last unused equal reference word.
    used: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for i in range(len(hyp) - 1, -1, -1):
        for j in range(len(ref) - 1, -1, -1):
            if j not in used and hyp[i] == ref[j]:
                used.add(j)
                pairs.append((i, j))
                break
    matches = len(pairs)
    if matches == 0:
        return 0.0
    pairs.sort()
    chunks = 1 + sum(1 for (i0, j0), (i1, j1) in itertools.pairwise(pairs) if not (i1 == i0 + 1 and j1 == j0 + 1))
    precision, recall = matches / len(hyp), matches / len(ref)
    fmean = precision * recall / (alpha * precision + (1 - alpha) * recall)
    penalty = gamma * (chunks / matches) ** beta
    return fmean * (1 - penalty)


def _rouge_tokens(text: str) -> list[str]:
    return _ROUGE_TOKEN.findall(text.lower())


def _f1(overlap: int, cand_total: int, ref_total: int) -> float:
    if overlap == 0 or cand_total == 0 or ref_total == 0:
        return 0.0
    precision, recall = overlap / cand_total, overlap / ref_total
    return 2 * precision * recall / (precision + recall)


def rouge_n(text: str, reference: str, n: int) -> float:
    c, r = _ngrams(_rouge_tokens(text), n), _ngrams(_rouge_tokens(reference), n)
    return _f1(_overlap(c, r), sum(c.values()), sum(r.values()))


def rouge_l(text: str, reference: str) -> float:
    cand, ref = _rouge_tokens(text), _rouge_tokens(reference)
    return _f1(lcs_length(cand, ref), len(cand), len(ref))


def cosine(text: str, reference: str) -> float:
    a = Counter(w.lower() for w in _WORD.findall(text))
    b = Counter(w.lower() for w in _WORD.findall(reference))
    dot = sum(count * b[word] for word, count in a.items())
    if dot == 0:
        return 0.0
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return min(1.0, dot / norm)


def _rouge(n: int) -> Callable[[str, str], float]:
    return lambda text, reference: rouge_n(text, reference, n)


METRICS: dict[str, Callable[[str, str], float]] = {
    "fuzzy_match": fuzzy_match,
    "bleu": bleu,
    "gleu": gleu,
    "meteor": meteor,
    "cosine": cosine,
    **{f"rouge_{n}": _rouge(n) for n in range(1, 6)},
    "rouge_l": rouge_l,
}
METRIC_NAMES = tuple(METRICS)


def text_similarity(text: str, reference: str, metric: str) -> float:
    try:
        fn = METRICS[metric]
    except KeyError:
        raise ValueError(f"unknown evaluation_metric {metric!r} (one of {', '.join(METRIC_NAMES)})") from None
    return fn(text, reference)
