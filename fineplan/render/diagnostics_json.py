"""`terraform validate -json`-shaped output: {valid, error_count, warning_count, diagnostics}."""

from __future__ import annotations

import json
from typing import Any

from fineplan.diagnostics import Diagnostic, counts


def diagnostics_document(diags: list[Diagnostic]) -> dict[str, Any]:
    e, w = counts(diags)
    return {
        "format_version": "1.0",
        "valid": e == 0,
        "error_count": e,
        "warning_count": w,
        "diagnostics": [d.to_json() for d in diags],
    }


def render_json(diags: list[Diagnostic]) -> str:
    return json.dumps(diagnostics_document(diags), indent=2) + "\n"
