"""`fineplan apply [PLANFILE]`: make it so, waiting for training with progress."""

from __future__ import annotations

import argparse
from pathlib import Path

from fineplan.cli.common import write
from fineplan.cli.engine_args import add_plan_flags, confirm_on_terminal, non_negative, plan_options, root


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("apply", help="apply the changes (or a saved plan)")
    p.add_argument("planfile", nargs="?", help="a plan saved with `plan -out`")
    add_plan_flags(p)
    add_apply_flags(p)
    p.set_defaults(handler=run)


def add_apply_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--auto-approve", "-auto-approve", action="store_true", help="skip the confirmation prompt")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--wait", dest="wait", action="store_true", default=True, help="wait for training (default)")
    g.add_argument("--no-wait", dest="wait", action="store_false", help="submit jobs and exit; re-run to continue")
    p.add_argument(
        "--timeout", type=non_negative, metavar="SECONDS", help="give up waiting after this long (state is kept)"
    )


def run(args: argparse.Namespace, *, destroy: bool = False) -> int:
    from fineplan.cli.plan_cmd import render_plan
    from fineplan.cli.progress import progress_sink
    from fineplan.engine import ApplyStatus, Engine, load_plan_file
    from fineplan.plan.model import Plan
    from fineplan.render.retries import retry_line

    saved = load_plan_file(Path(args.planfile)) if getattr(args, "planfile", None) else None
    with progress_sink() as sink:
        engine = Engine(root(args), args.target_name, events=sink, max_cost=args.max_cost, lock=args.lock)

        def confirm(plan: Plan) -> bool:
            write(render_plan(plan, "human"))
            if args.auto_approve:
                return True
            verb = "destroy all resources" if destroy else "perform these actions"
            return confirm_on_terminal(f"\nDo you want to {verb}? Only 'yes' will be accepted: ")

        result = engine.apply(
            options=plan_options(args, destroy=destroy),
            saved_plan=saved,
            confirm=confirm,
            wait=args.wait,
            timeout=args.timeout,
        )
    retried = retry_line(result.retries)
    if result.status is ApplyStatus.NO_CHANGES:
        write(render_plan(result.plan, "human") + (f"\n{retried}.\n" if retried else ""))
        return 0
    if result.status is ApplyStatus.CANCELLED:
        write("Apply cancelled.\n")
        return 1
    counts = result.counts()
    verb = "Destroy" if destroy else "Apply"
    status = "complete" if result.ok else "failed"
    write(
        f"\n{verb} {status}! Resources: {counts['added']} added, {counts['changed']} changed, "
        f"{counts['destroyed']} destroyed"
        + (f" ({counts['kept']} replaced kept until what still uses them is done)" if counts["kept"] else "")
        + ".\n"
    )
    for address, reason in result.skipped.items():
        write(f"  skipped {address}: {reason}\n")
    for address, error in result.failed.items():
        write(f"  FAILED {address}: {error}\n")
    if retried:
        write(f"{retried}.\n")
    return 0 if result.ok else 1
