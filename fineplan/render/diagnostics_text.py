"""Human rendering of diagnostics, Terraform-style: severity, code, summary, location, source line, detail."""

from __future__ import annotations

from pathlib import Path

from fineplan.diagnostics import Diagnostic, Severity, counts
from fineplan.render.color import Painter, use_color


def _source_line(root: Path | None, file: str, line: int) -> str | None:
    if root is None or file.endswith(".jsonl"):
        return None
    try:
        with (root / file).open("r", encoding="utf-8", errors="replace") as fh:
            for i, text in enumerate(fh, start=1):
                if i == line:
                    return text.rstrip("\n")
    except OSError:
        return None
    return None


def render_diagnostics(
    diags: list[Diagnostic], root: Path | None = None, color: bool | None = None, *, totals: bool = True
) -> str:
    """Each diagnostic with its source line; `totals=False` leaves the closing count to the caller."""
    paint = Painter(use_color() if color is None else color)
    out: list[str] = []
    for d in diags:
        style = {"error": "red", "warning": "yellow", "info": "blue"}[d.severity.value]
        head = paint(f"{d.severity.value.capitalize()}: ", style, "bold") + paint(f"{d.code} ", "bold") + d.summary
        out.append(head)
        if d.location is not None:
            out.append(f"  on {d.location.file} line {d.location.line}, column {d.location.column}")
            src = _source_line(root, d.location.file, d.location.line)
            if src is not None and len(src) < 200:
                out.append(f"  {d.location.line:>4} | {src}")
                out.append("       | " + " " * (d.location.column - 1) + paint("^", style))
        if d.count > 1:
            lines = ", ".join(str(o.line) for o in d.occurrences[:10])
            out.append(
                f"  {d.count} occurrences" + (f" (lines {lines}{', ...' if d.count > 10 else ''})" if lines else "")
            )
        if d.detail:
            out.extend("  " + ln for ln in d.detail.splitlines())
        out.append("")
    e, w = counts(diags)
    if diags and totals:
        out.append(f"{e} error(s), {w} warning(s).")
    return "\n".join(out) + ("\n" if out else "")


def summary_line(diags: list[Diagnostic]) -> str:
    e, w = counts(diags)
    if e:
        return f"{e} error(s), {w} warning(s)."
    return "Success! The configuration is valid" + (f", with {w} warning(s)." if w else ".")


__all__ = ["Severity", "render_diagnostics", "summary_line"]
