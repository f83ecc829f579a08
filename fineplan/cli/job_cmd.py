"""`fineplan job cancel ID`: cancel a fine-tuning job that carries this project's tags but that state does not
track (refresh reports it as "untracked"). Tracked jobs change through plans (-replace, destroy)."""

from __future__ import annotations

import argparse

from fineplan.cli.common import engine, write
from fineplan.cli.engine_args import add_target_flag


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("job", help="act on fine-tuning jobs that state does not track")
    actions = p.add_subparsers(dest="job_command", metavar="ACTION", required=True)
    cancel = actions.add_parser("cancel", help="cancel an untracked job of this project (ftjob-…)")
    cancel.add_argument("job_id", metavar="ID")
    add_target_flag(cancel)
    cancel.set_defaults(handler=run_cancel)


def run_cancel(args: argparse.Namespace) -> int:
    write(engine(args).cancel_untracked_job(args.job_id) + "\n")
    return 0
