"""`fineplan import ADDRESS ID`: adopt an existing Azure object into state.

ID is a file id (file-…) for a dataset's training file, a job id (ftjob-…), or a deployment name
(ACCOUNT/NAME or NAME in the default account). The object is recorded with the inputs digest of the current
spec (fineplan cannot read training data back from Azure), so the next plan compares attributes it can see.
"""

from __future__ import annotations

import argparse

from fineplan.cli.common import write
from fineplan.cli.engine_args import add_target_flag, root
from fineplan.errors import ConfigError, StateError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("import", help="adopt an existing Azure object into state")
    p.add_argument("address")
    p.add_argument("id")
    add_target_flag(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from fineplan.engine import Engine
    from fineplan.plan.desired import compute_desired
    from fineplan.plan.records import dataset_record, deployment_record, file_entry, job_record

    if not args.id.strip():
        raise ConfigError("import needs a non-empty ID (a file-…, ftjob-… or deployment name)")

    def do_import(state, project, provider):  # type: ignore[no-untyped-def]
        if args.address in state.resources:
            raise StateError(f"{args.address} is already managed (state rm it first)")
        desired = compute_desired(project, with_stats=False, default_account=provider.default_account)
        want = desired.get(args.address)
        if want is None:
            raise StateError(f"{args.address} is not declared in the specs")
        if want.kind == "FineTuningJob":
            job = provider.get_job(args.id)
            if job is None:
                raise StateError(f"no job {args.id}")
            res = job_record(want, job)
        elif want.kind == "Deployment":
            # ACCOUNT/NAME, NAME, or the full ARM id that `fineplan show` prints (…/accounts/A/deployments/N).
            account, _, name = args.id.rpartition("/")
            account = account.rpartition("/accounts/")[2].removesuffix("/deployments") or provider.default_account
            dep = provider.get_deployment(account, name)
            if dep is None:
                raise StateError(f"no deployment {name} in account {account}")
            res = deployment_record(want, dep)
        else:
            files = {f.id: f for f in provider.list_files()}
            f = files.get(args.id)
            if f is None:
                raise StateError(f"no file {args.id}")
            res = dataset_record(want, {"train": file_entry(f, want.parts["train"].digest)})
        for released in [res.remote_id, *(f["id"] for f in res.attributes.get("files", {}).values())]:
            if released in state.forgotten:
                state.forgotten.remove(released)
        state.put(res)
        return f"Imported {args.id} as {args.address}."

    write(Engine(root(args), args.target_name).mutate_state("import", do_import, needs_provider=True) + "\n")
    return 0
