"""How many tokens a SFT/DPO job is billed for: training-file tokens × epochs (Azure's `trained_tokens`)."""

from __future__ import annotations

# The data-prep notebook's default-epochs heuristic (see AZURE-FACTS "Limits"), used when n_epochs is "auto".
_DEFAULT_EPOCHS = 3
_MIN_TARGET_EXAMPLES = 100
_MAX_TARGET_EXAMPLES = 25_000
_MIN_EPOCHS, _MAX_EPOCHS = 1, 25


def auto_n_epochs(n_examples: int) -> int:
    """Epochs Azure picks for `n_epochs: auto`: 3, raised so small sets see ~100 examples, lowered so big sets
    see ~25,000, clamped to 1..25."""
    if n_examples < 1:
        raise ValueError(f"n_examples must be >= 1, got {n_examples}")
    epochs = _DEFAULT_EPOCHS
    if n_examples * epochs < _MIN_TARGET_EXAMPLES:
        epochs = _MIN_TARGET_EXAMPLES // n_examples
    elif n_examples * epochs > _MAX_TARGET_EXAMPLES:
        epochs = _MAX_TARGET_EXAMPLES // n_examples
    return min(max(epochs, _MIN_EPOCHS), _MAX_EPOCHS)


def billed_tokens(training_tokens: int, n_epochs: int | str | None, n_examples: int) -> int:
    """Billed-token estimate; `n_epochs` None or "auto" uses `auto_n_epochs(n_examples)`."""
    if training_tokens < 0:
        raise ValueError(f"training_tokens must be >= 0, got {training_tokens}")
    if n_epochs is None or n_epochs == "auto":
        epochs = auto_n_epochs(n_examples)
    elif isinstance(n_epochs, int) and n_epochs >= 1:
        epochs = n_epochs
    else:
        raise ValueError(f"n_epochs must be a positive int or 'auto', got {n_epochs!r}")
    return training_tokens * epochs
