"""Safe YAML → plain Python with a position for every node, so diagnostics can point at file:line:column.

We compose nodes with PyYAML's SafeLoader and convert them ourselves: that lets us report duplicate keys,
refuse recursive aliases, stop alias bombs (a node budget counts expanded nodes) and refuse absurd nesting (a
depth limit), which `safe_load` cannot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from fineplan.diagnostics import Diagnostic, Location, Severity

# A generous ceiling: real specs have hundreds of nodes; "billion laughs" style documents have billions.
MAX_NODES = 200_000
# Specs nest a dozen levels at most. The limit sits far below libyaml's own (1,000 levels, a scanner error) and
# below the depth at which the pure-Python composer, which recurses, would exhaust Python's stack.
MAX_DEPTH = 100

Path_ = tuple[str | int, ...]


@dataclass
class LocatedDocument:
    """One YAML document: its data, and where each value (and mapping key) starts."""

    data: Any
    file: str
    start: Location
    values: dict[Path_, Location] = field(default_factory=dict)
    keys: dict[Path_, Location] = field(default_factory=dict)

    def location(self, path: Path_, *, key: bool = False) -> Location:
        """The closest known location for a path (falls back to its nearest ancestor)."""
        p = tuple(path)
        while True:
            table = self.keys if key else self.values
            if p in table:
                return table[p]
            if key and p in self.values:
                return self.values[p]
            if not p:
                return self.start
            p = p[:-1]


class _TooLarge(Exception):
    pass


class _TooDeep(Exception):
    """Nesting deeper than MAX_DEPTH, found at `mark` (the first node that is too deep)."""

    def __init__(self, mark: yaml.Mark | None) -> None:
        super().__init__()
        self.mark = mark


# libyaml's scanner refuses 1,000 nested levels with this problem text (a ScannerError, not a depth error).
_LIBYAML_DEPTH_PROBLEM = "exceeded maximum nesting depth"


def _loc(file: str, mark: yaml.Mark | None, end: yaml.Mark | None = None) -> Location:
    if mark is None:
        return Location(file)
    return Location(
        file,
        mark.line + 1,
        mark.column + 1,
        (end.line + 1) if end else None,
        (end.column + 1) if end else None,
    )


class _Converter:
    def __init__(self, loader: yaml.SafeLoader, file: str, doc: LocatedDocument, diags: list[Diagnostic]):
        self.loader = loader
        self.file = file
        self.doc = doc
        self.diags = diags
        self.budget = MAX_NODES
        self.active: set[int] = set()
        # How many leading pairs of a flattened mapping came from `<<` merges (flattening mutates the node,
        # and an aliased node is converted again: remember the split the first time).
        self.merged: dict[int, int] = {}

    def convert(self, node: yaml.Node, path: Path_) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise _TooLarge
        self.doc.values[path] = _loc(self.file, node.start_mark, node.end_mark)
        if isinstance(node, yaml.ScalarNode):
            return self.loader.construct_object(node, deep=True)
        if id(node) in self.active:
            raise yaml.constructor.ConstructorError(
                None, None, "recursive alias: a node contains itself", node.start_mark
            )
        expected = "tag:yaml.org,2002:seq" if isinstance(node, yaml.SequenceNode) else "tag:yaml.org,2002:map"
        if node.tag != expected:
            raise yaml.constructor.ConstructorError(
                None, None, f"tag {node.tag!r} is not allowed (safe YAML only)", node.start_mark
            )
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.convert(child, (*path, i)) for i, child in enumerate(node.value)]
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
            raise yaml.constructor.ConstructorError(None, None, f"unsupported node {node.id}", node.start_mark)
        finally:
            self.active.discard(id(node))

    def _mapping(self, node: yaml.MappingNode, path: Path_) -> dict[Any, Any]:
        if id(node) not in self.merged:
            own = sum(1 for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge")
            self.loader.flatten_mapping(node)  # resolves `<<` merge keys the way safe_load does
            self.merged[id(node)] = len(node.value) - own
        n_merged = self.merged[id(node)]
        out: dict[Any, Any] = {}
        own_keys: set[tuple[type, Any]] = set()  # typed, so `1:` and `true:` are not duplicates of each other
        for index, (key_node, value_node) in enumerate(node.value):
            if not isinstance(key_node, yaml.ScalarNode):
                raise yaml.constructor.ConstructorError(
                    None, None, "mapping keys must be plain scalars", key_node.start_mark
                )
            key = self.loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) and key is not None:
                key = str(key)
            child: Path_ = (*path, key if isinstance(key, str | int) else str(key))
            key_loc = _loc(self.file, key_node.start_mark, key_node.end_mark)
            # Merged pairs come first, so later merges and the mapping's own keys override them silently (YAML
            # merge semantics); only a key written twice in the mapping itself is a duplicate.
            if index >= n_merged:
                typed = (type(key), key)
                if typed in own_keys:
                    first = self.doc.keys.get(child)
                    self.diags.append(
                        Diagnostic(
                            Severity.ERROR,
                            "FP102",
                            f"Duplicate key {key!r}",
                            f"first defined at line {first.line}" if first else "",
                            key_loc,
                        )
                    )
                    continue
                own_keys.add(typed)
            self.doc.keys[child] = key_loc
            out[key] = self.convert(value_node, child)
        return out


def _expanded_size(root: yaml.Node) -> int:
    """How many nodes the document becomes once aliases are expanded (stops counting past MAX_NODES).

    Counted on the node graph, where each shared node is visited once, so an alias bomb is refused in
    microseconds instead of being expanded up to the budget. Also measures the expanded depth: raises _TooDeep
    past MAX_DEPTH levels (aliases included), before anything recurses that deep.
    """
    sizes: dict[int, int] = {}
    heights: dict[int, int] = {}
    active: set[int] = set()

    def children(node: yaml.Node) -> list[yaml.Node]:
        if isinstance(node, yaml.SequenceNode):
            return list(node.value)
        if isinstance(node, yaml.MappingNode):
            return [n for pair in node.value for n in pair]
        return []

    def size(node: yaml.Node, depth: int) -> int:
        if depth > MAX_DEPTH:
            raise _TooDeep(node.start_mark)
        if id(node) in sizes:
            return sizes[id(node)]
        if id(node) in active:  # a recursive alias: conversion reports it
            return 0
        active.add(id(node))
        total, height = 1, 1
        for child in children(node):
            total += size(child, depth + 1)
            height = max(height, 1 + heights.get(id(child), 0))
            if total > MAX_NODES:
                break
        active.discard(id(node))
        sizes[id(node)] = total
        heights[id(node)] = height
        return total

    total = size(root, 1)
    # Deeper than the recursion went only through aliases: a shared node, counted once, reused further down.
    if total <= MAX_NODES and heights[id(root)] > MAX_DEPTH:
        node = root
        for _ in range(MAX_DEPTH):  # follow the deepest path down to the first node that is too deep
            node = max(children(node), key=lambda c: heights.get(id(c), 0))
        raise _TooDeep(node.start_mark)
    return total


class _PureSafeLoader(yaml.SafeLoader):
    """PyYAML's pure-Python SafeLoader with the depth limit: its composer recurses once per level."""

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node:
        if self._depth >= MAX_DEPTH:
            raise _TooDeep(self.peek_event().start_mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


# libyaml's composer is ~10x faster than the pure-Python one and keeps the same marks; fall back without it.
# libyaml composes in C (no Python recursion) up to its own 1,000-level limit; _expanded_size enforces ours.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", _PureSafeLoader)


def load_documents(text: str, file: str) -> tuple[list[LocatedDocument], list[Diagnostic]]:
    """Parse every document in a YAML stream. Never raises for bad input: problems become diagnostics."""
    diags: list[Diagnostic] = []
    docs: list[LocatedDocument] = []
    try:
        loader = _LOADER(text)
    except yaml.reader.ReaderError as exc:  # the reader rejects control characters before parsing starts
        diags.append(_reader_error(exc, text, file))
        return docs, diags
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            doc = LocatedDocument(None, file, _loc(file, node.start_mark))
            try:
                if _expanded_size(node) > MAX_NODES:
                    raise _TooLarge
                doc.data = _Converter(loader, file, doc, diags).convert(node, ())  # its budget is a second guard
            except _TooLarge:
                diags.append(
                    Diagnostic(
                        Severity.ERROR,
                        "FP111",
                        f"Document expands to more than {MAX_NODES:,} nodes",
                        "Aliases that multiply (an 'alias bomb') or a document far larger than a spec needs.",
                        doc.start,
                    )
                )
                continue
            docs.append(doc)
    except _TooDeep as exc:  # stops the file, as libyaml's own depth error does: documents before it are kept
        diags.append(_too_deep(_loc(file, exc.mark)))
    except yaml.MarkedYAMLError as exc:
        diags.append(_marked_error(exc, file))
    except yaml.reader.ReaderError as exc:
        diags.append(_reader_error(exc, text, file))
    except yaml.YAMLError as exc:  # other unmarked errors
        diags.append(Diagnostic(Severity.ERROR, "FP101", "Invalid YAML", str(exc), Location(file)))
    except RecursionError:  # a last guard: the depth limit should always fire first
        diags.append(_too_deep(Location(file)))
    finally:
        loader.dispose()
    return docs, diags


def _marked_error(exc: yaml.MarkedYAMLError, file: str) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or "invalid YAML"
    if problem == _LIBYAML_DEPTH_PROBLEM:
        return _too_deep(_loc(file, mark))
    code = "FP101"
    if isinstance(exc, yaml.constructor.ConstructorError):
        code = "FP111" if "recursive alias" in problem else "FP115"
    return Diagnostic(
        Severity.ERROR,
        code,
        _yaml_summary(code, problem),
        (f"{exc.context}; " if exc.context else "") + problem,
        _loc(file, mark),
    )


def _too_deep(location: Location) -> Diagnostic:
    return Diagnostic(
        Severity.ERROR,
        "FP111",
        f"YAML nesting is deeper than {MAX_DEPTH} levels",
        "Mappings and sequences nested (or aliased) this deep are not a spec; the file is not read further.",
        location,
    )


def _reader_error(exc: yaml.reader.ReaderError, text: str, file: str) -> Diagnostic:
    """A character YAML does not allow (e.g. a control character): locate it in the text."""
    before = text[: exc.position]
    line = before.count("\n") + 1
    column = exc.position - (before.rfind("\n") + 1) + 1
    what = f"character #x{exc.character:04x}" if isinstance(exc.character, int) else "a character"
    return Diagnostic(
        Severity.ERROR,
        "FP101",
        f"YAML syntax error: {what} is not allowed",
        f'{exc.reason}; write it escaped inside a double-quoted string (e.g. "\\t")',
        Location(file, line, column),
    )


def _yaml_summary(code: str, problem: str) -> str:
    if code == "FP115":
        return f"Unsupported YAML construct: {problem}"
    if code == "FP111":
        return "Recursive YAML alias"
    return f"YAML syntax error: {problem}"
