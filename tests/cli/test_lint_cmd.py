"""`fineplan lint`: exit codes, --strict, --list-rules, --explain, select/ignore settings and inline ignores."""

from __future__ import annotations

import json
from pathlib import Path

from cli_helpers import SPECS, MakeProject, RunCli

from fineplan.lint.registry import all_rules


def _codes(out: str) -> list[str]:
    return [d["code"] for d in json.loads(out)["diagnostics"]]


def test_quickstart_lints_clean(cli: RunCli, repo_root: Path) -> None:
    """The issue's "done when": `fineplan -C examples/quickstart lint` exits 0, datasets included."""
    result = cli("-C", repo_root / "examples" / "quickstart", "lint", "--format", "json")
    assert result.code == 0, result.out
    doc = json.loads(result.out)
    assert doc["valid"] is True and doc["error_count"] == 0, result.out


def test_quickstart_is_clean_even_under_strict(cli: RunCli, repo_root: Path) -> None:
    result = cli("-C", repo_root / "examples" / "quickstart", "lint", "--strict")
    assert result.code == 0, result.out
    assert "Success! The configuration is valid." in result.out


def test_warnings_exit_zero_unless_strict(cli: RunCli, make_project: MakeProject) -> None:
    project = make_project()
    plain = cli("-C", project, "lint")
    assert plain.code == 0
    assert "Warning: FP312" in plain.out
    assert plain.out.rstrip().endswith("Success! The configuration is valid, with 1 warning(s).")
    assert cli("-C", project, "lint", "--strict").code == 1


def test_errors_exit_one_and_say_how_many(cli: RunCli, make_project: MakeProject) -> None:
    project = make_project(SPECS.replace("gpt-4.1-nano-2025-04-14", "gpt-4.1-nano"))
    result = cli("-C", project, "lint")
    assert result.code == 1
    assert "Error: FP301" in result.out
    assert result.out.rstrip().endswith("1 error(s), 1 warning(s).")


def test_inline_ignore_suppresses_only_the_named_code_on_its_line(cli: RunCli, make_project: MakeProject) -> None:
    ignored = make_project(SPECS.replace("type: developer", "type: developer  # fineplan: ignore[FP312] demo only"))
    assert _codes(cli("-C", ignored, "lint", "--format", "json").out) == []
    assert cli("-C", ignored, "lint", "--strict").code == 0

    other_code = make_project(
        SPECS.replace("type: developer", "type: developer  # fineplan: ignore[FP311] wrong code"), name="other"
    )
    assert _codes(cli("-C", other_code, "lint", "--format", "json").out) == ["FP312"]

    other_line = make_project(
        SPECS.replace("name: web", "name: web  # fineplan: ignore[FP312] wrong line"), name="line"
    )
    assert _codes(cli("-C", other_line, "lint", "--format", "json").out) == ["FP312"]


def test_inline_ignore_takes_several_codes(cli: RunCli, make_project: MakeProject) -> None:
    specs = SPECS.replace("model: {job: sft}", "model: gpt-4.1-mini-2025-04-14").replace(
        "type: developer", "type: developer  # fineplan: ignore[FP311, fp312] testing the tier"
    )
    assert _codes(cli("-C", make_project(specs), "lint", "--format", "json").out) == []


def test_settings_ignore_and_select(cli: RunCli, make_project: MakeProject) -> None:
    specs = SPECS.replace("suffix: sums", "suffix: sums and more")  # FP309 error, plus the FP312 warning
    both = make_project(specs)
    assert sorted(_codes(cli("-C", both, "lint", "--format", "json").out)) == ["FP309", "FP312"]

    ignored = make_project(specs, "project: cli\nlint: {ignore: [FP309]}\n", name="ignored")
    result = cli("-C", ignored, "lint", "--format", "json")
    assert (_codes(result.out), result.code) == (["FP312"], 0)

    by_prefix = make_project(specs, "project: cli\nlint: {ignore: [FP3]}\n", name="prefix")
    assert _codes(cli("-C", by_prefix, "lint", "--format", "json").out) == []

    selected = make_project(specs, "project: cli\nlint: {select: [FP312]}\n", name="selected")
    result = cli("-C", selected, "lint", "--format", "json")
    assert (_codes(result.out), result.code) == (["FP312"], 0)


def test_structural_errors_cannot_be_ignored(cli: RunCli, make_project: MakeProject) -> None:
    """Loader and graph errors stop everything downstream, so lint settings never hide them."""
    project = make_project(
        SPECS.replace("training_data: train", "training_data: trian"), "project: cli\nlint: {ignore: [FP2, FP201]}\n"
    )
    result = cli("-C", project, "lint", "--format", "json")
    assert result.code == 1
    assert _codes(result.out) == ["FP201"]


