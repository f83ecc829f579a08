"""The stages of apply, derived from the actions: part of the plan, so the executor follows them and readers see
when each old object goes away.

1. walk: creates, updates, waits and both kinds of replacement, in dependency order. A delete-then-create
   replacement deletes the old object inside its step, right before creating the new one, so the outage lasts
   only as long as the create (not the training of whatever the resource waits for).
2. delete: what the configuration no longer declares, dependents first.
3. cleanup: the old objects of create-then-delete replacements, once their replacements and everything built on
   them are in place (a replaced job is deleted after the new one is deployed), and the old objects earlier
   replacements had to keep (remembered in state) that nothing needs any more.

Blocked changes are in no stage: apply skips them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from fineplan.plan.model import Action, ResourceChange, Stage, StageName

_WALK = frozenset({Action.CREATE, Action.UPDATE, Action.WAIT, Action.CREATE_THEN_DELETE, Action.DELETE_THEN_CREATE})


def plan_stages(changes: Iterable[ResourceChange], *, cleanup: Sequence[str] = ()) -> tuple[Stage, ...]:
    """The non-empty stages, in the order apply runs them. `cleanup`: addresses whose superseded old objects
    (from earlier runs) go in the cleanup stage."""
    live = [c for c in changes if not c.blocked]
    cleaned = [c.address for c in live if c.action is Action.CREATE_THEN_DELETE]
    members = {
        StageName.WALK: [c.address for c in live if c.action in _WALK],
        StageName.DELETE: [c.address for c in live if c.action is Action.DELETE],
        StageName.CLEANUP: cleaned + sorted(set(cleanup) - set(cleaned)),
    }
    return tuple(Stage(name, tuple(addresses)) for name, addresses in members.items() if addresses)
