"""The rule registry: every rule class registers itself by code when its module is imported."""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fineplan.lint.rule import Rule

_RULES: dict[str, type[Rule]] = {}
_loaded = False


def register(rule: type[Rule]) -> None:
    existing = _RULES.get(rule.code)
    if existing is not None and existing is not rule:
        raise TypeError(f"rule code {rule.code} registered twice: {existing.__name__} and {rule.__name__}")
    _RULES[rule.code] = rule


def _load_all() -> None:
    global _loaded
    if _loaded:
        return
    import fineplan.lint.rules as pkg

    for mod in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module(f"{pkg.__name__}.{mod.name}")
    _loaded = True


def all_rules() -> list[type[Rule]]:
    _load_all()
    return [_RULES[c] for c in sorted(_RULES)]


def get_rule(code: str) -> type[Rule] | None:
    _load_all()
    return _RULES.get(code.upper())
