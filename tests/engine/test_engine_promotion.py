"""examples/promotion end to end, as from a plain clone: the local target declares its dev and prod accounts (two
subscriptions, two regions) to the embedded emulator, SFT → DPO train in dev, and the DPO model is deployed both
in dev (Developer) and in prod (Global Standard, with the dev account as its `properties.model.source`)."""

from __future__ import annotations

import json
import shutil
import urllib.request
from pathlib import Path

import pytest
from engine_helpers import RunCli, append_row, changes_by_address, edit, load_state

from fineplan.emulator.config import SPEED_ENV
from fineplan.providers.factory import EMULATOR_KEY_ENV, EMULATOR_URL_ENV, LOCAL_API_KEY, open_provider
from fineplan.spec.loader import load_project

pytestmark = pytest.mark.slow  # end-to-end: the CLI against the embedded emulator

DEV_SUB = "00000000-0000-0000-0000-00000000de00"
PROD_SUB = "00000000-0000-0000-0000-00000000f400"
DEV_ID = (
    f"/subscriptions/{DEV_SUB}/resourceGroups/rg-fine-tuning-dev/providers/Microsoft.CognitiveServices/accounts/dev"
)


@pytest.fixture
def promotion(repo_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "promotion"
    shutil.copytree(repo_root / "examples" / "promotion", root, ignore=shutil.ignore_patterns(".fineplan"))
    monkeypatch.delenv(EMULATOR_URL_ENV, raising=False)  # the embedded emulator, as a user runs it
    monkeypatch.delenv(EMULATOR_KEY_ENV, raising=False)
    monkeypatch.setenv(SPEED_ENV, "3000")
    monkeypatch.setenv("NO_COLOR", "1")
    return root


def _arm_deployment(root: Path, subscription: str, group: str, account: str, name: str) -> dict[str, object]:
    project, _ = load_project(root)
    assert project is not None
    with open_provider(root, "local", project.settings.targets["local"]) as handle:
        assert handle.emulator is not None
        url = (
            f"{handle.emulator.url}/subscriptions/{subscription}/resourceGroups/{group}/providers/"
            f"Microsoft.CognitiveServices/accounts/{account}/deployments/{name}?api-version=2025-09-01"
        )
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {LOCAL_API_KEY}"})
        with urllib.request.urlopen(request, timeout=30) as resp:
            return dict(json.loads(resp.read()))


def test_the_promotion_example_trains_in_dev_and_serves_from_prod(promotion: Path, cli: RunCli) -> None:
    assert cli(promotion, "lint").code == 0
    applied = cli(promotion, "apply", "--auto-approve")
    assert applied.code == 0, applied.text
    assert "Apply complete! Resources: 10 added, 0 changed, 0 destroyed." in applied.out

    state = load_state(promotion)
    dpo_model = state.resources["job.support-dpo"].attributes["fine_tuned_model"]
    candidate = state.resources["deployment.support-candidate"]
    prod = state.resources["deployment.support-prod"]
    assert (candidate.attributes["account"], candidate.attributes["type"]) == ("dev", "developer")
    assert (prod.attributes["account"], prod.attributes["type"]) == ("prod", "global_standard")
    assert candidate.attributes["model"] == prod.attributes["model"] == dpo_model
    assert str(prod.remote_id).startswith(f"/subscriptions/{PROD_SUB}/resourceGroups/rg-serving-prod/")

    # Prod was created only after the candidate beat its base model on the held-out questions.
    results = state.resources["evaluation.support-quality"].attributes["results"]
    candidate_close, base_close = (results[s]["graders"]["close"]["score"] for s in ("candidate", "base"))
    assert candidate_close >= 0.7 and candidate_close >= base_close + 0.2, results

    # Prod lives in another subscription: it deployed the dev model by naming dev as the model's source.
    served = _arm_deployment(promotion, PROD_SUB, "rg-serving-prod", "prod", "support-prod")
    model = served["properties"]["model"]  # type: ignore[index]
    assert (model["name"], model["format"], model["source"]) == (dpo_model, "OpenAI", DEV_ID)
    at_home = _arm_deployment(promotion, DEV_SUB, "rg-fine-tuning-dev", "dev", "support-candidate")
    assert "source" not in at_home["properties"]["model"]  # type: ignore[index,operator]

    unchanged = cli(promotion, "plan", "--detailed-exitcode")
    assert unchanged.code == 0, unchanged.text
    assert "No changes" in unchanged.out

    # The prod deployment answers on the prod account's own endpoint.
    asked = cli(promotion, "chat", "deployment.support-prod", "How do I return an item?", "--json")
    assert asked.code == 0, asked.text
    assert json.loads(asked.out)["model"] == dpo_model

    # A retrain swaps both models in place; the plan says which account the prod swap happens in.
    append_row(promotion, "data/support_chat.jsonl")
    plan = json.loads(cli(promotion, "plan", "--format", "json").out)
    swap = changes_by_address(plan)["deployment.support-prod"]
    assert swap["actions"] == ["update"]
    assert any("(in account prod)" in r["message"] for r in swap["reasons"]), swap["reasons"]
    candidate_reasons = changes_by_address(plan)["deployment.support-candidate"]["reasons"]
    assert not any("in account" in r["message"] for r in candidate_reasons)


def test_a_retrained_model_that_fails_the_gate_leaves_prod_on_the_old_one(promotion: Path, cli: RunCli) -> None:
    assert cli(promotion, "apply", "--auto-approve").code == 0
    old_model = load_state(promotion).resources["deployment.support-prod"].attributes["model"]

    # New training data retrains both jobs and re-runs the evaluation; this time the bar is out of reach.
    append_row(promotion, "data/support_chat.jsonl")
    edit(promotion, "specs/deployments.yaml", "min_score: {close: 0.7}", "min_score: {close: 0.99}")
    applied = cli(promotion, "apply", "--auto-approve")
    assert applied.code == 0, applied.text
    assert "skipped deployment.support-prod: gate failed: close score of candidate" in applied.out
    # The old jobs (and so the model prod serves) are kept, and the summary does not claim they were destroyed.
    assert "0 destroyed (4 replaced kept until what still uses them is done)." in applied.out, applied.out

    state = load_state(promotion)
    new_model = state.resources["job.support-dpo"].attributes["fine_tuned_model"]
    assert new_model != old_model
    assert state.resources["deployment.support-prod"].attributes["model"] == old_model
    asked = cli(promotion, "chat", "deployment.support-prod", "Do you ship to Norway?", "--json")
    assert asked.code == 0, asked.text
    assert json.loads(asked.out)["model"] == old_model


def test_a_type_prod_does_not_offer_in_its_region_is_fp333(promotion: Path, cli: RunCli) -> None:
    edit(
        promotion, "specs/deployments.yaml", "account: prod\n  type: global_standard", "account: prod\n  type: standard"
    )
    linted = cli(promotion, "lint")
    assert linted.code == 1, linted.text
    assert "FP333" in linted.text
    assert "standard deployments of models fine-tuned from gpt-4.1-nano-2025-04-14 are not offered in eastus2" in (
        linted.text
    )
    assert "northcentralus, swedencentral" in linted.text
