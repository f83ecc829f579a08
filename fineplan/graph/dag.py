"""A small generic directed acyclic graph: nodes are strings, edges point from a node to what it needs.

Every operation is linear in the size of the graph (or in what it returns): the graph keeps a reverse index so
`dependents` is a lookup, and the walks are iterative, so a project with thousands of resources, or a stack of
thousands of jobs, costs neither quadratic time nor Python's recursion limit.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Mapping


class CycleError(Exception):
    def __init__(self, cycle: list[str]) -> None:
        self.cycle = cycle
        super().__init__(" -> ".join(cycle))


class DAG:
    def __init__(self) -> None:
        self._deps: dict[str, set[str]] = {}
        self._users: dict[str, set[str]] = {}  # the reverse edges: node -> the nodes that depend on it

    @classmethod
    def of(cls, deps: Mapping[str, Iterable[str]], *, within: bool = True) -> DAG:
        """A DAG of `deps` (node → what it needs). With `within`, edges to nodes outside `deps` are dropped."""
        dag = cls()
        for node, needs in deps.items():
            dag.add(node, (d for d in needs if d in deps) if within else needs)
        return dag

    def add(self, node: str, depends_on: Iterable[str] = ()) -> None:
        self._deps.setdefault(node, set())
        self._users.setdefault(node, set())
        for d in depends_on:
            self._deps[node].add(d)
            self._deps.setdefault(d, set())
            self._users.setdefault(d, set()).add(node)

    @property
    def nodes(self) -> list[str]:
        return list(self._deps)

    def dependencies(self, node: str) -> set[str]:
        return set(self._deps.get(node, ()))

    def dependents(self, node: str) -> set[str]:
        return set(self._users.get(node, ()))

    def find_cycle(self) -> list[str] | None:
        """A cycle as a path that starts and ends at the same node, or None.

        Depth-first from each node in name order, children in name order (so the answer is deterministic);
        iterative, with an explicit stack of child iterators.
        """
        white, grey, black = 0, 1, 2
        color = dict.fromkeys(self._deps, white)
        for root in sorted(self._deps):
            if color[root] != white:
                continue
            path: list[str] = [root]
            todo: list[Iterator[str]] = [iter(sorted(self._deps[root]))]
            color[root] = grey
            while todo:
                d = next(todo[-1], None)
                if d is None:
                    todo.pop()
                    color[path.pop()] = black
                elif color[d] == grey:
                    return [*path[path.index(d) :], d]
                elif color[d] == white:
                    color[d] = grey
                    path.append(d)
                    todo.append(iter(sorted(self._deps[d])))
        return None

    def topological(self) -> list[str]:
        """Dependencies first; ties broken by name so output is deterministic (the smallest ready name next)."""
        cycle = self.find_cycle()
        if cycle:
            raise CycleError(cycle)
        indeg = {n: len(d) for n, d in self._deps.items()}
        ready = [n for n, k in indeg.items() if k == 0]
        heapq.heapify(ready)
        out: list[str] = []
        while ready:
            n = heapq.heappop(ready)
            out.append(n)
            for u in self._users[n]:
                indeg[u] -= 1
                if indeg[u] == 0:
                    heapq.heappush(ready, u)
        return out

    def reverse_topological(self) -> list[str]:
        """Dependents first (the order to delete in); the exact reverse of `topological()`."""
        return self.topological()[::-1]

    def reversed(self) -> DAG:
        """The same nodes with every edge turned around: a node then needs its dependents."""
        out = DAG()
        for n in self._deps:
            out.add(n, self._users.get(n, ()))
        return out

    def downstream(self, node: str) -> set[str]:
        """Everything that (transitively) depends on node."""
        seen: set[str] = set()
        todo = [node]
        while todo:
            cur = todo.pop()
            for u in self._users.get(cur, ()):
                if u not in seen:
                    seen.add(u)
                    todo.append(u)
        return seen

    def upstream(self, node: str) -> set[str]:
        """Everything node (transitively) depends on."""
        seen: set[str] = set()
        todo = [node]
        while todo:
            cur = todo.pop()
            for d in self._deps.get(cur, ()):
                if d not in seen:
                    seen.add(d)
                    todo.append(d)
        return seen

    def with_dependencies(self, nodes: Iterable[str]) -> set[str]:
        """`nodes` (those in the graph) and everything they (transitively) depend on: what `-target` keeps."""
        keep = {n for n in nodes if n in self._deps}
        for n in list(keep):
            keep |= self.upstream(n)
        return keep
