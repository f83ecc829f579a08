"""`fineplan schema [--kind K]`: print the JSON Schema of a kind (or all, keyed by file name)."""

from __future__ import annotations

import argparse
import json

from fineplan.cli.common import write


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("schema", help="print the JSON Schema of the spec language")
    p.add_argument("--kind", choices=("Dataset", "FineTuningJob", "Deployment", "Project"))
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from fineplan.spec.schema import all_schemas, schema_for

    doc = schema_for(args.kind) if args.kind else all_schemas()
    write(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    return 0
