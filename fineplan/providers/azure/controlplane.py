"""Deployments over azure-mgmt-cognitiveservices (ARM), one write at a time per account.

Azure answers 409 "Another operation is being performed on the parent resource" to a deployment write while
another one runs on the same account, so writes take a per-account lock inside this process and retry that 409
(from other processes) with backoff. azure-core retries single requests on 408/429/5xx; `with_backoff` also
retries the whole write (request + long-running operation) when those persist, since PATCH is not retried by
azure-core and a failed poll would otherwise lose the operation. SDK modules are imported inside functions.

A deployment sends its model's publisher format (mapping.model_format). A fine-tuned model deployed into an
account other than the target's default one names the default account as its `source`: the provider trains
every job there (its data plane is the default account's), and Azure deploys a model from another account,
region or subscription only with `properties.model.source` set to the account that holds it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from fineplan.errors import ProviderError
from fineplan.providers.azure.backoff import with_backoff
from fineplan.providers.azure.connection import DEFAULT_MANAGEMENT_ENDPOINT, MANAGEMENT_SCOPE, Connection, Tuning
from fineplan.providers.azure.credentials import bearer_policy_over_http
from fineplan.providers.azure.mapping import (
    account_resource_id,
    deployable_from_sdk,
    deployment_from_sdk,
    is_fine_tuned_model,
    model_format,
    sku_for,
    version_upgrade_wire,
)
from fineplan.providers.azure.retries import RetryLog, counting_retry_policy, exception_reason
from fineplan.providers.azure.sdk_errors import is_not_found, is_transient, to_provider_error
from fineplan.providers.base import DeployableModel, DeploymentRequest, RemoteDeployment

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential
    from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

T = TypeVar("T")


def management_scope(connection: Connection) -> str:
    """ARM's Entra scope; a sovereign cloud's management endpoint is its own scope."""
    endpoint = connection.management_endpoint.rstrip("/")
    if endpoint == DEFAULT_MANAGEMENT_ENDPOINT or connection.management_over_http:
        return MANAGEMENT_SCOPE
    return f"{endpoint}/.default"


def build_client(
    connection: Connection,
    tuning: Tuning,
    credential: TokenCredential,
    retries: RetryLog | None = None,
    subscription_id: str | None = None,
) -> CognitiveServicesManagementClient:
    """An ARM client for one subscription (default: the target's): ARM clients are per subscription."""
    from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

    scope = management_scope(connection)
    retry = {
        "retry_total": tuning.arm_retry_total,
        "retry_status": tuning.arm_retry_total,
        "retry_connect": tuning.arm_retry_total,
        "retry_backoff_factor": tuning.arm_retry_backoff,
    }
    kwargs: dict[str, Any] = {
        "base_url": connection.management_endpoint,
        "credential_scopes": [scope],
        "polling_interval": tuning.lro_polling_interval,
        **retry,
        "connection_timeout": min(tuning.request_timeout, 30.0),
        "read_timeout": tuning.request_timeout,
    }
    if retries is not None:
        kwargs["retry_policy"] = counting_retry_policy(retries, **retry)
    if connection.management_over_http:
        # The SDK's bearer policy refuses non-TLS URLs (see AZURE-FACTS); the emulator is served over http.
        kwargs["authentication_policy"] = bearer_policy_over_http(credential, scope)
    return CognitiveServicesManagementClient(credential, subscription_id or connection.subscription_id, **kwargs)


class ControlPlane:
    def __init__(
        self,
        client_for: Callable[[str], CognitiveServicesManagementClient],
        connection: Connection,
        tuning: Tuning,
        retries: RetryLog | None = None,
    ) -> None:
        self._client_for = client_for  # subscription id -> a new ARM client for it
        self._clients: dict[str, CognitiveServicesManagementClient] = {}
        self._clients_guard = threading.Lock()
        self._connection = connection
        self._tuning = tuning
        self._retries = retries
        self._locks: dict[tuple[str, str, str], threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._endpoints: dict[str, str] = {}

    def close(self) -> None:
        with self._clients_guard:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()

    def _arm(self, account: str) -> tuple[CognitiveServicesManagementClient, str]:
        """The ARM client of the account's subscription (one per subscription) and its resource group."""
        ref = self._connection.account_ref(account)
        key = ref.subscription_id.lower()
        with self._clients_guard:
            if key not in self._clients:
                self._clients[key] = self._client_for(ref.subscription_id)
            return self._clients[key], ref.resource_group

    # ------------------------------------------------------------ reads

    def list_deployments(self, account: str) -> list[RemoteDeployment]:
        client, rg = self._arm(account)
        try:
            return [deployment_from_sdk(account, d) for d in client.deployments.list(rg, account)]
        except Exception as exc:
            raise to_provider_error(exc, f"listing deployments of account {account}") from exc

    def get_deployment(self, account: str, name: str) -> RemoteDeployment | None:
        client, rg = self._arm(account)
        try:
            return deployment_from_sdk(account, client.deployments.get(rg, account, name))
        except Exception as exc:
            if is_not_found(exc):
                return None
            raise to_provider_error(exc, f"reading deployment {name} of account {account}") from exc

    def deployable_models(self, account: str) -> list[DeployableModel]:
        client, rg = self._arm(account)
        try:
            return [deployable_from_sdk(m) for m in client.accounts.list_models(rg, account)]
        except Exception as exc:
            raise to_provider_error(exc, f"listing the models of account {account}") from exc

    def account_endpoint(self, account: str) -> str:
        """The data-plane endpoint of an account, read once from ARM (`properties.endpoint`)."""
        if account == self._connection.account or self._connection.shared_root:
            return self._connection.endpoint
        if account not in self._endpoints:
            client, rg = self._arm(account)
            try:
                properties = client.accounts.get(rg, account).properties
                found = properties.endpoint if properties is not None else None
            except Exception as exc:
                raise to_provider_error(exc, f"reading account {account}") from exc
            self._endpoints[account] = str(found or f"https://{account}.openai.azure.com").rstrip("/")
        return self._endpoints[account]

    # ------------------------------------------------------------ writes

    def put_deployment(self, account: str, name: str, request: DeploymentRequest) -> RemoteDeployment:
        from azure.mgmt.cognitiveservices.models import Deployment, DeploymentModel, DeploymentProperties, Sku

        model = DeploymentModel(
            format=model_format(request.model_name),
            name=request.model_name,
            version=request.model_version,
            source=self.model_source(account, request.model_name),
        )
        body = Deployment(
            sku=Sku(name=sku_for(request.deployment_type), capacity=request.capacity),
            properties=DeploymentProperties(
                model=model,
                rai_policy_name=request.rai_policy,
                version_upgrade_option=version_upgrade_wire(request.version_upgrade),
            ),
            tags=dict(request.tags),
        )
        client, rg = self._arm(account)

        def run() -> Any:
            return client.deployments.begin_create_or_update(rg, account, name, body).result()

        result = self._write(account, f"deploying {request.model_name} as {name} in account {account}", run)
        return deployment_from_sdk(account, result)

    def update_deployment(
        self, account: str, name: str, *, capacity: int | None = None, tags: dict[str, str] | None = None
    ) -> RemoteDeployment:
        """PATCH capacity and/or tags in place. `tags` replaces the whole tag set, as ARM PATCH does."""
        from azure.mgmt.cognitiveservices.models import PatchResourceTagsAndSku, Sku

        current = self.get_deployment(account, name)
        if current is None:
            raise ProviderError(f"deployment {name} of account {account} does not exist", code="NotFound", status=404)
        if capacity is None and tags is None:
            return current
        patch = PatchResourceTagsAndSku(
            # Azure wants the SKU name with a capacity change; it is the deployment's own, unchanged.
            sku=Sku(name=current.sku_name, capacity=capacity) if capacity is not None else None,
            tags=dict(tags) if tags is not None else None,
        )
        client, rg = self._arm(account)

        def run() -> Any:
            return client.deployments.begin_update(rg, account, name, patch).result()

        result = self._write(account, f"updating deployment {name} in account {account}", run)
        return deployment_from_sdk(account, result) if result is not None else self._must_get(account, name)

    def delete_deployment(self, account: str, name: str) -> None:
        """Deleting a deployment that is already gone is not an error."""
        client, rg = self._arm(account)

        def run() -> None:
            try:
                client.deployments.begin_delete(rg, account, name).result()
            except Exception as exc:
                if not is_not_found(exc):
                    raise

        self._write(account, f"deleting deployment {name} in account {account}", run)

    # ------------------------------------------------------------ sources

    def model_source(self, account: str, model_name: str) -> str | None:
        """`properties.model.source` for deploying `model_name` into `account`: the default account's ARM id for a
        fine-tuned model deployed elsewhere, else None (a base model, or the account that trained it)."""
        if account == self._connection.account or not is_fine_tuned_model(model_name):
            return None
        conn = self._connection
        return account_resource_id(conn.subscription_id, conn.resource_group, conn.account)

    # ------------------------------------------------------------ helpers

    def _must_get(self, account: str, name: str) -> RemoteDeployment:
        found = self.get_deployment(account, name)
        if found is None:
            raise ProviderError(f"deployment {name} of account {account} vanished", code="NotFound", status=404)
        return found

    def _retried(self, exc: BaseException) -> None:
        if self._retries is not None:
            self._retries.record(exception_reason(exc))

    def _lock_for(self, account: str) -> threading.Lock:
        ref = self._connection.account_ref(account)
        key = (ref.subscription_id.lower(), ref.resource_group.lower(), account)
        with self._locks_guard:
            return self._locks.setdefault(key, threading.Lock())

    def _write(self, account: str, describe: str, operation: Callable[[], T]) -> T:
        with self._lock_for(account):
            try:
                return with_backoff(
                    operation,
                    retryable=is_transient,
                    first_delay=self._tuning.conflict_backoff,
                    max_delay=self._tuning.conflict_backoff_max,
                    deadline=self._tuning.write_deadline,
                    describe=describe,
                    on_retry=self._retried,
                )
            except Exception as exc:
                raise to_provider_error(exc, describe) from exc
