"""`fineplan chat deployment.NAME "question"`: one chat completion from a deployed model, through the openai SDK,
against the emulator over HTTP; errors are one clear line and exit 1, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from engine_helpers import DEPLOYMENT, Emu, RunCli, load_state, state_path

from fineplan.cli.main import main

pytestmark = pytest.mark.slow  # end-to-end: the CLI against the emulator


def _plain(capsys: pytest.CaptureFixture[str], root: Path, *argv: str) -> tuple[int, str, str]:
    """The CLI as a user runs it: no --debug, so errors take the user-facing path."""
    capsys.readouterr()
    code = main(["-C", str(root), *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_chat_answers_from_the_deployed_model(
    project: Path, emu: Emu, cli: RunCli, capsys: pytest.CaptureFixture[str]
) -> None:
    applied = cli(project, "apply", "--auto-approve")
    assert applied.code == 0, applied.text
    model = load_state(project).resources["job.support-dpo"].attributes["fine_tuned_model"]

    question = "How long does shipping take?"
    plain = cli(project, "chat", DEPLOYMENT, question)
    assert plain.code == 0, plain.text
    assert plain.out.strip()
    assert not plain.out.lstrip().startswith("{")

    as_json = cli(project, "chat", DEPLOYMENT, question, "--json", "--system", "Be brief.", "--max-tokens", "40")
    assert as_json.code == 0, as_json.text
    reply = json.loads(as_json.out)
    assert reply["deployment"] == DEPLOYMENT
    assert reply["model"] == model  # the deployment serves the DPO model
    assert reply["answer"].strip()
    usage = reply["usage"]
    assert usage["prompt_tokens"] > 0 and usage["completion_tokens"] > 0
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert usage["completion_tokens"] <= 40
    # What the SDK asked for reached the emulator: the answer for the same question is deterministic.
    again = json.loads(cli(project, "chat", DEPLOYMENT, question, "--json", "--system", "Be brief.").out)
    assert again["model"] == model

    # Deleted outside fineplan: Azure's 404 becomes one line, exit 1.
    emu.delete_deployment("support-dev")
    code, out, err = _plain(capsys, project, "chat", DEPLOYMENT, question)
    assert code == 1
    assert out == ""
    assert err.startswith("Error: asking deployment support-dev") and "404" in err and "DeploymentNotFound" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("address", "message"),
    [
        (DEPLOYMENT, "deployment.support-dev is not in the state: run `fineplan apply`"),
        ("job.support-sft", "'job.support-sft' is not a deployment address"),
    ],
)
def test_chat_refuses_what_is_not_deployed(
    project: Path, emu: Emu, capsys: pytest.CaptureFixture[str], address: str, message: str
) -> None:
    code, out, err = _plain(capsys, project, "chat", address, "hello")
    assert code == 1
    assert out == ""
    assert err.startswith(f"Error: {message}")
    assert "Traceback" not in err


def test_chat_refuses_a_deployment_not_ready(
    project: Path, emu: Emu, cli: RunCli, capsys: pytest.CaptureFixture[str]
) -> None:
    applied = cli(project, "apply", "--auto-approve")
    assert applied.code == 0, applied.text
    state_file = state_path(project)
    doc = json.loads(state_file.read_text(encoding="utf-8"))
    doc["resources"][DEPLOYMENT]["status"] = "creating"
    state_file.write_text(json.dumps(doc), encoding="utf-8")
    code, _, err = _plain(capsys, project, "chat", DEPLOYMENT, "hello")
    assert code == 1
    assert "is not deployed yet (status creating)" in err


def test_chat_usage_errors_exit_1(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["-C", str(project), "chat", DEPLOYMENT, "hi", "--max-tokens", "0"])
    assert exc.value.code == 1
    assert "expected a number >= 1" in capsys.readouterr().err
