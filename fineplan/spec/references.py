"""The resource graph of a Project (Dataset ← job ← stacked job ← deployment) and its reference checks (FP2xx).

Here rather than in `fineplan.graph`, which stays generic: the spec depends on the graph, never the reverse.
"""

from __future__ import annotations

from fineplan.diagnostics import Diagnostic, Severity
from fineplan.graph.dag import DAG
from fineplan.spec.models import ADDRESS_PREFIX, address_of
from fineplan.spec.project import Project, references
from fineplan.spec.pydantic_errors import closest


def build_graph(project: Project) -> DAG:
    """Edges point from a resource to the resources it needs (Dataset ← Job ← stacked Job ← Deployment)."""
    dag = DAG()
    for entry in project.entries.values():
        deps = [address_of(kind, name) for kind, name, _ in references(entry)]
        dag.add(entry.address, [d for d in deps if d in project.entries])
    return dag


class _Suggestions:
    """ "Did you mean" for references: only names of the referenced kind, never the referring resource itself.

    Names per kind are collected once (declared ones included: a resource whose document failed validation is
    still the name the user meant), and each misspelling is matched once, so many dangling references cost one
    pass over the names each, not one pass over the whole project each.
    """

    def __init__(self, project: Project) -> None:
        self._project = project
        self._names: dict[str, list[str]] | None = None
        self._memo: dict[tuple[str, str], list[str]] = {}

    def _by_kind(self) -> dict[str, list[str]]:
        if self._names is None:
            prefixes = {prefix: kind for kind, prefix in ADDRESS_PREFIX.items()}
            names: dict[str, dict[str, None]] = {kind: {} for kind in ADDRESS_PREFIX}
            for address in (*self._project.entries, *sorted(self._project.declared)):
                prefix, _, name = address.partition(".")
                if prefix in prefixes:
                    names[prefixes[prefix]].setdefault(name, None)
            self._names = {kind: list(found) for kind, found in names.items()}
        return self._names

    def hint(self, kind: str, name: str, referrer: str) -> str:
        key = (kind, name)
        if key not in self._memo:
            # Two candidates, so one is left when the best is the referrer itself.
            self._memo[key] = closest(name, self._by_kind().get(kind, []), n=2)
        options = [c for c in self._memo[key] if address_of(kind, c) != referrer]
        return f'Did you mean "{options[0]}"?' if options else ""


def check_references(project: Project) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    suggest = _Suggestions(project)
    dag = DAG()
    for entry in project.entries.values():
        refs = list(references(entry))
        dag.add(entry.address, [address_of(k, n) for k, n, _ in refs])
        for kind, name, path in refs:
            if address_of(kind, name) in project.entries or address_of(kind, name) in project.declared:
                continue
            hint = suggest.hint(kind, name, entry.address)
            diags.append(
                Diagnostic(
                    Severity.ERROR,
                    "FP201",
                    f"{entry.kind} {entry.name!r} refers to {kind} {name!r}, which is not declared"
                    + (f". {hint}" if hint else ""),
                    "",
                    entry.location(*path),
                )
            )
    cycle = dag.find_cycle()
    if cycle:
        first = project.entries[cycle[0]]
        # point at the reference that closes the cycle's first edge (e.g. `base_model: {job: b}`)
        where = next((path for kind, name, path in references(first) if address_of(kind, name) == cycle[1]), ("spec",))
        diags.append(
            Diagnostic(
                Severity.ERROR,
                "FP202",
                "Dependency cycle: " + " -> ".join(cycle),
                "Jobs may stack on other jobs, but never on themselves through a chain.",
                first.location(*where),
            )
        )
    return diags
