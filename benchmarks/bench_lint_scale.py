"""Lint scale benchmark: `fineplan lint` time against the number of documents, beside the time PyYAML's C loader
takes just to parse the same spec file, measured in the same run.

    python benchmarks/bench_lint_scale.py [--sizes 1000,5000,20000] [--repeat 2] [--no-datasets]

Target (issue 11, item 6): linear growth, so time(20k)/time(1k) near 20× (not 400×), 20k documents in a few
seconds.

How it is built:
1. A project in a temp dir with one spec file of N documents in groups of five, the mix real projects have: a
   Dataset (every fourth one split, every eighth one transformed from prompt/response rows), an SFT job on a base
   model training on it, a second SFT job stacked on the first (`base_model: {job: ...}`) validating on the
   previous group's dataset, a Deployment of the stacked job's model and one of a base model, spread over accounts
   so no rule fires (five fine-tuned deployments per account at most). Datasets share 20 small JSONL files, as
   many datasets of one project point at the same few files.
2. Each size runs in a fresh process with a fresh dataset cache (`FINEPLAN_CACHE_DIR`), so what is measured is a
   cold lint: load (YAML → located models), references, graph, every project rule and every dataset check.
   The same process then parses the file with `yaml.load_all(..., Loader=CSafeLoader)`: the baseline.
3. It prints lint time, parse time and lint/parse per size (the best of --repeat runs: the machine may be
   shared), then time(largest)/time(smallest) next to the linear expectation (the size ratio). A cold lint has
   fixed costs (the tokenizer and catalog load, one check per distinct data file), so small sizes sit above the
   line and the ratio comes out below 20x. Not part of the test run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DATA_FILES = 20
BASES = ("gpt-4.1-mini-2025-04-14", "gpt-4.1-nano-2025-04-14", "gpt-4o-mini-2024-07-18")


def _chat_rows(i: int) -> list[str]:
    rows = []
    for k in range(40):
        msgs = [
            {"role": "system", "content": f"You answer questions about catalogue {i}."},
            {"role": "user", "content": f"What does item {k} of catalogue {i} cost?"},
            {"role": "assistant", "content": f"Item {k} costs {k * 3 + i} euros."},
        ]
        rows.append(json.dumps({"messages": msgs}))
    return rows


def _raw_rows(i: int) -> list[str]:
    return [json.dumps({"question": f"Q{k} about {i}?", "answer": f"A{k} for {i}."}) for k in range(40)]


def write_project(root: Path, documents: int) -> Path:
    """Write fineplan.yaml, the data files and one spec file of `documents` documents; return the spec file."""
    (root / "specs").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "fineplan.yaml").write_text(
        "project: bench\nspecs: ['specs/*.yaml']\ndefault_target: local\ntargets:\n  local: {type: local}\n",
        encoding="utf-8",
    )
    for i in range(DATA_FILES):
        (root / "data" / f"chat-{i}.jsonl").write_text("\n".join(_chat_rows(i)) + "\n", encoding="utf-8")
        (root / "data" / f"raw-{i}.jsonl").write_text("\n".join(_raw_rows(i)) + "\n", encoding="utf-8")
    docs: list[str] = []
    groups = (documents + 4) // 5
    for g in range(groups):
        ds, sft, stacked = f"ds-{g}", f"sft-{g}", f"stacked-{g}"
        if g % 8 == 7:
            dataset = (
                f"kind: Dataset\nname: {ds}\nspec:\n  path: data/raw-{g % DATA_FILES}.jsonl\n  format: chat\n"
                "  transform: {from: prompt_response, prompt_field: question, response_field: answer}\n"
            )
        else:
            dataset = f"kind: Dataset\nname: {ds}\nspec:\n  path: data/chat-{g % DATA_FILES}.jsonl\n  format: chat\n"
        if g % 4 == 3:
            dataset += "  split: {validation: 0.25}\n"
        validation = f"  validation_data: ds-{g - 1}\n" if g > 0 and (g - 1) % 4 != 3 else ""
        docs += [
            dataset,
            f"kind: FineTuningJob\nname: {sft}\nspec:\n  base_model: {BASES[g % len(BASES)]}\n"
            f"  method: supervised\n  training_data: {ds}\n  training_type: global\n"
            "  hyperparameters: {n_epochs: 2}\n",
            f"kind: FineTuningJob\nname: {stacked}\nspec:\n  base_model: {{job: {sft}}}\n"
            f"  method: supervised\n  training_data: {ds}\n{validation}  training_type: global\n",
            f"kind: Deployment\nname: dep-{g}\nspec:\n  model: {{job: {stacked}}}\n  type: global_standard\n"
            f"  capacity: 10\n  account: acct-{g // 4}\n",
            f"kind: Deployment\nname: base-{g}\nspec:\n  model: {BASES[g % len(BASES)]}\n  type: global_standard\n"
            "  capacity: 10\n",
        ]
    spec = root / "specs" / "all.yaml"
    spec.write_text("---\n".join(docs[:documents]), encoding="utf-8")
    return spec


_MEASURE = r"""
import json, sys, time
from pathlib import Path
root, datasets = Path(sys.argv[1]), sys.argv[2] == "1"
from fineplan.engine import Engine
import yaml
t0 = time.perf_counter()
diags = Engine(root).lint(datasets=datasets)
lint = time.perf_counter() - t0
text = (root / "specs" / "all.yaml").read_text("utf-8")
t0 = time.perf_counter()
n = sum(1 for _ in yaml.load_all(text, Loader=yaml.CSafeLoader))
parse = time.perf_counter() - t0
print(json.dumps({"lint": lint, "parse": parse, "docs": n, "diagnostics": [f"{d.code} {d.summary}" for d in diags]}))
"""


def measure(documents: int, datasets: bool) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="fineplan-bench-lint-") as tmp:
        root = Path(tmp) / "project"
        spec = write_project(root, documents)
        env = {**os.environ, "FINEPLAN_CACHE_DIR": str(Path(tmp) / "cache")}
        out = subprocess.run(
            [sys.executable, "-c", _MEASURE, str(root), "1" if datasets else "0"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        result: dict[str, object] = json.loads(out.stdout)
        result["bytes"] = spec.stat().st_size
        return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000,5000,20000", help="document counts, comma-separated")
    ap.add_argument("--repeat", type=int, default=2, help="runs per size; the fastest counts")
    ap.add_argument("--no-datasets", action="store_true", help="lint without reading dataset files")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"fineplan lint{' --no-datasets' if args.no_datasets else ''}: one spec file, cold cache, one process each")
    print(f"{'documents':>10} {'spec MB':>8} {'lint s':>8} {'parse s':>8} {'lint/parse':>10} {'diagnostics':>12}")
    times: dict[int, float] = {}
    for n in sizes:
        t0 = time.perf_counter()
        runs = [measure(n, not args.no_datasets) for _ in range(max(1, args.repeat))]
        r = min(runs, key=lambda run: float(run["lint"]))  # type: ignore[arg-type]
        lint = float(r["lint"])  # type: ignore[arg-type]
        parse = min(float(run["parse"]) for run in runs)  # type: ignore[arg-type]
        diags = r["diagnostics"]
        assert isinstance(diags, list)
        times[n] = lint
        print(
            f"{n:>10,} {int(r['bytes']) / 1e6:>8.2f} {lint:>8.2f} {parse:>8.3f} {lint / parse:>10.1f} "  # type: ignore[call-overload]
            f"{len(diags):>12}   (wall {time.perf_counter() - t0:.1f} s)"
        )
        for d in diags[:3]:
            print(f"{'':>12}{d}")
    lo, hi = min(sizes), max(sizes)
    print(
        f"time({hi:,})/time({lo:,}) = {times[hi] / times[lo]:.1f}x; linear would be {hi / lo:.0f}x, "
        f"quadratic {(hi / lo) ** 2:.0f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
