"""`fineplan import ADDRESS ID`: adopt an existing Azure object into state.

ID is a file id (file-…) for a dataset's training file, a job id (ftjob-…), or a deployment name
(ACCOUNT/NAME or NAME in the default account). The object is recorded with the inputs digest of the current
spec (fineplan cannot read training data back from Azure), so the next plan compares attributes it can see.
"""

from __future__ import annotations

import argparse

from fineplan.cli.common import engine, write
from fineplan.cli.engine_args import add_target_flag


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("import", help="adopt an existing Azure object into state")
    p.add_argument("address")
    p.add_argument("id")
    add_target_flag(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    write(engine(args).import_resource(args.address, args.id) + "\n")
    return 0
