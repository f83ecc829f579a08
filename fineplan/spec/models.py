"""Pydantic models of the spec language. Frozen, `extra="forbid"`: unknown keys are errors with "did you mean"."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    Tag,
    field_validator,
    model_validator,
)

from fineplan.resource import Kind

NAME_PATTERN = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"

DatasetFormat = Literal["chat", "preference", "reinforcement"]
Method = Literal["supervised", "dpo", "reinforcement"]
TrainingType = Literal["standard", "global", "developer"]
DeploymentTypeName = Literal[
    "developer", "standard", "global_standard", "data_zone_standard", "provisioned", "global_provisioned"
]
VersionUpgrade = Literal["no_auto_upgrade", "once_new_default_version_available", "once_current_version_expired"]
Auto = Literal["auto"]
# Numbers and booleans are strict: YAML 1.1 reads `yes`/`on` as true, and a lax int would turn it into 1.
# Floats are finite: YAML's `.nan` passes every range check (comparisons with NaN are false) and `.inf` every
# lower bound, and neither survives the JSON Azure is sent.
Int = StrictInt
Float = Annotated[StrictFloat, Field(allow_inf_nan=False)]
Bool = StrictBool


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# ---------------------------------------------------------------- shared


class Lifecycle(Strict):
    """Guards on how fineplan may change a resource."""

    prevent_destroy: Bool = Field(False, description="Refuse any plan that would delete or replace this resource.")
    ignore_changes: tuple[str, ...] = Field(
        (), description="Spec attributes whose differences from the remote object are ignored (e.g. capacity)."
    )


class JobRef(Strict):
    """A reference to the fine-tuned model a FineTuningJob produces (known after it trains)."""

    job: str = Field(pattern=NAME_PATTERN)


class CheckpointRef(JobRef):
    """A job's fine-tuned model, or one of its checkpoints (`fine_tuned_model_checkpoint` of the checkpoints API):
    `best` (lowest validation loss, else lowest training loss), `last`, or a step number."""

    checkpoint: Literal["best", "last"] | Annotated[StrictInt, Field(ge=1)] | None = Field(
        None, description="best | last | STEP: deploy that checkpoint's model instead of the job's final model."
    )


class DatasetRef(Strict):
    """A reference to one part of a Dataset. Without `split`, a split dataset gives its train part to
    `training_data` and its validation part to `validation_data`."""

    dataset: str = Field(pattern=NAME_PATTERN)
    split: Literal["train", "validation"] | None = None


def _name_or_ref(value: Any) -> str:
    # Pick the union member by input shape so errors speak about the member the user meant.
    return "by-ref" if isinstance(value, dict | BaseModel) else "by-name"


ModelOrJob = Annotated[Annotated[str, Tag("by-name")] | Annotated[JobRef, Tag("by-ref")], Discriminator(_name_or_ref)]
ModelOrCheckpoint = Annotated[
    Annotated[str, Tag("by-name")] | Annotated[CheckpointRef, Tag("by-ref")], Discriminator(_name_or_ref)
]
DatasetOrRef = Annotated[
    Annotated[str, Field(pattern=NAME_PATTERN), Tag("by-name")] | Annotated[DatasetRef, Tag("by-ref")],
    Discriminator(_name_or_ref),
]


# ---------------------------------------------------------------- Dataset


class Transform(Strict):
    """Convert raw rows into the dataset's format before validation and upload."""

    from_: Literal["prompt_response", "prompt_completion", "preference"] = Field(alias="from")
    prompt_field: str = "prompt"
    response_field: str | None = Field(None, description="prompt_response: the field holding the answer.")
    completion_field: str | None = Field(None, description="prompt_completion: the field holding the answer.")
    chosen_field: str = Field("chosen", description="preference: the preferred answer's field.")
    rejected_field: str = Field("rejected", description="preference: the non-preferred answer's field.")
    system_message: str | None = None


class Split(Strict):
    """A deterministic train/validation split, stable when rows are appended."""

    validation: Float = Field(gt=0.0, lt=1.0, description="Share of rows that go to validation.")
    seed: Int = Field(0, ge=0, le=2147483647)


class DatasetSpec(Strict):
    path: str = Field(description="JSONL file relative to the project root (never outside it).")
    format: DatasetFormat = "chat"
    transform: Transform | None = None
    split: Split | None = None


# ---------------------------------------------------------------- FineTuningJob

