"""`fineplan dataset inspect PATH`: validate one JSONL file and show its token statistics."""

from __future__ import annotations

import argparse
import json
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
    i = dsub.add_parser("inspect", help="validate a JSONL dataset and show token statistics")
    i.add_argument("path", help="JSONL file (relative to -C DIR)")
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


def _n(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"


def render_text(doc: dict[str, Any], diagnostics: list[Any]) -> str:
    st = doc["stats"]
    approx = "≈" if st["estimated"] else ""
    lines = [f"{doc['path']}  ({doc['format']}, {st['bytes']:,} bytes, sha256 {doc['digest'][:12]})", ""]
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
    width = max(len(k) for k, _ in rows)
    lines += [f"  {k:<{width}}  {v}" for k, v in rows]
    lines.append("")
    if not doc["digest"]:  # never read (missing, a directory, ...): no statistics to show, only why
        lines = [doc["path"], ""]
    if diagnostics:
        try:
            from fineplan.render.diagnostics_text import render_diagnostics

            lines.append(render_diagnostics(diagnostics).rstrip("\n"))
        except ImportError:  # pragma: no cover - the lead's renderer is optional
            for d in diagnostics:
                loc = f"{d.location.file}:{d.location.line}" if d.location else ""
                more = f" ({d.count} occurrences)" if d.count > 1 else ""
                lines.append(f"{d.severity.value}: {d.code} {d.summary}{more} {loc}")
    else:
        lines.append("No problems found.")
    return "\n".join(lines) + "\n"
