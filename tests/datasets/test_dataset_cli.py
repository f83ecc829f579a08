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


def _named_project(root: Path, rows: list[dict[str, str]]) -> Path:
    """A project with Dataset `helpsteer`: {prompt, response} rows, transformed to chat and split 0.2."""
    (root / "specs").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "fineplan.yaml").write_text("project: named\n", encoding="utf-8")
    (root / "data" / "raw.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (root / "specs" / "d.yaml").write_text(
        "kind: Dataset\nname: helpsteer\nspec:\n  path: data/raw.jsonl\n  format: chat\n"
        "  transform: {from: prompt_response}\n  split: {validation: 0.2, seed: 5}\n---\n"
        "kind: FineTuningJob\nname: helpsteer-sft\nspec:\n  base_model: gpt-4.1-nano-2025-04-14\n"
        "  training_data: helpsteer\n  validation_data: helpsteer\n",
        encoding="utf-8",
    )
    return root


def test_inspect_a_dataset_by_name_applies_its_transform_and_split(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [{"prompt": f"Tell me about item {i}.", "response": f"Item {i} is fine."} for i in range(60)]
    rows[17] = {"prompt": "An empty answer", "response": ""}  # source line 18
    root = _named_project(tmp_path, rows)
    code, out = _run(capsys, "-C", str(root), "dataset", "inspect", "helpsteer", "--json")
    doc = json.loads(out)
    assert code == 1  # FP424 is an error
    assert doc["dataset"] == "helpsteer" and doc["path"] == "data/raw.jsonl" and doc["format"] == "chat"
    assert doc["model"] == "gpt-4.1-nano-2025-04-14"  # the model lint uses: the job training on it
    assert doc["rows"] == {"train": 48, "validation": 12}
    assert [(p["name"], p["rows"], p["stats"]["examples"]) for p in doc["parts"]] == [
        ("train", 48, 48),
        ("validation", 12, 12),
    ]
    assert all(p["stats"]["max_tokens_per_example"] == 32768 for p in doc["parts"])
    [finding] = [d for d in doc["diagnostics"] if d["code"] == "FP424"]
    assert finding["range"]["filename"] == "data/raw.jsonl" and finding["range"]["start"]["line"] == 18
    assert ".fineplan" not in json.dumps(doc["diagnostics"])

    code, text = _run(capsys, "-C", str(root), "dataset", "inspect", "helpsteer")
    assert code == 1
    assert "train       48 rows" in text and "validation  12 rows" in text
    assert "on data/raw.jsonl line 18" in text


def test_inspect_by_name_suggests_datasets_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _named_project(tmp_path, [{"prompt": f"p{i}", "response": f"r{i}"} for i in range(20)])
    assert main(["-C", str(root), "dataset", "inspect", "helpstear"]) == 1
    assert 'did you mean "helpsteer"?' in capsys.readouterr().err
    assert main(["-C", str(root), "dataset", "inspect", "helpsteer-sft"]) == 1
    assert "is a FineTuningJob, not a Dataset" in capsys.readouterr().err
