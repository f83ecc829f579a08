"""Data-driven pass/fail cases for every FP4xx rule (tests/datasets/cases/FP4xx.yaml).

A case file names its `rule` and a default `format`, then lists `pass` and `fail` cases. A case gives `lines`
(mappings are written as JSON, strings as raw text); unless `pad: false`, ten valid filler examples are appended
after them so the 10-example minimum holds and line numbers in the case stay as written. A fail case expects
`lines` (every line the rule reports, first included) or a `count`. Grader cases give `grader`,
`response_format` and `rows` instead; Evaluation grader cases give `graders` (a list, at eval.yaml lines 10, 11,
...), `format` and `rows`, and the rows are read as eval items. Strings of the form `<<repeat:N:text>>`
expand to text repeated N times; `{$hex: "..."}` is a raw line given as hex bytes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from dataset_helpers import fillers, write_jsonl

from fineplan.datasets import check as check_mod
from fineplan.datasets import codes as C
from fineplan.datasets.check import check_dataset
from fineplan.datasets.formats import VALIDATORS
from fineplan.datasets.graders import check_grader
from fineplan.diagnostics import Diagnostic, Location
from fineplan.lint.evaluation_checks import check_graders_on_rows
from fineplan.lint.registry import all_rules

CASES = Path(__file__).parent / "cases"
_REPEAT = re.compile(r"<<repeat:(\d+):(.*)>>", re.S)


def _expand(node: Any) -> Any:
    if isinstance(node, dict) and set(node) == {"$hex"}:
        return bytes.fromhex(node["$hex"])
    if isinstance(node, str):
        return _REPEAT.sub(lambda m: m.group(2) * int(m.group(1)), node)
    if isinstance(node, list):
        return [_expand(x) for x in node]
    if isinstance(node, dict):
        return {k: _expand(v) for k, v in node.items()}
    return node


def _load() -> list[tuple[str, str, str, dict[str, Any], dict[str, Any]]]:
    out = []
    for path in sorted(CASES.glob("FP4*.yaml")):
        doc = yaml.safe_load(path.read_text("utf-8"))
        for kind in ("pass", "fail"):
            for i, case in enumerate(doc.get(kind) or []):
                out.append((doc["rule"], kind, case.get("name", f"{kind}-{i}"), doc, _expand(case)))
    return out


ALL = _load()


def test_every_dataset_rule_has_pass_and_fail_cases() -> None:
    codes = {r.code for r in all_rules() if r.code.startswith("FP4")}
    have = {(rule, kind) for rule, kind, *_ in ALL}
    missing = sorted(f"{c} {k}" for c in codes for k in ("pass", "fail") if (c, k) not in have)
    assert not missing, f"rules without cases: {missing}"


def _at(file: Path, line: int) -> Location:
    return Location(file.name, line)


def _run(tmp_path: Path, doc: dict[str, Any], case: dict[str, Any]) -> list[Diagnostic]:
    fmt = case.get("format", doc.get("format", "chat"))
    if "graders" in case:
        rows = write_jsonl(tmp_path / "rows.jsonl", case.get("rows", doc.get("rows", [])))
        graders = tuple(case["graders"])
        where = [Location("eval.yaml", 10 + i) for i in range(len(graders))]
        return check_graders_on_rows(
            graders, where, fmt, [rows], case.get("response_format"), evaluation="ev", dataset="test", locate=_at
        )
    if "grader" in case:
        rows = write_jsonl(tmp_path / "rows.jsonl", case.get("rows", doc.get("rows", [])))
        return check_grader(case["grader"], case.get("response_format"), [rows], Location("job.yaml", 7))
    if case.get("missing_file"):
        return check_dataset(tmp_path / "absent.jsonl", fmt).diagnostics
    lines = list(case.get("lines", []))
    if case.get("pad", True):
        lines += fillers(fmt, start=10_000)
    path = write_jsonl(tmp_path / "data.jsonl", lines)
    if case.get("prefix"):
        path.write_bytes(case["prefix"].encode("latin-1") + path.read_bytes())
    validation_of = None
    if "train_lines" in case:
        validation_of = write_jsonl(tmp_path / "train.jsonl", case["train_lines"] + fillers(fmt, start=20_000))
    return check_dataset(
        path, fmt, case.get("model"), exact=case.get("exact", False), validation_of=validation_of
    ).diagnostics


@pytest.mark.parametrize(("rule", "kind", "name", "doc", "case"), ALL, ids=[f"{r}-{k}-{n}" for r, k, n, _, _ in ALL])
def test_rule_case(
    rule: str,
    kind: str,
    name: str,
    doc: dict[str, Any],
    case: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if "max_file_bytes" in case:
        monkeypatch.setattr(check_mod, "MAX_FILE_BYTES", case["max_file_bytes"])
    if case.get("inject_failure"):

        def broken(example: dict[str, Any], add: Any) -> Any:
            if "boom" in example:
                raise RuntimeError("injected")
            return original(example, add)

        original = VALIDATORS[doc.get("format", "chat")]
        monkeypatch.setitem(VALIDATORS, doc.get("format", "chat"), broken)
    diags = _run(tmp_path, doc, case)
    found = [d for d in diags if d.code == rule]
    if kind == "pass":
        assert not found, f"{rule} fired on a pass case: {[d.summary for d in found]}"
        errors = [f"{d.code} {d.summary}" for d in diags if d.is_error and d.code not in case.get("allow", [])]
        assert not errors, f"pass case has other errors: {errors}"
        return
    assert len(found) == 1, f"expected one {rule} diagnostic, got {[d.summary for d in diags]}"
    d = found[0]
    assert d.severity is C.SEVERITY[rule]
    if "lines" in case.get("expect", {}):
        want = case["expect"]["lines"]
        got = [d.location.line, *(o.line for o in d.occurrences)] if d.location else []
        assert got == want[: len(got)] and d.count == len(want), (got, d.count, want)
    if "count" in case.get("expect", {}):
        assert d.count == case["expect"]["count"]
    if "message" in case.get("expect", {}):
        assert case["expect"]["message"] in d.summary + "\n" + d.detail, d.summary
    if "column" in case.get("expect", {}):
        assert d.location is not None and d.location.column == case["expect"]["column"]
