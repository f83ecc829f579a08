from __future__ import annotations

import json

import pytest

from fineplan.errors import StateError
from fineplan.state.model import FORMAT_VERSION, REDACTED, ResourceState, State, new_state


def _job(**overrides: object) -> ResourceState:
    fields: dict[str, object] = {
        "address": "job.sft",
        "kind": "FineTuningJob",
        "name": "sft",
        "remote_id": "ftjob-abc",
        "inputs_digest": "sha256:1111",
        "attributes": {"status": "running", "trained_tokens": 1200},
        "dependencies": ["dataset.chat"],
        "status": "training",
    }
    fields.update(overrides)
    return ResourceState.model_validate(fields)


def test_json_round_trip_keeps_every_field() -> None:
    state = new_state("local")
    state.put(_job())
    state.begin("deployment.web", "sha256:2222")
    again = State.from_json(state.to_json())
    assert again == state
    assert again.version == FORMAT_VERSION
    assert again.resources["job.sft"].created_at.tzinfo is not None


def test_json_is_stable_and_sorted() -> None:
    state = new_state("local")
    state.put(_job())
    text = state.to_json().decode()
    assert text == State.from_json(text).to_json().decode()
    top_keys = list(json.loads(text))
    assert top_keys == sorted(top_keys)


def test_two_new_states_have_different_lineages() -> None:
    assert new_state("local").lineage != new_state("local").lineage


def test_intent_is_journaled_then_cleared_when_the_id_is_recorded() -> None:
    state = new_state("local")
    intent = state.begin("job.sft", "sha256:1111")
    assert [i.address for i in State.from_json(state.to_json()).pending] == ["job.sft"]
    state.complete(intent.op_id, _job())
    assert state.pending == []
    assert state.get("job.sft") is not None
    assert state.get("job.sft").remote_id == "ftjob-abc"  # type: ignore[union-attr]


def test_complete_refuses_an_unknown_intent_or_another_address() -> None:
    state = new_state("local")
    intent = state.begin("job.other", "sha256:1")
    with pytest.raises(StateError, match="no pending intent"):
        state.complete("nope", _job())
    with pytest.raises(StateError, match=r"is for job\.other"):
        state.complete(intent.op_id, _job())


def test_abandon_clears_only_that_intent() -> None:
    state = new_state("local")
    a = state.begin("job.a", "sha256:1")
    b = state.begin("job.b", "sha256:2")
    state.abandon(a.op_id)
    assert state.pending == [b]
    assert state.pending_for("job.b") == [b]
    assert state.pending_for("job.a") == []


def test_put_keeps_the_first_created_at() -> None:
    state = new_state("local")
    first = state.put(_job())
    created = first.created_at
    second = state.put(_job(status="succeeded"))
    assert second.created_at == created
    assert second.updated_at >= created
    assert state.remove("job.sft") is second
    assert state.addresses() == []


def test_secrets_in_attributes_never_reach_the_json() -> None:
    job = _job(
        attributes={
            "api_key": "sk-live-123",
            "properties": {"connectionString": "AccountKey=abc", "keys": ["k1"]},
            "trained_tokens": 10,
            "token_count": 3,
        }
    )
    text = job.model_dump_json()
    assert "sk-live-123" not in text and "AccountKey=abc" not in text and "k1" not in text
    assert job.attributes["api_key"] == REDACTED
    assert job.attributes["properties"]["connectionString"] == REDACTED
    assert job.attributes["trained_tokens"] == 10 and job.attributes["token_count"] == 3


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"version": 1, "lineage": "x", "serial": 1, "tar', "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[]", "expected a JSON object"),
        (b'{"lineage": "x"}', "no integer 'version'"),
        (b'{"version": "1"}', "no integer 'version'"),
        (b'{"version": 99, "fineplan_version": "9.0"}', "newer than this fineplan"),
        (b'{"version": 0}', "unknown state format 0"),
        (b'{"version": 1, "lineage": "x", "serial": 1}', "target"),
        (b'{"version": 1, "lineage": "x", "serial": -1, "target": "t"}', "serial"),
        (b'{"version": 1, "lineage": "x", "serial": 1, "target": "t", "surprise": 1}', "surprise"),
    ],
)
def test_bad_content_is_a_clear_state_error(raw: bytes, message: str) -> None:
    with pytest.raises(StateError, match=message) as info:
        State.from_json(raw, source="state file s.json")
    assert "s.json" in str(info.value)


def test_a_resource_filed_under_another_address_is_corrupt() -> None:
    state = new_state("local")
    state.put(_job())
    data = json.loads(state.to_json())
    data["resources"]["job.other"] = data["resources"].pop("job.sft")
    with pytest.raises(StateError, match=r"job\.other"):
        State.from_json(json.dumps(data))
