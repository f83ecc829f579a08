"""What a difference means in Azure, per kind: the one place that says which attributes force a new object.

- Files are immutable: a dataset whose content or format changed is uploaded anew.
- Fine-tuning jobs are immutable: any input that affects training (base model, data, method, hyperparameters,
  training type, suffix, seed, grader, ...) trains a new job. A new job input needs no entry here.
- A deployment's model, capacity, RAI policy, upgrade option and tags are updated in place by ARM; its SKU type,
  account or name cannot change, so the deployment is replaced. A deployment is named uniquely per account, so a
  replacement that keeps its account and name must delete the old one first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from fineplan.providers.base import DiffResult
from fineplan.resource import UNKNOWN, Kind


@dataclass(frozen=True)
class Rules:
    """How Azure treats each attribute of one kind."""

    replace: frozenset[str] = frozenset()  # changing it needs a new remote object
    update: frozenset[str] = frozenset()  # ARM updates it in place
    ignore: frozenset[str] = frozenset()  # not Azure's concern (e.g. a name only fineplan uses)
    # Optional and computed: left unset in the spec, Azure's own value is accepted (e.g. the default RAI policy).
    computed: frozenset[str] = frozenset()
    # Attributes not listed above: an unknown input is treated as immutable, the safe choice.
    default: Literal["replace", "update"] = "replace"
    # The attributes that name the remote object: a replacement keeping all of them must delete the old first.
    identity: tuple[str, ...] = ()


IMMUTABLE: Final = Rules(ignore=frozenset({"name"}))
RULES: Final[Mapping[Kind, Rules]] = {
    Kind.DATASET: IMMUTABLE,
    Kind.JOB: IMMUTABLE,
    Kind.DEPLOYMENT: Rules(
        replace=frozenset({"type", "account", "name"}),
        # `checkpoint` is fineplan's own record of which checkpoint the model is; it changes with the model.
        update=frozenset({"model", "checkpoint", "capacity", "rai_policy", "version_upgrade", "tags"}),
        computed=frozenset({"rai_policy"}),
        identity=("account", "name"),
    ),
}


def diff(
    kind: Kind, prior: Mapping[str, Any], planned: Mapping[str, Any], rules: Mapping[Kind, Rules] = RULES
) -> DiffResult:
    """Compare `planned` with `prior` for the attributes `planned` holds; `UNKNOWN` always differs. A kind without
    rules is immutable: any change makes a new object (the safe default)."""
    r = rules.get(kind, IMMUTABLE)
    changed: list[str] = []
    replaces: list[str] = []
    updates: list[str] = []
    for key in sorted(planned):
        if key in r.ignore:
            continue
        new, old = planned[key], prior.get(key)
        if new is None and key in r.computed:
            continue
        if _same(old, new):
            continue
        changed.append(key)
        forces = key in r.replace or (key not in r.update and r.default == "replace")
        (replaces if forces else updates).append(key)
    same_identity = bool(r.identity) and all(_same(prior.get(k), planned.get(k)) for k in r.identity)
    return DiffResult(tuple(changed), tuple(replaces), tuple(updates), delete_before_replace=same_identity)


def _same(old: Any, new: Any) -> bool:
    if new is UNKNOWN or old is UNKNOWN:
        return False
    if old == new:
        return True
    return _absent(old) and _absent(new)  # Azure does not tell an absent map (tags) from an empty one


def _absent(value: Any) -> bool:
    return value is None or (isinstance(value, _CONTAINERS) and not value)


_CONTAINERS: Final = (dict, list)
