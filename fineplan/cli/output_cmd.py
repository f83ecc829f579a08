"""`fineplan output`: fine-tuned model names, deployment names and endpoints, from the state."""

from __future__ import annotations

import argparse
import json
from typing import Any

from fineplan.cli.common import write
from fineplan.cli.engine_args import add_target_flag, root


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("output", help="show fine-tuned models and deployment endpoints")
    p.add_argument("name", nargs="?", help="one output, e.g. job.support-sft or deployment.support-dev")
    p.add_argument("--json", "-json", action="store_true")
    add_target_flag(p)
    p.set_defaults(handler=run)


def outputs(engine: Any) -> dict[str, dict[str, Any]]:
    from fineplan.spec.models import AzureTarget

    project = engine.project()
    _, target = engine.target(project)
    state = engine.read_state()
    out: dict[str, dict[str, Any]] = {}
    for address in state.addresses():
        res = state.resources[address]
        if res.kind == "FineTuningJob":
            out[address] = {
                "job_id": res.remote_id,
                "status": res.status,
                "fine_tuned_model": res.attributes.get("fine_tuned_model"),
            }
        elif res.kind == "Deployment":
            endpoint = (
                target.endpoint if isinstance(target, AzureTarget) else "local emulator (fineplan emulator serve)"
            )
            out[address] = {
                "deployment": res.name,
                "account": res.attributes.get("account"),
                "model": res.attributes.get("model"),
                "endpoint": endpoint,
                "type": res.attributes.get("type"),
            }
    return out


def run(args: argparse.Namespace) -> int:
    from fineplan.engine import Engine

    values = outputs(Engine(root(args), args.target_name))
    if args.name:
        if args.name not in values:
            write(f"No output named {args.name!r}.\n")
            return 1
        values = {args.name: values[args.name]}
    if args.json:
        write(json.dumps(values, indent=2) + "\n")
        return 0
    for address, v in values.items():
        shown = ", ".join(f"{k} = {val}" for k, val in v.items() if val is not None)
        write(f"{address}: {shown}\n")
    return 0
