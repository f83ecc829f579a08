"""The rule registry: one documented class per code, and every code the code base emits is registered."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fineplan.diagnostics import Severity
from fineplan.lint.registry import all_rules, get_rule
from fineplan.lint.rule import ProjectRule, Rule

RULES = all_rules()
HEADINGS = ("What it does", "Why", "Example")


def test_codes_and_names_are_unique_and_well_formed() -> None:
    codes = [r.code for r in RULES]
    names = [r.name for r in RULES]
    assert codes == sorted(set(codes))
    assert len(names) == len(set(names))
    for r in RULES:
        assert re.fullmatch(r"FP[1-5]\d\d", r.code), r
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", r.name), r
        assert r.group in ("structure", "references", "compatibility", "datasets", "cost"), r
        assert isinstance(r.severity, Severity)


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_every_rule_has_docs_with_the_fixed_headings(rule: type[Rule]) -> None:
    docs = rule.docs()
    lines = docs.splitlines()
    assert rule.summary() == lines[0] and lines[0].endswith("."), f"{rule.code}: summary line"
    positions = []
    for heading in HEADINGS:
        assert heading in lines, f"{rule.code} docs lack the heading {heading!r}"
        index = lines.index(heading)
        body = lines[index + 1] if index + 1 < len(lines) else ""
        assert body.startswith("    ") and body.strip(), f"{rule.code}: {heading!r} has no indented text under it"
        positions.append(index)
    assert positions == sorted(positions), f"{rule.code}: headings out of order"


def test_the_foundation_codes_are_registered() -> None:
    codes = {r.code for r in RULES}
    wanted = {f"FP{n}" for n in [*range(100, 117), *range(201, 205), *range(301, 321)]}
    assert wanted <= codes, sorted(wanted - codes)
    assert all(issubclass(get_rule(f"FP{n}"), ProjectRule) for n in range(301, 321))


def test_get_rule_is_case_insensitive_and_none_for_unknown() -> None:
    assert get_rule("fp301") is get_rule("FP301") is not None
    assert get_rule("FP999") is None


def test_every_code_emitted_in_the_source_is_documented(repo_root: Path) -> None:
    """A code string in the loader, graph, lint or dataset modules must have a rule class that explains it."""
    registered = {r.code for r in RULES}
    emitted: dict[str, str] = {}
    for package in ("spec", "graph", "lint", "datasets", "plan", "context.py"):
        base = repo_root / "fineplan" / package
        files = [base] if base.is_file() else sorted(base.rglob("*.py"))
        for path in files:
            for code in re.findall(r"[\"'](FP[1-5]\d\d)[\"']", path.read_text("utf-8")):
                emitted.setdefault(code, str(path.relative_to(repo_root)))
    undocumented = {code: where for code, where in emitted.items() if code not in registered}
    assert not undocumented, f"codes without a rule class: {undocumented}"
