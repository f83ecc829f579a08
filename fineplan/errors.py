"""The FineplanError tree. The CLI maps these to a short message and an exit code; `--debug` re-raises."""

from __future__ import annotations

from collections.abc import Sequence

from fineplan.diagnostics import Diagnostic


class FineplanError(Exception):
    """Base of every error fineplan raises on purpose; never shown with a traceback."""

    exit_code = 1


class DiagnosticsError(FineplanError):
    """Stop because loading or linting produced errors; the diagnostics say where."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = list(diagnostics)
        super().__init__(f"{sum(d.is_error for d in self.diagnostics)} error(s)")


class ConfigError(FineplanError):
    """fineplan.yaml or the command line asks for something impossible."""


class StateError(FineplanError):
    """The state cannot be read, written or trusted."""


class LockError(StateError):
    """The state is locked by someone else."""


class StalePlanError(FineplanError):
    """A saved plan no longer matches the state or the inputs it was made from."""


class ProviderError(FineplanError):
    """A call to Azure (or the emulator) failed in a way retrying will not fix.

    `code` is Azure's error code when it gave one (e.g. "InsufficientQuota"), `status` the HTTP status.
    """

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


class PolicyError(FineplanError):
    """A policy (e.g. the training budget) forbids the operation."""


class Interrupted(FineplanError):
    """The user pressed Ctrl-C; state was persisted."""

    exit_code = 130