HyperValue = int | float | str


class Hyperparameters(Strict):
    n_epochs: Int | Auto | None = None
    batch_size: Int | Auto | None = None
    learning_rate_multiplier: Float | Auto | None = None
    beta: Float | Auto | None = None
    l2_multiplier: Float | Auto | None = None
    reasoning_effort: Literal["default", "low", "medium", "high"] | None = None
    compute_multiplier: Float | Auto | None = None
    eval_interval: Int | Auto | None = None
    eval_samples: Int | Auto | None = None

    def given(self) -> dict[str, Any]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


class FineTuningJobSpec(Strict):
    base_model: ModelOrJob = Field(description="A catalog base model, or {job: NAME} to stack on a job's result.")
    method: Method = "supervised"
    training_data: DatasetOrRef
    validation_data: DatasetOrRef | None = None
    hyperparameters: Hyperparameters = Hyperparameters()
    training_type: TrainingType = "global"
    suffix: str | None = None
    seed: Int | None = Field(None, ge=0, le=2147483647)
    grader: dict[str, Any] | None = Field(None, description="RFT grader, exactly as Azure takes it.")
    grader_file: str | None = Field(None, description="RFT grader JSON file, relative to the project root.")
    response_format: dict[str, Any] | None = Field(None, description="RFT JSON-schema response format.")
    response_format_file: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict, description="Extra job metadata (fineplan adds its own).")

    @model_validator(mode="after")
    def _one_grader_source(self) -> FineTuningJobSpec:
        if self.grader is not None and self.grader_file is not None:
            raise ValueError("give either grader or grader_file, not both")
        if self.response_format is not None and self.response_format_file is not None:
            raise ValueError("give either response_format or response_format_file, not both")
        return self


# ---------------------------------------------------------------- Deployment


class EvaluationGate(Strict):
    """Deploy only when an Evaluation of this deployment's model passes: minimum scores per grader, and/or
    "beats subject X by at least D" on each compared grader."""

    evaluation: str = Field(pattern=NAME_PATTERN, description="The Evaluation whose results decide.")
    subject: str | None = Field(
        None,
        description="The evaluation's subject that stands for this deployment's model. Default: the one whose "
        "deployment serves the same model.",
    )
    min_score: dict[str, Float] = Field(default_factory=dict, description="Grader name -> minimum mean score.")
    min_pass_rate: dict[str, Annotated[Float, Field(ge=0.0, le=1.0)]] = Field(
        default_factory=dict, description="Grader name -> minimum share of items that pass."
    )
    beats: str | None = Field(None, description="Another subject (e.g. the base model) this one must beat.")
    by: Float = Field(0.0, ge=0.0, description="The margin of `beats`, in score points, per grader.")
    graders: tuple[str, ...] = Field((), description="The graders `beats` compares; default: every grader.")

    @model_validator(mode="after")
    def _asks_something(self) -> EvaluationGate:
        if not self.min_score and not self.min_pass_rate and self.beats is None:
            raise ValueError("an evaluation gate needs min_score, min_pass_rate or beats")
        if self.beats is not None and self.beats == self.subject:
            raise ValueError("a subject cannot be required to beat itself")
        return self


class Gate(Strict):
    """Deploy only when the job's final metrics pass every given bound (and the evaluation, if given, passes)."""

    max_train_loss: Float | None = None
    max_valid_loss: Float | None = None
    min_train_token_accuracy: Float | None = None
    min_valid_token_accuracy: Float | None = None
    min_valid_reward: Float | None = None
    evaluation: EvaluationGate | None = None


class DeploymentSpec(Strict):
    model: ModelOrCheckpoint = Field(
        description="A base model name, or {job: NAME} for a job's fine-tuned model "
        "({job: NAME, checkpoint: best | last | STEP} for one of its checkpoints)."
    )
    type: DeploymentTypeName = "standard"
    capacity: Int = Field(
        1, ge=1, le=2_147_483_647, description="Thousands of tokens per minute, or PTUs (ARM: an int32)."
    )
    rai_policy: str | None = None
    version_upgrade: VersionUpgrade = "no_auto_upgrade"
    gate: Gate | None = None
    account: str | None = Field(None, description="Deploy into this account of the target instead of its default.")
    tags: dict[str, str] = Field(default_factory=dict)


# ---------------------------------------------------------------- Evaluation


