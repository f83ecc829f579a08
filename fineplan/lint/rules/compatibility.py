"""FP3xx: model / method / training type / deployment SKU compatibility, read from the packaged catalog."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from fineplan.catalog import is_fine_tuned_name, load_catalog
from fineplan.diagnostics import Diagnostic, Location, Severity
from fineplan.lint.model_resolution import deployment_model, job_model_info
from fineplan.lint.rule import ProjectRule, Rule
from fineplan.spec.models import Dataset, Deployment, FineTuningJob, JobRef
from fineplan.spec.project import Project, ResourceEntry, dataset_name
from fineplan.spec.pydantic_errors import did_you_mean


def _jobs(project: Project) -> Iterator[tuple[ResourceEntry, FineTuningJob]]:
    for e in project.jobs():
        assert isinstance(e.resource, FineTuningJob)
        yield e, e.resource


def _deployments(project: Project) -> Iterator[tuple[ResourceEntry, Deployment]]:
    for e in project.deployments():
        assert isinstance(e.resource, Deployment)
        yield e, e.resource


class UnknownBaseModel(ProjectRule):
    """The base model is not in fineplan's model catalog.

    What it does
        Checks `base_model` (when it is a name) against the packaged catalog, with a "did you mean".
    Why
        Fine-tuning needs the exact, versioned model name (e.g. `gpt-4.1-mini-2025-04-14`); a typo fails late.
    Example
        `base_model: gpt-4.1-mini` → Did you mean "gpt-4.1-mini-2025-04-14"?
    """

    code = "FP301"
    name = "unknown-base-model"
    group = "compatibility"

    def check(self, project: Project) -> Iterator[Diagnostic]:
        catalog = load_catalog()
        for e, job in _jobs(project):
            base = job.spec.base_model
            if isinstance(base, str) and catalog.model(base) is None:
                hint = did_you_mean(base, list(catalog.models))
                yield self.diag(
                    f"Base model {base!r} is not in the model catalog (as of {catalog.as_of})"
                    + (f". {hint}" if hint else ""),
                    e.location("spec", "base_model"),
                    "Known base models: " + ", ".join(catalog.models),
                )


class MethodNotSupported(ProjectRule):
    """The base model does not support the fine-tuning method.

    What it does
        Checks `method` against the catalog's methods for the (root) base model, following stacked jobs.
    Why
        e.g. DPO is not available on gpt-4o-mini, and o4-mini only takes reinforcement fine-tuning.
    Example
        `base_model: gpt-4o-mini-2024-07-18` with `method: dpo`.
    """

    code = "FP302"
    name = "method-not-supported"
    group = "compatibility"

    def check(self, project: Project) -> Iterator[Diagnostic]:
        catalog = load_catalog()
        for e, job in _jobs(project):
            info = job_model_info(project, catalog, job)
            if info and job.spec.method not in info.methods:
                yield self.diag(
                    f"{info.name} does not support {job.spec.method} fine-tuning",
                    e.location("spec", "method"),
                    f"{info.name} supports: {', '.join(info.methods)}",
                )


class TrainingTypeNotSupported(ProjectRule):
    """The base model cannot be trained with this training type.

    What it does
        Checks `training_type` (standard | global | developer) against the catalog.
    Why
        Azure refuses e.g. Developer training for o4-mini and Standard for OSS models.
    Example
        `base_model: Ministral-3B`, `training_type: standard`.
    """

    code = "FP303"
    name = "training-type-not-supported"
    group = "compatibility"

    def check(self, project: Project) -> Iterator[Diagnostic]:
        catalog = load_catalog()
        for e, job in _jobs(project):
            info = job_model_info(project, catalog, job)
            if info and job.spec.training_type not in info.training_types:
                yield self.diag(
                    f"{info.name} does not support {job.spec.training_type} training",
                    e.location("spec", "training_type")
                    if "training_type" in e.doc.data.get("spec", {})
                    else e.location("spec"),
                    f"{info.name} supports: {', '.join(info.training_types)}",
                )


class RftWithoutGrader(ProjectRule):
    """A reinforcement job has no grader.

    What it does
        Requires `grader` or `grader_file` on `method: reinforcement`.
    Why
        RFT scores samples with the grader; Azure rejects a job without one.
    Example
        An o4-mini job with `method: reinforcement` and no grader.
    """

    code = "FP304"
    name = "rft-without-grader"
    group = "compatibility"

    def check(self, project: Project) -> Iterator[Diagnostic]:
        for e, job in _jobs(project):
            if job.spec.method == "reinforcement" and job.spec.grader is None and job.spec.grader_file is None:
                yield self.diag("Reinforcement fine-tuning needs a grader (grader or grader_file)", e.location("spec"))


class ValidationDataRequired(ProjectRule):
    """The method and model require validation data.

    What it does
        Requires `validation_data` where the catalog says so (RFT on o4-mini).
    Why
        Azure refuses RFT jobs without a validation file.
    Example
        `method: reinforcement` without `validation_data`.
    """

    code = "FP305"
    name = "validation-data-required"
    group = "compatibility"

    def check(self, project: Project) -> Iterator[Diagnostic]:
        catalog = load_catalog()
        for e, job in _jobs(project):
            info = job_model_info(project, catalog, job)
            needs = job.spec.method == "reinforcement" or (info and job.spec.method in info.requires_validation_for)
            if needs and job.spec.validation_data is None:
                split = _split_of(project, dataset_name(job.spec.training_data))
                if not split:
                    yield self.diag(f"{job.spec.method} fine-tuning requires validation_data", e.location("spec"))


def _split_of(project: Project, name: str) -> bool:
    entry = project.get("Dataset", name)
    return bool(entry and isinstance(entry.resource, Dataset) and entry.resource.spec.split)


class GraderOnNonRft(ProjectRule):
    """A grader or response format is given on a job that is not reinforcement fine-tuning.

    What it does
        Flags `grader`, `grader_file`, `response_format`, `response_format_file` outside `method: reinforcement`.
    Why
        They would be silently ignored; the author probably meant an RFT job.
    Example
        `method: supervised` with `grader_file: grader.json`.
    """

    code = "FP306"
    name = "grader-on-non-rft"
    group = "compatibility"

    def check(self, project: Project) -> Iterator[Diagnostic]:
        for e, job in _jobs(project):
            if job.spec.method == "reinforcement":
                continue
            for key in ("grader", "grader_file", "response_format", "response_format_file"):
                if getattr(job.spec, key) is not None:
                    yield self.diag(f"{key} only applies to reinforcement fine-tuning", e.location("spec", key))


class HyperparameterNotForMethod(ProjectRule):
    """A hyperparameter does not apply to the job's method.

    What it does
        e.g. `beta` only applies to DPO; `reasoning_effort` only to RFT.
    Why
        Azure rejects unknown hyperparameters for a method.
    Example
        `method: supervised` with `hyperparameters: {beta: 0.1}`.
    """

    code = "FP307"
    name = "hyperparameter-not-for-method"
    group = "compatibility"

    def check(self, project: Project) -> Iterator[Diagnostic]:
        allowed = load_catalog().method_hyperparameters
        for e, job in _jobs(project):
            for key in job.spec.hyperparameters.given():
                if key not in allowed[job.spec.method]:
                    yield self.diag(
                        f"{key} does not apply to {job.spec.method} fine-tuning",
                        e.location("spec", "hyperparameters", key, key=True),
                        f"{job.spec.method} takes: {', '.join(allowed[job.spec.method])}",
                    )


class HyperparameterOutOfRange(ProjectRule):
    """A hyperparameter is outside the range Azure accepts.

    What it does
        Checks numeric hyperparameters against the catalog's ranges (e.g. learning_rate_multiplier 0.01–10).
    Why
        Azure refuses the job after upload; fineplan says so at plan time.
    Example
        `learning_rate_multiplier: 50`.
    """

    code = "FP308"
    name = "hyperparameter-out-of-range"
    group = "compatibility"

    def check(self, project: Project) -> Iterator[Diagnostic]:
        ranges = load_catalog().hyperparameters
        for e, job in _jobs(project):
            for key, value in job.spec.hyperparameters.given().items():
                r = ranges.get(key, {})
                if value == "auto" or "min" not in r or isinstance(value, str):
                    continue
                if not (r["min"] <= value <= r["max"]):
                    yield self.diag(
                        f"{key} = {value} is outside {r['min']}..{r['max']}",
                        e.location("spec", "hyperparameters", key),
                    )


class InvalidSuffix(ProjectRule):
    """The model suffix is too long or uses characters Azure refuses.

    What it does
        Azure allows at most 40 characters of `[A-Za-z0-9_-]`.
    Why
        The suffix becomes part of the fine-tuned model name.
    Example
        `suffix: "support bot v1"` (spaces).
    """

    code = "FP309"
    name = "invalid-suffix"
    group = "compatibility"

    def check(self, project: Project) -> Iterator[Diagnostic]:
        catalog = load_catalog()
        pattern = re.compile(catalog.suffix_pattern)
        for e, job in _jobs(project):
            s = job.spec.suffix
            if s is None:
                continue
            if len(s) > catalog.suffix_max_length:
                yield self.diag(
                    f"suffix is {len(s)} characters; Azure allows at most {catalog.suffix_max_length}",
                    e.location("spec", "suffix"),
                )
            elif not pattern.match(s):
                yield self.diag("suffix may only use letters, digits, '-' and '_'", e.location("spec", "suffix"))


class DeploymentTypeNotSupported(ProjectRule):
    """The model cannot be deployed with this deployment type.

    What it does
        Checks the deployment `type` against the catalog's deployment types for the model.
    Why
        e.g. o4-mini models have no Developer tier; OSS fine-tunes deploy Global Standard only.
    Example
        `type: developer` for a job on o4-mini-2025-04-16.
    """

    code = "FP310"
    name = "deployment-type-not-supported"
    group = "compatibility"

    def check(self, project: Project) -> Iterator[Diagnostic]:
        catalog = load_catalog()
        for e, dep in _deployments(project):
            info, _ = deployment_model(project, catalog, dep)
            if info and dep.spec.type not in info.deployment_types:
                yield self.diag(
                    f"{info.name} cannot be deployed as {dep.spec.type}",
                    e.location("spec", "type"),
                    f"supported: {', '.join(info.deployment_types)}",
                )


class DeveloperBaseModel(ProjectRule):
    """A Developer deployment of a base (not fine-tuned) model.

    What it does
        Developer tier only hosts fine-tuned models.
    Why
        Azure refuses it; deploy the base model as Standard or Global Standard instead.
    Example
        `model: gpt-4.1-mini-2025-04-14`, `type: developer`.
    """

    code = "FP311"
    name = "developer-base-model"
    group = "compatibility"

    def check(self, project: Project) -> Iterator[Diagnostic]:
        catalog = load_catalog()
        for e, dep in _deployments(project):
            _, fine_tuned = deployment_model(project, catalog, dep)
            if dep.spec.type == "developer" and not fine_tuned:
                yield self.diag("Developer deployments only host fine-tuned models", e.location("spec", "type"))


class DeveloperExpires(ProjectRule):
    """Developer deployments are deleted by Azure after 24 hours.

    What it does
        Warns on every `type: developer` deployment.
    Why
        fineplan will show it as expired drift and recreate it on the next apply; do not serve traffic from it.
    Example
        `type: developer` for evaluation.
    """

    code = "FP312"
    name = "developer-expires"
    group = "compatibility"
    severity = Severity.WARNING

    def check(self, project: Project) -> Iterator[Diagnostic]:
        for e, dep in _deployments(project):
            if dep.spec.type == "developer":
                yield self.diag(
                    f"Developer deployment {dep.name!r} is deleted by Azure 24 h after creation",
                    e.location("spec", "type"),
                )


def _capacity_at(e: ResourceEntry) -> Location | None:
    return e.location("spec", "capacity") if "capacity" in e.doc.data.get("spec", {}) else e.location("spec")


class CapacityInvalid(ProjectRule):
    """Provisioned capacity is below the minimum or not a multiple of the step.

    What it does
        Provisioned deployment types take PTUs from a minimum in steps, per type and model (Azure's PTU table:
        global and data zone provisioned 15 in steps of 5; regional provisioned 25 in steps of 25 for the
        mini and nano models, 50 in steps of 50 for gpt-4o and gpt-4.1).
    Why
        Azure rejects other values.
    Example
        `type: provisioned`, `capacity: 30` for gpt-4.1-mini (25, 50, 75, ... are valid).
    """

    code = "FP313"
    name = "capacity-invalid"
    group = "compatibility"

    def check(self, project: Project) -> Iterator[Diagnostic]:
        catalog = load_catalog()
        for e, dep in _deployments(project):
            info, _ = deployment_model(project, catalog, dep)
            rule = catalog.capacity_rule(dep.spec.type, info)
            c = dep.spec.capacity
            if c < rule.minimum or (c - rule.minimum) % rule.step:
                model = f" for {info.name}" if info and dep.spec.type in info.capacity else ""
                yield self.diag(
                    f"{dep.spec.type} capacity{model} must be at least {rule.minimum} {rule.unit} "
                    f"in steps of {rule.step}",
                    _capacity_at(e),
                )


class CapacityTooLarge(ProjectRule):
    """The capacity is more than one deployment of its type can have.

    What it does
        Bounds `capacity` by its deployment type: provisioned types at 100,000 PTUs per deployment (Azure's
        documented limit); TPM types (units of 1,000 tokens per minute) at 150,000, the largest quota Azure
        documents for any model and tier (approximate: your subscription's quota is the real limit).
    Why
        Azure refuses the deployment, and only at apply, after the jobs it serves have trained (and cost).
    Example
        `capacity: 99999999999999999999999`, or `type: global_provisioned`, `capacity: 150000`.
    """

    code = "FP330"
    name = "capacity-too-large"
    group = "compatibility"

    def check(self, project: Project) -> Iterator[Diagnostic]:
        catalog = load_catalog()
        for e, dep in _deployments(project):
            rule = catalog.capacity_rule(dep.spec.type)
            if dep.spec.capacity > rule.maximum:
                yield self.diag(
                    f"{dep.spec.type} capacity {dep.spec.capacity:,} is more than one deployment can have "
                    f"({rule.maximum:,} {rule.unit})",
                    _capacity_at(e),
                    "Azure refuses the deployment at apply, after the jobs it serves have trained.",
                )


class CapacityOverDefaultQuota(ProjectRule):
    """The capacity is more than the model's default quota for its deployment type.

    What it does
        Compares `capacity` with the Default-tier quota Azure documents for the model and type (catalog,
        approximate: e.g. 5,000 = 5 M TPM of Global Standard for gpt-4.1-mini, 1,000 for gpt-4.1). A warning:
        subscriptions can have more.
    Why
        A deployment over the subscription's quota fails with InsufficientQuota; check the quota (or request
        more) before apply trains the jobs the deployment serves.
    Example
        `model: {job: sft}` on gpt-4.1, `type: global_standard`, `capacity: 2000`.
    """

    code = "FP331"
    name = "capacity-over-default-quota"
    group = "compatibility"
    severity = Severity.WARNING

    def check(self, project: Project) -> Iterator[Diagnostic]:
        catalog = load_catalog()
        for e, dep in _deployments(project):
            info, _ = deployment_model(project, catalog, dep)
            rule = catalog.capacity_rule(dep.spec.type, info)
            quota = rule.default_quota
            if info is not None and quota is not None and quota < dep.spec.capacity <= rule.maximum:
                yield self.diag(
                    f"{dep.spec.type} capacity {dep.spec.capacity:,} {rule.unit} is over the default quota of "
                    f"{quota:,} for {info.name} (Azure's Default tier; approximate)",
                    _capacity_at(e),
                    "The deployment fails with InsufficientQuota unless the subscription's quota was raised.",
                )


class AccountRefusesDeployment(Rule):
    """The account would refuse the deployment request (SKU, capacity range or quota).

    What it does
        At plan time, before anything is spent, asks the account what it can deploy (ARM `accounts/{a}/models`:
        each model's SKUs and their capacity ranges, the maximum following the account's quota) and adds up the
        capacity of the account's deployments per SKU (those the plan keeps and those it creates or changes).
        Raised by `fineplan plan` (it needs Azure); a warning when the account's models cannot be read.
    Why
        A deployment Azure refuses fails at apply after the jobs it serves have trained and been paid for;
        apply refuses such a plan before uploading or training anything.
    Example
        `type: global_standard`, `capacity: 1500` in an account whose GlobalStandard quota is 1,000.
    """

    code = "FP332"
    name = "account-refuses-deployment"
    group = "compatibility"


class CheckpointStepMissing(Rule):
    """A deployment asks for a checkpoint step its trained job does not have.

    What it does
        At plan time, once the job has trained, looks the step of `model: {job: NAME, checkpoint: STEP}` up in
        the job's checkpoints (the checkpoints API, one per epoch). Raised by `fineplan plan` (it needs the
        trained job); before the job has trained the checkpoint is known after apply.
    Why
        Azure deploys only checkpoints that exist (the final one and the two before it); apply refuses such a
        plan instead of failing at the deployment.
    Example
        `checkpoint: 7` on a job whose checkpoints are at steps 6, 12 and 18.
    """

    code = "FP334"
    name = "checkpoint-step-missing"
    group = "compatibility"


_FORMAT_FOR = {"supervised": "chat", "dpo": "preference", "reinforcement": "reinforcement"}


class DatasetFormatMismatch(ProjectRule):
    """A job's dataset has the wrong format for its method.

    What it does
        supervised needs chat, dpo needs preference, reinforcement needs reinforcement datasets.
    Why
        Azure would reject the file after upload and a wait.
    Example
        `method: dpo` with `training_data` pointing at a chat dataset.
    """

    code = "FP314"
    name = "dataset-format-mismatch"
    group = "compatibility"

    def check(self, project: Project) -> Iterator[Diagnostic]:
        for e, job in _jobs(project):
            want = _FORMAT_FOR[job.spec.method]
            for field in ("training_data", "validation_data"):
                ref = getattr(job.spec, field)
                if ref is None:
                    continue
                ds = project.get("Dataset", dataset_name(ref))
                if ds and isinstance(ds.resource, Dataset) and ds.resource.spec.format != want:
                    yield self.diag(
                        f"{job.spec.method} needs a {want} dataset; {ds.name!r} is {ds.resource.spec.format}",
                        e.location("spec", field),
                    )


class TooManyFineTunedDeployments(ProjectRule):
    """More fine-tuned deployments in one account than Azure allows (5).

    What it does
        Counts deployments of fine-tuned models per account.
    Why
        Azure refuses the sixth.
    Example
        Six deployments of job outputs in the default account.
    """

    code = "FP315"
    name = "too-many-fine-tuned-deployments"
    group = "compatibility"

    def check(self, project: Project) -> Iterator[Diagnostic]:
        limit = load_catalog().limits["fine_tuned_deployments_per_resource"]
        per_account: Counter[str] = Counter()
        for e, dep in _deployments(project):
            if isinstance(dep.spec.model, JobRef) or is_fine_tuned_name(dep.spec.model):
                account = dep.spec.account or "(default)"
                per_account[account] += 1
                if per_account[account] == limit + 1:
                    yield self.diag(
                        f"More than {limit} fine-tuned deployments in account {account}",
                        e.location("name"),
                    )


class GateWithoutJob(ProjectRule):
    """A deployment gate bounds job metrics on a model that is not a job's output.

    What it does
        The metric bounds of `gate` (losses, token accuracies, reward) read the final metrics of the job behind
        `model: {job: ...}`; a base model has none. A gate with only `evaluation` is fine on any model.
    Why
        The gate could never pass or fail meaningfully.
    Example
        `model: gpt-4.1-mini-2025-04-14` with `gate: {max_valid_loss: 1.0}`.
    """

    code = "FP316"
    name = "gate-without-job"
    group = "compatibility"

    def check(self, project: Project) -> Iterator[Diagnostic]:
        for e, dep in _deployments(project):
            gate = dep.spec.gate
            if (
                gate is not None
                and gate.model_dump(exclude={"evaluation"}, exclude_none=True)
                and not isinstance(dep.spec.model, JobRef)
            ):
                yield self.diag("gate needs `model: {job: NAME}`", e.location("spec", "gate"))


class ValidationGateWithoutData(ProjectRule):
    """A gate bounds validation metrics, but the job has no validation data.

    What it does
        `max_valid_loss` / `min_valid_token_accuracy` need the job to have validation_data (or a split dataset).
    Why
        Without validation data those metrics do not exist and the gate would block forever.
    Example
        `gate: {max_valid_loss: 1.0}` on a job without validation_data.
    """

    code = "FP317"
    name = "validation-gate-without-data"
    group = "compatibility"

    def check(self, project: Project) -> Iterator[Diagnostic]:
        for e, dep in _deployments(project):
            gate, model = dep.spec.gate, dep.spec.model
            if gate is None or not isinstance(model, JobRef):
                continue
            wants_valid = any(
                v is not None for v in (gate.max_valid_loss, gate.min_valid_token_accuracy, gate.min_valid_reward)
            )
            job_entry = project.get("FineTuningJob", model.job)
            if not wants_valid or job_entry is None or not isinstance(job_entry.resource, FineTuningJob):
                continue
            job = job_entry.resource
            if job.spec.validation_data is None and not _split_of(project, dataset_name(job.spec.training_data)):
                yield self.diag(
                    f"gate bounds validation metrics but job {job.name!r} has no validation data",
                    e.location("spec", "gate"),
                )


class UnknownIgnoreChanges(ProjectRule):
    """`lifecycle.ignore_changes` names an attribute the resource does not have.

    What it does
        Checks each entry against the resource's spec fields.
    Why
        A misspelt entry silently ignores nothing.
    Example
        `ignore_changes: [capcity]`.
    """

    code = "FP318"
    name = "unknown-ignore-changes"
    group = "compatibility"

    def check(self, project: Project) -> Iterator[Diagnostic]:
        for e in project.entries.values():
            fields = list(type(e.resource.spec).model_fields)
            for i, attr in enumerate(e.resource.lifecycle.ignore_changes):
                if attr.split(".")[0] not in fields:
                    hint = did_you_mean(attr, fields)
                    yield self.diag(
                        f"ignore_changes names unknown attribute {attr!r}" + (f". {hint}" if hint else ""),
                        e.location("lifecycle", "ignore_changes", i),
                    )


# Azure's job metadata limits, and what fineplan adds to every job it creates (address, digest, project, op id).
_METADATA_MAX_PAIRS = 16
_METADATA_MAX_KEY = 64
_METADATA_MAX_VALUE = 512
_FINEPLAN_METADATA_PAIRS = 4


class InvalidJobMetadata(ProjectRule):
    """Job metadata uses a reserved `fineplan_` key or exceeds Azure's limits.

    What it does
        Checks `metadata` on FineTuningJobs: keys starting with `fineplan_` are fineplan's own, at most
        16 pairs in all (fineplan adds 4, so 12 are yours), keys up to 64 and values up to 512 characters.
    Why
        fineplan finds its jobs again by these tags after a crash or a lost state; a user key that shadows one
        would break adoption, and Azure rejects oversized metadata only after the files are uploaded.
    Example
        `metadata: {fineplan_address: mine}` → rename the key, e.g. `team_address`.
    """

    code = "FP319"
    name = "invalid-job-metadata"
    group = "compatibility"

    def check(self, project: Project) -> Iterator[Diagnostic]:
        room = _METADATA_MAX_PAIRS - _FINEPLAN_METADATA_PAIRS
        for e, job in _jobs(project):
            meta = job.spec.metadata
            for key, value in meta.items():
                where = e.location("spec", "metadata", key, key=True)
                if key.startswith("fineplan_"):
                    yield self.diag(f"metadata key {key!r} is reserved: fineplan_* keys are fineplan's own", where)
                elif len(key) > _METADATA_MAX_KEY:
                    yield self.diag(f"metadata key is {len(key)} characters; Azure allows {_METADATA_MAX_KEY}", where)
                if len(value) > _METADATA_MAX_VALUE:
                    yield self.diag(
                        f"metadata value of {key!r} is {len(value)} characters; Azure allows {_METADATA_MAX_VALUE}",
                        e.location("spec", "metadata", key),
                    )
            if len(meta) > room:
                yield self.diag(
                    f"{len(meta)} metadata pairs; at most {room} fit (Azure allows {_METADATA_MAX_PAIRS}, "
                    f"fineplan uses {_FINEPLAN_METADATA_PAIRS})",
                    e.location("spec", "metadata"),
                )


class ReservedDeploymentTag(ProjectRule):
    """A deployment tag uses the reserved `fineplan-` prefix.

    What it does
        Flags `tags` keys on Deployments that start with `fineplan-`.
    Why
        fineplan tags every deployment it creates with its address and inputs digest (`fineplan-address`, ...)
        so state can be rebuilt from Azure; a user tag with the same key would be overwritten or mislead it.
    Example
        `tags: {fineplan-owner: me}` → `tags: {owner: me}`.
    """

    code = "FP320"
    name = "reserved-deployment-tag"
    group = "compatibility"

    def check(self, project: Project) -> Iterator[Diagnostic]:
        for e, dep in _deployments(project):
            for key in dep.spec.tags:
                if key.lower().startswith("fineplan-"):
                    yield self.diag(
                        f"tag {key!r} is reserved: fineplan-* tags are fineplan's own",
                        e.location("spec", "tags", key, key=True),
                    )


class DeploymentUnavailableInRegion(ProjectRule):
    """A fine-tuned deployment's type is not offered for its model in its account's region.

    What it does
        Looks up the region the default target declares for the deployment's account (`region` of the target
        for its default account, `region` under `accounts:` for the others) in the region table
        (`fineplan/catalog/regions.yaml`, from Microsoft's "Deploy a fine-tuned model" page) for the
        deployment type and the catalog model the deployment's model was fine-tuned from. Accounts without a
        declared region, regions the table does not know and base-model deployments are not checked.
    Why
        Azure refuses the deployment ("The specified SKU … is not supported in this region") only at apply,
        after the jobs it serves have trained and been paid for.
    Example
        `type: standard` for a gpt-4.1-mini fine-tune in an account declared `region: eastus2` (Standard
        fine-tuned deployments of it are offered in northcentralus and swedencentral only).
    """

    code = "FP333"
    name = "deployment-unavailable-in-region"
    group = "compatibility"

    def check(self, project: Project) -> Iterator[Diagnostic]:
        from fineplan.catalog import fine_tuned_base
        from fineplan.catalog.regions import Availability, load_regions
        from fineplan.spec.models import LocalTarget, target_accounts

        settings = project.settings
        target = settings.targets.get(settings.default_target) or LocalTarget()
        accounts = target_accounts(target)
        regions = load_regions()
        catalog = load_catalog()
        for e, dep in _deployments(project):
            account = dep.spec.account or target.account
            declared = accounts.get(account)
            region = declared.region if declared is not None else None
            if not region:
                continue
            info, fine_tuned = deployment_model(project, catalog, dep)
            base = info.name if info is not None else None
            if isinstance(dep.spec.model, str) and is_fine_tuned_name(dep.spec.model):
                base = fine_tuned_base(dep.spec.model)
            if not fine_tuned or base is None:
                continue
            if regions.fine_tuned_deployment(dep.spec.type, base, region) is not Availability.UNAVAILABLE:
                continue
            offered = sorted(regions.fine_tuned_regions(dep.spec.type, base) or ())
            where = f"offered in: {', '.join(offered)}" if offered else "offered in no region"
            yield self.diag(
                f"{dep.spec.type} deployments of models fine-tuned from {base} are not offered in {region} "
                f"(account {account}); {where}",
                e.location("spec", "type") if "type" in e.doc.data.get("spec", {}) else e.location("spec"),
                f"Regions as of {regions.as_of} ({regions.source}). Choose another type (global_standard and "
                "developer are offered in every region for most models) or an account in one of those regions.",
            )
