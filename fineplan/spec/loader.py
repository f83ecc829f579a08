"""Load a project directory: fineplan.yaml + spec files → a frozen Project and located diagnostics.

Never raises for bad input: every problem (YAML syntax, duplicate or unknown keys, wrong types, bad names,
duplicate resources, non-UTF-8, alias bombs, empty files, paths escaping the root, ...) becomes a diagnostic.
"""

from __future__ import annotations

import gc
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from fineplan.diagnostics import Diagnostic, Location, Severity
from fineplan.filekind import not_regular
from fineplan.spec.models import KINDS, Dataset, Evaluation, FineTuningJob, ProjectSettings, address_of
from fineplan.spec.project import Project, ResourceEntry
from fineplan.spec.pydantic_errors import diagnostics_from_validation, did_you_mean
from fineplan.spec.yaml_located import LocatedDocument, load_documents

SETTINGS_FILE = "fineplan.yaml"
MAX_SPEC_BYTES = 5 * 1024 * 1024
_IGNORE = re.compile(r"#\s*fineplan:\s*ignore\[([A-Za-z0-9,\s]+)\]")
_ENV = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def _err(code: str, summary: str, loc: Location, detail: str = "") -> Diagnostic:
    return Diagnostic(Severity.ERROR, code, summary, detail, loc)


def read_text(path: Path, display: str, diags: list[Diagnostic]) -> str | None:
    """Read a UTF-8 text file; report non-UTF-8 bytes at their line and column, and empty files."""
    try:
        too_large = path.stat().st_size > MAX_SPEC_BYTES  # before reading: never load a huge file to refuse it
        raw = b"" if too_large else path.read_bytes()
    except OSError as exc:
        diags.append(_err("FP204", f"Cannot read {display}: {exc.strerror}", Location(display)))
        return None
    if too_large:
        diags.append(_err("FP111", f"{display} is larger than {MAX_SPEC_BYTES // 1024 // 1024} MiB", Location(display)))
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        diags.append(
            _err(
                "FP110",
                f"{display} is not UTF-8",
                Location(display, line, column),
                f"byte 0x{raw[exc.start]:02x} at offset {exc.start} cannot be decoded",
            )
        )
        return None
    if not text.strip() or all(
        not ln.strip() or ln.lstrip().startswith("#") or ln.strip() in ("---", "...") for ln in text.splitlines()
    ):
        diags.append(Diagnostic(Severity.WARNING, "FP109", f"{display} is empty", "", Location(display)))
        return None
    return text


def _inline_ignores(text: str) -> dict[int, frozenset[str]]:
    out: dict[int, frozenset[str]] = {}
    for i, line in enumerate(text.splitlines(), start=1):
        m = _IGNORE.search(line)
        if m:
            out[i] = frozenset(c.strip().upper() for c in m.group(1).split(",") if c.strip())
    return out


def _interpolate(value: Any, doc: LocatedDocument, path: tuple[Any, ...], diags: list[Diagnostic]) -> Any:
    """Expand `${env:VAR}` / `${env:VAR:-default}` in settings strings."""
    if isinstance(value, dict):
        return {k: _interpolate(v, doc, (*path, k), diags) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, doc, (*path, i), diags) for i, v in enumerate(value)]
    if not isinstance(value, str) or "${" not in value:
        return value

    def sub(m: re.Match[str]) -> str:
        name, default = m.group(1), m.group(2)
        got = os.environ.get(name)
        if got is None:
            if default is not None:
                return default
            diags.append(
                _err(
                    "FP114",
                    f"Environment variable {name} is not set",
                    doc.location(path),
                    "Set it, or give a default with ${env:" + name + ":-value}.",
                )
            )
            return ""
        return got

    return _ENV.sub(sub, value)


def _validate(model: type[BaseModel], doc: LocatedDocument, what: str, diags: list[Diagnostic]) -> Any:
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        diags.extend(diagnostics_from_validation(exc, doc, model, what))
        return None


