"""Turn pydantic ValidationErrors into located diagnostics with friendly words and "did you mean"."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from fineplan.diagnostics import Diagnostic, Severity
from fineplan.spec.yaml_located import LocatedDocument, Path_


def _data_path(data: Any, loc: tuple[Any, ...]) -> Path_:
    """Map a pydantic loc onto the document's data, dropping union tags that are not real keys."""
    path: list[str | int] = []
    cur = data
    for part in loc:
        in_dict = isinstance(cur, dict) and part in cur
        in_list = isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur)
        if in_dict or in_list:
            path.append(part)
            cur = cur[part]
        elif isinstance(cur, dict) and isinstance(part, str) and not _looks_like_tag(part):
            path.append(part)  # a missing or unknown key: keep it so we can name it
            cur = None
    return tuple(path)


_UNION_TAGS = {"int", "float", "str", "bool", "none", "by-name", "by-ref", "local", "azure", "azure_blob"}


def _looks_like_tag(part: str) -> bool:
    # pydantic puts union member tags into `loc`; none of them is a real spec key.
    return part in _UNION_TAGS or part.startswith(("literal[", "function-", "dict[", "list[", "tuple["))


def _members(annotation: Any) -> list[Any]:
    """The concrete types behind an annotation: Annotated and unions unwrapped."""
    found: list[Any] = []
    stack = [annotation]
    while stack:
        a = stack.pop()
        origin = typing.get_origin(a)
        if origin is typing.Annotated:
            stack.append(typing.get_args(a)[0])
        elif origin in (typing.Union, types.UnionType):
            stack.extend(typing.get_args(a))
        else:
            found.append(a)
    return found


def _step(annotation: Any, part: str | int) -> list[Any]:
    """Annotations of the value found under `part` inside a value of type `annotation`."""
    out: list[Any] = []
    for a in _members(annotation):
        origin, args = typing.get_origin(a), typing.get_args(a)
        if isinstance(a, type) and issubclass(a, BaseModel):
            out.extend(f.annotation for name, f in a.model_fields.items() if part in (name, f.alias))
        elif origin is dict and len(args) == 2:
            out.append(args[1])  # any key of a mapping such as `targets`
        elif origin in (list, tuple) and args and isinstance(part, int):
            out.append(args[0])
    return out


def _fields_at(model: type[BaseModel], path: Path_) -> list[str] | None:
    """Allowed keys of the mapping at `path` (for "did you mean"), walking the model's fields."""
    annotations: list[Any] = [model]
    for part in path:
        annotations = [n for a in annotations for n in _step(a, part)]
        if not annotations:
            return None
    names: list[str] = []
    for a in annotations:
        for m in _members(a):
            if isinstance(m, type) and issubclass(m, BaseModel):
                names.extend(f.alias or name for name, f in m.model_fields.items() if name not in names)
    return list(dict.fromkeys(names)) or None


def closest(word: str, options: list[str], n: int = 1) -> list[str]:
    """The `n` options most like `word` (difflib ratio of at least 0.6), best first; never `word` itself."""
    return difflib.get_close_matches(word, [o for o in options if o != word], n=n, cutoff=0.6)


def did_you_mean(word: str, options: list[str]) -> str:
    close = closest(word, options)
    return f'Did you mean "{close[0]}"?' if close else ""


def _fmt_path(path: Path_) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(document)"


def diagnostics_from_validation(
    exc: ValidationError, doc: LocatedDocument, model: type[BaseModel], what: str
) -> list[Diagnostic]:
    grouped: dict[tuple[str, Path_], list[ErrorDetails]] = {}
    for err in exc.errors():
        loc = tuple(err["loc"])
        etype = err["type"]
        if (loc and loc[-1] == "[key]") or etype == "invalid_key":
            kind = "key"  # a mapping key that is not a string (YAML `1: x`, `true: x`, `~: x`)
            loc = loc[:-1] if loc and loc[-1] == "[key]" else loc
        elif etype in ("union_tag_not_found", "union_tag_invalid"):
            # `type:` / `backend:` choose the target or state kind: speak about that key, at that key
            loc = (*loc, str(err.get("ctx", {}).get("discriminator", "type")).strip("'\""))
            kind = "missing" if etype == "union_tag_not_found" else "tag"
        else:
            kind = "unknown" if etype == "extra_forbidden" else "missing" if etype == "missing" else "value"
        path = _data_path(doc.data, loc)
        grouped.setdefault((kind, path), []).append(err)

    diags: list[Diagnostic] = []
    for (kind, path), errs in grouped.items():
        field = path[-1] if path else ""
        if kind == "key":
            diags.append(
                Diagnostic(
                    Severity.ERROR,
                    "FP103",
                    f"Key {_short(errs[0].get('input', field))} in {what} is not a string",
                    "Keys are names: quote it (YAML reads 1, true, yes, ~ and dates as non-strings)",
                    doc.location(path, key=True),
                )
            )
        elif kind == "tag":
            ctx = errs[0].get("ctx", {})
            options = [t.strip().strip("'") for t in str(ctx.get("expected_tags", "")).split(",") if t.strip()]
            hint = did_you_mean(str(ctx.get("tag", "")), options)
            diags.append(
                Diagnostic(
                    Severity.ERROR,
                    "FP105",
                    f"Invalid value for {_fmt_path(path)}: {ctx.get('tag')!r} is not one of {', '.join(options)}"
                    + (f". {hint}" if hint else ""),
                    "",
                    doc.location(path),
                )
            )
        elif kind == "unknown":
            options = _fields_at(model, path[:-1]) or []
            hint = did_you_mean(str(field), options)
            allowed = ", ".join(sorted(options)) if options else ""
            diags.append(
                Diagnostic(
                    Severity.ERROR,
                    "FP103",
                    f'Unknown key "{field}" in {what}' + (f". {hint}" if hint else ""),
                    f"Allowed keys at {_fmt_path(path[:-1])}: {allowed}" if allowed else "",
                    doc.location(path, key=True),
                )
            )
        elif kind == "missing":
            diags.append(
                Diagnostic(
                    Severity.ERROR,
                    "FP104",
                    f'Missing required field "{_fmt_path(path)}" in {what}',
                    "",
                    doc.location(path[:-1]),
                )
            )
        else:
            messages = list(dict.fromkeys(_friendly(e) for e in errs))
            value_repr = _short(errs[0].get("input"))
            code = "FP106" if path == ("name",) else "FP105"
            summary = (
                f'Invalid name "{errs[0].get("input")}": use lower-case letters, digits and "-", at most 63 '
                "characters, starting and ending with a letter or digit"
                if code == "FP106"
                else f"Invalid value for {_fmt_path(path)}: " + " or ".join(messages)
            )
            diags.append(Diagnostic(Severity.ERROR, code, summary, f"got {value_repr}", doc.location(path)))
    return diags


def _friendly(err: ErrorDetails) -> str:
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    return msg[0].lower() + msg[1:] if msg else msg


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
