"""Rules about the accounts deployments name (`account:`) and the accounts targets declare (`accounts:`)."""

from __future__ import annotations

from collections.abc import Iterator

from fineplan.diagnostics import Diagnostic
from fineplan.lint.rule import ProjectRule
from fineplan.spec.models import AzureTarget, Deployment, LocalTarget, target_accounts
from fineplan.spec.project import Project
from fineplan.spec.pydantic_errors import did_you_mean


class UnknownDeploymentAccount(ProjectRule):
    """A deployment names an account its target does not declare.

    What it does
        Checks a deployment's `account` against every target whose accounts are a closed set: an Azure target
        (its `account` and `accounts`), and a local target that lists `accounts` (the embedded emulator then
        serves exactly those). A local target without `accounts` is not checked: its emulator serves any account
        in open mode, or the accounts its data dir's emulator.yaml declares.
    Why
        fineplan needs the account's resource group (and subscription) to reach it through ARM; `plan` would stop
        with an error that points at no file, after the project has been read and the target refreshed.
    Example
        `account: prod` when the target lists `accounts: {production: rg-serving}`.
    """

    code = "FP205"
    name = "unknown-deployment-account"
    group = "references"

    def check(self, project: Project) -> Iterator[Diagnostic]:
        closed = {
            name: target
            for name, target in project.settings.targets.items()
            if isinstance(target, AzureTarget) or (isinstance(target, LocalTarget) and target.accounts)
        }
        if not closed:
            return
        for e in project.deployments():
            assert isinstance(e.resource, Deployment)
            account = e.resource.spec.account
            if not account:
                continue
            for target_name, target in closed.items():
                known = list(target_accounts(target))
                if account in known:
                    continue
                hint = did_you_mean(account, known)
                yield self.diag(
                    f"account {account!r} is not an account of target {target_name} (its accounts: {', '.join(known)})",
                    e.location("spec", "account"),
                    f"{hint + ' ' if hint else ''}Add it under `targets.{target_name}.accounts` with its resource "
                    "group, or as {resource_group, subscription_id, region}.",
                )
