"""The provider contract: what the engine needs from Azure, in fineplan's own vocabulary.

The one implementation (`fineplan.providers.azure`) talks through the official SDKs (openai for files and jobs,
azure-mgmt-cognitiveservices for deployments) to Azure or to the local emulator alike. Tests of the pure plan
builder may use an in-memory fake; nothing else may.

Reads are list-based (paged) so refresh costs a few calls, not one GET per resource. Writes that take time
(deployment create/update/delete) block until the long-running operation finishes. Errors that retrying will not
fix raise `fineplan.errors.ProviderError` (with the Azure error code in `.code` when there is one).

The provider also says what a difference means (`diff`): which changed attributes force a new remote object and
which are updated in place, and whether a replacement must delete the old object first. The engine decides
from that answer alone (Pulumi's `DiffResult.replaces`, Terraform's `RequiresReplace`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from fineplan.resource import Kind

TERMINAL_JOB_STATUSES = frozenset({"succeeded", "failed", "cancelled"})


@dataclass(frozen=True)
class RemoteFile:
    id: str
    filename: str
    bytes: int
    status: str  # pending | running | processed | error | deleted ...
    created_at: int
    error: str | None = None


@dataclass(frozen=True)
class RemoteJob:
    id: str
    status: str
    model: str
    training_file: str
    validation_file: str | None
    fine_tuned_model: str | None
    metadata: dict[str, str]
    created_at: int
    finished_at: int | None = None
    estimated_finish: int | None = None
    trained_tokens: int | None = None
    method: str | None = None  # supervised | dpo | reinforcement
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    suffix: str | None = None
    seed: int | None = None
    training_type: str | None = None  # spec vocabulary: standard | global | developer
    error: str | None = None

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL_JOB_STATUSES


@dataclass(frozen=True)
class JobEvent:
    id: str
    created_at: int
    level: str
    message: str
    type: str = "message"
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class JobMetrics:
    """The last checkpoint's metrics (step, train_loss, valid_loss, ...) and the epoch count seen so far."""

    step: int | None
    epochs_done: int
    values: dict[str, float]


@dataclass(frozen=True)
class JobRequest:
    model: str
    training_file: str
    method: str  # supervised | dpo | reinforcement
    validation_file: str | None = None
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    training_type: str = "global"  # spec vocabulary; the provider sends Azure's trainingType
    suffix: str | None = None
    seed: int | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    grader: dict[str, Any] | None = None
    response_format: dict[str, Any] | None = None


@dataclass(frozen=True)
class RemoteDeployment:
    account: str
    name: str
    model_name: str
    model_version: str
    deployment_type: str | None  # spec vocabulary (developer, standard, ...), None if the SKU is unknown
    sku_name: str
    capacity: int
    rai_policy: str | None
    version_upgrade: str | None  # spec vocabulary: no_auto_upgrade, ...
    tags: dict[str, str]
    provisioning_state: str
    created_at: float | None = None  # epoch seconds (systemData.createdAt)
    id: str = ""


@dataclass(frozen=True)
class DeploymentRequest:
    model_name: str
    deployment_type: str  # spec vocabulary; the provider sends the ARM SKU name
    capacity: int
    model_version: str = "1"
    rai_policy: str | None = None
    version_upgrade: str = "no_auto_upgrade"
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SkuCapacity:
    """The capacity one deployment of a model may have with one SKU, as the account offers it."""

    sku: str  # ARM sku name, e.g. GlobalStandard
    minimum: int | None = None
    maximum: int | None = None
    step: int | None = None


@dataclass(frozen=True)
class DeployableModel:
    """A model an account can deploy (ARM `accounts/{a}/models`), with its SKUs keyed by lower-case sku name."""

    name: str  # a catalog name (gpt-4.1-mini-2025-04-14) or a fine-tuned model's name
    skus: Mapping[str, SkuCapacity] = field(default_factory=dict)


@dataclass(frozen=True)
class ChatReply:
    """One chat completion from a deployment: the answer, the model that gave it and the tokens it took."""

    content: str
    model: str
    finish_reason: str | None = None
    usage: Mapping[str, int] = field(default_factory=dict)  # prompt_tokens, completion_tokens, total_tokens


@dataclass(frozen=True)
class Checkpoint:
    """A job checkpoint (`fine_tuning.job.checkpoint`): its deployable model and its metrics."""

    step: int
    model: str  # fine_tuned_model_checkpoint
    metrics: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class EvalRequest:
    """An eval (Azure's Evals API): items of `item_schema` graded by `testing_criteria` (never `multi`)."""

    name: str
    item_schema: dict[str, Any]
    testing_criteria: tuple[dict[str, Any], ...]
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RemoteEval:
    id: str
    name: str
    metadata: dict[str, str]
    criteria: dict[str, str]  # criterion name -> the id runs report results under
    created_at: int = 0


@dataclass(frozen=True)
class EvalRunRequest:
    """One run of an eval: the items file sampled through `deployment` (a `completions` data source whose input
    messages are each item's `messages`)."""

    eval_id: str
    name: str
    deployment: str
    file_id: str
    sampling: dict[str, Any] = field(default_factory=dict)  # temperature, max_completion_tokens, top_p, seed
    metadata: dict[str, str] = field(default_factory=dict)


TERMINAL_EVAL_RUN_STATUSES = frozenset({"completed", "failed", "canceled"})


