"""The shape of a lint rule.

A rule is one small class per code. Its docstring is its documentation, with fixed headings:
the first line is the summary, then `What it does`, `Why`, `Example` sections (shown by `lint --explain`).

Two families share this base:
- `ProjectRule`s look at the loaded project (specs, graph, catalog) and yield diagnostics.
- Dataset rules (FP4xx) are checked inside the streaming dataset validator for speed (one pass over the
  bytes); their classes still carry code, severity and docs so the registry can list and explain them.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, ClassVar

from fineplan.diagnostics import Diagnostic, Location, Severity

if TYPE_CHECKING:
    from fineplan.spec.project import Project

_CODE = re.compile(r"^FP[1-5]\d\d$")


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]  # kebab-case, e.g. "dpo-unsupported-model"
    severity: ClassVar[Severity] = Severity.ERROR
    group: ClassVar[str] = ""  # structure | references | compatibility | datasets | cost

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "code" in cls.__dict__:
            if not _CODE.match(cls.code):
                raise TypeError(f"{cls.__name__}: bad rule code {cls.code!r}")
            from fineplan.lint.registry import register

            register(cls)

    @classmethod
    def summary(cls) -> str:
        doc = inspect.getdoc(cls) or ""
        return doc.splitlines()[0].strip() if doc else cls.__name__

    @classmethod
    def docs(cls) -> str:
        return inspect.getdoc(cls) or cls.summary()

    @classmethod
    def diag(
        cls,
        summary: str,
        location: Location | None,
        detail: str = "",
        severity: Severity | None = None,
    ) -> Diagnostic:
        return Diagnostic(severity or cls.severity, cls.code, summary, detail, location)


class ProjectRule(Rule):
    """A rule over the loaded project."""

    def check(self, project: Project) -> Iterator[Diagnostic]:
        raise NotImplementedError


class DatasetRule(Rule):
    """A dataset rule: documented here, checked by the streaming validator in fineplan.datasets."""

    group = "datasets"


class LoaderRule(Rule):
    """A structural rule raised by the loader itself (YAML syntax, unknown keys, ...); documented here."""

    group = "structure"
