"""Chat completions on deployments, as Azure serves them:

    POST {root}/openai/deployments/{deployment}/chat/completions?api-version=...   (dated; AzureOpenAI)
    POST {root}/openai/v1/chat/completions   with "model": "<deployment>"          (v1; OpenAI)

An unknown deployment, or one not yet Succeeded, answers Azure's 404 DeploymentNotFound. The response is the
inference spec's createChatCompletionResponse: `chatcmpl-` id, `model` = the model behind the deployment, choices,
usage, and Azure's content-filter annotations (`prompt_filter_results`, per-choice `content_filter_results`,
always "safe": the emulator filters nothing). `stream: true` answers server-sent events with the same content.
What the model says is decided by simulation/answers.py and shaped by simulation/completion.py.
"""

from __future__ import annotations

import hashlib
import secrets
import string
from typing import Any

import orjson

from fineplan.catalog import fine_tuned_base, load_catalog
from fineplan.datasets.tokens import DEFAULT_ENCODING, Encoder, get_encoder
from fineplan.emulator.apierror import invalid
from fineplan.emulator.arm.deployments import DeploymentService
from fineplan.emulator.core import Core
from fineplan.emulator.dataplane.deployment_lookup import data_plane_account, require_deployment
from fineplan.emulator.dataplane.emulated_models import EmulatedModels
from fineplan.emulator.dataplane.job_records import CHECKPOINT_MARK
from fineplan.emulator.http_types import Request, Response, json_response
from fineplan.emulator.simulation.completion import Completion, SamplingParams, complete

_ALNUM = string.ascii_letters + string.digits
_SAFE = {"filtered": False, "severity": "safe"}
_NOT_DETECTED = {"filtered": False, "detected": False}
PROMPT_FILTER = {
    "hate": _SAFE,
    "jailbreak": _NOT_DETECTED,
    "self_harm": _SAFE,
    "sexual": _SAFE,
    "violence": _SAFE,
}
CHOICE_FILTER = {
    "hate": _SAFE,
    "protected_material_code": _NOT_DETECTED,
    "protected_material_text": _NOT_DETECTED,
    "self_harm": _SAFE,
    "sexual": _SAFE,
    "violence": _SAFE,
}


def encoder_for(model: str) -> Encoder:
    name = model.partition(CHECKPOINT_MARK)[0]
    info = load_catalog().model(name) or load_catalog().model(fine_tuned_base(name) or "")
    return get_encoder(info.encoding if info is not None else DEFAULT_ENCODING)


def sampling_params(body: dict[str, Any]) -> SamplingParams:
    """The sampling parameters of a chat completion request body, validated as Azure validates them."""
    n = body.get("n", 1)
    if n is None:
        n = 1
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 128:
        raise invalid("'n' must be an integer between 1 and 128.", "n")
    max_tokens = body.get("max_completion_tokens")
    if max_tokens is None:
        max_tokens = body.get("max_tokens")
    if max_tokens is not None and (isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1):
        raise invalid("'max_tokens' must be a positive integer.", "max_tokens")
    temperature = body.get("temperature", 1.0)
    temperature = 1.0 if temperature is None else temperature
    if isinstance(temperature, bool) or not isinstance(temperature, int | float) or not 0 <= temperature <= 2:
        raise invalid("'temperature' must be a number between 0 and 2.", "temperature")
    response_format = body.get("response_format")
    if response_format is not None and not isinstance(response_format, dict):
        raise invalid("'response_format' must be an object.", "response_format")
    if isinstance(response_format, dict) and response_format.get("type") == "json_schema":
        spec = response_format.get("json_schema")
        if not isinstance(spec, dict) or not isinstance(spec.get("schema", {}), dict) or not spec.get("name"):
            raise invalid("'response_format.json_schema' needs a 'name' and a 'schema' object.", "response_format")
    tools = body.get("tools") or []
    if not isinstance(tools, list) or not all(isinstance(t, dict) for t in tools):
        raise invalid("'tools' must be a list of tool objects.", "tools")
    stop = body.get("stop") or []
    stop = [stop] if isinstance(stop, str) else stop
    if not isinstance(stop, list) or len(stop) > 4 or not all(isinstance(s, str) for s in stop):
        raise invalid("'stop' must be a string or up to 4 strings.", "stop")
    return SamplingParams(
        n=n,
        temperature=float(temperature),
        max_tokens=max_tokens,
        response_format=response_format,
        tools=tuple(tools),
        tool_choice=body.get("tool_choice"),
        stop=tuple(stop),
    )


