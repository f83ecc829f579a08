"""The resource graph of a Project (Dataset ← job ← stacked job ← deployment) and its reference checks (FP2xx).

Here rather than in `fineplan.graph`, which stays generic: the spec depends on the graph, never the reverse.
"""

from __future__ import annotations

from fineplan.diagnostics import Diagnostic, Severity
from fineplan.graph.dag import DAG
from fineplan.spec.models import address_of
from fineplan.spec.project import Project, references
from fineplan.spec.pydantic_errors import did_you_mean


def build_graph(project: Project) -> DAG:
    """Edges point from a resource to the resources it needs (Dataset ← Job ← stacked Job ← Deployment)."""
    dag = DAG()
    for entry in project.entries.values():
        deps = [address_of(kind, name) for kind, name, _ in references(entry)]
        dag.add(entry.address, [d for d in deps if d in project.entries])
    return dag


def check_references(project: Project) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    for entry in project.entries.values():
        for kind, name, path in references(entry):
            if address_of(kind, name) in project.entries or address_of(kind, name) in project.declared:
                continue
            names = [e.name for e in project.of_kind(kind)]
            hint = did_you_mean(name, names)
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
    dag = DAG()
    for entry in project.entries.values():
        dag.add(entry.address, [address_of(k, n) for k, n, _ in references(entry)])
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