def load_settings(root: Path, diags: list[Diagnostic]) -> tuple[ProjectSettings, LocatedDocument | None]:
    path = root / SETTINGS_FILE
    if not path.is_file():
        diags.append(
            _err(
                "FP100",
                f"No {SETTINGS_FILE} in {root}",
                Location(SETTINGS_FILE),
                "A fineplan project is a directory with fineplan.yaml; `fineplan init` creates one.",
            )
        )
        return ProjectSettings(), None
    text = read_text(path, SETTINGS_FILE, diags)
    if text is None:
        return ProjectSettings(), None
    docs, ydiags = load_documents(text, SETTINGS_FILE)
    diags.extend(ydiags)
    if not docs:
        return ProjectSettings(), None
    doc = docs[0]
    if len(docs) > 1:
        diags.append(_err("FP113", f"{SETTINGS_FILE} must hold one document", docs[1].start))
    if not isinstance(doc.data, dict):
        diags.append(_err("FP113", f"{SETTINGS_FILE} must be a mapping", doc.start))
        return ProjectSettings(), doc
    doc.data = _interpolate(doc.data, doc, (), diags)
    settings = _validate(ProjectSettings, doc, SETTINGS_FILE, diags)
    if settings is not None and settings.default_target not in settings.targets and settings.default_target != "local":
        diags.append(
            _err(
                "FP105",
                f"default_target {settings.default_target!r} is not one of the targets",
                doc.location(("default_target",)),
                "targets: " + ", ".join(settings.targets),
            )
        )
    return settings or ProjectSettings(), doc


def spec_files(root: Path, patterns: tuple[str, ...]) -> list[Path]:
    """Files matching the globs, in order. Patterns are validated relative globs (see ProjectSettings)."""
    seen: dict[Path, None] = {}
    for pattern in patterns:
        try:
            matches = sorted(root.glob(pattern))
        except (ValueError, NotImplementedError, OSError):  # a pattern pathlib refuses matches nothing
            continue
        for p in matches:
            if p.is_file() and p.name != SETTINGS_FILE:
                seen.setdefault(p, None)
    return list(seen)


def _short(value: str) -> str:
    return repr(value) if len(value) <= 80 else repr(value[:77] + "...")


