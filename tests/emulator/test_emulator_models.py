"""GET /openai/models and /openai/models/{id} in both styles: catalog base models, this resource's fine-tuned
models and deployable checkpoints, checked against both specs' Model schemas."""

from __future__ import annotations

from pathlib import Path

import openai
import pytest
from emulator_helpers import DATED, SchemaChecker, http
from inference_helpers import BASE, fine_tune

from fineplan.catalog import load_catalog
from fineplan.emulator.embedded import EmbeddedEmulator


def test_models_list_base_fine_tuned_and_checkpoints(
    emulator: EmbeddedEmulator, client: openai.AzureOpenAI, v1: openai.OpenAI, samples: Path, schemas: SchemaChecker
) -> None:
    model = fine_tune(client, samples / "sft-gsm8k" / "validation.jsonl")
    status, _, dated = http("GET", f"{emulator.url}/openai/models?api-version={DATED}")
    assert status == 200
    schemas.dated_def("ModelList", dated)
    by_id = {m["id"]: m for m in dated["data"]}
    assert set(load_catalog().models) <= set(by_id)
    base = by_id[BASE]
    assert base["capabilities"] == {
        "fine_tune": True,
        "inference": True,
        "completion": False,
        "chat_completion": True,
        "embeddings": False,
    }
    assert base["lifecycle_status"] == "generally-available"
    assert base["deprecation"]["fine_tune"] < base["deprecation"]["inference"]
    tuned = by_id[model]
    assert (tuned["model"], tuned["fine_tune"].startswith("ftjob-"), tuned["capabilities"]["fine_tune"]) == (
        BASE,
        True,
        True,
    )
    checkpoints = [m for m in dated["data"] if m["id"].startswith(model + ":ckpt-step-")]
    assert 1 <= len(checkpoints) <= 3 and all(not c["capabilities"]["fine_tune"] for c in checkpoints)
    listed = v1.models.list()
    schemas.v1_schema("OpenAI.ListModelsResponse", listed.model_dump())
    assert [m.id for m in listed.data] == [m["id"] for m in dated["data"]]
    one = client.models.retrieve(model)
    schemas.dated_def("Model", one.model_dump())
    schemas.v1_schema("OpenAI.Model", v1.models.retrieve(checkpoints[0]["id"]).model_dump())


def test_unknown_model_is_404(client: openai.AzureOpenAI, v1: openai.OpenAI) -> None:
    for sdk in (client, v1):
        with pytest.raises(openai.NotFoundError):
            sdk.models.retrieve("gpt-4.1-mini-2025-04-14.ft-" + "0" * 32)
