"""`fineplan destroy`: delete everything this project manages, dependents first; prevent_destroy honoured."""

from __future__ import annotations

import argparse

from fineplan.cli.apply_cmd import add_apply_flags
from fineplan.cli.apply_cmd import run as apply_run
from fineplan.cli.engine_args import add_plan_flags


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("destroy", help="destroy everything this project manages")
    add_plan_flags(p, destroy_flag=False)
    add_apply_flags(p)
    p.set_defaults(handler=run, planfile=None)


def run(args: argparse.Namespace) -> int:
    return apply_run(args, destroy=True)
