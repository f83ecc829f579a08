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

_LINEAR = 1024  # character counts below this are histogram keys as is
_STEPS = 128  # log buckets per e-fold above it (~0.8 % wide)
_FIXED_BITS = 20


def char_bucket(chars: int) -> int:
    if chars < _LINEAR:
        return chars
    return _LINEAR + int(math.log(chars / _LINEAR) * _STEPS)


def bucket_chars(bucket: int) -> float:
    """Representative character count of a bucket (its geometric middle)."""
    if bucket < _LINEAR:
        return float(bucket)
    return _LINEAR * math.exp((bucket - _LINEAR + 0.5) / _STEPS)


def est_key(fixed: int, chars: int) -> int:
    return (char_bucket(chars) << _FIXED_BITS) | min(fixed, (1 << _FIXED_BITS) - 1)


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


def ratio_from_sample(rows: list[tuple[int, int, int, int]]) -> Ratio:
    """rows: (text chars, text tokens, trained chars, trained text tokens) of sampled valid examples."""
    xs = sum(r[0] for r in rows)
    ys = sum(r[1] for r in rows)
    n = len(rows)
    if n == 0 or xs == 0:
        return Ratio(0.25, 0.25, 1.0, n)  # nothing valid to sample: a rough prior, flagged by a 100 % bound
    r = ys / xs
    xa = sum(r[2] for r in rows)
    ya = sum(r[3] for r in rows)
    ra = ya / xa if xa else r
    if n < 2:
        return Ratio(r, ra, 1.0, n)
    resid = sum((y - r * x) ** 2 for x, y, _a, _b in rows) / (n - 1)
    mean_x = xs / n
    rel = 1.96 * math.sqrt(resid / n) / (r * mean_x) if r > 0 else 1.0
    return Ratio(r, ra, rel, n)


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
        mask = (1 << _FIXED_BITS) - 1
        for key, count in tally.est.items():
            v = float(round((key & mask) + r.all * bucket_chars(key >> _FIXED_BITS)))
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
