"""What a validated example costs in tokens, before any tokenizer runs.

Validators fill a TokenPlan while they walk an example: fixed framing tokens and the texts to tokenize, split into
the prompt side (never trained), the trained side, and for DPO the second (non-preferred) output. The scanner then
counts exactly (tiktoken) or estimates from characters, and bounds the count from the line's byte length.
"""

from __future__ import annotations

from collections.abc import Callable

from fineplan.datasets.tokens import REPLY_PRIMER

# add(code, message): report a finding on the current line.
AddFn = Callable[[str, str], None]


class TokenPlan:
    __slots__ = ("a_fixed", "a_texts", "b_fixed", "b_texts", "known_chars", "p_fixed", "p_texts", "uncertain")

    def __init__(self) -> None:
        self.p_fixed = REPLY_PRIMER
        self.p_texts: list[str] = []
        self.a_fixed = 0
        self.a_texts: list[str] = []
        self.b_fixed = 0
        self.b_texts: list[str] | None = None
        # Tokens that may exist beyond `*_fixed` (images of unknown size): used only for the upper bound.
        self.uncertain = 0
        # (all, trained) text characters when the validator already summed them, else None.
        self.known_chars: tuple[int, int] | None = None

    def fixed(self) -> int:
        return self.p_fixed + self.a_fixed + self.b_fixed

    def counts(self, count: Callable[[str], int]) -> tuple[int, int, int]:
        """(total tokens, trained tokens, tokens of the longest sequence the model sees) counted with `count`."""
        p = self.p_fixed + sum(count(t) for t in self.p_texts)
        a = self.a_fixed + sum(count(t) for t in self.a_texts)
        if self.b_texts is None:
            return p + a, a, p + a
        b = self.b_fixed + sum(count(t) for t in self.b_texts)
        return p + a + b, a + b, p + max(a, b)

    def chars(self) -> tuple[int, int]:
        """(all text characters, trained text characters)."""
        if self.known_chars is not None:
            return self.known_chars
        p = sum(map(len, self.p_texts))
        a = sum(map(len, self.a_texts))
        if self.b_texts is not None:
            a += sum(map(len, self.b_texts))
        return p + a, a