@dataclass(frozen=True)
class RemoteEvalRun:
    id: str
    eval_id: str
    status: str  # queued | in_progress | completed | failed | canceled
    model: str | None
    metadata: dict[str, str]
    created_at: int
    total: int = 0
    passed: int = 0
    failed: int = 0
    errored: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    error: str | None = None

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL_EVAL_RUN_STATUSES


@dataclass(frozen=True)
class EvalOutputItem:
    """One graded item of a run: per criterion id, (score, passed); `status` pass | fail | error."""

    index: int
    status: str
    results: dict[str, tuple[float | None, bool]]


ProgressFn = Callable[[int, int], None]


@dataclass(frozen=True)
class DiffResult:
    """What differs between a resource's prior attributes and the planned ones, and what that means in Azure.

    `changed` is every differing attribute; `replaces` those that force a new remote object, `updates` those
    updated in place (together they are `changed`). `delete_before_replace`: if this resource is replaced, for
    whatever reason (a forced -replace too), the old object must go first, e.g. because the new one takes its
    name in the same account; otherwise the new one is created before the old one is deleted.
    """

    changed: tuple[str, ...] = ()
    replaces: tuple[str, ...] = ()
    updates: tuple[str, ...] = ()
    delete_before_replace: bool = False

    def without(self, ignored: Collection[str]) -> DiffResult:
        """The result with `ignored` attributes (lifecycle.ignore_changes) left out."""
        if not ignored or not self.changed:
            return self
        keep = [p for p in self.changed if p not in ignored]
        return DiffResult(
            tuple(keep),
            tuple(p for p in self.replaces if p in keep),
            tuple(p for p in self.updates if p in keep),
            self.delete_before_replace,
        )


class Differ(Protocol):
    """The pure half of a provider: what a planned change means for one resource. No I/O."""

    def diff(self, kind: Kind, prior: Mapping[str, Any], planned: Mapping[str, Any]) -> DiffResult:
        """Compare `planned` (values may be `fineplan.resource.UNKNOWN`) with `prior`, attribute by attribute.
        Only attributes present in `planned` are compared."""
        ...


class Provider(Differ, Protocol):
    """Everything the engine asks of Azure. Accounts are ARM account names within the target."""

    # files
    def list_files(self) -> list[RemoteFile]: ...
    def upload_file(self, path: Path, filename: str, progress: ProgressFn | None = None) -> RemoteFile: ...
    def wait_file_processed(self, file_id: str, timeout: float = 600) -> RemoteFile: ...
    def delete_file(self, file_id: str) -> None: ...

    # jobs
    def list_jobs(self) -> list[RemoteJob]: ...
    def get_job(self, job_id: str) -> RemoteJob | None: ...
    def create_job(self, request: JobRequest) -> RemoteJob: ...
    def cancel_job(self, job_id: str) -> RemoteJob: ...
    def delete_job(self, job_id: str) -> None: ...
    def job_events(self, job_id: str, limit: int = 20) -> list[JobEvent]: ...
    def job_metrics(self, job_id: str) -> JobMetrics: ...
    def job_checkpoints(self, job_id: str) -> list[Checkpoint]:
        """The job's checkpoints, lowest step first (Azure keeps the final one and the two before it deployable)."""
        ...

    # evaluations (Evals API)
    def upload_eval_items(self, path: Path, filename: str) -> RemoteFile:
        """Upload a JSONL of `{"item": {...}}` lines (purpose `evals`) and wait until it is processed."""
        ...

    def list_evals(self) -> list[RemoteEval]: ...
    def create_eval(self, request: EvalRequest) -> RemoteEval: ...
    def delete_eval(self, eval_id: str) -> None: ...
    def list_eval_runs(self, eval_id: str) -> list[RemoteEvalRun]: ...
    def get_eval_run(self, eval_id: str, run_id: str) -> RemoteEvalRun | None: ...
    def create_eval_run(self, request: EvalRunRequest) -> RemoteEvalRun: ...
    def eval_output_items(self, eval_id: str, run_id: str) -> list[EvalOutputItem]: ...

    # deployments (ARM)
    def list_deployments(self, account: str) -> list[RemoteDeployment]: ...
    def get_deployment(self, account: str, name: str) -> RemoteDeployment | None: ...
    def put_deployment(self, account: str, name: str, request: DeploymentRequest) -> RemoteDeployment: ...
    def update_deployment(
        self, account: str, name: str, *, capacity: int | None = None, tags: dict[str, str] | None = None
    ) -> RemoteDeployment: ...
    def delete_deployment(self, account: str, name: str) -> None: ...
    def deployable_models(self, account: str) -> list[DeployableModel]:
        """What the account can deploy, with each SKU's capacity range (one paged ARM read)."""
        ...

    # inference
    def chat(
        self, account: str, deployment: str, messages: list[dict[str, str]], *, max_tokens: int | None = None
    ) -> ChatReply:
        """One chat completion from a deployment of `account`, on that account's data-plane endpoint."""
        ...

    def retry_counts(self) -> dict[str, int]:
        """Calls retried so far (by the SDKs or the provider itself), per reason, e.g. {"429 Too Many Requests": 2}."""
        ...

    @property
    def default_account(self) -> str: ...
    def endpoint_for(self, account: str) -> str: ...
    def close(self) -> None: ...
