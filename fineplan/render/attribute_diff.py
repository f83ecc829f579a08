"""Attribute-level diffs in Terraform's grammar, shared by the human and Markdown plan renderers.

    + key = value                       created          - key = value -> null     removed
    ~ key = old -> new                  changed          ~ key = old -> (known after apply)
    ~ key = old -> new # forces replacement              # (3 unchanged attributes hidden)

Which paths changed comes from deepdiff; this module only lays the values out. Paths (for `after_unknown` and
`replace_paths`) are dotted attribute names, e.g. `hyperparameters.n_epochs`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from difflib import SequenceMatcher
from typing import Any, Literal

from fineplan.resource import KNOWN_AFTER_APPLY

Mode = Literal["create", "delete", "update"]
Path = tuple[str | int, ...]
Paint = Callable[..., str]

FORCES_REPLACEMENT = "# forces replacement"
_STYLE = {"+": ("green",), "-": ("red",), "~": ("yellow",), " ": ()}


def _plain(text: str, *_styles: str) -> str:
    return text


def parse_paths(paths: Iterable[str]) -> set[Path]:
    return {tuple(p.split(".")) for p in paths if p}


def changed_paths(before: Any, after: Any) -> list[Path]:
    """Every leaf path where `after` differs from `before` (deepdiff's tree view), as tuples of keys/indexes."""
    from deepdiff import DeepDiff  # deepdiff costs ~0.3 s to import: only plans with changes pay it

    diff = DeepDiff(before, after, view="tree", ignore_order=False, verbose_level=2)
    return [tuple(item.path(output_format="list")) for items in diff.values() for item in items]


def scalar(value: Any) -> str:
    """A scalar the way the spec reads: JSON literals (strings quoted, null, true/false)."""
    return json.dumps(value, ensure_ascii=False, default=str)


def _is_block(value: Any) -> bool:
    return isinstance(value, dict | list) and bool(value)


def _empty(value: dict[str, Any] | list[Any]) -> str:
    return "{}" if isinstance(value, dict) else "[]"


class AttributeDiff:
    """Lays out the body of one resource block. `lines` is the result; `base_indent` is where signs start."""

    def __init__(
        self,
        *,
        unknown: Iterable[str] = (),
        forces: Iterable[str] = (),
        paint: Paint = _plain,
        base_indent: int = 4,
    ) -> None:
        self.unknown = parse_paths(unknown)
        self.forces = parse_paths(forces)
        self.paint = paint
        self.base_indent = base_indent
        self.lines: list[str] = []
        self._changed: list[Path] = []

    # ------------------------------------------------------------------ entry points

    def render(self, mode: Mode, before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[str]:
        before = before or {}
        after = dict(after or {})
        if mode != "update":
            self.forces = set()  # only an in-place diff of a replacement can say what forced it
        if mode == "create":
            for path in self.unknown:  # unknown attributes may be absent from `after`: show them anyway
                if len(path) == 1 and path[0] not in after:
                    after[str(path[0])] = None
            self._map("+", after, (), 0)
        elif mode == "delete":
            self._map("-", before, (), 0, trailer=True)
        else:
            self._changed = changed_paths(before, after)
            self._update_map(before, after, (), 0, noun="attributes")
        return self.lines

    # ------------------------------------------------------------------ helpers

    def _line(self, level: int, sign: str, text: str) -> None:
        indent = " " * (self.base_indent + 4 * level)
        mark = self.paint(sign.rjust(3), *_STYLE.get(sign, ())) if sign.strip() else "   "
        self.lines.append(f"{indent}{mark} {text}".rstrip())

    def _comment(self, level: int, text: str) -> None:
        self.lines.append(" " * (self.base_indent + 4 * level + 4) + self.paint(text, "dim"))

    def _close(self, level: int, brace: str, suffix: str = "") -> None:
        self.lines.append(" " * (self.base_indent + 4 * level + 4) + brace + suffix)

    def _forces(self, path: Path) -> str:
        return " " + self.paint(FORCES_REPLACEMENT, "red") if path in self.forces else ""

    def _is_changed(self, path: Path) -> bool:
        if path in self.unknown:
            return True
        n = len(path)
        return any(p[:n] == path or path[: len(p)] == p for p in self._changed)

    def _unknown(self) -> str:
        return self.paint(KNOWN_AFTER_APPLY, "dim")

    # ------------------------------------------------------------------ one sign throughout (create / delete)

    def _map(self, sign: str, values: dict[str, Any], path: Path, level: int, trailer: bool = False) -> None:
        # Like Terraform, null attributes are not worth a line when a whole object appears or goes.
        keys = sorted(k for k, v in values.items() if v is not None or (*path, k) in self.unknown)
        width = max((len(k) for k in keys), default=0)
        for key in keys:
            self._value(sign, key.ljust(width), values[key], (*path, key), level, trailer)

    def _value(self, sign: str, label: str, value: Any, path: Path, level: int, trailer: bool) -> None:
        """`label = value` with `sign` on this line and every nested one; `trailer` adds Terraform's `-> null`."""
        tail = " -> null" if trailer else ""
        head = f"{label} = " if label else ""
        if sign == "+" and path in self.unknown:
            self._line(level, sign, f"{head}{self._unknown()}{self._forces(path)}")
        elif not _is_block(value):
            shown = _empty(value) if isinstance(value, dict | list) else scalar(value)
            self._line(level, sign, f"{head}{shown}{tail}{self._forces(path)}")
        elif isinstance(value, dict):
            self._line(level, sign, f"{head}{{{self._forces(path)}")
            self._map(sign, value, path, level + 1)
            self._close(level, "}", tail)
        else:
            self._line(level, sign, f"{head}[{self._forces(path)}")
            for i, item in enumerate(value):
                self._value(sign, "", item, (*path, i), level + 1, trailer=False)
                self.lines[-1] += ","
            self._close(level, "]", tail)

    # ------------------------------------------------------------------ before -> after (update / replace)

    def _update_map(self, before: dict[str, Any], after: dict[str, Any], path: Path, level: int, noun: str) -> None:
        keys = sorted(set(before) | set(after) | {str(p[-1]) for p in self.unknown if p[:-1] == path and p})
        shown = [k for k in keys if self._is_changed((*path, k)) and not self._null_both(before, after, (*path, k))]
        width = max((len(k) for k in shown), default=0)
        for key in shown:
            self._update_value(key.ljust(width), before, after, key, (*path, key), level)
        hidden = len(keys) - len(shown)
        if hidden:
            self._comment(level, f"# ({hidden} unchanged {noun if hidden > 1 else noun[:-1]} hidden)")

    def _null_both(self, before: dict[str, Any], after: dict[str, Any], path: Path) -> bool:
        """null on one side and absent on the other is no change worth showing."""
        key = str(path[-1])
        return before.get(key) is None and after.get(key) is None and path not in self.unknown

    def _update_value(
        self, label: str, before: dict[str, Any], after: dict[str, Any], key: str, path: Path, level: int
    ) -> None:
        # null and absent read the same: null -> value is an addition, value -> null a removal
        had, has = before.get(key) is not None, after.get(key) is not None
        old, new = before.get(key), after.get(key)
        forces = self._forces(path)
        if path in self.unknown:
            if had and not _is_block(old):
                self._line(level, "~", f"{label} = {scalar(old)} -> {self._unknown()}{forces}")
            elif had:
                self._value("-", label, old, path, level, trailer=False)
                self._line(level, "+", f"{label} = {self._unknown()}{forces}")
            else:
                self._line(level, "+", f"{label} = {self._unknown()}{forces}")
        elif not had:
            self._value("+", label, new, path, level, trailer=False)
        elif not has:
            self._value("-", label, old, path, level, trailer=True)
        elif isinstance(old, dict) and isinstance(new, dict) and old and new:
            self._line(level, "~", f"{label} = {{{forces}")
            self._update_map(old, new, path, level + 1, noun="elements")
            self._close(level, "}")
        elif isinstance(old, list) and isinstance(new, list) and old and new:
            self._line(level, "~", f"{label} = [{forces}")
            self._update_list(old, new, path, level + 1)
            self._close(level, "]")
        elif _is_block(old) or _is_block(new):
            # A value changing shape (a name becoming a {job: …} reference, say): old out, new in.
            self._value("-", label, old, path, level, trailer=False)
            self._value("+", label, new, path, level, trailer=False)
        else:
            self._line(level, "~", f"{label} = {scalar(old)} -> {scalar(new)}{forces}")

    def _update_list(self, old: list[Any], new: list[Any], path: Path, level: int) -> None:
        matcher = SequenceMatcher(a=[scalar(v) for v in old], b=[scalar(v) for v in new], autojunk=False)
        unchanged = 0
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op == "equal":
                unchanged += i2 - i1
                continue
            for i in range(i1, i2):
                self._value("-", "", old[i], (*path, i), level, trailer=False)
                self.lines[-1] += ","
            for j in range(j1, j2):
                self._value("+", "", new[j], (*path, j), level, trailer=False)
                self.lines[-1] += ","
        if unchanged:
            self._comment(level, f"# ({unchanged} unchanged element{'s' if unchanged > 1 else ''} hidden)")
