"""Datasets: streaming validation of chat / preference / reinforcement JSONL files, token statistics,
transforms, and content identity.

Entry points: `check.check_dataset` (full report), `first_error` and `count_training_tokens` (for the emulator),
`transforms.materialize`, `identity.file_digest`, `graders.check_grader`, `tokens.estimate_billed_tokens`.
Importing this package is cheap: the validators load on first use of an entry point (so a small helper such as
`filekind` costs the loader nothing), and tiktoken only when tokens are counted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fineplan.datasets.quick import count_training_tokens, first_error

__all__ = ["count_training_tokens", "first_error"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from fineplan.datasets import quick

        return getattr(quick, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