def _display(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _load_resource(doc: LocatedDocument, diags: list[Diagnostic]) -> BaseModel | None:
    data = doc.data
    if not isinstance(data, dict):
        diags.append(_err("FP113", "A spec document must be a mapping with kind, name and spec", doc.start))
        return None
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        where = doc.location(("kind",)) if "kind" in data else doc.start
        if kind is None:
            summary = "Missing kind (Dataset, FineTuningJob or Deployment)"
        else:
            hint = did_you_mean(str(kind), list(KINDS))
            summary = f'Unknown kind "{kind}"' + (f". {hint}" if hint else "")
        diags.append(_err("FP107", summary, where, "kind is one of: " + ", ".join(KINDS)))
        return None
    return _validate(KINDS[kind], doc, f"{kind} {data.get('name', '')}".strip(), diags)


def _inside_root(root: Path, relative: str | Path, real_root: Path | None = None) -> Path | None:
    """The resolved path if it stays inside the project root (symlinks followed), else None.

    `real_root`: root already resolved (a project resolves it once, not once per path). Raises OSError /
    ValueError / RuntimeError for paths the OS cannot look at (NUL bytes, over-long names, symlink loops).
    """
    if Path(relative).is_absolute():
        return None
    resolved = (root / relative).resolve()
    real_root = real_root or root.resolve()
    if resolved != real_root and real_root not in resolved.parents:
        return None
    return resolved


class _PathChecks:
    """What each referenced path is, looked up once per load: many documents name the same few files."""

    def __init__(self, root: Path, real_root: Path) -> None:
        self.root, self.real_root = root, real_root
        self._seen: dict[str, tuple[Path | None, str | None] | str] = {}

    def look(self, rel: str) -> tuple[Path | None, str | None] | str:
        """(resolved path or None when outside the root, what is wrong with it or None), or why the OS refused."""
        if rel not in self._seen:
            try:
                resolved = _inside_root(self.root, rel, self.real_root)
                # Only stat, never open: a FIFO would block, and it must be named for what it is, not "missing".
                self._seen[rel] = (resolved, not_regular(resolved) if resolved is not None else None)
            except (OSError, ValueError, RuntimeError) as exc:  # NUL bytes, over-long names, symlink loops
                self._seen[rel] = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return self._seen[rel]


def _check_path(
    paths: _PathChecks, entry_doc: LocatedDocument, rel: str, path: tuple[str, ...], what: str, diags: list[Diagnostic]
) -> Path | None:
    loc = entry_doc.location(path)
    found = paths.look(rel)
    if isinstance(found, str):
        diags.append(_err("FP204", f"{what} {_short(rel)} cannot be read: {found}", loc))
        return None
    resolved, problem = found
    if resolved is None:
        diags.append(
            _err(
                "FP203",
                f"{what} {rel!r} is outside the project root",
                loc,
                "Paths are relative to the directory holding fineplan.yaml and may not leave it (symlinks included).",
            )
        )
        return None
    if problem is not None:
        diags.append(_err("FP204", f"{what} {rel!r} {problem}", loc))
        return None
    return resolved


def _parse_json_file(path: Path, display: str, diags: list[Diagnostic]) -> tuple[bool, Any]:
    """(ok, value) of a JSON side file; failures are reported as FP116 at their line."""
    text = read_text(path, display, diags)
    if text is None:
        return False, None
    try:
        return True, json.loads(text)
    except json.JSONDecodeError as exc:
        diags.append(_err("FP116", f"Invalid JSON in {display}: {exc.msg}", Location(display, exc.lineno, exc.colno)))
    except RecursionError:
        diags.append(_err("FP116", f"{display} nests JSON too deeply", Location(display)))
    return False, None


def _load_json_file(path: Path, display: str, diags: list[Diagnostic]) -> dict[str, Any] | None:
    ok, value = _parse_json_file(path, display, diags)
    if not ok:
        return None
    if not isinstance(value, dict):
        diags.append(_err("FP116", f"{display} must hold a JSON object", Location(display)))
        return None
    return value


def _load_graders_file(path: Path, display: str, diags: list[Diagnostic]) -> tuple[dict[str, Any], ...] | None:
    """A graders file holds one grader object or a non-empty list of them."""
    ok, value = _parse_json_file(path, display, diags)
    if not ok:
        return None
    items = [value] if isinstance(value, dict) else value
    if not isinstance(items, list) or not items or not all(isinstance(g, dict) for g in items):
        diags.append(_err("FP116", f"{display} must hold a grader or a non-empty list of graders", Location(display)))
        return None
    return tuple(items)


def _side_files(paths: _PathChecks, entry: ResourceEntry, diags: list[Diagnostic]) -> ResourceEntry:
    r = entry.resource
    root = paths.root
    if isinstance(r, Dataset):
        _check_path(paths, entry.doc, r.spec.path, ("spec", "path"), "Dataset path", diags)
        return entry
    if isinstance(r, Evaluation):
        graders: tuple[dict[str, Any], ...] | None = r.spec.graders
        if r.spec.graders_file:
            p = _check_path(paths, entry.doc, r.spec.graders_file, ("spec", "graders_file"), "Graders file", diags)
            graders = _load_graders_file(p, _display(root, p), diags) if p is not None else None
        return ResourceEntry(r, entry.doc, graders=graders)
    if not isinstance(r, FineTuningJob):
        return entry
    grader, response_format = r.spec.grader, r.spec.response_format
    if r.spec.grader_file:
        p = _check_path(paths, entry.doc, r.spec.grader_file, ("spec", "grader_file"), "Grader file", diags)
        if p is not None:
            grader = _load_json_file(p, _display(root, p), diags)
    if r.spec.response_format_file:
        p = _check_path(
            paths,
            entry.doc,
            r.spec.response_format_file,
            ("spec", "response_format_file"),
            "Response format file",
            diags,
        )
        if p is not None:
            response_format = _load_json_file(p, _display(root, p), diags)
    return ResourceEntry(r, entry.doc, grader, response_format)


@contextmanager
def _without_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while specs load.

    A spec holds no reference cycles, so reference counting frees everything; but every few hundred allocations
    the collector walks the objects it tracks, and loading keeps a growing heap of nodes, locations and models
    alive: with it running, load time grew faster than the file (20k documents: ~2x the time with it paused).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _load_file(
    paths: _PathChecks,
    path: Path,
    entries: dict[str, ResourceEntry],
    ignores: dict[str, dict[int, frozenset[str]]],
    declared: set[str],
    diags: list[Diagnostic],
) -> None:
    """Load one spec file's documents into `entries` (first declaration wins), `declared` and `ignores`."""
    root = paths.root
    display = _display(root, path)
    try:
        outside = _inside_root(root, path.relative_to(root), paths.real_root) is None
    except (OSError, ValueError, RuntimeError):
        outside = False  # read_text reports what is wrong with it
    if outside:
        diags.append(
            _err(
                "FP203",
                f"Spec file {display} leads outside the project root",
                Location(display),
                "A symlink in the project points elsewhere; spec files must live inside the project.",
            )
        )
        return
    spec_text = read_text(path, display, diags)
    if spec_text is None:
        return
    ignores[display] = _inline_ignores(spec_text)
    docs, ydiags = load_documents(spec_text, display)
    diags.extend(ydiags)
    for doc in docs:
        if doc.data is None:
            continue
        resource = _load_resource(doc, diags)
        kind, name = (doc.data.get("kind"), doc.data.get("name")) if isinstance(doc.data, dict) else (None, None)
        if isinstance(kind, str) and kind in KINDS and isinstance(name, str):
            declared.add(address_of(kind, name))
        if resource is None:
            continue
        entry = ResourceEntry(resource, doc)  # type: ignore[arg-type]
        previous = entries.get(entry.address)
        if previous is not None:
            first = previous.location("name")
            diags.append(
                _err(
                    "FP108",
                    f"Duplicate {entry.kind} {entry.name!r}",
                    entry.location("name"),
                    f"first declared at {first}",
                )
            )
            continue
        entries[entry.address] = _side_files(paths, entry, diags)


def load_project(root: Path) -> tuple[Project | None, list[Diagnostic]]:
    """Load and check the structure of a project. Returns (None, diags) only when nothing usable was found."""
    diags: list[Diagnostic] = []
    root = Path(root)
    if not root.is_dir():
        why = "is not a directory" if root.exists() else "does not exist"
        diags.append(_err("FP100", f"Project directory {root} {why}", Location(str(root))))
        return None, diags
    settings, settings_doc = load_settings(root, diags)
    entries: dict[str, ResourceEntry] = {}
    ignores: dict[str, dict[int, frozenset[str]]] = {}
    if settings_doc is not None:
        text = (root / SETTINGS_FILE).read_text("utf-8", errors="replace")
        ignores[SETTINGS_FILE] = _inline_ignores(text)

    declared: set[str] = set()
    try:
        real_root = root.resolve()
    except (OSError, RuntimeError):
        real_root = root.absolute()
    files = spec_files(root, settings.specs)
    if not files:
        diags.append(
            Diagnostic(
                Severity.WARNING,
                "FP112",
                "No spec files matched " + ", ".join(settings.specs),
                "",
                settings_doc.location(("specs",)) if settings_doc else Location(SETTINGS_FILE),
            )
        )
    paths = _PathChecks(root, real_root)
    with _without_cyclic_gc():
        for path in files:
            _load_file(paths, path, entries, ignores, declared, diags)

    project = Project(
        root=root,
        settings=settings,
        settings_doc=settings_doc,
        entries=entries,
        inline_ignores=ignores,
        declared=frozenset(declared),
    )
    from fineplan.spec.references import check_references

    diags.extend(check_references(project))
    return project, diags
