"""`fineplan validate`: structure and references only."""

from __future__ import annotations

import argparse

from fineplan.cli.common import engine, write
from fineplan.diagnostics import has_errors
from fineplan.render.views import DIAGNOSTIC_VIEWS, ViewOptions


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("validate", help="check specs for structure and references (no datasets read)")
    p.add_argument("--json", action="store_true", help="terraform validate -json shaped output")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    facade = engine(args)
    diags = facade.validate()
    write(DIAGNOSTIC_VIEWS.render(diags, "json" if args.json else "text", ViewOptions(root=facade.root)))
    return 1 if has_errors(diags) else 0
