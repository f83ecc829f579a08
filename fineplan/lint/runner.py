"""Run lint rules over a project: project rules, dataset checks, then select/ignore and inline ignores."""

from __future__ import annotations

from collections.abc import Iterable

from fineplan.diagnostics import Diagnostic
from fineplan.lint.registry import all_rules
from fineplan.lint.rule import ProjectRule
from fineplan.spec.project import Project

# Loader and graph errors stop everything downstream; they cannot be deselected.
_ALWAYS = ("FP1", "FP2")


def run_project_rules(project: Project) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for rule_cls in all_rules():
        if issubclass(rule_cls, ProjectRule):
            out.extend(rule_cls().check(project))
    return out


def _matches(code: str, prefixes: Iterable[str]) -> bool:
    return any(code.startswith(p.upper()) for p in prefixes)


def filter_diagnostics(
    project: Project | None,
    diags: Iterable[Diagnostic],
    select: Iterable[str] = (),
    ignore: Iterable[str] = (),
) -> list[Diagnostic]:
    select, ignore = tuple(select), tuple(ignore)
    if project is not None:
        select = select or project.settings.lint.select
        ignore = (*ignore, *project.settings.lint.ignore)
    out: list[Diagnostic] = []
    for d in diags:
        if not (d.is_error and d.code.startswith(_ALWAYS)):
            if select and not _matches(d.code, select):
                continue
            if ignore and _matches(d.code, ignore):
                continue
            if project is not None and d.location is not None:
                codes = project.inline_ignores.get(d.location.file, {}).get(d.location.line, frozenset())
                if d.code in codes:
                    continue
        out.append(d)
    return sorted(out, key=Diagnostic.sort_key)
