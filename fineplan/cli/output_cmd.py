"""`fineplan output [NAME]`: fine-tuned model names, deployment names and endpoints, from the state.

Like `terraform output`: NAME is an address (`job.support-sft`: all its outputs) or one output
(`job.support-sft.fine_tuned_model`). One output prints as JSON (`"gpt-4.1-…"`); `-raw` prints a string as it is,
for scripts (`MODEL=$(fineplan output -raw job.support-sft.fine_tuned_model)`); `--json` prints JSON.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from fineplan.cli.common import engine, write
from fineplan.cli.engine_args import add_target_flag
from fineplan.errors import ConfigError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("output", help="show fine-tuned models and deployment endpoints")
    p.add_argument(
        "name", nargs="?", help="an address (job.support-sft) or one output (job.support-sft.fine_tuned_model)"
    )
    g = p.add_mutually_exclusive_group()
    g.add_argument("--json", "-json", action="store_true", help="print JSON")
    g.add_argument("--raw", "-raw", action="store_true", help="print one string output as it is (for scripts)")
    add_target_flag(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from fineplan.engine import find_output

    values = engine(args).outputs()
    if args.name is None:
        if args.raw:
            raise ConfigError("-raw needs one output, e.g. fineplan output -raw job.NAME.fine_tuned_model")
        _write_all(values, as_json=args.json)
        return 0
    address, attribute, value = find_output(values, args.name)
    if attribute is None:
        if args.raw:
            raise ConfigError(f"-raw needs one output of {address}: one of {', '.join(values[address])}")
        _write_all({address: value}, as_json=args.json)
        return 0
    if args.raw:
        write(_raw(f"{address}.{attribute}", value))
    else:
        write(json.dumps(value, indent=2 if args.json else None) + "\n")
    return 0


def _raw(name: str, value: Any) -> str:
    if value is None:
        raise ConfigError(f"{name} has no value yet (not created or not finished in the state)")
    if isinstance(value, bool):
        return "true\n" if value else "false\n"
    if isinstance(value, str | int | float):
        return f"{value}\n"
    raise ConfigError(f"{name} is not a string, number or boolean; -raw cannot print it (use --json)")


def _write_all(values: dict[str, dict[str, Any]], *, as_json: bool) -> None:
    if as_json:
        write(json.dumps(values, indent=2) + "\n")
        return
    for address, outputs in values.items():
        write(f"{address}:\n")
        width = max((len(k) for k in outputs), default=0)
        for key, val in outputs.items():
            if key == "score_table" and isinstance(val, list):  # an evaluation's scores, as a table
                write("  score_table:\n" + "".join(f"    {line}\n" for line in val) if val else "")
                continue
            write(f"  {key:<{width}} = {json.dumps(val)}\n")
