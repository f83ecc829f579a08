"""Lines too long to hold: prove an example over the token limit from a streaming pass over its bytes.

No token of the tokenizers fineplan uses is longer than MAX_TOKEN_BYTES (128 bytes: a run of spaces; a test checks
the vocabularies), so an example whose counted text is longer than limit × 128 bytes has more than `limit` tokens,
whatever the text. The scanner never holds such a line: `TextBound` reads it block by block and sums, for the
strings the token count would include (message `content`, and `text` of content parts, at their exact places in
the format), a lower bound of their decoded size: raw bytes minus 5 per backslash (an escape is 2 to 6 raw bytes
for at least one decoded byte). Everything it cannot be sure about counts as nothing, so the bound stays a lower
bound: image data, tool schemas, keys written with escapes (an object with one drops its strings), duplicate keys
(only the last occurrence counts, as the JSON parser keeps it). A line it cannot prove over is read and checked
like any other (e.g. an example that is long because of its images).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_TOKEN_BYTES = 128

# Where counted text sits, per format: key paths from the top-level object ("*": any array element).
_CHAT_PATHS = (("messages", "*", "content"), ("messages", "*", "content", "*", "text"))
_PREFERENCE_PATHS = tuple(
    (*root, *tail)
    for root in (("input", "messages", "*"), ("preferred_output", "*"), ("non_preferred_output", "*"))
    for tail in (("content",), ("content", "*", "text"))
)
COUNTED_PATHS: dict[str, tuple[tuple[str, ...], ...]] = {
    "chat": _CHAT_PATHS,
    "reinforcement": _CHAT_PATHS,
    "preference": _PREFERENCE_PATHS,
}
_PREFIXES = {fmt: {p[:i] for p in paths for i in range(len(p) + 1)} for fmt, paths in COUNTED_PATHS.items()}

_STRUCTURE = re.compile(rb'["{}\[\]:,]')
_KEY_MAX = 32  # longer strings are never keys we look for


@dataclass
class _Container:
    path: tuple[str, ...]
    is_object: bool
    # Counted text bytes per key of this object (the last occurrence wins) or in total (arrays).
    by_key: dict[str, int] = field(default_factory=dict)
    total: int = 0
    escaped_key: bool = False  # a key written with escapes could alias one we count: drop this object's text

    def add(self, key: str | None, n: int, replace: bool) -> None:
        if self.is_object and key is not None:
            self.by_key[key] = n if replace else self.by_key.get(key, 0) + n
        else:
            self.total += n

    def counted(self) -> int:
        if self.escaped_key:
            return 0
        return self.total + sum(self.by_key.values())


class TextBound:
    """Streaming lower bound of the counted text bytes of one JSONL line (see the module docstring)."""

    def __init__(self, fmt: str) -> None:
        self.paths = set(COUNTED_PATHS.get(fmt, ()))
        self.prefixes = _PREFIXES.get(fmt, set())
        self.stack: list[_Container] = []
        self.in_str = False
        self.str_len = self.str_bs = self.bs_run = 0
        self.str_head = bytearray()
        self.str_counted = False
        self.str_key: str | None = None  # the key a string value belongs to
        self.str_is_key = False
        self.last_key: bytes | None = None  # raw bytes of the last key string (None: long, or escaped)
        self.last_key_escaped = False
        self.pending_key: str | None = None
        self.prev = ord("{")  # last structural byte outside strings (a literal counts as ',')
        self.top = 0
        self.broken = False  # not a JSON object as far as we can tell: prove nothing

    # ---------------------------------------------------------------- feeding

    def feed(self, block: bytes) -> None:
        i, n = 0, len(block)
        while i < n and not self.broken:
            if self.in_str:
                q = block.find(b'"', i)
                seg_end = n if q < 0 else q
                seg = block[i:seg_end]
                trailing = len(seg) - len(seg.rstrip(b"\\"))
                run = self.bs_run + trailing if trailing == len(seg) else trailing
                self._string_bytes(seg)
                if q < 0:
                    self.bs_run = run
                    return
                if run % 2:  # an escaped quote: part of the string
                    self._string_bytes(b'"')
                    self.bs_run = 0
                else:
                    self._end_string()
                i = q + 1
                continue
            m = _STRUCTURE.search(block, i)
            j = n if m is None else m.start()
            if block[i:j].strip():
                self.prev = ord(",")  # a number or literal ended a value
            if m is None:
                return
            self._structure(block[j])
            i = j + 1

    def _string_bytes(self, seg: bytes) -> None:
        self.str_len += len(seg)
        self.str_bs += seg.count(b"\\")
        if len(self.str_head) <= _KEY_MAX:
            self.str_head += seg[: _KEY_MAX + 1 - len(self.str_head)]

    def _start_string(self) -> None:
        top = self.stack[-1] if self.stack else None
        self.str_is_key = top is not None and top.is_object and self.prev in (ord("{"), ord(","))
        self.str_key = self.pending_key if self.prev == ord(":") else None
        path = self._value_path(self.str_key)
        self.str_counted = not self.str_is_key and path in self.paths
        if not self.str_is_key:
            self._reset_duplicate(self.str_key)
        self.in_str = True
        self.str_len = self.str_bs = self.bs_run = 0
        self.str_head = bytearray()

    def _end_string(self) -> None:
        self.in_str = False
        if self.str_is_key:
            escaped = self.str_bs > 0
            self.last_key = bytes(self.str_head) if len(self.str_head) <= _KEY_MAX else None
            self.last_key_escaped = escaped
            if escaped and self.stack:
                self.stack[-1].escaped_key = True
        elif self.str_counted and self.stack:
            self.stack[-1].add(self.str_key, max(0, self.str_len - 5 * self.str_bs), replace=True)
        self.prev = ord(",")

    def _structure(self, c: int) -> None:
        if c == ord('"'):
            self._start_string()
        elif c in (ord("{"), ord("[")):
            key = self.pending_key if self.prev == ord(":") else None
            if not self.stack and c != ord("{"):
                self.broken = True
                return
            path = self._value_path(key) if self.stack else ()
            self._reset_duplicate(key)
            self.stack.append(_Container(path, c == ord("{")))
            self.prev = c
        elif c in (ord("}"), ord("]")):
            if not self.stack:
                self.broken = True
                return
            done = self.stack.pop()
            if self.stack:
                parent = self.stack[-1]
                key = done.path[-1] if parent.is_object and done.path else None
                parent.add(key, done.counted(), replace=True)
            else:
                self.top = done.counted()
            self.prev = ord(",")
        elif c == ord(":"):
            raw = self.last_key
            self.pending_key = raw.decode("ascii", "replace") if raw is not None and not self.last_key_escaped else None
            self.prev = c
        else:  # ","
            self.prev = c

    def _value_path(self, key: str | None) -> tuple[str, ...]:
        """The path of a value starting now in the current container (key None: an array element)."""
        top = self.stack[-1] if self.stack else None
        if top is None:
            return ()
        step = (key or "\x00") if top.is_object else "*"
        path = (*top.path, step)
        return path if path in self.prefixes else ("\x00",)

    def _reset_duplicate(self, key: str | None) -> None:
        """A key seen again in one object: its earlier value no longer counts (the parser keeps the last)."""
        top = self.stack[-1] if self.stack else None
        if top is not None and top.is_object and key is not None:
            top.by_key.pop(key, None)

    # ---------------------------------------------------------------- result

    def counted_bytes(self) -> int:
        """A lower bound of the decoded bytes of counted text (0 if the line did not end as one object)."""
        if self.broken or self.in_str or self.stack:
            return 0
        return self.top


def min_tokens(counted_bytes: int, fmt: str) -> int:
    """A lower bound of the tokens of the longest sequence the model sees, from counted text bytes. DPO trains on
    the prompt with one output at a time: at least half of all its text is in one sequence."""
    tokens = -(-counted_bytes // MAX_TOKEN_BYTES)
    return tokens // 2 if fmt == "preference" else tokens


def proven_over(counted_bytes: int, fmt: str, limit: int) -> bool:
    return min_tokens(counted_bytes, fmt) > limit


def long_line_threshold(limit: int) -> int:
    """Lines longer than this are streamed first: below it, no text is long enough to prove anything."""
    return limit * MAX_TOKEN_BYTES
