"""`fineplan validate`: structure and references only."""

from __future__ import annotations

import argparse

from fineplan.cli.common import context, write
from fineplan.diagnostics import has_errors


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("validate", help="check specs for structure and references (no datasets read)")
    p.add_argument("--json", action="store_true", help="terraform validate -json shaped output")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    ctx = context(args)
    diags = ctx.validate()
    if args.json:
        from fineplan.render.diagnostics_json import render_json

        write(render_json(diags))
    else:
        from fineplan.render.diagnostics_text import render_diagnostics, summary_line

        write(render_diagnostics(diags, ctx.root, totals=False) + summary_line(diags) + "\n")
    return 1 if has_errors(diags) else 0
