"""`fineplan dataset inspect PATH|NAME`: validate one JSONL file, or a dataset of the project with its transform
and split applied, and show token statistics and rows per part."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from fineplan.errors import ConfigError

if TYPE_CHECKING:
    from fineplan.datasets.check import Fmt

FORMATS = ("chat", "preference", "reinforcement")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("dataset", help="inspect dataset files")
    dsub = p.add_subparsers(dest="dataset_command", metavar="SUBCOMMAND")
    i = dsub.add_parser("inspect", help="validate a JSONL file or a project's dataset and show token statistics")
    i.add_argument(
        "path",
        metavar="PATH|NAME",
        help="JSONL file (relative to -C DIR), or the name of a Dataset of the project: its transform and split "
        "are applied and each part is shown, findings at the source file's lines",
    )
    i.add_argument("--format", choices=FORMATS, help="dataset format (default: detected from the first line)")
    i.add_argument("--model", help="base model: sets the per-example token limit and tokenizer")
    i.add_argument("--exact", action="store_true", help="count every example exactly instead of sampling")
    i.add_argument("--epochs", default="auto", help="epochs for the billed-token estimate (default: auto)")
    i.add_argument("--validation-of", metavar="TRAIN", help="training file this validation file belongs to")
    i.add_argument("--json", action="store_true", help="machine-readable output")
    i.set_defaults(handler=run)
    p.set_defaults(handler=lambda _args: _usage(p))


def _usage(p: argparse.ArgumentParser) -> int:
    p.print_help()
    return 2


def detect_format(path: Path) -> str:
    """Guess the format from the first object line: DPO keys, RFT (last message from the user), else chat."""
    import orjson

    from fineplan.filekind import not_regular

    if not_regular(path) is not None:  # the check says what it is; opening a FIFO here would block
        return "chat"
    try:
        with path.open("rb") as fh:
            for raw in fh:
                raw = raw.strip().removeprefix(b"\xef\xbb\xbf")
                if not raw:
                    continue
                try:
                    row = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    return "chat"
                if not isinstance(row, dict):
                    return "chat"
                if "preferred_output" in row or "non_preferred_output" in row:
                    return "preference"
                msgs = row.get("messages")
                if isinstance(msgs, list) and msgs and isinstance(msgs[-1], dict) and msgs[-1].get("role") == "user":
                    return "reinforcement"
                return "chat"
    except OSError:
        pass
    return "chat"


def _epochs(value: str) -> int | Literal["auto"]:
    if value == "auto":
        return "auto"
    if value.isdigit() and int(value) >= 1:
        return int(value)
    raise ConfigError(f"--epochs must be a positive integer or 'auto', not {value!r}")


def _check_model(name: str) -> None:
    """An unknown --model would silently fall back to default limits: refuse it, as FP301 does in specs."""
    import difflib

    from fineplan.catalog import load_catalog

    catalog = load_catalog()
    if catalog.model(name) is None:
        close = difflib.get_close_matches(name, sorted(catalog.models), n=1)
        hint = f'; did you mean "{close[0]}"?' if close else ""
        raise ConfigError(f"--model {name!r} is not a model of the catalog (as of {catalog.as_of}){hint}")


def run(args: argparse.Namespace) -> int:
    from fineplan.datasets.check import check_dataset

    root = Path(args.chdir)
    path = root / args.path
    if _is_dataset_name(root, args.path):
        return _inspect_name(args, root)
    fmt = cast("Fmt", args.format or detect_format(path))
    epochs = _epochs(args.epochs)
    if args.model:
        _check_model(args.model)
    validation_of = root / args.validation_of if args.validation_of else None
    report = check_dataset(path, fmt, args.model, exact=args.exact, display_path=args.path, validation_of=validation_of)
    doc = report.to_json(epochs)
    if args.json:
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    else:
        sys.stdout.write(render_text(doc, report.diagnostics))
    return 1 if report.has_errors else 0


def _is_dataset_name(root: Path, target: str) -> bool:
    """A NAME of the project (not a file): no file of that name exists, and it looks like a resource name in a
    directory holding fineplan.yaml. The dataset module then says whether the project declares it."""
    if "/" in target or "." in target or not (root / "fineplan.yaml").is_file() or (root / target).exists():
        return False
    from fineplan.spec.models import NAME_PATTERN

    return re.fullmatch(NAME_PATTERN, target) is not None


def _n(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"


def _stats_rows(st: dict[str, Any]) -> list[tuple[str, str]]:
    approx = "≈" if st["estimated"] else ""
    rows = [
        ("examples", _n(st["examples"])),
        ("tokens total", approx + _n(st["tokens_total"])),
        (
            "tokens / example",
            "  ".join(
                f"{label} {approx}{_n(st[key])}"
                for label, key in (
                    ("min", "tokens_min"),
                    ("mean", "tokens_mean"),
                    ("p50", "tokens_p50"),
                    ("p95", "tokens_p95"),
                    ("max", "tokens_max"),
                )
            ),
        ),
        ("trained share", f"{approx}{st['assistant_share'] * 100:.1f} % of tokens"),
        ("limit / example", f"{_n(st['max_tokens_per_example'])} tokens ({st['over_limit']:,} over)"),
        (
            "billed estimate",
            f"{approx}{_n(st['billed']['tokens'])} tokens ({st['billed']['epochs']} epochs"
            + (", auto" if st["billed"]["n_epochs"] == "auto" else "")
            + ")",
        ),
    ]
    if st["estimated"]:
        rows.append(
            (
                "estimate",
                f"± {st['error_bound'] * 100:.2f} % (95 %), from {st['sample_size']} sampled examples; "
                "--exact counts all",
            )
        )
    return rows


def _table(rows: list[tuple[str, str]], indent: str = "  ") -> list[str]:
    width = max(len(k) for k, _ in rows)
    return [f"{indent}{k:<{width}}  {v}" for k, v in rows]


def _findings(diagnostics: list[Any]) -> list[str]:
    if not diagnostics:
        return ["No problems found."]
    try:
        from fineplan.render.diagnostics_text import render_diagnostics

        return [render_diagnostics(diagnostics).rstrip("\n")]
    except ImportError:  # pragma: no cover - the lead's renderer is optional
        out = []
        for d in diagnostics:
            loc = f"{d.location.file}:{d.location.line}" if d.location else ""
            more = f" ({d.count} occurrences)" if d.count > 1 else ""
            out.append(f"{d.severity.value}: {d.code} {d.summary}{more} {loc}")
        return out


def render_text(doc: dict[str, Any], diagnostics: list[Any]) -> str:
    st = doc["stats"]
    lines = [f"{doc['path']}  ({doc['format']}, {st['bytes']:,} bytes, sha256 {doc['digest'][:12]})", ""]
    lines += _table(_stats_rows(st))
    lines.append("")
    if not doc["digest"]:  # never read (missing, a directory, ...): no statistics to show, only why
        lines = [doc["path"], ""]
    lines += _findings(diagnostics)
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- a dataset of the project, by name


def _inspect_name(args: argparse.Namespace, root: Path) -> int:
    """`dataset inspect NAME`: the Dataset as lint sees it, transform and split applied, part by part."""
    from fineplan.engine import Engine
    from fineplan.lint.dataset_checks import inspect_dataset

    if args.validation_of:
        raise ConfigError("--validation-of applies to files; a dataset's split gives its validation part")
    epochs = _epochs(args.epochs)
    if args.model:
        _check_model(args.model)
    project, load_diags = Engine(root).load()
    if project is None:
        from fineplan.errors import DiagnosticsError

        raise DiagnosticsError(load_diags)
    found = inspect_dataset(project, load_diags, args.path, model=args.model, exact=args.exact)
    if args.format and args.format != found.spec.format:
        raise ConfigError(f"dataset {args.path!r} is {found.spec.format} (its spec says so), not {args.format}")
    doc = dataset_doc(found, epochs)
    if args.json:
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    else:
        sys.stdout.write(render_dataset_text(doc, found.diagnostics))
    return 1 if found.has_errors else 0


def dataset_doc(found: Any, epochs: int | Literal["auto"]) -> dict[str, Any]:
    """The JSON view of an InspectedDataset: source, settings, and per part its rows, digest, stats, findings."""
    spec = found.spec
    parts = []
    if found.check is not None:
        for part in found.check.parts:
            parts.append(
                {
                    "name": part.name,
                    "rows": part.rows,
                    "digest": part.report.digest,
                    "file": part.lines.checked,
                    "stats": part.report.stats.to_json(epochs),
                    "valid": not part.report.has_errors,
                    "diagnostics": [d.to_json() for d in part.report.diagnostics],
                }
            )
    return {
        "dataset": found.name,
        "path": found.source,
        "format": spec.format,
        "model": found.model,
        "transform": spec.transform.model_dump(by_alias=True, exclude_none=True) if spec.transform else None,
        "split": spec.split.model_dump() if spec.split else None,
        "valid": not found.has_errors,
        "rows": {p["name"]: p["rows"] for p in parts},
        "parts": parts,
        "diagnostics": [d.to_json() for d in found.diagnostics],
    }


def render_dataset_text(doc: dict[str, Any], diagnostics: list[Any]) -> str:
    how = [doc["format"], doc["path"]]
    if doc["transform"]:
        how.append(f"transform from {doc['transform']['from']}")
    if doc["split"]:
        how.append(f"split validation {doc['split']['validation']:g} seed {doc['split']['seed']}")
    lines = [f"dataset {doc['dataset']}  ({', '.join(how)})"]
    if doc["model"]:
        lines.append(f"  limits and tokenizer of {doc['model']}")
    lines.append("")
    if doc["parts"]:
        width = max(len(p["name"]) for p in doc["parts"])
        for p in doc["parts"]:
            where = f", {p['file']}" if p["file"] != doc["path"] else ""
            lines.append(f"{p['name']:<{width}}  {p['rows']:,} rows  (sha256 {p['digest'][:12]}{where})")
        lines.append("")
        for p in doc["parts"]:
            lines.append(f"{p['name']}:")
            lines += _table(_stats_rows(p["stats"]))
            lines.append("")
    lines += _findings(diagnostics)
    return "\n".join(lines) + "\n"
