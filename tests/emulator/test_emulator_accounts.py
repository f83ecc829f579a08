"""Several accounts in one emulator, through the official SDKs: ARM accounts answer as Azure's do, each account
has its own data plane at the endpoint it advertises, and nothing of one account is visible from another."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
from account_helpers import BASE, DEV, PROD, account_id, arm_in, data_client, deployment, endpoint_of, fine_tune
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.cognitiveservices.models import Account, Sku
from emulator_helpers import FAST, SUBSCRIPTION, SchemaChecker, arm_client, azure_openai, http, upload

from fineplan.emulator.config import AccountSpec, EmulatorConfig, apply_overrides
from fineplan.emulator.embedded import EmbeddedEmulator
from fineplan.emulator.store import Store
from fineplan.errors import ConfigError


@pytest.fixture
def two(tmp_path: Path) -> Iterator[EmbeddedEmulator]:
    with EmbeddedEmulator(tmp_path / "emu", speed=FAST, accounts=[DEV, PROD]) as emu:
        yield emu


def test_accounts_get_answers_as_azure_with_the_data_plane_endpoint(
    two: EmbeddedEmulator, schemas: SchemaChecker
) -> None:
    dev = arm_in(two, DEV.subscription).accounts.get(DEV.resource_group, DEV.name)
    prod = arm_in(two, PROD.subscription).accounts.get(PROD.resource_group, PROD.name)
    assert (dev.location, dev.kind, dev.sku.name) == ("swedencentral", "AIServices", "S0")
    assert dev.id == account_id(DEV) and prod.id == account_id(PROD)
    assert dev.properties.provisioning_state == "Succeeded"
    assert dev.properties.endpoint == f"{two.url}/"  # the first declared account is the default: the root
    assert prod.properties.endpoint == f"{two.url}/accounts/prod/"
    assert prod.properties.endpoints == {"OpenAI Language Model Instance API": prod.properties.endpoint}
    status, _, raw = http(
        "GET", f"{two.url}{account_id(PROD)}?api-version=2025-09-01", headers={"authorization": "Bearer t"}
    )
    assert status == 200
    schemas.arm_def("Account", raw)
    assert raw["properties"]["customSubDomainName"] == "prod" and raw["type"] == "Microsoft.CognitiveServices/accounts"


def test_unknown_accounts_are_arms_404_when_accounts_are_declared(two: EmbeddedEmulator) -> None:
    arm = arm_in(two, PROD.subscription)
    with pytest.raises(ResourceNotFoundError) as info:
        arm.accounts.get(PROD.resource_group, "nope")
    assert info.value.error is not None and info.value.error.code == "ResourceNotFound"
    assert "Microsoft.CognitiveServices/accounts/nope" in str(info.value)
    with pytest.raises(ResourceNotFoundError) as nested:
        arm.deployments.begin_create_or_update(
            PROD.resource_group, "nope", "d", deployment("gpt-4.1-mini", version="2025-04-14")
        ).result()
    assert nested.value.error is not None and nested.value.error.code == "ParentResourceNotFound"
    with pytest.raises(ResourceNotFoundError):
        list(arm.deployments.list("rg-elsewhere", PROD.name))  # the right name in the wrong resource group
    with pytest.raises(openai.NotFoundError):
        data_client(f"{two.url}/accounts/nope").files.list()


def test_each_account_has_its_own_data_plane(two: EmbeddedEmulator, samples: Path) -> None:
    dev, prod = data_client(endpoint_of(two, DEV)), data_client(endpoint_of(two, PROD))
    file_id = upload(dev, samples / "sft-gsm8k" / "validation.jsonl")
    model = fine_tune(dev, samples)
    assert file_id in {f.id for f in dev.files.list()}
    assert list(prod.files.list()) == [] and list(prod.fine_tuning.jobs.list()) == []
    with pytest.raises(openai.NotFoundError):
        prod.files.retrieve(file_id)
    with pytest.raises(openai.NotFoundError):
        prod.files.content(file_id)
    with pytest.raises(openai.NotFoundError):
        prod.files.delete(file_id)
    job_id = next(iter(dev.fine_tuning.jobs.list())).id
    with pytest.raises(openai.NotFoundError):
        prod.fine_tuning.jobs.retrieve(job_id)
    with pytest.raises(openai.BadRequestError):  # a job in prod cannot train on dev's file
        prod.fine_tuning.jobs.create(model=BASE, training_file=file_id)
    with pytest.raises(openai.BadRequestError):  # nor continue from dev's model
        prod.fine_tuning.jobs.create(model=model, training_file=file_id)
    # The bare root and the default account's prefix are one data plane; the v1 style works under a prefix too.
    assert file_id in {f.id for f in data_client(f"{two.url}/accounts/dev").files.list()}
    prod_v1 = openai.OpenAI(base_url=f"{two.url}/accounts/prod/openai/v1/", api_key="local")
    assert list(prod_v1.files.list()) == []
    # Absolute URLs in answers keep the account's prefix.
    status, _, _ = http("GET", f"{two.url}/accounts/prod/openai/files?api-version=2025-04-01-preview")
    assert status == 200
    created = prod.files.with_raw_response.create(
        file=(samples / "sft-gsm8k" / "validation.jsonl").open("rb"), purpose="fine-tune"
    )
    assert created.headers["location"].startswith(f"{two.url}/accounts/prod/openai/files/")


def test_accounts_created_by_put_get_their_own_data_plane_and_can_be_deleted(
    emulator: EmbeddedEmulator, samples: Path, schemas: SchemaChecker
) -> None:
    arm = arm_client(emulator)
    made = arm.accounts.begin_create(
        "rg-new", "fresh", Account(location="westus3", kind="AIServices", sku=Sku(name="S0"), tags={"team": "a"})
    ).result()
    assert (made.location, made.tags, made.properties.endpoint) == (
        "westus3",
        {"team": "a"},
        f"{emulator.url}/accounts/fresh/",
    )
    assert [a.name for a in arm.accounts.list_by_resource_group("rg-new")] == ["fresh"]
    assert "fresh" in {a.name for a in arm.accounts.list()}
    status, _, listed = http("GET", f"{emulator.url}/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-new/providers/"
                             "Microsoft.CognitiveServices/accounts?api-version=2025-09-01")  # fmt: skip
    assert status == 200
    schemas.arm_def("AccountListResult", listed)

    fresh = data_client(made.properties.endpoint)
    uploaded = upload(fresh, samples / "sft-gsm8k" / "validation.jsonl")
    root = azure_openai(emulator)
    assert uploaded not in {f.id for f in root.files.list()}  # not the shared default plane
    with pytest.raises(HttpResponseError) as moved:
        arm.accounts.begin_create("rg-new", "fresh", Account(location="eastus", kind="AIServices")).result()
    assert moved.value.error is not None and moved.value.error.code == "InvalidResourceLocation"
    with pytest.raises(HttpResponseError) as nowhere:
        arm.accounts.begin_create("rg-new", "other", Account(location="atlantis", kind="AIServices")).result()
    assert nowhere.value.error is not None and nowhere.value.error.code == "LocationNotAvailableForResourceType"

    arm.accounts.begin_delete("rg-new", "fresh").result()
    assert [a.name for a in arm.accounts.list_by_resource_group("rg-new")] == []
    # Its data went with it (in open mode the name now reaches the shared plane, as any unknown account does).
    assert uploaded not in {f.id for f in fresh.files.list()}


def test_open_mode_keeps_accounts_springing_into_being_on_one_shared_data_plane(
    emulator: EmbeddedEmulator, client: openai.AzureOpenAI, samples: Path
) -> None:
    """Without declared accounts (every data dir before accounts existed), any account ARM names exists and sees
    the root's models, so a model trained at the root deploys anywhere without `source`, as it always did."""
    arm = arm_client(emulator)
    implicit = arm.accounts.get("rg-any", "anything")
    assert implicit.properties.endpoint == f"{emulator.url}/accounts/anything/"
    model = fine_tune(client, samples)
    made = arm.deployments.begin_create_or_update("rg-any", "anything", "ft", deployment(model)).result()
    assert made.properties.provisioning_state == "Succeeded"
    assert {f.id for f in data_client(implicit.properties.endpoint).files.list()} == {f.id for f in client.files.list()}
    default = arm.accounts.get("fineplan-local", "local")
    assert default.properties.endpoint == f"{emulator.url}/" and default.location == "local"


