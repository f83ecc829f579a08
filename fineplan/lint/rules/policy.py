"""FP5xx policy guards the plan builder raises (the budget rules live in cost.py). Documented here for the registry."""

from __future__ import annotations

from fineplan.diagnostics import Severity
from fineplan.lint.rule import Rule


class PreventDestroy(Rule):
    """The plan would delete or replace a resource protected by `lifecycle.prevent_destroy`.

    What it does
        Turns any delete or replace of a resource whose spec sets `lifecycle: {prevent_destroy: true}` into a
        plan error, naming the resource and the action.
    Why
        Replacing a job retrains it (time and money) and deleting it deletes its fine-tuned model; a production
        model should never go because a spec was edited or a file was removed by accident.
    Example
        A job with `prevent_destroy: true` whose `training_data` changed → FP503. Remove `prevent_destroy` first if
        retraining is really intended, or add the changed field to `ignore_changes`.
    """

    code = "FP503"
    name = "prevent-destroy"
    group = "cost"
    severity = Severity.ERROR
