"""Grader templates: `{{item.<path>}}` and `{{sample.<field>[.<path>]}}` references, found and rendered.

One regex and one path resolver serve both the RFT cross-checks (fineplan.datasets.graders, which only look for
references) and grading (which substitutes them). Rendering follows OpenAI's templating: a string value is
inserted as is, any other value as compact JSON, and a reference that does not resolve renders as "" (the grader
then simply fails to match, as a model output missing a field would).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

TEMPLATE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
NAMESPACES = ("item", "sample")


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


def references(value: Any) -> Iterator[str]:
    """Every `ns.path` referenced by a template anywhere inside `value` (strings, lists, dict values)."""
    if isinstance(value, str):
        yield from (m.group(1) for m in TEMPLATE.finditer(value))
    elif isinstance(value, list):
        for v in value:
            yield from references(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from references(v)


def resolve(row: Any, path: str) -> Any:
    """`a.b.0.c` inside nested dicts and lists, or MISSING."""
    node = row
    for part in path.split("."):
        if isinstance(node, dict):
            node = node.get(part, MISSING)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return MISSING
        if node is MISSING:
            return MISSING
    return node


def lookup(context: Mapping[str, Any], ref: str) -> Any:
    """The value a reference names in a {namespace: value} context, or MISSING."""
    head, _, rest = ref.partition(".")
    if head not in context:
        return MISSING
    node = context[head]
    return resolve(node, rest) if rest else node


def as_text(value: Any) -> str:
    if value is MISSING or value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def render(template: str, context: Mapping[str, Any]) -> str:
    return TEMPLATE.sub(lambda m: as_text(lookup(context, m.group(1))), template)


def render_content(content: Any, context: Mapping[str, Any]) -> str:
    """A message content (a string, one `{type, text}` part or a list of parts) rendered to plain text."""
    if isinstance(content, str):
        return render(content, context)
    if isinstance(content, dict):
        return render(str(content.get("text") or ""), context)
    if isinstance(content, list):
        return "".join(render_content(part, context) for part in content)
    return ""
