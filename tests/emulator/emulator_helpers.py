"""Helpers shared by the emulator conformance tests (imported by name; fixtures live in conftest.py)."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any

import jsonschema
import openai
import yaml
from azure.core.credentials import AccessToken
from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

from fineplan.emulator.embedded import EmbeddedEmulator

DATED = "2025-04-01-preview"
SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
FAST = 1e7  # simulated seconds per real second: every job and deployment finishes "instantly"


class StubCredential:
    """Enough of a TokenCredential for the azure SDK offline."""

    def __init__(self, token: str = "local-token") -> None:
        self.token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self.token, int(time.time()) + 3600)


class BearerPolicy(SansIOHTTPPolicy[Any, Any]):
    """Sets the bearer header itself: the SDK's own policy refuses plain http (AZURE-FACTS)."""

    def __init__(self, token: str) -> None:
        self.token = token

    def on_request(self, request: PipelineRequest[Any]) -> None:
        request.http_request.headers["Authorization"] = f"Bearer {self.token}"


def azure_openai(emu: EmbeddedEmulator, **kwargs: Any) -> openai.AzureOpenAI:
    kwargs.setdefault("api_key", "local")
    return openai.AzureOpenAI(azure_endpoint=emu.url, api_version=DATED, **kwargs)


def v1_openai(emu: EmbeddedEmulator, **kwargs: Any) -> openai.OpenAI:
    kwargs.setdefault("api_key", "local")
    return openai.OpenAI(base_url=f"{emu.url}/openai/v1/", **kwargs)


def arm_client(emu: EmbeddedEmulator, token: str = "local-token", **kwargs: Any) -> CognitiveServicesManagementClient:
    kwargs.setdefault("polling_interval", 0)
    kwargs.setdefault("retry_backoff_factor", 0.01)
    return CognitiveServicesManagementClient(
        StubCredential(token), SUBSCRIPTION, base_url=emu.url, authentication_policy=BearerPolicy(token), **kwargs
    )


def upload(client: openai.OpenAI, path: Path) -> str:
    with path.open("rb") as fh:
        return client.files.create(file=fh, purpose="fine-tune").id


def wait_job(client: openai.OpenAI, job_id: str, timeout: float = 60.0) -> Any:
    """Poll until terminal. With the FAST speed this takes one call; the deadline only stops a hang."""
    deadline = time.monotonic() + timeout
    while True:
        job = client.fine_tuning.jobs.retrieve(job_id)
        if job.status in ("succeeded", "failed", "cancelled"):
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} did not finish: {job.status}")
        time.sleep(0.01)


# ---------------------------------------------------------------- schemas


def _strip_nulls(value: Any) -> Any:
    """The specs have no nullable markers; real responses carry null for absent optional fields."""
    if isinstance(value, dict):
        return {k: _strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip_nulls(v) for v in value]
    return value


def _local_refs_only(node: Any) -> Any:
    """ARM definitions point at common-types outside the copy; treat those as unconstrained."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#/"):
            return {}
        return {k: _local_refs_only(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_local_refs_only(v) for v in node]
    return node


class SchemaChecker:
    def __init__(self, specs: Path) -> None:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        dated = yaml.load((specs / "data-plane" / "azureopenai-authoring-2025-04-01-preview.yaml").read_text(), loader)
        v1 = yaml.load((specs / "data-plane" / "azure-openai-v1.yaml").read_text(), loader)
        arm = json.loads((specs / "arm" / "cognitiveservices-2025-09-01.json").read_text())
        self.dated = {"definitions": dated["definitions"]}
        self.v1 = {"components": v1["components"]}
        self.arm = {"definitions": _local_refs_only(arm["definitions"])}

    def _validate(self, root: dict[str, Any], ref: str, instance: Any) -> None:
        schema = {**root, "$ref": ref}
        jsonschema.Draft4Validator(schema).validate(_strip_nulls(instance))

    def dated_def(self, name: str, instance: Any) -> None:
        self._validate(self.dated, f"#/definitions/{name}", instance)

    def v1_schema(self, name: str, instance: Any) -> None:
        self._validate(self.v1, f"#/components/schemas/{name}", instance)

    def arm_def(self, name: str, instance: Any) -> None:
        self._validate(self.arm, f"#/definitions/{name}", instance)

    def job(self, job: dict[str, Any]) -> None:
        """A job against the dated FineTuningJob. That spec predates RFT (its method enum is dpo|supervised), so
        a reinforcement job's `method` is checked against the v1 spec's FineTuneMethod instead."""
        if job.get("method", {}).get("type") == "reinforcement":
            self.v1_schema("OpenAI.FineTuneMethod", job["method"])
            job = {k: v for k, v in copy.deepcopy(job).items() if k != "method"}
        self.dated_def("FineTuningJob", job)


def http(
    method: str, url: str, *, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], Any]:
    """A plain HTTP call (status, lower-cased headers, parsed JSON or raw bytes), for what the SDKs hide."""
    import urllib.error
    import urllib.request

    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"content-type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            status, raw_headers, payload = resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        status, raw_headers, payload = err.code, err.headers, err.read()
    parsed: Any = payload
    if payload and "json" in (raw_headers.get("content-type") or ""):
        parsed = json.loads(payload)
    return status, {k.lower(): v for k, v in raw_headers.items()}, parsed
