"""AzureProvider: the one implementation of `fineplan.providers.base.Provider`, for Azure and the emulator alike.

Data plane (files, jobs) through `openai.AzureOpenAI`; control plane (deployments) through
`azure.mgmt.cognitiveservices`. Clients are built on first use, so a plan that never touches ARM never asks
for an Entra token, and importing this module imports no SDK.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fineplan.providers.azure import diff as azure_diff
from fineplan.providers.azure.connection import DATA_PLANE_SCOPE, Connection, Tuning, refs_of
from fineplan.providers.azure.credentials import (
    api_key_from_env,
    default_credential,
    require_safe_transport,
    token_provider,
)
from fineplan.providers.azure.retries import RetryLog
from fineplan.providers.base import (
    ChatReply,
    Checkpoint,
    DeployableModel,
    DeploymentRequest,
    DiffResult,
    EvalOutputItem,
    EvalRequest,
    EvalRunRequest,
    JobEvent,
    JobMetrics,
    JobRequest,
    ProgressFn,
    RemoteDeployment,
    RemoteEval,
    RemoteEvalRun,
    RemoteFile,
    RemoteJob,
)
from fineplan.resource import Kind

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

    from fineplan.providers.azure.controlplane import ControlPlane
    from fineplan.providers.azure.dataplane import DataPlane
    from fineplan.providers.azure.evals import EvalsPlane
    from fineplan.spec.models import AzureTarget


class AzureProvider:
    """Give `api_key` for key auth on the data plane; `credential` (default: DefaultAzureCredential, created
    when first needed) serves ARM always and the data plane when there is no key."""

    def __init__(
        self,
        connection: Connection,
        *,
        api_key: str | None = None,
        credential: TokenCredential | None = None,
        tuning: Tuning | None = None,
    ) -> None:
        self.connection = connection
        self.tuning = tuning or Tuning()
        self._api_key = api_key
        self._credential = credential
        self._owns_credential = credential is None
        self._guard = threading.Lock()
        self._data: DataPlane | None = None
        self._control: ControlPlane | None = None
        self.retries = RetryLog()  # every retry of this provider's calls, per reason

    @classmethod
    def from_target(cls, target: AzureTarget, *, tuning: Tuning | None = None) -> AzureProvider:
        """A provider for a real Azure target: the key (if any) comes from the env var the target names."""
        connection = Connection(
            endpoint=target.endpoint,
            subscription_id=target.subscription_id,
            account=target.account,
            resource_group=target.resource_group,
            management_endpoint=target.management_endpoint,
            api_version=target.api_version,
            accounts=refs_of(target),
        )
        require_safe_transport(connection.endpoint, "endpoint")
        require_safe_transport(connection.management_endpoint, "management_endpoint")
        api_key = api_key_from_env(target.api_key_env) if target.api_key_env else None
        return cls(connection, api_key=api_key, tuning=tuning)

    def __repr__(self) -> str:  # never shows the key
        return f"AzureProvider(endpoint={self.connection.endpoint!r}, account={self.connection.account!r})"

    # ------------------------------------------------------------ lazy clients

    def _credential_or_default(self) -> TokenCredential:
        if self._credential is None:
            self._credential = default_credential()
        return self._credential

    @property
    def _dataplane(self) -> DataPlane:
        with self._guard:
            if self._data is None:
                from fineplan.providers.azure.dataplane import DataPlane, build_client

                if self._api_key is not None:
                    client = build_client(self.connection, self.tuning, api_key=self._api_key, retries=self.retries)
                else:
                    provider = token_provider(self._credential_or_default(), DATA_PLANE_SCOPE)
                    client = build_client(self.connection, self.tuning, token_provider=provider, retries=self.retries)
                self._data = DataPlane(client, self.tuning, self.retries)
            return self._data

    @property
    def _controlplane(self) -> ControlPlane:
        with self._guard:
            if self._control is None:
                from fineplan.providers.azure.controlplane import ControlPlane, build_client

                credential = self._credential_or_default()

                def client_for(subscription_id: str) -> Any:
                    return build_client(self.connection, self.tuning, credential, self.retries, subscription_id)

                self._control = ControlPlane(client_for, self.connection, self.tuning, self.retries)
            return self._control

    # ------------------------------------------------------------ files

    def list_files(self) -> list[RemoteFile]:
        return self._dataplane.list_files()

    def get_file(self, file_id: str) -> RemoteFile | None:
        return self._dataplane.get_file(file_id)

    def upload_file(self, path: Path, filename: str, progress: ProgressFn | None = None) -> RemoteFile:
        return self._dataplane.upload_file(path, filename, progress)

    def wait_file_processed(self, file_id: str, timeout: float = 600) -> RemoteFile:
        return self._dataplane.wait_file_processed(file_id, timeout)

    def delete_file(self, file_id: str) -> None:
        self._dataplane.delete_file(file_id)

    # ------------------------------------------------------------ jobs

    def list_jobs(self) -> list[RemoteJob]:
        return self._dataplane.list_jobs()

    def get_job(self, job_id: str) -> RemoteJob | None:
        return self._dataplane.get_job(job_id)

    def create_job(self, request: JobRequest) -> RemoteJob:
        return self._dataplane.create_job(request)

    def cancel_job(self, job_id: str) -> RemoteJob:
        return self._dataplane.cancel_job(job_id)

    def delete_job(self, job_id: str) -> None:
        self._dataplane.delete_job(job_id)

    def job_events(self, job_id: str, limit: int = 20) -> list[JobEvent]:
        return self._dataplane.job_events(job_id, limit)

    def job_metrics(self, job_id: str) -> JobMetrics:
        return self._dataplane.job_metrics(job_id)

    def job_checkpoints(self, job_id: str) -> list[Checkpoint]:
        return self._dataplane.job_checkpoints(job_id)

    # ------------------------------------------------------------ evaluations

    @property
    def _evals(self) -> EvalsPlane:
        from fineplan.providers.azure.evals import EvalsPlane

        data = self._dataplane
        return EvalsPlane(data.client, self.tuning, self.retries)

    def upload_eval_items(self, path: Path, filename: str) -> RemoteFile:
        return self._evals.upload_items(path, filename)

    def list_evals(self) -> list[RemoteEval]:
        return self._evals.list_evals()

    def create_eval(self, request: EvalRequest) -> RemoteEval:
        return self._evals.create_eval(request)

    def delete_eval(self, eval_id: str) -> None:
        self._evals.delete_eval(eval_id)

    def list_eval_runs(self, eval_id: str) -> list[RemoteEvalRun]:
        return self._evals.list_runs(eval_id)

    def get_eval_run(self, eval_id: str, run_id: str) -> RemoteEvalRun | None:
        return self._evals.get_run(eval_id, run_id)

    def create_eval_run(self, request: EvalRunRequest) -> RemoteEvalRun:
        return self._evals.create_run(request)

    def eval_output_items(self, eval_id: str, run_id: str) -> list[EvalOutputItem]:
        return self._evals.output_items(eval_id, run_id)

    # ------------------------------------------------------------ deployments

    def list_deployments(self, account: str) -> list[RemoteDeployment]:
        return self._controlplane.list_deployments(account)

    def get_deployment(self, account: str, name: str) -> RemoteDeployment | None:
        return self._controlplane.get_deployment(account, name)

    def put_deployment(self, account: str, name: str, request: DeploymentRequest) -> RemoteDeployment:
        return self._controlplane.put_deployment(account, name, request)

    def update_deployment(
        self, account: str, name: str, *, capacity: int | None = None, tags: dict[str, str] | None = None
    ) -> RemoteDeployment:
        return self._controlplane.update_deployment(account, name, capacity=capacity, tags=tags)

    def delete_deployment(self, account: str, name: str) -> None:
        self._controlplane.delete_deployment(account, name)

    def deployable_models(self, account: str) -> list[DeployableModel]:
        return self._controlplane.deployable_models(account)

    # ------------------------------------------------------------ inference

    def chat(
        self, account: str, deployment: str, messages: list[dict[str, str]], *, max_tokens: int | None = None
    ) -> ChatReply:
        from fineplan.providers.azure.inference import chat_completion

        endpoint = self.endpoint_for(account)
        if self._api_key is not None:
            return chat_completion(
                self.connection,
                self.tuning,
                endpoint,
                deployment,
                messages,
                max_tokens=max_tokens,
                api_key=self._api_key,
            )
        provider = token_provider(self._credential_or_default(), DATA_PLANE_SCOPE)
        return chat_completion(
            self.connection,
            self.tuning,
            endpoint,
            deployment,
            messages,
            max_tokens=max_tokens,
            token_provider=provider,
        )

    # ------------------------------------------------------------ diff (pure: no call to Azure)

    def diff(self, kind: Kind, prior: Mapping[str, Any], planned: Mapping[str, Any]) -> DiffResult:
        return azure_diff.diff(kind, prior, planned)

    # ------------------------------------------------------------ retries

    def retry_counts(self) -> dict[str, int]:
        """How many calls were retried so far, per reason (most frequent first)."""
        return self.retries.counts()

    # ------------------------------------------------------------ target

    @property
    def default_account(self) -> str:
        return self.connection.account

    def endpoint_for(self, account: str) -> str:
        if account == self.connection.account or self.connection.shared_root:
            return self.connection.endpoint
        return self._controlplane.account_endpoint(account)

    def close(self) -> None:
        with self._guard:
            data, control, self._data, self._control = self._data, self._control, None, None
        if data is not None:
            data.close()
        if control is not None:
            control.close()
        close = getattr(self._credential, "close", None) if self._owns_credential else None
        if callable(close):
            close()  # DefaultAzureCredential holds HTTP sessions of its own
