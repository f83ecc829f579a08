"""SARIF 2.1.0 for GitHub code scanning: one run, rules from the registry, one result per diagnostic."""

from __future__ import annotations

import json
from typing import Any

from fineplan import __version__
from fineplan.diagnostics import Diagnostic
from fineplan.lint.registry import all_rules

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def sarif_document(diags: list[Diagnostic]) -> dict[str, Any]:
    rules = all_rules()
    index = {r.code: i for i, r in enumerate(rules)}
    results: list[dict[str, Any]] = []
    for d in diags:
        result: dict[str, Any] = {
            "ruleId": d.code,
            "level": _LEVEL[d.severity.value],
            "message": {"text": d.summary + (f"\n{d.detail}" if d.detail else "")},
        }
        if d.code in index:
            result["ruleIndex"] = index[d.code]
        if d.location is not None:
            loc = d.location
            result["locations"] = [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": loc.file, "uriBaseId": "%SRCROOT%"},
                        "region": {
                            "startLine": loc.line,
                            "startColumn": loc.column,
                            "endLine": loc.end_line or loc.line,
                            "endColumn": max(loc.end_column or loc.column + 1, loc.column + 1)
                            if (loc.end_line or loc.line) == loc.line
                            else (loc.end_column or 1),
                        },
                    }
                }
            ]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "fineplan",
                        "version": __version__,
                        "informationUri": "https://github.com/fineplan/fineplan",
                        "rules": [
                            {
                                "id": r.code,
                                "name": _camel(r.name),
                                "shortDescription": {"text": r.summary()},
                                "fullDescription": {"text": r.docs()},
                                "help": {"text": r.docs()},
                                "defaultConfiguration": {"level": _LEVEL[r.severity.value]},
                                "properties": {"tags": [r.group or "fineplan"]},
                            }
                            for r in rules
                        ],
                    }
                },
                "results": results,
            }
        ],
    }


def _camel(name: str) -> str:
    return "".join(p.capitalize() for p in name.split("-"))


def render_sarif(diags: list[Diagnostic]) -> str:
    return json.dumps(sarif_document(diags), indent=2) + "\n"
