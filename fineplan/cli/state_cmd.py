"""`fineplan state list|show|rm|mv|rebuild`."""

from __future__ import annotations

import argparse
import json

from fineplan.cli.common import engine, write
from fineplan.cli.engine_args import add_target_flag
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
    facade = engine(args)
    cmd = args.state_command
    if cmd == "list":
        write("".join(a + "\n" for a in facade.read_state().addresses()))
    elif cmd == "show":
        res = facade.read_state().get(args.address)
        if res is None:
            raise StateError(f"no resource {args.address} in state")
        write(json.dumps(res.model_dump(mode="json"), indent=2) + "\n")
    elif cmd == "rm":
        write(facade.state_rm(args.addresses) + "\n")
    elif cmd == "mv":
        write(facade.state_mv(args.source, args.destination) + "\n")
    elif cmd == "rebuild":
        write(facade.state_rebuild() + "\n")
    return 0