def check_messages(messages: Any) -> list[dict[str, Any]]:
    if not isinstance(messages, list) or not messages:
        raise invalid("'messages' must be a non-empty list.", "messages")
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or not isinstance(m.get("role"), str):
            raise invalid(f"'messages[{i}]' must be an object with a 'role'.", f"messages[{i}]")
    return messages


def usage_json(completion: Completion) -> dict[str, Any]:
    return {
        "completion_tokens": completion.completion_tokens,
        "completion_tokens_details": {
            "accepted_prediction_tokens": 0,
            "audio_tokens": 0,
            "reasoning_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
        "prompt_tokens": completion.prompt_tokens,
        "prompt_tokens_details": {"audio_tokens": 0, "cached_tokens": 0},
        "total_tokens": completion.total_tokens,
    }


def fingerprint(model: str) -> str:
    return "fp_" + hashlib.sha256(model.encode()).hexdigest()[:10]


class ChatService:
    def __init__(self, core: Core, deployments: DeploymentService, models: EmulatedModels) -> None:
        self.core = core
        self.deployments = deployments
        self.models = models

    def create_dated(self, req: Request) -> Response:
        return self._complete(req, req.params["deployment"], req.json())

    def create_v1(self, req: Request) -> Response:
        body = req.json()
        model = body.get("model") if isinstance(body, dict) else None
        if not isinstance(model, str) or not model:
            raise invalid("Missing required parameter: 'model' (the deployment name).", "model")
        return self._complete(req, model, body)

    def _complete(self, req: Request, deployment: str, body: Any) -> Response:
        if not isinstance(body, dict):
            raise invalid("The request body must be a JSON object.")
        messages = check_messages(body.get("messages"))
        params = sampling_params(body)
        target = require_deployment(self.deployments, deployment, data_plane_account(req))
        completion_id = "chatcmpl-" + "".join(secrets.choice(_ALNUM) for _ in range(29))
        result = complete(self.models.get(target.model), messages, params, encoder_for(target.model), completion_id)
        created = int(self.core.now())
        choices = [
            {
                "content_filter_results": CHOICE_FILTER,
                "finish_reason": c.finish_reason,
                "index": i,
                "logprobs": None,
                "message": {
                    "annotations": [],
                    "content": c.content,
                    "refusal": None,
                    "role": "assistant",
                    **({"tool_calls": list(c.tool_calls)} if c.tool_calls else {}),
                },
            }
            for i, c in enumerate(result.choices)
        ]
        head = {"id": completion_id, "created": created, "model": target.model}
        filters = [{"prompt_index": 0, "content_filter_results": PROMPT_FILTER}]
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            return _stream(head, filters, choices, usage_json(result) if include_usage else None)
        return json_response(
            200,
            {
                **head,
                "choices": choices,
                "object": "chat.completion",
                "prompt_filter_results": filters,
                "system_fingerprint": fingerprint(target.model),
                "usage": usage_json(result),
            },
        )


def _stream(
    head: dict[str, Any], filters: list[dict[str, Any]], choices: list[dict[str, Any]], usage: dict[str, Any] | None
) -> Response:
    base = {**head, "object": "chat.completion.chunk", "system_fingerprint": fingerprint(head["model"])}
    chunks: list[dict[str, Any]] = [{**base, "choices": [], "prompt_filter_results": filters}]
    for c in choices:
        message = c["message"]
        delta: dict[str, Any] = {"role": "assistant", "content": message["content"], "refusal": None}
        if message.get("tool_calls"):
            delta["tool_calls"] = [{"index": j, **call} for j, call in enumerate(message["tool_calls"])]
        chunks.append({**base, "choices": [{"index": c["index"], "delta": delta, "finish_reason": None}]})
        chunks.append(
            {
                **base,
                "choices": [
                    {
                        "index": c["index"],
                        "delta": {},
                        "finish_reason": c["finish_reason"],
                        "content_filter_results": c["content_filter_results"],
                    }
                ],
            }
        )
    if usage is not None:
        chunks.append({**base, "choices": [], "usage": usage})
    body = b"".join(b"data: " + orjson.dumps(chunk) + b"\n\n" for chunk in chunks) + b"data: [DONE]\n\n"
    return Response(200, body, {"Cache-Control": "no-cache"}, content_type="text/event-stream")
