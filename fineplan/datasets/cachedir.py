"""Where fineplan keeps derived, re-creatable data: file digests, dataset reports, tokenizer tables.

`$FINEPLAN_CACHE_DIR` wins (an empty value disables the on-disk caches); otherwise the platform's user cache
directory. A project may pass its own directory (e.g. `<root>/.fineplan/cache`) to every function that takes
`cache_dir`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ENV = "FINEPLAN_CACHE_DIR"


def user_cache_dir() -> Path:
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "fineplan"
    if os.name == "nt":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "fineplan" / "Cache"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "fineplan"


def cache_dir(explicit: Path | None = None) -> Path | None:
    """The cache directory to use, or None when caching is disabled."""
    if explicit is not None:
        return explicit
    env = os.environ.get(ENV)
    if env is not None:
        return Path(env) if env.strip() else None
    return user_cache_dir()