def test_the_banner_names_what_arm_urls_need(two: EmbeddedEmulator, emulator: EmbeddedEmulator) -> None:
    lines = two.server.describe_accounts()
    assert lines[0] == (
        f"default account dev: subscription {DEV.subscription}, resource group rg-dev, location swedencentral, "
        f"data plane {two.url}/"
    )
    assert lines[1].startswith(f"account prod: subscription {PROD.subscription}, resource group rg-prod")
    assert lines[1].endswith(f"data plane {two.url}/accounts/prod/")
    open_lines = emulator.server.describe_accounts()
    assert open_lines[0].startswith(
        "default account local: subscription 00000000-0000-0000-0000-000000000000, resource group fineplan-local"
    )
    assert "spring into being" in open_lines[-1]


def test_emulator_yaml_declares_accounts_and_refuses_bad_ones() -> None:
    config = apply_overrides(
        EmulatorConfig(),
        {
            "accounts": [{"name": "aa", "location": "eastus2"}, {"name": "bb", "subscription": "s", "kind": "OpenAI"}],
            "default_account": "bb",
        },
    )
    assert config.default_account == AccountSpec("bb", subscription="s", kind="OpenAI")
    assert [a.name for a in config.accounts] == ["aa", "bb"]
    for raw, why in [
        ({"accounts": [{"name": "aa", "location": "atlantis"}]}, "not an Azure OpenAI region"),
        ({"accounts": [{"name": "aa"}, {"name": "AA"}]}, "declared twice"),
        ({"accounts": [{"name": "aa", "colour": "red"}]}, "unknown keys"),
        ({"accounts": [{"name": "-a"}]}, "must be 2-64"),
        ({"accounts": [{"name": "aa"}], "default_account": "z"}, "not one of the declared"),
        ({"accounts": "a"}, "must be a list"),
    ]:
        with pytest.raises(ConfigError, match=why):
            apply_overrides(EmulatorConfig(), raw)


