"""`fineplan show [PLANFILE]`: the state, or a saved plan.

The state is shown one resource at a time, each field once (a record's status is not repeated from its
attributes), times as ISO 8601 in UTC (Azure hands out epoch seconds). `--json` prints the state document itself.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fineplan.cli.common import engine, write
from fineplan.cli.engine_args import add_target_flag


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("show", help="show the state, or a saved plan")
    p.add_argument("planfile", nargs="?")
    p.add_argument("--json", "-json", action="store_true")
    add_target_flag(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from fineplan.engine import load_plan_file

    if args.planfile:
        plan = load_plan_file(Path(args.planfile))
        from fineplan.cli.plan_cmd import render_plan

        write(render_plan(plan, "json" if args.json else "human"))
        return 0
    state = engine(args).read_state()
    if args.json:
        write(state.to_json().decode("utf-8"))
        return 0
    if not state.resources:
        write("The state is empty. No resources are managed.\n")
        return 0
    for address in state.addresses():
        res = state.resources[address]
        fields: dict[str, Any] = {
            "remote_id": res.remote_id,
            "status": res.status,
            "inputs_digest": res.inputs_digest[:16],
            "created_at": res.created_at,
            "updated_at": res.updated_at,
        }
        for k, v in sorted(res.attributes.items()):
            if k not in fields and k != "inputs" and v not in (None, {}, ""):
                fields[k] = v
        write(f"# {address}\n")
        width = max(len(k) for k in fields)
        for k, v in fields.items():
            write(f"    {k:<{width}} = {_shown(k, v)}\n")
        write("\n")
    for old in state.superseded:
        write(f"# {old.record.address} (superseded: {old.what}, kept since {_iso(old.since)})\n\n")
    return 0


def _shown(key: str, value: Any) -> str:
    if isinstance(value, datetime) or (key.endswith("_at") and isinstance(value, int | float) and value > 0):
        return _iso(value)
    if isinstance(value, str):
        return value
    return json.dumps(value, default=str)


def _iso(value: datetime | float) -> str:
    """2026-11-02T09:15:00Z: UTC, to the second (as Azure's own timestamps read)."""
    moment = value if isinstance(value, datetime) else datetime.fromtimestamp(float(value), UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
