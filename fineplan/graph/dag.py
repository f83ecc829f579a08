"""A small generic directed acyclic graph: nodes are strings, edges point from a node to what it needs."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping


class CycleError(Exception):
    def __init__(self, cycle: list[str]) -> None:
        self.cycle = cycle
        super().__init__(" -> ".join(cycle))


class DAG:
    def __init__(self) -> None:
        self._deps: dict[str, set[str]] = {}
        self._users: dict[str, set[str]] | None = None  # the reverse edges, built when first asked for

    @classmethod
    def of(cls, deps: Mapping[str, Iterable[str]], *, within: bool = True) -> DAG:
        """A DAG of `deps` (node → what it needs). With `within`, edges to nodes outside `deps` are dropped."""
        dag = cls()
        for node, needs in deps.items():
            dag.add(node, (d for d in needs if d in deps) if within else needs)
        return dag

    def add(self, node: str, depends_on: Iterable[str] = ()) -> None:
        self._users = None
        self._deps.setdefault(node, set())
        for d in depends_on:
            self._deps[node].add(d)
            self._deps.setdefault(d, set())

    @property
    def nodes(self) -> list[str]:
        return list(self._deps)

    def dependencies(self, node: str) -> set[str]:
        return set(self._deps.get(node, ()))

    def dependents(self, node: str) -> set[str]:
        if self._users is None:
            users: dict[str, set[str]] = {n: set() for n in self._deps}
            for n, deps in self._deps.items():
                for d in deps:
                    users[d].add(n)
            self._users = users
        return set(self._users.get(node, ()))

    def find_cycle(self) -> list[str] | None:
        """A cycle as a path that starts and ends at the same node, or None."""
        white, grey, black = 0, 1, 2
        color = dict.fromkeys(self._deps, white)
        stack: list[str] = []

        def visit(n: str) -> list[str] | None:
            color[n] = grey
            stack.append(n)
            for d in sorted(self._deps[n]):
                if color[d] == grey:
                    return [*stack[stack.index(d) :], d]
                if color[d] == white:
                    found = visit(d)
                    if found:
                        return found
            stack.pop()
            color[n] = black
            return None

        for n in sorted(self._deps):
            if color[n] == white:
                found = visit(n)
                if found:
                    return found
        return None

    def topological(self) -> list[str]:
        """Dependencies first; ties broken by name so output is deterministic. CycleError names a cycle."""
        indeg = {n: len(d) for n, d in self._deps.items()}
        ready = [n for n, k in indeg.items() if k == 0]
        heapq.heapify(ready)
        out: list[str] = []
        while ready:
            n = heapq.heappop(ready)
            out.append(n)
            for u in self.dependents(n):
                indeg[u] -= 1
                if indeg[u] == 0:
                    heapq.heappush(ready, u)
        if len(out) < len(self._deps):
            raise CycleError(self.find_cycle() or sorted(set(self._deps) - set(out)))
        return out

    def reverse_topological(self) -> list[str]:
        """Dependents first (the order to delete in); the exact reverse of `topological()`."""
        return self.topological()[::-1]

    def upstream(self, nodes: Iterable[str]) -> set[str]:
        """`nodes` and everything they (transitively) depend on."""
        seen: set[str] = set()
        todo = [n for n in nodes if n in self._deps]
        while todo:
            cur = todo.pop()
            if cur in seen:
                continue
            seen.add(cur)
            todo.extend(self._deps[cur])
        return seen

    def reversed(self) -> DAG:
        """The same nodes with every edge turned around: a node then needs its dependents."""
        out = DAG()
        for n in self._deps:
            out.add(n)
        for n, deps in self._deps.items():
            for d in deps:
                out.add(d, [n])
        return out

    def downstream(self, node: str) -> set[str]:
        """Everything that (transitively) depends on node."""
        seen: set[str] = set()
        todo = [node]
        while todo:
            cur = todo.pop()
            for u in self.dependents(cur):
                if u not in seen:
                    seen.add(u)
                    todo.append(u)
        return seen