def test_a_version_1_store_is_migrated_in_place(tmp_path: Path) -> None:
    """Rows written before accounts had data planes belong to the default account."""
    tmp_path.mkdir(exist_ok=True)
    db = sqlite3.connect(tmp_path / "emulator.sqlite3")
    db.executescript(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE files (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, created_at INTEGER "
        "NOT NULL, purpose TEXT NOT NULL, ready_at REAL NOT NULL, doc BLOB NOT NULL, outcome BLOB NOT NULL, "
        "content BLOB NOT NULL);"
        "CREATE TABLE accounts (key TEXT PRIMARY KEY, subscription TEXT NOT NULL, resource_group TEXT NOT NULL, "
        "name TEXT NOT NULL, created_at REAL NOT NULL);"
        "INSERT INTO meta VALUES ('schema_version', '1');"
        "INSERT INTO files(id, created_at, purpose, ready_at, doc, outcome, content) VALUES ('file-1', 1, "
        "'fine-tune', 1, '{}', '{}', x'00');"
        "INSERT INTO accounts VALUES ('s/rg/old', 's', 'rg', 'old', 1);"
    )
    db.close()
    store = Store(tmp_path)
    try:
        conn = store.read()
        assert conn.execute("SELECT account FROM files WHERE id = 'file-1'").fetchone() == ("",)
        assert conn.execute("SELECT implicit, data FROM accounts WHERE key = 's/rg/old'").fetchone() == (1, "")
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("2",)
    finally:
        store.close()


@pytest.mark.slow  # a real `fineplan emulator serve` process
def test_serve_prints_the_subscription_resource_group_and_account_arm_urls_need(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys

    data_dir = tmp_path / "d"
    data_dir.mkdir()
    (data_dir / "emulator.yaml").write_text(
        f"accounts:\n  - {{name: dev, subscription: {DEV.subscription}, resource_group: rg-dev, "
        "location: swedencentral}\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("FINEPLAN_EMULATOR_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "fineplan", "emulator", "serve", "--data-dir", str(data_dir), "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        first, second = proc.stdout.readline().strip(), proc.stdout.readline().strip()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    url = first.removeprefix("fineplan emulator listening on ")
    assert second == (
        f"default account dev: subscription {DEV.subscription}, resource group rg-dev, location swedencentral, "
        f"data plane {url}/"
    )


def test_evals_belong_to_one_accounts_data_plane(two: EmbeddedEmulator) -> None:
    schema = {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}
    grader = {"type": "string_check", "name": "same", "input": "{{item.q}}", "reference": "{{item.q}}",
              "operation": "eq"}  # fmt: skip
    dev, prod = data_client(endpoint_of(two, DEV)), data_client(endpoint_of(two, PROD))
    made = dev.evals.create(
        name="e",
        data_source_config={"type": "custom", "item_schema": schema},
        testing_criteria=[grader],  # type: ignore[list-item]
    )
    assert [e.id for e in dev.evals.list()] == [made.id]
    assert list(prod.evals.list()) == []
    with pytest.raises(openai.NotFoundError):
        prod.evals.retrieve(made.id)
