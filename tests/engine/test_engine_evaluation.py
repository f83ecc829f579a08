"""Evaluations end to end through the CLI against the embedded emulator: SFT job → Developer deployment of the tuned
model + a base-model deployment → an Evaluation of both → a Global Standard deployment gated on it.

The emulator's fine-tuned model answers with the answer of its most similar training example and the base model
with one generic reply (specs/emulator.md), so on test questions taken from the training set the tuned model
scores 1.0 on an exact-match grader and the base model 0.0: a difference the gate can be tested on.
"""

from __future__ import annotations

import json
import signal
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from engine_helpers import Emu, RunCli, Spawn, changes_by_address, load_state, poll

from fineplan.kinds.evaluation import META_SUBJECT
from fineplan.kinds.tags import META_ADDRESS, META_PROJECT

PROJECT = "evalproj"
EVALUATION = "evaluation.quality"
PROD = "deployment.prod"
QUESTIONS = [
    ("What is the capital of Norway?", "Oslo is the capital of Norway."),
    ("How many legs does a spider have?", "A spider has eight legs."),
    ("Which planet is known as the red planet?", "Mars is known as the red planet."),
    ("What gas do plants absorb for photosynthesis?", "Plants absorb carbon dioxide."),
    ("Who wrote the play Hamlet?", "William Shakespeare wrote Hamlet."),
    ("What is the boiling point of water at sea level?", "Water boils at 100 degrees Celsius."),
    ("How many continents are there on Earth?", "There are seven continents."),
    ("What is the largest ocean on Earth?", "The Pacific is the largest ocean."),
    ("Which metal is liquid at room temperature?", "Mercury is liquid at room temperature."),
    ("What is the chemical symbol for gold?", "The chemical symbol for gold is Au."),
    ("How many days are in a leap year?", "A leap year has 366 days."),
    ("What is the fastest land animal?", "The cheetah is the fastest land animal."),
]

SPECS = """\
kind: Dataset
name: train
spec: {path: data/train.jsonl, format: chat}
---
kind: Dataset
name: test
spec: {path: data/test.jsonl, format: chat}
---
kind: FineTuningJob
name: sft
spec:
  base_model: gpt-4.1-mini-2025-04-14
  method: supervised
  training_data: train
  hyperparameters: {n_epochs: 1}
  training_type: developer
  suffix: quiz
  seed: 7
---
kind: Deployment
name: tuned-dev
spec:
  model: {job: sft}
  type: developer  # fineplan: ignore[FP312] evaluation only
  capacity: 10
---
kind: Deployment
name: base
spec:
  model: gpt-4.1-mini-2025-04-14
  type: global_standard
  capacity: 10
---
kind: Evaluation
name: quality
spec:
  data: test
  graders:
    - {type: string_check, name: exact, input: "{{sample.output_text}}", reference: "{{item.reference}}", operation: eq}
    - {type: text_similarity, name: similar, input: "{{sample.output_text}}", reference: "{{item.reference}}",
       evaluation_metric: rouge_l, pass_threshold: 0.5}
  subjects:
    tuned: {deployment: tuned-dev}
    base: {deployment: base}
  sampling: {temperature: 0, max_completion_tokens: 64}
---
kind: Deployment
name: prod
spec:
  model: {job: sft}
  type: global_standard
  capacity: 10
  gate:
    evaluation: {evaluation: quality, min_score: {exact: MIN_EXACT}, beats: base, by: 0.5}
"""


def _row(question: str, answer: str) -> str:
    messages = [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": question},
        {"role": "assistant", "content": answer},
    ]
    return json.dumps({"messages": messages}) + "\n"


