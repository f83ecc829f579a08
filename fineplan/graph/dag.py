"""A small generic directed acyclic graph: nodes are strings, edges point from a node to what it needs."""

from __future__ import annotations

from collections.abc import Iterable


class CycleError(Exception):
    def __init__(self, cycle: list[str]) -> None:
        self.cycle = cycle
        super().__init__(" -> ".join(cycle))


class DAG:
    def __init__(self) -> None:
        self._deps: dict[str, set[str]] = {}

    def add(self, node: str, depends_on: Iterable[str] = ()) -> None:
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
        return {n for n, deps in self._deps.items() if node in deps}

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
        """Dependencies first; ties broken by name so output is deterministic."""
        cycle = self.find_cycle()
        if cycle:
            raise CycleError(cycle)
        indeg = {n: len(d) for n, d in self._deps.items()}
        users: dict[str, list[str]] = {n: [] for n in self._deps}
        for n, deps in self._deps.items():
            for d in deps:
                users[d].append(n)
        ready = sorted(n for n, k in indeg.items() if k == 0)
        out: list[str] = []
        while ready:
            n = ready.pop(0)
            out.append(n)
            for u in sorted(users[n]):
                indeg[u] -= 1
                if indeg[u] == 0:
                    ready.append(u)
            ready.sort()
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
