"""GitHub Actions workflow commands: `::error file=…,line=…,col=…,title=FP103::message`."""

from __future__ import annotations

from fineplan.diagnostics import Diagnostic

_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def _escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_prop(s: str) -> str:
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")


def render_github(diags: list[Diagnostic]) -> str:
    lines: list[str] = []
    for d in diags:
        props = []
        if d.location is not None:
            loc = d.location
            props += [f"file={_escape_prop(loc.file)}", f"line={loc.line}", f"col={loc.column}"]
            if loc.end_line:
                props.append(f"endLine={loc.end_line}")
            if loc.end_column and (loc.end_line or loc.line) == loc.line:
                props.append(f"endColumn={loc.end_column}")
        props.append(f"title={_escape_prop(d.code)}")
        message = d.summary + (f"\n{d.detail}" if d.detail else "")
        lines.append(f"::{_LEVEL[d.severity.value]} {','.join(props)}::{_escape_data(message)}")
    return "\n".join(lines) + ("\n" if lines else "")
