"""`fineplan force-unlock LOCK_ID`: remove a state lock whose holder cannot release it.

A holder that is still running on this host is not stuck: force-unlock refuses to break its lock, saying so on
stderr whether or not there is a terminal, unless `--break-live-lock` is given too (then it warns and goes on)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fineplan.diagnostics import Diagnostic
from fineplan.errors import ConfigError, DiagnosticsError, LockError, StateError
from fineplan.state.backend import LockInfo


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "force-unlock",
        help="remove a stuck lock on the state",
        description=(
            "Remove the lock on a target's state. The lock ID is printed by the command that was refused the "
            "lock. Only do this when the holder is gone: two runs writing one state can lose track of what "
            "they created."
        ),
    )
    p.add_argument("lock_id", metavar="LOCK_ID", help="the ID of the lock to remove")
    p.add_argument("-t", "--target", help="the target whose state to unlock (default: default_target)")
    p.add_argument("-f", "--force", action="store_true", help="do not ask for confirmation")
    p.add_argument(
        "--break-live-lock",
        action="store_true",
        help="also break a lock whose holder is still running on this host (two runs may then write the state)",
    )
    p.set_defaults(handler=run)


def _refuse_live_holder(holder: LockInfo, break_live: bool) -> None:
    """A running holder is not stuck: refuse unless told twice; either way say so on stderr, terminal or not."""
    if not holder.holder_alive():
        return
    running = (
        f"process {holder.pid} on this host ({holder.host}) still holds the lock "
        f"({holder.operation} since {holder.created})"
    )
    if not break_live:
        raise LockError(
            f"{running}: it is not stuck. Let it finish or stop it; to break the lock of a running process anyway, "
            "add --break-live-lock"
        )
    print(f"Warning: {running}; breaking its lock as asked (--break-live-lock).", file=sys.stderr)


def _confirmed(holder: LockInfo, force: bool) -> bool:
    if force:
        return True
    if not sys.stdin.isatty():
        raise ConfigError("force-unlock needs confirmation: run it in a terminal or pass --force")
    print(f"Lock Info:\n{holder.describe()}")
    answer = input("Do you really want to force-unlock? Only 'yes' will be accepted: ")
    return answer.strip() == "yes"


def run(args: argparse.Namespace) -> int:
    from fineplan.spec.loader import load_settings
    from fineplan.state.factory import open_backend

    root = Path(args.chdir)
    diags: list[Diagnostic] = []
    settings, _ = load_settings(root, diags)
    if any(d.is_error for d in diags):
        raise DiagnosticsError(diags)
    target = args.target or settings.default_target
    if target not in settings.targets:
        known = ", ".join(sorted(settings.targets)) or "none"
        raise ConfigError(f"unknown target {target!r} (known: {known})")
    backend = open_backend(root, settings.state, target, settings.project)
    holder = backend.lock_holder()
    if holder is None:
        raise StateError(f"state {backend.location} is not locked")
    if holder.id != args.lock_id:
        raise StateError(f"lock ID {args.lock_id!r} does not match the holder's ({holder.id or 'unreadable'})")
    _refuse_live_holder(holder, args.break_live_lock)
    if not _confirmed(holder, args.force):
        print("force-unlock cancelled.", file=sys.stderr)
        return 1
    backend.force_unlock(args.lock_id)
    print(f"The state of target {target!r} has been unlocked.")
    return 0
