"""`fineplan lint --format json|sarif|github`: the shapes other tools read."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import SPECS, MakeProject, RunCli

from fineplan.diagnostics import Diagnostic, Location, Severity
from fineplan.lint.registry import all_rules
from fineplan.render.github import render_github
from fineplan.render.sarif import render_sarif

# FP309 (error, line 10) and FP312 (warning, line 16)
BROKEN = SPECS.replace("suffix: sums", "suffix: sums and more")


def _lint(cli: RunCli, project: Path, fmt: str) -> tuple[int, str]:
    result = cli("-C", project, "lint", "--format", fmt)
    return result.code, result.out


def test_json_is_shaped_like_terraform_validate(cli: RunCli, make_project: MakeProject) -> None:
    code, out = _lint(cli, make_project(BROKEN), "json")
    doc = json.loads(out)
    assert code == 1
    assert {"valid", "error_count", "warning_count", "diagnostics"} <= set(doc)
    assert (doc["valid"], doc["error_count"], doc["warning_count"]) == (False, 1, 1)
    assert [d["code"] for d in doc["diagnostics"]] == ["FP309", "FP312"]  # sorted by file, line
    for d in doc["diagnostics"]:
        assert {"severity", "code", "summary", "detail", "range"} <= set(d)
        assert d["severity"] in ("error", "warning")
        r = d["range"]
        assert r["filename"] == "specs/main.yaml"
        assert set(r) == {"filename", "start", "end"}
        assert r["start"]["line"] >= 1 and r["start"]["column"] >= 1
        assert (r["end"]["line"], r["end"]["column"]) >= (r["start"]["line"], r["start"]["column"])
    assert doc["diagnostics"][0]["range"]["start"] == {"line": 10, "column": 11}


def test_json_when_clean(cli: RunCli, make_project: MakeProject) -> None:
    code, out = _lint(cli, make_project(SPECS.replace("type: developer", "type: standard")), "json")
    assert code == 0
    assert json.loads(out) | {"format_version": None} == {
        "format_version": None,
        "valid": True,
        "error_count": 0,
        "warning_count": 0,
        "diagnostics": [],
    }


def _sarif(cli: RunCli, project: Path) -> dict[str, Any]:
    return json.loads(_lint(cli, project, "sarif")[1])


def test_sarif_is_structurally_valid_2_1_0(cli: RunCli, make_project: MakeProject) -> None:
    doc = _sarif(cli, make_project(BROKEN))
    assert doc["version"] == "2.1.0"
    assert "sarif" in doc["$schema"] and "2.1.0" in doc["$schema"]
    (run,) = doc["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "fineplan" and driver["version"]
    rule_ids = [r["id"] for r in driver["rules"]]
    assert rule_ids == [r.code for r in all_rules()]
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]+", rule["name"])
    results = run["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [("FP309", "error"), ("FP312", "warning")]
    for result in results:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert result["message"]["text"]
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == "specs/main.yaml"
        region = physical["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert region["endLine"] >= region["startLine"]
        if region["endLine"] == region["startLine"]:
            assert region["endColumn"] > region["startColumn"]
    assert results[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 10


def test_sarif_and_github_paths_are_relative_to_the_working_directory(
    cli: RunCli, make_project: MakeProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GitHub resolves paths from the repository root, so `-C sub/dir` must show up in them."""
    project = make_project(BROKEN, name="sub/project")
    monkeypatch.chdir(tmp_path)
    results = _sarif(cli, Path("sub/project"))["runs"][0]["results"]
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results} == {
        "sub/project/specs/main.yaml"
    }
    _, out = _lint(cli, project, "github")
    assert all(",file=" not in ln and "file=sub/project/specs/main.yaml," in ln for ln in out.splitlines())
    # json and text stay relative to the project, like terraform validate
    _, out = _lint(cli, project, "json")
    assert json.loads(out)["diagnostics"][0]["range"]["filename"] == "specs/main.yaml"


ANNOTATION = re.compile(
    r"^::(?P<level>error|warning|notice) file=(?P<file>[^,]+),line=(?P<line>\d+),col=(?P<col>\d+)"
    r"(?:,endLine=\d+)?(?:,endColumn=\d+)?,title=(?P<title>FP\d{3})::(?P<message>.*)$"
)


def test_github_annotations(cli: RunCli, make_project: MakeProject) -> None:
    code, out = _lint(cli, make_project(BROKEN), "github")
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 2
    matches = [ANNOTATION.match(ln) for ln in lines]
    assert all(matches), lines
    first, second = matches
    assert (first["level"], first["file"], first["line"], first["col"], first["title"]) == (
        "error",
        "specs/main.yaml",
        "10",
        "11",
        "FP309",
    )
    assert second["level"] == "warning" and second["title"] == "FP312"


def test_github_escapes_messages_and_properties() -> None:
    diag = Diagnostic(
        Severity.WARNING, "FP312", "100% sure: a, b", "line one\nline two\r", Location("dir,x/a:b.yaml", 3, 4)
    )
    (line,) = render_github([diag]).splitlines()
    assert line == (
        "::warning file=dir%2Cx/a%3Ab.yaml,line=3,col=4,title=FP312::100%25 sure: a, b%0Aline one%0Aline two%0D"
    )


def test_renderers_cope_with_diagnostics_without_location() -> None:
    diag = Diagnostic(Severity.ERROR, "FP501", "over budget")
    assert render_github([diag]) == "::error title=FP501::over budget\n"
    (result,) = json.loads(render_sarif([diag]))["runs"][0]["results"]
    assert "locations" not in result and result["ruleId"] == "FP501"


def test_text_output_has_no_colour_off_a_terminal(cli: RunCli, make_project: MakeProject) -> None:
    _, out = _lint(cli, make_project(BROKEN), "text")
    assert "\x1b[" not in out
    assert "Error: FP309" in out and "Warning: FP312" in out