def _write_project(root: Path, min_exact: float = 0.9) -> Path:
    (root / "data").mkdir(parents=True)
    (root / "specs").mkdir()
    (root / "fineplan.yaml").write_text(
        f"project: {PROJECT}\nspecs: ['specs/**/*.yaml']\ndefault_target: local\ntargets:\n  local:\n    type: local\n",
        encoding="utf-8",
    )
    (root / "data" / "train.jsonl").write_text("".join(_row(q, a) for q, a in QUESTIONS), encoding="utf-8")
    (root / "data" / "test.jsonl").write_text("".join(_row(q, a) for q, a in QUESTIONS[:10]), encoding="utf-8")
    (root / "specs" / "main.yaml").write_text(SPECS.replace("MIN_EXACT", str(min_exact)), encoding="utf-8")
    return root


@pytest.fixture
def evalproj(tmp_path: Path) -> Path:
    return _write_project(tmp_path / "evalproj")


def _runs(emu: Emu) -> list[Any]:
    """Every eval run the emulator holds for this project's evaluation."""
    out = []
    for ev in emu.openai.evals.list(limit=100):
        meta = ev.metadata or {}
        if meta.get(META_PROJECT) == PROJECT and meta.get(META_ADDRESS) == EVALUATION:
            out += list(emu.openai.evals.runs.list(ev.id, limit=100))
    return out


def _run_counts(emu: Emu) -> Counter[str]:
    return Counter(str((r.metadata or {}).get(META_SUBJECT)) for r in _runs(emu))


def _plan(cli: RunCli, root: Path) -> dict[str, Any]:
    out = root / "plan.json"
    result = cli(root, "plan", "-out", out)
    assert result.code in (0, 2), result.text
    shown = cli(root, "show", "-json", out)
    assert shown.code == 0, shown.text
    return dict(json.loads(shown.out))


def test_tuned_model_beats_base_so_the_gate_opens_and_a_second_plan_is_empty(
    evalproj: Path, emu: Emu, cli: RunCli
) -> None:
    emu.fast_training()
    plan = _plan(cli, evalproj)
    assert plan["format_version"] == "2.2"
    changes = changes_by_address(plan)
    assert changes[EVALUATION]["action"] == "create"
    assert set(changes[EVALUATION]["depends_on"]) == {"dataset.test", "deployment.tuned-dev", "deployment.base"}
    assert EVALUATION in changes[PROD]["depends_on"]
    (gate,) = plan["gates"]
    assert (gate["address"], gate["status"], gate["evaluation"]) == (PROD, "pending", EVALUATION)
    cost = changes[EVALUATION]["cost"]
    assert cost["usd"] > 0 and "tuned:" in cost["basis"] and "base:" in cost["basis"]

    applied = cli(evalproj, "apply", "--auto-approve")
    assert applied.code == 0, applied.text
    assert emu.deployment("prod").properties.model.name.startswith("gpt-4.1-mini-2025-04-14.ft-")
    record = load_state(evalproj).resources[EVALUATION]
    results = record.attributes["results"]
    assert record.status == "completed"
    assert results["tuned"]["graders"]["exact"] == {
        "score": 1.0,
        "pass_rate": 1.0,
        "passed": 10,
        "failed": 0,
        "errored": 0,
        "total": 10,
    }
    assert results["base"]["graders"]["exact"]["score"] == 0.0
    assert results["tuned"]["graders"]["similar"]["score"] > results["base"]["graders"]["similar"]["score"]
    assert {s: r["run_id"] for s, r in results.items()} == {s: r["id"] for s, r in record.attributes["runs"].items()}
    assert _run_counts(emu) == {"tuned": 1, "base": 1}

    again = _plan(cli, evalproj)
    assert {c["action"] for c in again["resource_changes"]} == {"no-op"}
    shown = cli(evalproj, "plan")
    assert shown.code == 0 and "No changes." in shown.out
    assert "evaluation.quality: current" in shown.out and "exact" in shown.out and "+1.000" in shown.out
    output = cli(evalproj, "output", EVALUATION)
    assert output.code == 0 and "run_id" in output.out
    assert "grader   tuned  base   delta" in output.out and "exact    1.000  0.000  +1.000" in output.out
    raw = cli(evalproj, "output", "--json", f"{EVALUATION}.results")
    assert json.loads(raw.out)["tuned"]["graders"]["exact"]["score"] == 1.0