class EvaluationSubject(Strict):
    """What an evaluation samples: a declared Deployment (Azure's Evals API samples deployments, so a base model
    is evaluated through a deployment of it)."""

    deployment: str = Field(pattern=NAME_PATTERN)


class Sampling(Strict):
    temperature: Float = Field(0.0, ge=0.0, le=2.0)
    max_completion_tokens: Int = Field(512, ge=1, le=100_000)
    top_p: Float | None = Field(None, gt=0.0, le=1.0)
    seed: Int | None = Field(None, ge=0, le=2147483647)


class EvaluationSpec(Strict):
    """Run held-out test data through each subject and grade the answers (Azure's Evals API, server-side).

    Each test row becomes one eval item: a `chat` row gives `item.messages` (the conversation before its last
    assistant turn) and `item.reference` (that turn's text); a `reinforcement` row gives `item.messages` and every
    other top-level field. Graders read `{{item.*}}` and `{{sample.output_text}}` / `{{sample.output_json.*}}`.
    """

    data: DatasetOrRef = Field(description="The test Dataset (format chat or reinforcement), or one part of it.")
    graders: tuple[dict[str, Any], ...] = Field(
        (),
        description="Graders exactly as RFT takes them (string_check, text_similarity, score_model, "
        "label_model, python, multi), each with a unique `name`.",
    )
    graders_file: str | None = Field(None, description="A JSON file holding a grader or a list of graders.")
    subjects: dict[str, EvaluationSubject] = Field(
        min_length=1, description="Subject name -> what is evaluated, e.g. tuned and base."
    )
    sampling: Sampling = Sampling()

    @model_validator(mode="after")
    def _one_grader_source(self) -> EvaluationSpec:
        if self.graders and self.graders_file is not None:
            raise ValueError("give either graders or graders_file, not both")
        if not self.graders and self.graders_file is None:
            raise ValueError("give graders or graders_file")
        return self

    @field_validator("subjects")
    @classmethod
    def _subject_names(cls, subjects: dict[str, EvaluationSubject]) -> dict[str, EvaluationSubject]:
        for key in subjects:
            if not re.fullmatch(NAME_PATTERN, key):
                raise ValueError(f"subject name {key!r} must be a lower-case DNS label")
        return subjects


# ---------------------------------------------------------------- documents


class _Resource(Strict):
    name: str = Field(pattern=NAME_PATTERN, description="Lower-case DNS label, unique per kind.")
    lifecycle: Lifecycle = Lifecycle()
    schema_: str | None = Field(None, alias="$schema", description="Optional JSON Schema hint for editors.")


class Dataset(_Resource):
    kind: Literal["Dataset"]
    spec: DatasetSpec


class FineTuningJob(_Resource):
    kind: Literal["FineTuningJob"]
    spec: FineTuningJobSpec


class Deployment(_Resource):
    kind: Literal["Deployment"]
    spec: DeploymentSpec


class Evaluation(_Resource):
    kind: Literal["Evaluation"]
    spec: EvaluationSpec


Resource = Annotated[Dataset | FineTuningJob | Deployment | Evaluation, Field(discriminator="kind")]
KINDS: dict[str, type[_Resource]] = {
    Kind.DATASET: Dataset,
    Kind.JOB: FineTuningJob,
    Kind.DEPLOYMENT: Deployment,
    Kind.EVALUATION: Evaluation,
}
ADDRESS_PREFIX = {kind.value: kind.prefix for kind in Kind}


def address_of(kind: str, name: str) -> str:
    return Kind(kind).address(name)


# ---------------------------------------------------------------- fineplan.yaml


class TargetAccount(Strict):
    """Another account of the target: in another resource group, subscription or region of the same tenant."""

    resource_group: str
    subscription_id: str | None = Field(None, description="Default: the target's subscription.")
    region: str | None = Field(
        None, description="The account's Azure region (e.g. eastus2): deployments are linted against it."
    )


# A resource group name, or the account's coordinates (the union tags are the ones error locations drop).
AccountEntry = Annotated[
    Annotated[str, Tag("by-name")] | Annotated[TargetAccount, Tag("by-ref")], Discriminator(_name_or_ref)
]
ACCOUNTS_DESCRIPTION = (
    "Extra accounts deployments may name: account -> resource group, or -> {resource_group, subscription_id, region}."
)


