"""Flags shared by plan, apply and destroy (Terraform's spelling: -out, -refresh=false, -target, -replace)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fineplan.errors import ConfigError
from fineplan.plan.model import PlanOptions


def _bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def non_negative(text: str) -> float:
    """A budget or a duration: a number >= 0 (NaN refused too)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def add_target_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--target", dest="target_name", metavar="NAME", help="target from fineplan.yaml (default: its default_target)"
    )


def add_plan_flags(p: argparse.ArgumentParser, *, destroy_flag: bool = True) -> None:
    add_target_flag(p)
    p.add_argument(
        "-refresh",
        "--refresh",
        dest="refresh",
        type=_bool,
        default=True,
        metavar="BOOL",
        help="read remote objects first (default true; -refresh=false skips it)",
    )
    p.add_argument(
        "-target",
        dest="addresses",
        action="append",
        default=[],
        metavar="ADDRESS",
        help="limit to this resource and what it depends on (repeatable)",
    )
    p.add_argument(
        "-replace",
        dest="replace",
        action="append",
        default=[],
        metavar="ADDRESS",
        help="force replacement of this resource (repeatable)",
    )
    p.add_argument(
        "--max-cost",
        dest="max_cost",
        type=non_negative,
        metavar="USD",
        help="refuse plans whose training would cost more than this",
    )
    p.add_argument(
        "-lock",
        "--lock",
        dest="lock",
        type=_bool,
        default=True,
        metavar="BOOL",
        help="take the state lock (default true)",
    )
    if destroy_flag:
        p.add_argument("-destroy", "--destroy", dest="destroy", action="store_true", help="plan to destroy everything")


def plan_options(args: argparse.Namespace, *, destroy: bool = False, refresh_only: bool = False) -> PlanOptions:
    if refresh_only and not args.refresh:
        raise ConfigError("-refresh-only and -refresh=false cannot be used together")
    return PlanOptions(
        destroy=destroy or bool(getattr(args, "destroy", False)),
        refresh_only=refresh_only,
        targets=tuple(args.addresses),
        replace=tuple(args.replace),
        refresh=bool(args.refresh),
    )


def confirm_on_terminal(prompt: str) -> bool:
    if not sys.stdin.isatty():
        raise ConfigError("refusing to apply without confirmation: no terminal to ask on; pass --auto-approve")
    sys.stdout.write(prompt)
    sys.stdout.flush()
    return sys.stdin.readline().strip() == "yes"


def root(args: argparse.Namespace) -> Path:
    return Path(args.chdir)
