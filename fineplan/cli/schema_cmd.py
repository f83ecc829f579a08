"""`fineplan schema [--kind K]`: print the JSON Schema of a kind (or all, keyed by file name)."""

from __future__ import annotations

import argparse

from fineplan.cli.common import write
from fineplan.resource import Kind


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("schema", help="print the JSON Schema of the spec language")
    p.add_argument("--kind", choices=(*(k.value for k in Kind), "Project"))
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from fineplan.spec.schema import all_schemas, render_schema, schema_for

    # one kind prints exactly the text of its checked-in file under specs/schemas/
    write(render_schema(schema_for(args.kind) if args.kind else all_schemas()))
    return 0
