"""`fineplan output`: fine-tuned model names, deployment names and endpoints, from the state."""

from __future__ import annotations

import argparse
import json

from fineplan.cli.common import engine, write
from fineplan.cli.engine_args import add_target_flag


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("output", help="show fine-tuned models and deployment endpoints")
    p.add_argument("name", nargs="?", help="one output, e.g. job.support-sft or deployment.support-dev")
    p.add_argument("--json", "-json", action="store_true")
    add_target_flag(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    values = engine(args).outputs()
    if args.name:
        if args.name not in values:
            write(f"No output named {args.name!r}.\n")
            return 1
        values = {args.name: values[args.name]}
    if args.json:
        write(json.dumps(values, indent=2) + "\n")
        return 0
    for address, v in values.items():
        shown = ", ".join(f"{k} = {val}" for k, val in v.items() if val is not None)
        write(f"{address}: {shown}\n")
    return 0
