"""`fineplan lint`: every rule, including datasets; text, json, sarif or github output."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from fineplan.cli.common import engine, write
from fineplan.diagnostics import Diagnostic, Location, has_errors
from fineplan.render.views import DIAGNOSTIC_VIEWS, ViewOptions


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("lint", help="check specs, compatibility, datasets and policy")
    p.add_argument("--format", choices=DIAGNOSTIC_VIEWS.names, default="text")
    p.add_argument("--strict", action="store_true", help="exit 1 on warnings too")
    p.add_argument("--list-rules", action="store_true", help="list every rule and exit")
    p.add_argument("--explain", metavar="CODE", help="show a rule's documentation and exit")
    p.add_argument("--no-datasets", action="store_true", help="skip reading dataset files")
    p.set_defaults(handler=run)


def _from_working_dir(diags: list[Diagnostic], root: Path) -> list[Diagnostic]:
    """GitHub resolves annotation and SARIF paths from the repository root (the working directory in CI), not from
    `-C DIR`: prefix project-relative paths with DIR when the project lies below the working directory."""
    try:
        base = root.resolve().relative_to(Path.cwd().resolve())
    except (ValueError, OSError):
        return diags
    if base == Path("."):
        return diags

    def move(loc: Location) -> Location:
        return loc if Path(loc.file).is_absolute() else replace(loc, file=(base / loc.file).as_posix())

    return [
        replace(
            d,
            location=move(d.location) if d.location else None,
            occurrences=tuple(move(o) for o in d.occurrences),
        )
        for d in diags
    ]


def run(args: argparse.Namespace) -> int:
    from fineplan.lint.registry import all_rules, get_rule

    if args.list_rules:
        for r in all_rules():
            write(f"{r.code}  {r.severity.value:<7}  {r.name:<34} {r.summary()}\n")
        return 0
    if args.explain:
        rule = get_rule(args.explain)
        if rule is None:
            write(f"Unknown rule {args.explain}. See `fineplan lint --list-rules`.\n")
            return 1
        write(f"{rule.code} {rule.name} ({rule.severity.value})\n\n{rule.docs()}\n")
        return 0
    facade = engine(args)
    diags = facade.lint(datasets=not args.no_datasets)
    shown = _from_working_dir(diags, facade.root) if args.format in ("sarif", "github") else diags
    write(DIAGNOSTIC_VIEWS.render(shown, args.format, ViewOptions(root=facade.root)))
    failed = has_errors(diags) or (args.strict and bool(diags))
    return 1 if failed else 0
