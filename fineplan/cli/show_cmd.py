"""`fineplan show [PLANFILE]`: the state, or a saved plan."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from fineplan.cli.common import engine, write
from fineplan.cli.engine_args import add_target_flag


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("show", help="show the state, or a saved plan")
    p.add_argument("planfile", nargs="?")
    p.add_argument("--json", "-json", action="store_true")
    add_target_flag(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from fineplan.engine import load_plan_file

    if args.planfile:
        plan = load_plan_file(Path(args.planfile))
        from fineplan.cli.plan_cmd import render_plan

        write(render_plan(plan, "json" if args.json else "human"))
        return 0
    state = engine(args).read_state()
    if args.json:
        write(state.to_json().decode("utf-8"))
        return 0
    if not state.resources:
        write("The state is empty. No resources are managed.\n")
        return 0
    for address in state.addresses():
        res = state.resources[address]
        write(f"# {address}\n")
        write(f"    remote_id     = {res.remote_id}\n    status        = {res.status}\n")
        write(f"    inputs_digest = {res.inputs_digest[:16]}\n")
        for k, v in sorted(res.attributes.items()):
            if k == "inputs" or v in (None, {}, ""):
                continue
            write(f"    {k:<13} = {json.dumps(v, default=str)}\n")
        write("\n")
    return 0
