"""`fineplan plan`: what apply would do, and what it would cost."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path

from fineplan.cli.common import write
from fineplan.cli.engine_args import add_plan_flags, plan_options, root
from fineplan.plan.model import Plan
from fineplan.render.views import PLAN_VIEWS


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("plan", help="show what apply would change and what it would cost")
    add_plan_flags(p)
    p.add_argument("-out", "--out", dest="out", metavar="FILE", help="save the plan for `fineplan apply FILE`")
    p.add_argument(
        "-refresh-only",
        "--refresh-only",
        dest="refresh_only",
        action="store_true",
        help="show drift only: how Azure differs from the recorded state",
    )
    p.add_argument("--format", choices=PLAN_VIEWS.names, default="human")
    p.add_argument("--detailed-exitcode", action="store_true", help="exit 0 no changes, 1 error, 2 changes")
    p.set_defaults(handler=run)


def render_plan(plan: Plan, fmt: str) -> str:
    from fineplan.render.color import use_color
    from fineplan.render.views import render_plan as view

    return view(plan, fmt, color=fmt == "human" and use_color())


def _say_retries(counts: Mapping[str, int], fmt: str) -> None:
    """One line after the plan; on stderr unless the plan is for people, so JSON and Markdown stay clean."""
    from fineplan.render.retries import retry_line

    line = retry_line(counts)
    if line and fmt == "human":
        write(f"\n{line}.\n")
    elif line:
        sys.stderr.write(f"{line}.\n")


def run(args: argparse.Namespace) -> int:
    from fineplan.engine import Engine

    engine = Engine(root(args), args.target_name, max_cost=args.max_cost, lock=args.lock)
    result = engine.plan(plan_options(args, refresh_only=args.refresh_only))
    plan = result.plan
    write(render_plan(plan, args.format))
    _say_retries(result.retries, args.format)
    if args.out:
        from fineplan.fsutil import write_private
        from fineplan.render.plan_json import render_plan_json

        write_private(Path(args.out), render_plan_json(plan))  # 0600, like state
        if args.format == "human":
            write(
                f"\nSaved the plan to: {args.out}\nTo perform exactly these actions, run: fineplan apply {args.out}\n"
            )
    if plan.errors:
        return 1
    if args.detailed_exitcode:
        return 2 if plan.has_changes else 0
    return 0