def test_unreachable_min_score_keeps_the_prod_deployment_from_being_created(
    tmp_path: Path, emu: Emu, cli: RunCli
) -> None:
    root = _write_project(tmp_path / "p", min_exact=1.5)
    emu.fast_training()
    applied = cli(root, "apply", "--auto-approve")
    assert "skipped deployment.prod: gate failed: exact score of tuned = 1.000 (min 1.500)" in applied.text
    assert sorted(d.name for d in emu.deployments()) == ["base", "tuned-dev"]
    plan = _plan(cli, root)
    prod = changes_by_address(plan)[PROD]
    assert prod["action"] == "create" and prod["blocked"].startswith("gate failed: exact score of tuned")
    (gate,) = plan["gates"]
    assert gate["status"] == "failed"
    failing = [c for c in gate["checks"] if not c["passed"]]
    assert failing == [
        {"bound": "min_score", "grader": "exact", "subject": "tuned", "value": 1.0, "limit": 1.5, "passed": False}
    ]
    human = cli(root, "plan")
    assert "exact score of tuned = 1.000 (min 1.500): failed" in human.out
    md = cli(root, "plan", "--format", "markdown")
    assert (
        "#### Evaluations" in md.out
        and "| `exact` | 1.000 (100% pass, 10/10) | 0.000 (0% pass, 0/10) | +1.000 |" in md.out
    )


