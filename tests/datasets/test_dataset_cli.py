"""`fineplan dataset inspect`: text and JSON output, exit codes, format detection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fineplan.cli.main import main
from fineplan.errors import ConfigError


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_inspect_json_clean_file(samples: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(capsys, "-C", str(samples), "dataset", "inspect", "sft-gsm8k/validation.jsonl", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["diagnostics"] == [] and doc["valid"] is True and doc["format"] == "chat"
    assert doc["stats"]["examples"] == 50 and doc["stats"]["billed"]["epochs"] == 3
    assert doc["path"] == "sft-gsm8k/validation.jsonl"


def test_inspect_text_with_errors_exits_1(samples: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(capsys, "-C", str(samples), "dataset", "inspect", "sft-sarcasm/qa.jsonl", "--format", "chat")
    assert code == 1
    assert "FP420" in out and "500 occurrences" in out and "examples" in out
    assert "sft-sarcasm/qa.jsonl line 1" in out


@pytest.mark.parametrize(
    ("rel", "fmt"),
    [
        ("dpo-orca/pairs.jsonl", "preference"),
        ("rft-countdown/train.jsonl", "reinforcement"),
        ("sft-tool-calling/train.jsonl", "chat"),
    ],
)
def test_format_is_detected(samples: Path, capsys: pytest.CaptureFixture[str], rel: str, fmt: str) -> None:
    code, out = _run(capsys, "-C", str(samples), "dataset", "inspect", rel, "--json")
    assert code == 0 and json.loads(out)["format"] == fmt


def test_model_epochs_and_exact_flags(samples: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(
        capsys,
        "-C",
        str(samples),
        "dataset",
        "inspect",
        "sft-gsm8k/train.jsonl",
        "--model",
        "gpt-4.1-nano-2025-04-14",
        "--epochs",
        "2",
        "--exact",
        "--json",
    )
    st = json.loads(out)["stats"]
    assert code == 0 and st["max_tokens_per_example"] == 32768 and not st["estimated"]
    assert st["billed"] == {"tokens": 2 * st["tokens_total"], "epochs": 2, "n_epochs": 2}


def test_validation_of_reports_leakage(tmp_path: Path, samples: Path, capsys: pytest.CaptureFixture[str]) -> None:
    train = (samples / "sft-gsm8k" / "train.jsonl").read_text().splitlines()
    (tmp_path / "train.jsonl").write_text("\n".join(train) + "\n")
    (tmp_path / "val.jsonl").write_text("\n".join(train[:12]) + "\n")
    code, out = _run(
        capsys, "-C", str(tmp_path), "dataset", "inspect", "val.jsonl", "--validation-of", "train.jsonl", "--json"
    )
    doc = json.loads(out)
    assert code == 0  # leakage is a warning
    assert [(d["code"], d["count"]) for d in doc["diagnostics"]] == [("FP411", 12)]


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(capsys, "-C", str(tmp_path), "dataset", "inspect", "nope.jsonl")
    assert code == 1 and "FP401" in out
    assert "tokens total" not in out  # nothing was read: no table of zeros


def test_unknown_model_is_refused_with_a_suggestion(samples: Path) -> None:
    with pytest.raises(ConfigError, match=r'did you mean "gpt-4\.1-nano-2025-04-14"'):
        main(["-C", str(samples), "--debug", "dataset", "inspect", "sft-gsm8k/train.jsonl", "--model", "gpt-4.1-nano"])


def test_rules_are_listed_and_explained(capsys: pytest.CaptureFixture[str]) -> None:
    from fineplan.lint.registry import all_rules

    for rule in all_rules():
        if not rule.code.startswith("FP4"):
            continue
        doc = rule.docs()
        assert rule.summary() and rule.name and rule.group == "datasets"
        for heading in ("What it does", "Why", "Example"):
            assert f"\n{heading}\n" in doc, (rule.code, heading)
