"""Token statistics: exact histograms, or estimates from a deterministic sample with a stated error bound.

Estimate: the scan records, for every valid example, its fixed framing tokens (exact) and its text length in
characters (exact). A systematic sample of examples spread evenly over the file is tokenized exactly; the ratio
estimator r = Σ text tokens / Σ characters (one for all text, one for trained text) turns character totals into
token totals. The error bound is the 95 % confidence half-width of that ratio, relative to the total. Examples
that could exceed the model limit are always counted exactly and enter the statistics as exact values.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from fineplan.datasets.tokens import estimate_billed_tokens

CHAR_LINEAR = 1024  # character counts below this are histogram keys as is
CHAR_STEPS = 128  # log buckets per e-fold above it (~0.8 % wide)
FIXED_BITS = 20


def char_bucket(chars: int) -> int:
    if chars < CHAR_LINEAR:
        return chars
    return CHAR_LINEAR + int(math.log(chars / CHAR_LINEAR) * CHAR_STEPS)


def bucket_chars(bucket: int) -> float:
    """Representative character count of a bucket (its geometric middle)."""
    if bucket < CHAR_LINEAR:
        return float(bucket)
    return CHAR_LINEAR * math.exp((bucket - CHAR_LINEAR + 0.5) / CHAR_STEPS)


def est_key(fixed: int, chars: int) -> int:
    return (char_bucket(chars) << FIXED_BITS) | min(fixed, (1 << FIXED_BITS) - 1)


@dataclass
class TokenTally:
    """Mergeable per-part accumulators."""

    counted: int = 0  # examples in the statistics
    exact: dict[int, int] = field(default_factory=dict)  # total tokens -> examples (exactly counted)
    exact_trained: int = 0
    est: dict[int, int] = field(default_factory=dict)  # est_key -> examples (to be estimated)
    est_fixed: int = 0
    est_trained_fixed: int = 0
    est_chars: int = 0
    est_trained_chars: int = 0
    over_limit: int = 0

    def merge(self, o: TokenTally) -> None:
        self.counted += o.counted
        for k, v in o.exact.items():
            self.exact[k] = self.exact.get(k, 0) + v
        for k, v in o.est.items():
            self.est[k] = self.est.get(k, 0) + v
        self.exact_trained += o.exact_trained
        self.est_fixed += o.est_fixed
        self.est_trained_fixed += o.est_trained_fixed
        self.est_chars += o.est_chars
        self.est_trained_chars += o.est_trained_chars
        self.over_limit += o.over_limit


@dataclass
class Ratio:
    """Tokens per character from a sample, with the relative 95 % half-width of the total it implies."""

    all: float
    trained: float
    rel_bound: float
    size: int


# One sampled example: (draws that hit it, its line bytes, text chars, text tokens, trained chars, trained tokens).
SampleRow = tuple[int, int, int, int, int, int]


def ratio_from_sample(rows: list[SampleRow]) -> Ratio:
    """Ratio estimate from a systematic sample of byte positions.

    A position selects the line that contains it, so lines are drawn with probability proportional to their
    byte length; weighting each draw by 1/bytes (Hansen-Hurwitz) makes Σ tokens/Σ chars unbiased again. The
    bound is the linearised 95 % half-width of the ratio, relative to it.
    """
    u: list[float] = []  # text tokens per byte, one entry per draw
    v: list[float] = []  # text chars per byte
    ua = va = 0.0
    for draws, nbytes, x, y, xa, ya in rows:
        for _ in range(draws):
            u.append(y / nbytes)
            v.append(x / nbytes)
            ua += ya / nbytes
            va += xa / nbytes
    n = len(u)
    su, sv = sum(u), sum(v)
    if n == 0 or sv == 0:
        return Ratio(0.25, 0.25, 1.0, n)  # nothing valid to sample: a rough prior, flagged by a 100 % bound
    r = su / sv
    ra = ua / va if va else r
    if n < 2 or r <= 0:
        return Ratio(r, ra, 1.0, n)
    resid = sum((a - r * b) ** 2 for a, b in zip(u, v, strict=True))
    var_r = n / (n - 1) * resid / (sv * sv)
    return Ratio(r, ra, 1.96 * math.sqrt(var_r) / r, n)


@dataclass
class DatasetStats:
    examples: int = 0
    counted: int = 0
    tokens_total: int = 0
    tokens_min: int = 0
    tokens_mean: float = 0.0
    tokens_p50: int = 0
    tokens_p95: int = 0
    tokens_max: int = 0
    trained_tokens: int = 0
    assistant_share: float = 0.0
    estimated: bool = False
    error_bound: float = 0.0  # relative half-width of tokens_total at 95 % confidence; 0 when exact
    sample_size: int = 0
    over_limit: int = 0
    encoding: str = ""
    max_tokens_per_example: int = 0
    bytes: int = 0

    def billed(self, n_epochs: int | Literal["auto"] | None = "auto") -> tuple[int, int]:
        """(billed tokens, epochs) for a job training on this file."""
        return estimate_billed_tokens(self.tokens_total, self.examples, n_epochs)

    def to_json(self, n_epochs: int | Literal["auto"] | None = "auto") -> dict[str, Any]:
        out = asdict(self)
        billed, epochs = self.billed(n_epochs)
        out["billed"] = {"tokens": billed, "epochs": epochs, "n_epochs": n_epochs or "auto"}
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DatasetStats:
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in names})


def _quantile(pairs: list[tuple[float, int]], total: int, q: float) -> float:
    """Nearest-rank quantile of a sorted (value, count) list."""
    rank = max(1, math.ceil(q * total))
    seen = 0
    for value, count in pairs:
        seen += count
        if seen >= rank:
            return value
    return pairs[-1][0]


def finish_stats(
    tally: TokenTally, ratio: Ratio | None, *, examples: int, encoding: str, limit: int, size: int
) -> DatasetStats:
    st = DatasetStats(examples=examples, counted=tally.counted, encoding=encoding, max_tokens_per_example=limit)
    st.bytes = size
    st.over_limit = tally.over_limit
    values: dict[float, int] = {float(k): v for k, v in tally.exact.items()}
    total = float(sum(k * v for k, v in tally.exact.items()))
    trained = float(tally.exact_trained)
    text_est = 0.0
    if tally.est:
        r = ratio or Ratio(0.25, 0.25, 1.0, 0)
        mask = (1 << FIXED_BITS) - 1
        for key, count in tally.est.items():
            v = float(round((key & mask) + r.all * bucket_chars(key >> FIXED_BITS)))
            values[v] = values.get(v, 0) + count
        text_est = r.all * tally.est_chars
        total += tally.est_fixed + text_est
        trained += tally.est_trained_fixed + r.trained * tally.est_trained_chars
        st.estimated = True
        st.sample_size = r.size
        st.error_bound = round(r.rel_bound * text_est / total, 6) if total else 0.0
    if values:
        pairs = sorted(values.items())
        n = sum(values.values())
        st.tokens_min = int(pairs[0][0])
        st.tokens_max = int(pairs[-1][0])
        st.tokens_p50 = int(_quantile(pairs, n, 0.50))
        st.tokens_p95 = int(_quantile(pairs, n, 0.95))
        st.tokens_mean = round(total / n, 2)
    st.tokens_total = round(total)
    st.trained_tokens = round(trained)
    st.assistant_share = round(trained / total, 4) if total else 0.0
    return st
