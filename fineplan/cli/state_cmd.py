"""`fineplan state list|show|rm|mv|rebuild`."""

from __future__ import annotations

import argparse
import json

from fineplan.cli.common import write
from fineplan.cli.engine_args import add_target_flag, root
from fineplan.errors import StateError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("state", help="inspect or edit the state")
    ss = p.add_subparsers(dest="state_command", metavar="SUBCOMMAND", required=True)
    for name, help_text in (
        ("list", "list managed addresses"),
        ("show", "show one resource"),
        ("rm", "forget resources (Azure keeps them)"),
        ("mv", "rename an address"),
        ("rebuild", "rebuild state from the tags fineplan puts on Azure objects"),
    ):
        sp = ss.add_parser(name, help=help_text)
        add_target_flag(sp)
        if name == "show":
            sp.add_argument("address")
        elif name == "rm":
            sp.add_argument("addresses", nargs="+")
        elif name == "mv":
            sp.add_argument("source")
            sp.add_argument("destination")
        sp.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from fineplan.engine import Engine

    engine = Engine(root(args), args.target_name)
    cmd = args.state_command
    if cmd == "list":
        for address in engine.read_state().addresses():
            write(address + "\n")
        return 0
    if cmd == "show":
        res = engine.read_state().get(args.address)
        if res is None:
            raise StateError(f"no resource {args.address} in state")
        write(json.dumps(res.model_dump(mode="json"), indent=2) + "\n")
        return 0
    if cmd == "rm":

        def rm(state, _project, _provider):  # type: ignore[no-untyped-def]
            missing = [a for a in args.addresses if a not in state.resources]
            if missing:
                raise StateError(f"not in state: {', '.join(missing)}")
            for a in args.addresses:
                state.forget(state.resources[a])
                state.remove(a)
            return (
                f"Removed {len(args.addresses)} resource(s) from state. The Azure objects are untouched and "
                "fineplan will not adopt them again (use `fineplan import` to manage one again)."
            )

        write(engine.mutate_state("state rm", rm) + "\n")
        return 0
    if cmd == "mv":

        def mv(state, _project, _provider):  # type: ignore[no-untyped-def]
            res = state.get(args.source)
            if res is None:
                raise StateError(f"{args.source} is not in state")
            if args.destination in state.resources:
                raise StateError(f"{args.destination} already exists in state")
            prefix, _, name = args.destination.partition(".")
            expected = {"Dataset": "dataset", "FineTuningJob": "job", "Deployment": "deployment"}[res.kind]
            if prefix != expected or not name:
                raise StateError(f"{args.destination} must be {expected}.NAME for a {res.kind}")
            state.remove(args.source)
            res.address = args.destination
            if res.kind != "Deployment":  # a deployment's name is its identity in Azure: moving does not rename it
                res.name = name
            state.put(res)
            return f"Moved {args.source} to {args.destination}."

        write(engine.mutate_state("state mv", mv) + "\n")
        return 0
    if cmd == "rebuild":
        from fineplan.state_rebuild import rebuild

        write(engine.mutate_state("state rebuild", rebuild, needs_provider=True) + "\n")
        return 0
    return 1
