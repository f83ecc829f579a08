"""Pick the state backend fineplan.yaml asks for.

`{target}` and `{project}` in a configured path or blob key are replaced, so one setting serves every target.
"""

from __future__ import annotations

from pathlib import Path

from fineplan.spec.models import BlobState, LocalState, StateSettings
from fineplan.state.backend import Backend
from fineplan.state.local import LocalBackend

DEFAULT_LOCAL_PATH = ".fineplan/state/{target}.json"
DEFAULT_BLOB_KEY = "{project}/{target}.json"


def _expand(template: str, target: str, project: str) -> str:
    # Plain replace, not str.format: a stray brace in a user's path must not be an error.
    return template.replace("{target}", target).replace("{project}", project)


def state_path(project_root: Path, settings: LocalState, target: str, project: str = "") -> Path:
    """Where the local backend keeps `target`'s state (a relative path is relative to the project root)."""
    return project_root / _expand(settings.path or DEFAULT_LOCAL_PATH, target, project)


def open_backend(project_root: Path, settings: StateSettings, target: str, project: str) -> Backend:
    if isinstance(settings, LocalState):
        return LocalBackend(state_path(project_root, settings, target, project), target)
    if isinstance(settings, BlobState):
        from fineplan.state.blob import BlobBackend  # keeps azure-storage-blob off the local-only path

        key = _expand(settings.key or DEFAULT_BLOB_KEY, target, project)
        return BlobBackend.from_settings(settings, target=target, key=key)
    raise TypeError(f"unknown state settings {type(settings).__name__}")
