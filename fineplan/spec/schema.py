"""JSON Schema export of the spec language (one schema per kind, plus fineplan.yaml).

Regenerate the checked-in copies with `python -m fineplan.spec.schema specs/schemas` (a test fails when they drift).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from fineplan.spec.models import KINDS, ProjectSettings

SCHEMA_BASE = "https://fineplan.dev/schemas"
SCHEMA_NAMES: dict[str, type[BaseModel]] = {**KINDS, "Project": ProjectSettings}


def schema_for(kind: str) -> dict[str, Any]:
    model = SCHEMA_NAMES[kind]
    schema = model.model_json_schema(by_alias=True)
    out: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{SCHEMA_BASE}/{schema_file(kind)}",
    }
    out.update(schema)
    return out


def schema_file(kind: str) -> str:
    return ("fineplan-project" if kind == "Project" else kind.lower()) + ".schema.json"


def all_schemas() -> dict[str, dict[str, Any]]:
    return {schema_file(k): schema_for(k) for k in SCHEMA_NAMES}


def render_schema(schema: dict[str, Any]) -> str:
    """The one canonical text of a schema (what `fineplan schema` prints and specs/schemas/ holds)."""
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def write_schemas(directory: Path) -> list[Path]:
    """Regenerate the checked-in schemas; returns the files whose content changed."""
    directory.mkdir(parents=True, exist_ok=True)
    changed: list[Path] = []
    for name, schema in all_schemas().items():
        path = directory / name
        text = render_schema(schema)
        if not path.is_file() or path.read_text("utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


def stale_schemas(directory: Path) -> list[str]:
    """Names of schema files in `directory` that are missing or differ from the models."""
    return [
        name
        for name, schema in all_schemas().items()
        if not (directory / name).is_file() or (directory / name).read_text("utf-8") != render_schema(schema)
    ]


def _main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m fineplan.spec.schema", description="Regenerate or check the JSON Schemas in specs/schemas."
    )
    parser.add_argument("directory", nargs="?", type=Path, default=Path("specs/schemas"))
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="rewrite files that differ (default)")
    mode.add_argument("--check", action="store_true", help="exit 1 if any file differs")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_schemas(args.directory)
        for name in stale:
            print(f"stale: {args.directory / name}")
        return 1 if stale else 0
    for path in write_schemas(args.directory):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