def test_rules_only_run_when_the_specs_load(cli: RunCli, make_project: MakeProject) -> None:
    """A project with structural errors reports those, not a cascade of rule findings on half-loaded specs."""
    project = make_project(SPECS.replace("suffix: sums", "suffix: sums and more\n  n_epochs: 3"))
    assert _codes(cli("-C", project, "lint", "--format", "json").out) == ["FP103"]


def test_list_rules_lists_every_rule_once(cli: RunCli) -> None:
    result = cli("lint", "--list-rules")
    assert result.code == 0
    lines = result.out.splitlines()
    assert [ln.split()[0] for ln in lines] == [r.code for r in all_rules()]
    fp301 = next(ln for ln in lines if ln.startswith("FP301"))
    assert "error" in fp301 and "unknown-base-model" in fp301 and "not in fineplan's model catalog" in fp301


def test_explain_prints_the_rule_docs(cli: RunCli) -> None:
    result = cli("lint", "--explain", "fp302")
    assert result.code == 0
    assert result.out.startswith("FP302 method-not-supported (error)")
    for heading in ("What it does", "Why", "Example"):
        assert f"\n{heading}\n" in result.out


def test_explain_unknown_rule_exits_one(cli: RunCli) -> None:
    result = cli("lint", "--explain", "FP999")
    assert result.code == 1
    assert "Unknown rule FP999" in result.out + result.err


def test_lint_reads_datasets_unless_told_not_to(cli: RunCli, make_project: MakeProject) -> None:
    project = make_project()
    (project / "data/train.jsonl").write_text('{"messages": "not a list"}\n', encoding="utf-8")
    with_data = _codes(cli("-C", project, "lint", "--format", "json").out)
    assert any(code.startswith("FP4") for code in with_data), with_data
    assert _codes(cli("-C", project, "lint", "--no-datasets", "--format", "json").out) == ["FP312"]


def test_unknown_format_is_a_usage_error(cli: RunCli, make_project: MakeProject) -> None:
    result = cli("-C", make_project(), "lint", "--format", "xml")
    assert result.code == 1  # not 2: that means "changes" under plan --detailed-exitcode
    assert "invalid choice" in result.err


def test_lint_checks_the_budget_as_plan_does(cli: RunCli, make_project: MakeProject) -> None:
    """The README says lint checks the budget: a project `plan` would refuse with FP501 does not lint clean.
    Lint reads no state, so it prices every job as if it were created, and says so."""
    over = make_project(settings="project: cli\npolicy:\n  max_training_cost_usd: 0.000001\n")
    result = cli("-C", over, "lint", "--format", "json")
    assert result.code == 1, result.out
    (finding,) = [d for d in json.loads(result.out)["diagnostics"] if d["code"] == "FP501"]
    assert finding["severity"] == "error"
    assert "as if every job were created" in finding["detail"]
    assert finding["range"]["filename"].endswith("fineplan.yaml") and finding["range"]["start"]["line"] == 3
    assert "Success" not in cli("-C", over, "lint").out

    within = make_project(settings="project: cli\npolicy:\n  max_training_cost_usd: 100\n", name="within")
    assert "FP501" not in _codes(cli("-C", within, "lint", "--format", "json").out)


def test_lint_refuses_an_unpriced_job_under_a_budget_unless_priced(cli: RunCli, make_project: MakeProject) -> None:
    specs = (
        SPECS.replace("gpt-4.1-nano-2025-04-14", "Ministral-3B")
        .replace("  suffix: sums\n", "  suffix: sums\n  training_type: global\n")
        .replace("type: developer", "type: global_standard")
    )
    unpriced = make_project(specs, settings="project: cli\npolicy: {max_training_cost_usd: 50}\n")
    result = cli("-C", unpriced, "lint", "--format", "json")
    assert result.code == 1, result.out
    (finding,) = [d for d in json.loads(result.out)["diagnostics"] if d["code"] == "FP502"]
    assert finding["severity"] == "error" and "job.sft" in finding["summary"]

    priced = make_project(
        specs,
        settings="project: cli\npolicy: {max_training_cost_usd: 50}\nprices:\n"
        "  training_per_1m_tokens: {Ministral-3B: 2.0}\n",
        name="priced",
    )
    assert "FP502" not in _codes(cli("-C", priced, "lint", "--format", "json").out)
    no_budget = make_project(specs, name="free")
    warned = [d for d in json.loads(cli("-C", no_budget, "lint", "--format", "json").out)["diagnostics"]]
    assert [d["severity"] for d in warned if d["code"] == "FP502"] == ["warning"]
