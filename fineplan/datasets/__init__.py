"""Datasets: streaming validation of chat / preference / reinforcement JSONL files, token statistics,
transforms, and content identity.

Entry points: `check.check_dataset` (full report), `first_error` and `count_training_tokens` (for the emulator),
`transforms.materialize`, `identity.file_digest`, `graders.check_grader`, `tokens.estimate_billed_tokens`.
Importing this package is cheap: tiktoken loads only when tokens are counted.
"""

from __future__ import annotations

from fineplan.datasets.quick import count_training_tokens, first_error

__all__ = ["count_training_tokens", "first_error"]
