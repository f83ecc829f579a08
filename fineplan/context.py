"""The facade the CLI calls: load → validate → lint (→ plan → apply in fineplan.engine)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fineplan.diagnostics import Diagnostic, has_errors
from fineplan.errors import DiagnosticsError
from fineplan.spec.project import Project


@dataclass
class Context:
    root: Path
    _loaded: tuple[Project | None, list[Diagnostic]] | None = field(default=None, repr=False)

    def load(self) -> tuple[Project | None, list[Diagnostic]]:
        if self._loaded is None:
            from fineplan.spec.loader import load_project

            self._loaded = load_project(self.root)
        return self._loaded

    def project(self) -> Project:
        """The loaded project, or DiagnosticsError if loading found errors."""
        project, diags = self.load()
        if project is None or has_errors(diags):
            raise DiagnosticsError([d for d in diags if d.is_error] or diags)
        return project

    def validate(self) -> list[Diagnostic]:
        """Structure and references only (FP1xx, FP2xx): no dataset is read."""
        from fineplan.lint.runner import filter_diagnostics

        project, diags = self.load()
        return filter_diagnostics(project, diags, select=("FP1", "FP2"))

    def lint(self, *, datasets: bool = True) -> list[Diagnostic]:
        from fineplan.lint.runner import filter_diagnostics, run_project_rules

        project, diags = self.load()
        found = list(diags)
        if project is not None and not has_errors(diags):
            found.extend(run_project_rules(project))
            if datasets:
                from fineplan.lint.dataset_checks import check_project_datasets

                found.extend(check_project_datasets(project))
        return filter_diagnostics(project, found)
