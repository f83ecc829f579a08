"""RFT grader cross-checks, against the grader's own shape, the response format and the dataset rows.

- Shapes per grader type (string_check, text_similarity, score_model, label_model, python, multi).
- Every `{{item.<path>}}` must resolve in every row of the training and validation files; the rows that miss it
  are named (as extra locations in the data files).
- `{{sample.output_json[.<path>]}}` needs a JSON-schema response format that has that property.
- A multi grader's `calculate_output` may use only its own grader keys, numbers, + - * / ^ and
  min max abs floor ceil exp sqrt log.
- A python grader's source must parse and define `grade(sample, item)`, within 256 kB.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fineplan.datasets import codes as C
from fineplan.datasets.findings import KEEP
from fineplan.datasets.scan import iter_rows
from fineplan.diagnostics import Diagnostic, Location
from fineplan.graders.formula import FUNCTION_NAMES as FUNCTIONS
from fineplan.graders.formula import problems as calculate_output_problems
from fineplan.graders.similarity import METRIC_NAMES as METRICS
from fineplan.graders.string_check import OPERATIONS
from fineplan.graders.templates import MISSING as _MISSING
from fineplan.graders.templates import TEMPLATE, resolve
from fineplan.graders.templates import references as _templates

__all__ = [
    "FUNCTIONS",
    "METRICS",
    "OPERATIONS",
    "TEMPLATE",
    "calculate_output_problems",
    "check_grader",
    "item_references",
    "json_schema_of",
    "resolve",
]
SAMPLE_FIELDS = frozenset({"output_text", "output_json", "output_tools", "output_audio", "choices"})
MAX_PYTHON_BYTES = 256 * 1024
_COMMON = {"type", "name", "pass_threshold"}
KEYS: dict[str, set[str]] = {
    "string_check": _COMMON | {"input", "reference", "operation"},
    "text_similarity": _COMMON | {"input", "reference", "evaluation_metric"},
    "score_model": _COMMON | {"model", "input", "range", "sampling_params"},
    "label_model": _COMMON | {"model", "input", "labels", "passing_labels"},
    "python": _COMMON | {"source", "image_tag"},
    "multi": _COMMON | {"graders", "calculate_output"},
}


class _Out:
    def __init__(self, location: Location) -> None:
        self.location = location
        self.diags: list[Diagnostic] = []

    def add(self, code: str, summary: str, detail: str = "") -> None:
        self.diags.append(Diagnostic(C.SEVERITY[code], code, summary, detail, self.location))


Locate = Callable[[Path, int], Location]
ItemOf = Callable[[Any], Any]
TRAINING_ROWS = "Every row of the training and validation files must have the field the grader reads."


def _at(file: Path, line: int) -> Location:
    return Location(str(file), line)


def check_grader(
    grader: dict[str, Any],
    response_format: dict[str, Any] | None,
    rows_files: list[Path],
    location: Location,
    locate: Locate = _at,
    *,
    item_of: ItemOf | None = None,
    rows_detail: str = TRAINING_ROWS,
    skip_items: frozenset[str] = frozenset(),
) -> list[Diagnostic]:
    """Every RFT cross-check for one job's grader; diagnostics point at `location` (the grader in the spec).

    `locate(file, line)` says where a row of `rows_files` is for the user: a transformed or split part's rows
    are reported at their source file and line, never at the generated file. `item_of(row)` is the item a row
    gives the grader (default: the row itself; an Evaluation builds its eval item); item paths in `skip_items`
    are checked by the caller."""
    out = _Out(location)
    if not isinstance(grader, dict):
        out.add(C.GRADER_SHAPE, "grader must be an object with a type")
        return out.diags
    refs: list[str] = []
    _check_shape(grader, "grader", out, refs)
    schema = json_schema_of(response_format)
    item_paths: list[str] = []
    for ref in dict.fromkeys(refs):
        head, _, rest = ref.partition(".")
        if head == "item":
            if rest and rest not in skip_items:
                item_paths.append(rest)
        elif head == "sample":
            _check_sample_ref(ref, rest, schema, response_format, out)
        else:
            out.add(C.GRADER_TEMPLATE, f"template {{{{{ref}}}}} is neither item.* nor sample.*")
    if item_paths and rows_files:
        out.diags.extend(_missing_items(item_paths, rows_files, location, locate, item_of, rows_detail))
    return out.diags


def item_references(grader: dict[str, Any]) -> list[str]:
    """The item paths a grader reads (`{{item.a.b}}` -> "a.b"), each once, whatever else is wrong with it."""
    refs: list[str] = []
    if isinstance(grader, dict):
        _check_shape(grader, "grader", _Out(Location("")), refs)
    paths = (ref.partition(".")[2] for ref in refs if ref.partition(".")[0] == "item")
    return list(dict.fromkeys(p for p in paths if p))


# ---------------------------------------------------------------- shapes


def _is_str(g: dict[str, Any], key: str) -> bool:
    return isinstance(g.get(key), str) and bool(g[key])


def _check_shape(g: dict[str, Any], where: str, out: _Out, refs: list[str]) -> None:
    kind = g.get("type")
    if kind not in KEYS:
        out.add(C.GRADER_SHAPE, f"{where}: type must be one of {', '.join(KEYS)}, not {kind!r}")
        return
    if not _is_str(g, "name"):
        out.add(C.GRADER_SHAPE, f"{where}: a {kind} grader needs a name")
    unknown = sorted(k for k in g if k not in KEYS[kind])
    if unknown:
        out.add(C.GRADER_UNKNOWN_KEY, f"{where}: unknown key(s) {', '.join(unknown)} for a {kind} grader")
    pt = g.get("pass_threshold")
    if pt is not None and (isinstance(pt, bool) or not isinstance(pt, int | float)):
        out.add(C.GRADER_SHAPE, f"{where}: pass_threshold must be a number")

    if kind in ("string_check", "text_similarity"):
        for key in ("input", "reference"):
            if not isinstance(g.get(key), str):
                out.add(C.GRADER_SHAPE, f"{where}: {kind} needs a string {key!r}")
            else:
                refs.extend(_templates(g[key]))
        if kind == "string_check" and g.get("operation") not in OPERATIONS:
            out.add(C.GRADER_SHAPE, f"{where}: operation must be one of {', '.join(OPERATIONS)}")
        if kind == "text_similarity" and g.get("evaluation_metric") not in METRICS:
            out.add(C.GRADER_SHAPE, f"{where}: evaluation_metric must be one of {', '.join(METRICS)}")
    elif kind in ("score_model", "label_model"):
        if not _is_str(g, "model"):
            out.add(C.GRADER_SHAPE, f"{where}: {kind} needs a model")
        _check_model_input(g.get("input"), where, out, refs)
        if kind == "score_model":
            _check_range(g.get("range"), where, out)
            sp = g.get("sampling_params")
            if sp is not None and not isinstance(sp, dict):
                out.add(C.GRADER_SHAPE, f"{where}: sampling_params must be an object")
        else:
            labels, passing = g.get("labels"), g.get("passing_labels")
            if not (isinstance(labels, list) and labels and all(isinstance(x, str) for x in labels)):
                out.add(C.GRADER_SHAPE, f"{where}: labels must be a non-empty list of strings")
            elif not (isinstance(passing, list) and passing and all(x in labels for x in passing)):
                out.add(C.GRADER_SHAPE, f"{where}: passing_labels must be a non-empty subset of labels")
    elif kind == "python":
        _check_python(g.get("source"), where, out)
    elif kind == "multi":
        graders = g.get("graders")
        if not isinstance(graders, dict) or not graders:
            out.add(C.GRADER_SHAPE, f"{where}: a multi grader needs a non-empty 'graders' object")
            graders = {}
        for key, sub in graders.items():
            if isinstance(sub, dict):
                _check_shape(sub, f"{where}.graders.{key}", out, refs)
            else:
                out.add(C.GRADER_SHAPE, f"{where}.graders.{key}: must be a grader object")
        calc = g.get("calculate_output")
        if not isinstance(calc, str) or not calc.strip():
            out.add(C.GRADER_SHAPE, f"{where}: a multi grader needs calculate_output")
        else:
            problems = calculate_output_problems(calc, set(graders))
            if problems:
                out.add(
                    C.GRADER_CALCULATE_OUTPUT, f"{where}.calculate_output: {'; '.join(problems)}", f"formula: {calc}"
                )


def _check_model_input(value: Any, where: str, out: _Out, refs: list[str]) -> None:
    if isinstance(value, str):  # some docs show a single prompt string
        refs.extend(_templates(value))
        return
    if not isinstance(value, list) or not value:
        out.add(C.GRADER_SHAPE, f"{where}: input must be a non-empty list of messages")
        return
    for i, m in enumerate(value):
        if not isinstance(m, dict) or m.get("role") not in ("system", "developer", "user", "assistant"):
            out.add(C.GRADER_SHAPE, f"{where}.input[{i}]: needs a role of system, developer, user or assistant")
            continue
        content = m.get("content")
        if not isinstance(content, str | list):
            out.add(C.GRADER_SHAPE, f"{where}.input[{i}]: content must be a string or a list of parts")
        refs.extend(_templates(content))


def _check_range(value: Any, where: str, out: _Out) -> None:
    if value is None:
        return
    ok = (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(x, int | float) and not isinstance(x, bool) for x in value)
        and value[0] < value[1]
    )
    if not ok:
        out.add(C.GRADER_SHAPE, f"{where}: range must be [low, high] with low < high")


def _check_python(source: Any, where: str, out: _Out) -> None:
    if not isinstance(source, str) or not source.strip():
        out.add(C.GRADER_PYTHON, f"{where}: a python grader needs its source")
        return
    size = len(source.encode("utf-8"))
    if size > MAX_PYTHON_BYTES:
        out.add(C.GRADER_PYTHON, f"{where}: source is {size:,} bytes; the limit is {MAX_PYTHON_BYTES:,}")
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        out.add(C.GRADER_PYTHON, f"{where}: source does not parse: {exc.msg} (line {exc.lineno})")
        return
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "grade":
            a = node.args
            positional = [*a.posonlyargs, *a.args]
            if len(positional) >= 2 or a.vararg is not None:
                return
            out.add(C.GRADER_PYTHON, f"{where}: grade() must take (sample, item)")
            return
    out.add(C.GRADER_PYTHON, f"{where}: source must define a top-level function grade(sample, item)")


# ---------------------------------------------------------------- sample.* and the response format


def json_schema_of(response_format: dict[str, Any] | None) -> dict[str, Any] | None:
    """The JSON schema inside a response format, in any of the shapes people write it."""
    if not isinstance(response_format, dict):
        return None
    rf = response_format
    if rf.get("type") == "json_schema" and isinstance(rf.get("json_schema"), dict):
        rf = rf["json_schema"]
    schema = rf.get("schema")
    if isinstance(schema, dict):
        return schema
    if rf.get("type") == "object" or "properties" in rf:
        return rf
    return None


def _check_sample_ref(
    ref: str, rest: str, schema: dict[str, Any] | None, response_format: dict[str, Any] | None, out: _Out
) -> None:
    field, _, path = rest.partition(".")
    if field not in SAMPLE_FIELDS:
        out.add(C.GRADER_TEMPLATE, f"template {{{{{ref}}}}}: sample has no field {field!r}")
        return
    if field != "output_json":
        return
    if schema is None:
        why = "there is no response_format" if response_format is None else "the response_format has no JSON schema"
        out.add(C.GRADER_OUTPUT_JSON, f"{{{{{ref}}}}} needs a JSON-schema response_format, but {why}")
        return
    node: Any = schema
    for part in path.split(".") if path else []:
        props = node.get("properties") if isinstance(node, dict) else None
        if not isinstance(props, dict) or part not in props:
            known = ", ".join(sorted(props)) if isinstance(props, dict) else "none"
            out.add(
                C.GRADER_OUTPUT_JSON,
                f"{{{{{ref}}}}}: the response schema has no property {part!r} (it has: {known})",
            )
            return
        node = props[part]


# ---------------------------------------------------------------- item.* against the rows


def _missing_items(
    paths: list[str], files: list[Path], location: Location, locate: Locate, item_of: ItemOf | None, detail: str
) -> list[Diagnostic]:
    missing: dict[str, list[Location]] = {p: [] for p in paths}
    counts = dict.fromkeys(paths, 0)
    rows = 0
    for file, line_no, row in iter_rows(files):
        rows += 1
        item = item_of(row) if item_of is not None else row
        for p in paths:
            if resolve(item, p) is _MISSING:
                counts[p] += 1
                if len(missing[p]) < KEEP:
                    missing[p].append(locate(file, line_no))
    out: list[Diagnostic] = []
    for p in paths:
        n = counts[p]
        if not n:
            continue
        where = ", ".join(f"{Path(loc.file).name}:{loc.line}" for loc in missing[p])
        more = f" and {n - len(missing[p])} more" if n > len(missing[p]) else ""
        out.append(
            Diagnostic(
                C.SEVERITY[C.GRADER_ITEM_MISSING],
                C.GRADER_ITEM_MISSING,
                f"{{{{item.{p}}}}} does not resolve in {n} of {rows} row(s): {where}{more}",
                detail,
                location,
                tuple(missing[p]),
                n,
            )
        )
    return out
