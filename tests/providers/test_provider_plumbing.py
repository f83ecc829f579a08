"""Backoff, error translation, connection rules and import hygiene of the Azure provider."""

from __future__ import annotations

import subprocess
import sys

import pytest

from fineplan.errors import ConfigError, ProviderError
from fineplan.providers.azure.backoff import with_backoff
from fineplan.providers.azure.connection import Connection
from fineplan.providers.azure.credentials import api_key_from_env, require_safe_transport
from fineplan.providers.azure.sdk_errors import is_operation_conflict, is_transient, to_provider_error


class FakeHttpError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status_code = status
        self.body = {"code": code, "message": message}


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


CONFLICT = FakeHttpError(409, "RequestConflict", "Another operation is being performed on the parent resource")


def test_backoff_retries_transient_errors_with_growing_delays_then_succeeds() -> None:
    clock = FakeClock()
    outcomes: list[Exception | str] = [CONFLICT, FakeHttpError(503, "x", "busy"), CONFLICT, "done"]

    def op() -> str:
        item = outcomes.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    result = with_backoff(
        op, retryable=is_transient, first_delay=1.0, max_delay=3.0, deadline=100, describe="t",
        sleep=clock.sleep, clock=clock,
    )  # fmt: skip
    assert result == "done"
    assert len(clock.sleeps) == 3
    # 1, 2, then capped at 3; each shortened by at most 25 % jitter
    for got, nominal in zip(clock.sleeps, (1.0, 2.0, 3.0), strict=True):
        assert 0.75 * nominal <= got <= nominal


def test_backoff_does_not_retry_permanent_errors() -> None:
    calls = 0

    def op() -> None:
        nonlocal calls
        calls += 1
        raise FakeHttpError(400, "InsufficientQuota", "no quota")

    with pytest.raises(FakeHttpError):
        with_backoff(op, retryable=is_transient, first_delay=1, max_delay=1, deadline=100, describe="t",
                     sleep=lambda s: None)  # fmt: skip
    assert calls == 1


def test_backoff_gives_up_at_the_deadline() -> None:
    clock = FakeClock()

    def op() -> None:
        raise CONFLICT

    with pytest.raises(FakeHttpError):
        with_backoff(op, retryable=is_transient, first_delay=1, max_delay=4, deadline=10, describe="t",
                     sleep=clock.sleep, clock=clock)  # fmt: skip
    assert clock.now <= 10
    assert len(clock.sleeps) >= 3


def test_only_operation_conflicts_are_transient_409s() -> None:
    assert is_operation_conflict(CONFLICT)
    assert is_transient(FakeHttpError(409, "Conflict", "another operation is in progress on the account"))
    assert not is_transient(FakeHttpError(409, "ScopeLocked", "The scope is locked"))
    assert is_transient(FakeHttpError(429, "TooManyRequests", "slow down"))
    assert not is_transient(FakeHttpError(404, "NotFound", "gone"))


def test_provider_error_carries_code_status_and_azure_message() -> None:
    err = to_provider_error(FakeHttpError(400, "InsufficientQuota", "needs 50, has 10"), "deploying d")
    assert isinstance(err, ProviderError)
    assert (err.code, err.status) == ("InsufficientQuota", 400)
    assert str(err) == "deploying d: 400 InsufficientQuota: needs 50, has 10"


def test_openai_status_errors_translate_with_their_code() -> None:
    import httpx2
    import openai

    request = httpx2.Request("POST", "http://127.0.0.1/openai/fine_tuning/jobs")
    response = httpx2.Response(400, request=request, json={"error": {"code": "invalidModel", "message": "no"}})
    exc = openai.BadRequestError("Error code: 400", response=response, body={"code": "invalidModel", "message": "no"})
    err = to_provider_error(exc, "creating job")
    assert (err.code, err.status) == ("invalidModel", 400)
    assert "no" in str(err)


def test_azure_core_errors_translate_with_their_code() -> None:
    from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

    from fineplan.providers.azure.sdk_errors import is_not_found

    exc = HttpResponseError(message="(InsufficientQuota) not enough")
    exc.status_code = 400
    err = to_provider_error(exc, "deploying")
    assert err.status == 400
    assert is_not_found(ResourceNotFoundError("gone"))


def test_accounts_resolve_to_resource_groups() -> None:
    conn = Connection(endpoint="https://a.openai.azure.com", subscription_id="s", account="a", resource_group="rg",
                      accounts={"b": "rg-b"})  # fmt: skip
    assert conn.resource_group_for("a") == "rg"
    assert conn.resource_group_for("b") == "rg-b"
    with pytest.raises(ConfigError, match="'c' is not part of this target"):
        conn.resource_group_for("c")
    local = Connection(endpoint="http://127.0.0.1:1", subscription_id="s", account="local", resource_group="rg",
                       shared_root=True)  # fmt: skip
    assert local.resource_group_for("anything") == "rg"


def test_api_key_comes_only_from_the_named_env_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_AOAI_KEY", "s3cret")
    assert api_key_from_env("MY_AOAI_KEY") == "s3cret"
    monkeypatch.delenv("MY_AOAI_KEY")
    with pytest.raises(ConfigError) as info:
        api_key_from_env("MY_AOAI_KEY")
    assert "MY_AOAI_KEY" in str(info.value)


def test_credentials_never_go_over_plain_http_to_another_host() -> None:
    require_safe_transport("https://a.openai.azure.com", "endpoint")
    require_safe_transport("http://127.0.0.1:8080", "endpoint")
    with pytest.raises(ConfigError, match="plain http"):
        require_safe_transport("http://example.com", "endpoint")


def test_azure_target_provider_reads_key_and_hides_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from fineplan.providers.azure import AzureProvider
    from fineplan.providers.base import Provider
    from fineplan.spec.models import AzureTarget

    monkeypatch.setenv("FP_TEST_KEY", "very-secret-value")
    target = AzureTarget(type="azure", subscription_id="s", resource_group="rg", account="acct",
                         endpoint="https://acct.openai.azure.com", api_key_env="FP_TEST_KEY")  # fmt: skip
    provider: Provider = AzureProvider.from_target(target)  # type-checks AzureProvider against the contract
    try:
        assert provider.default_account == "acct"
        assert provider.endpoint_for("acct") == "https://acct.openai.azure.com"
        assert "very-secret-value" not in repr(provider)
    finally:
        provider.close()


def test_importing_the_provider_and_factory_loads_no_sdk() -> None:
    code = (
        "import sys, fineplan.providers.factory, fineplan.providers.azure\n"
        "heavy = sorted(m for m in sys.modules if m == 'openai' or m.startswith(('openai.', 'azure.')))\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_azure_target_accounts_in_other_groups_and_subscriptions() -> None:
    from fineplan.providers.azure.connection import AccountRef
    from fineplan.spec.models import AzureTarget

    target = AzureTarget.model_validate(
        {
            "type": "azure",
            "subscription_id": "s",
            "resource_group": "rg",
            "account": "dev",
            "endpoint": "https://dev.openai.azure.com",
            "accounts": {
                "b": "rg-b",
                "prod": {"resource_group": "rg-prod", "subscription_id": "s2", "region": "eastus2"},
            },
        }
    )
    conn = Connection.from_target(target)
    assert conn.account_ref("dev") == AccountRef("s", "rg")
    assert conn.account_ref("b") == AccountRef("s", "rg-b")
    assert conn.account_ref("prod") == AccountRef("s2", "rg-prod", "eastus2")
    assert conn.subscription_for("prod") == "s2"
    with pytest.raises(ConfigError, match="'c' is not part of this target"):
        conn.account_ref("c")