def test_a_changed_test_set_re_runs_only_the_evaluation(evalproj: Path, emu: Emu, cli: RunCli) -> None:
    emu.fast_training()
    assert cli(evalproj, "apply", "--auto-approve").code == 0
    jobs_before = emu.job_counts(PROJECT)
    first_eval = load_state(evalproj).resources[EVALUATION].remote_id
    created: list[str] = []
    emu.hooks.after("create_eval_run", lambda op, req, resp: created.append(op) and None)
    with (evalproj / "data" / "test.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(_row(*QUESTIONS[10]))
    plan = _plan(cli, evalproj)
    acting = {a: c["action"] for a, c in changes_by_address(plan).items() if c["action"] != "no-op"}
    assert acting == {EVALUATION: "create-then-delete", "dataset.test": "create-then-delete"}
    assert "test data content changed" in changes_by_address(plan)[EVALUATION]["reasons"][0]["message"]
    applied = cli(evalproj, "apply", "--auto-approve")
    assert applied.code == 0, applied.text
    assert emu.job_counts(PROJECT) == jobs_before == {"job.sft": 1}
    assert len(created) == 2  # one new run per subject
    assert _run_counts(emu) == {"tuned": 1, "base": 1}  # the old eval (and its runs) went at cleanup
    assert load_state(evalproj).resources[EVALUATION].remote_id != first_eval
    results = load_state(evalproj).resources[EVALUATION].attributes["results"]
    assert results["tuned"]["graders"]["exact"]["total"] == 11


@pytest.mark.parametrize("moment", ["create_eval_run", "get_eval_run"])
def test_sigkill_during_the_evaluation_never_starts_a_second_run(
    evalproj: Path, emu: Emu, cli: RunCli, spawn: Spawn, moment: str
) -> None:
    """Killed the moment the first run has been created (before its id reaches fineplan), or while it polls a
    run: the next apply adopts what exists by its metadata and starts only what is missing."""
    emu.fast_training()
    assert (
        cli(evalproj, "apply", "--auto-approve", "-target", "deployment.tuned-dev", "-target", "deployment.base").code
        == 0
    )
    proc = spawn(evalproj, "apply", "--auto-approve")
    killed: list[bool] = []

    def kill(op: str, req: Any, resp: Any) -> None:
        if not killed:
            killed.append(True)
            proc.signal(signal.SIGKILL)
            proc.wait()

    emu.hooks.after(moment, kill)
    proc.wait(120)
    assert killed, proc.output()
    emu.hooks.clear()
    assert sum(_run_counts(emu).values()) >= 1
    resumed = cli(evalproj, "apply", "--auto-approve")
    assert resumed.code == 0, resumed.text
    assert _run_counts(emu) == {"tuned": 1, "base": 1}
    record = load_state(evalproj).resources[EVALUATION]
    assert record.status == "completed" and record.attributes["results"]["tuned"]["graders"]["exact"]["score"] == 1.0
    poll(lambda: emu.deployment("prod"), 10, "prod deployment")


def test_only_a_subject_model_change_re_runs_and_an_eval_deleted_outside_is_run_again(
    evalproj: Path, emu: Emu, cli: RunCli
) -> None:
    emu.fast_training()
    assert cli(evalproj, "apply", "--auto-approve").code == 0
    main = evalproj / "specs" / "main.yaml"
    text = main.read_text(encoding="utf-8")
    base_spec = "name: base\nspec:\n  model: gpt-4.1-mini-2025-04-14\n  type: global_standard\n  capacity: 10\n"
    assert base_spec in text
    main.write_text(text.replace(base_spec, base_spec.replace("capacity: 10", "capacity: 20")), encoding="utf-8")
    acting = {a: c["action"] for a, c in changes_by_address(_plan(cli, evalproj)).items() if c["action"] != "no-op"}
    assert acting == {"deployment.base": "update"}  # capacity is no input of the evaluation

    main.write_text(text.replace("seed: 7", "seed: 8"), encoding="utf-8")  # the tuned model will be retrained
    plan = changes_by_address(_plan(cli, evalproj))
    assert plan["job.sft"]["action"] == "create-then-delete"
    assert plan[EVALUATION]["action"] == "create-then-delete"
    messages = [r["message"] for r in plan[EVALUATION]["reasons"]]
    assert "subject tuned's model will be trained anew" in messages and "subject model changed: tuned" in messages

    main.write_text(text, encoding="utf-8")
    out = evalproj / "replace.json"
    assert cli(evalproj, "plan", "-replace", "job.sft", "-out", out).code in (0, 2)
    forced = changes_by_address(json.loads(cli(evalproj, "show", "-json", out).out))
    assert forced[EVALUATION]["action"] == "create-then-delete"  # same inputs, but a new model to evaluate
    assert [r["message"] for r in forced[EVALUATION]["reasons"]] == ["subject tuned's model will be trained anew"]

    emu.openai.evals.delete(load_state(evalproj).resources[EVALUATION].remote_id)
    plan = changes_by_address(_plan(cli, evalproj))
    assert plan[EVALUATION]["action"] == "create"
    assert plan[EVALUATION]["reasons"][0]["code"] == "deleted_outside"
    assert {a: c["action"] for a, c in plan.items() if a != EVALUATION} == {a: "no-op" for a in plan if a != EVALUATION}


def test_no_wait_leaves_the_runs_going_and_the_next_apply_collects_them(evalproj: Path, emu: Emu, cli: RunCli) -> None:
    emu.fast_training()
    targets = ("-target", "deployment.tuned-dev", "-target", "deployment.base")
    assert cli(evalproj, "apply", "--auto-approve", *targets).code == 0
    emu.hooks.after("create_eval", lambda op, req, resp: emu.clock.freeze())  # its runs stay queued
    deferred = cli(evalproj, "apply", "--auto-approve", "--no-wait")
    assert EVALUATION in deferred.text and "re-run apply" in deferred.text
    assert load_state(evalproj).resources[EVALUATION].status == "running"
    assert [d.name for d in emu.deployments() if d.name == "prod"] == []
    plan = _plan(cli, evalproj)
    assert changes_by_address(plan)[EVALUATION]["action"] == "wait"
    assert [(g["status"], g["checks"][0]["bound"]) for g in plan["gates"]] == [("pending", "evaluation")]
    emu.hooks.clear()
    emu.clock.thaw()
    finished = cli(evalproj, "apply", "--auto-approve")
    assert finished.code == 0, finished.text
    assert _run_counts(emu) == {"tuned": 1, "base": 1}
    assert emu.deployment("prod").properties.provisioning_state == "Succeeded"