class LocalTarget(Strict):
    type: Literal["local"] = "local"
    speed: Float | None = Field(None, gt=0, description="Emulator time factor (default: quickstart-friendly).")
    account: str = "local"
    subscription_id: str = "00000000-0000-0000-0000-000000000000"
    resource_group: str = "fineplan-local"
    region: str | None = Field(None, description="The default account's region (default: the emulator's `local`).")
    accounts: dict[str, AccountEntry] = Field(
        default_factory=dict,
        description=ACCOUNTS_DESCRIPTION + " The embedded emulator serves exactly these accounts and the default one.",
    )


class AzureTarget(Strict):
    type: Literal["azure"]
    subscription_id: str
    resource_group: str
    account: str
    endpoint: str = Field(description="https://<account>.openai.azure.com or a Foundry endpoint.")
    api_key_env: str | None = Field(None, description="Name of an env var holding an API key (never the key).")
    arm_token_env: str | None = Field(
        None,
        description="Name of an env var holding an ARM bearer token (never the token), used for deployments "
        "instead of DefaultAzureCredential.",
    )
    api_version: str = "2025-04-01-preview"
    management_endpoint: str = "https://management.azure.com"
    region: str | None = Field(
        None, description="The default account's Azure region: deployments are linted against it."
    )
    accounts: dict[str, AccountEntry] = Field(default_factory=dict, description=ACCOUNTS_DESCRIPTION)

    @field_validator("endpoint", "management_endpoint")
    @classmethod
    def _https(cls, v: str) -> str:
        if not v.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return v.rstrip("/")


Target = Annotated[LocalTarget | AzureTarget, Field(discriminator="type")]


def _default_local_target() -> LocalTarget | AzureTarget:
    return LocalTarget()


class LocalState(Strict):
    backend: Literal["local"] = "local"
    path: str | None = Field(None, description="Default: .fineplan/state/<target>.json")


class BlobState(Strict):
    backend: Literal["azure_blob"]
    account_url: str | None = None
    connection_string_env: str | None = Field(None, description="Name of an env var with a connection string.")
    container: str
    key: str | None = Field(None, description="Blob name; default <project>/<target>.json")


StateSettings = Annotated[LocalState | BlobState, Field(discriminator="backend")]


class LintSettings(Strict):
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()


class Policy(Strict):
    max_training_cost_usd: Float | None = Field(None, ge=0)


class Prices(Strict):
    training_per_1m_tokens: dict[str, Float] = Field(default_factory=dict)
    rft_per_hour: dict[str, Float] = Field(default_factory=dict)
    hosting_per_hour: dict[str, Float] = Field(default_factory=dict)
    ptu_per_hour: Float | None = None
    # What an Evaluation's sampling (and its model graders) cost, per 1M input / output tokens.
    inference_input_per_1m_tokens: dict[str, Float] = Field(default_factory=dict)
    inference_output_per_1m_tokens: dict[str, Float] = Field(default_factory=dict)


class ProjectSettings(Strict):
    project: str = Field("fineplan", pattern=NAME_PATTERN)
    specs: tuple[str, ...] = Field(("specs/**/*.yaml",), description="Globs of spec files, relative to the root.")
    default_target: str = "local"
    targets: dict[str, Target] = Field(default_factory=lambda: {"local": _default_local_target()})
    state: StateSettings = LocalState()
    prices: Prices = Prices()
    lint: LintSettings = LintSettings()
    policy: Policy = Policy()
    schema_: str | None = Field(None, alias="$schema")

    @field_validator("specs")
    @classmethod
    def _relative_globs(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in patterns:
            parts = pattern.replace("\\", "/").split("/")
            if not pattern.strip() or pattern.startswith(("/", "~")) or ".." in parts or "\0" in pattern:
                raise ValueError(f"{pattern!r} must be a non-empty glob relative to the project root, without '..'")
        return patterns


def target_accounts(target: LocalTarget | AzureTarget) -> dict[str, TargetAccount]:
    """Every account of a target, the default one first, each with its resource group, subscription and region."""
    out = {
        target.account: TargetAccount(
            resource_group=target.resource_group, subscription_id=target.subscription_id, region=target.region
        )
    }
    for name, entry in target.accounts.items():
        if isinstance(entry, str):
            entry = TargetAccount(resource_group=entry)
        out.setdefault(
            name, entry.model_copy(update={"subscription_id": entry.subscription_id or target.subscription_id})
        )
    return out
