"""Dataset line-memory benchmark: peak RSS of checking a JSONL file whose one example is a single huge line, beside
the interpreter with fineplan's imports alone (and with the tokenizer loaded), all measured in the same run.

    python benchmarks/bench_dataset_line_memory.py [--sizes 1,10,50] [--model gpt-4.1-mini-2025-04-14]

Target (issue 11, item 7): peak memory bounded whatever the line length (a 10 MB line peaked at 591 MB, 59x).

How it is built:
1. Per size, a file in a temp dir: ten ordinary chat examples, then one example whose user message is S MB of
   English-like text (words from a small vocabulary, spaces, punctuation; a JSON string with a few escapes), so
   the line is well over the model's per-example token limit.
2. Each measurement runs in a fresh interpreter (`python -c ...`), which calls `check_dataset` (the code behind
   `lint` and `dataset inspect`) with a fresh cache and prints its own peak RSS as it ends: VmHWM from
   /proc/self/status (ru_maxrss is no good for this on Linux: a child inherits its parent's peak in it), or a
   forked scan worker's if larger (by default the check runs in one process: FINEPLAN_WORKERS=1). The
   baselines run the same interpreter doing only the imports, then the imports + tokenizer load.
3. It prints, per size, the finding the check reported for the huge line (code and line), the peak RSS, the peak
   above the tokenizer baseline, and that excess divided by the line size. Not part of the test run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import string
import subprocess
import sys
import tempfile
from pathlib import Path

WORDS = [
    *[
        "the",
        "of",
        "and",
        "to",
        "in",
        "is",
        "that",
        "for",
        "it",
        "as",
        "was",
        "with",
        "be",
        "by",
        "on",
        "not",
        "he",
        "this",
        "are",
        "or",
        "his",
        "from",
        "at",
        "which",
        "but",
        "have",
        "an",
    ],
    *[
        "they",
        "you",
        "were",
        "her",
        "she",
        "there",
        "one",
        "all",
        "we",
        "their",
        "can",
        "has",
        "more",
        "when",
        "will",
        "would",
        "if",
        "so",
        "what",
        "about",
        "out",
        "up",
        "into",
    ],
    *["model", "data", "token", "line", "example", '"quoted"', "tab\t", "newline\n", "unicode", "café", "東京"],
]

# The child's own peak: VmHWM of /proc/self/status (KiB) where there is one. Not ru_maxrss: Linux carries a forked
# parent's peak into it across exec, so a child of a large parent would report the parent's size.
_RSS = """
import resource
try:
    hwm = next(int(ln.split()[1]) for ln in open("/proc/self/status") if ln.startswith("VmHWM:"))
except (OSError, StopIteration):
    hwm = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
# forked scan workers (large files) report theirs to us; the largest single process is the figure
print("@@rss", max(hwm, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
"""
_IMPORTS = "import fineplan.datasets.check"
_TOKENIZER = _IMPORTS + "\nfrom fineplan.datasets.tokens import get_encoder\nget_encoder('o200k_base')"
_CHECK = r"""
import json, sys
from pathlib import Path
from fineplan.datasets.check import check_dataset
report = check_dataset(Path(sys.argv[1]), "chat", sys.argv[2] or None)
print(json.dumps([[d.code, d.location.line if d.location else 0, d.summary] for d in report.diagnostics]))
"""


def write_file(path: Path, megabytes: int, shape: str = "words", seed: int = 0) -> int:
    """Ten ordinary examples and one huge one (line 11), written piece by piece; returns the huge line's length.
    `shape`: "words" (English-like text) or "letters" (one word of random letters: no place to split it)."""
    rng = random.Random(seed)
    with path.open("wb") as fh:
        for i in range(10):
            msgs = [{"role": "user", "content": f"What is {i} + {i}?"}, {"role": "assistant", "content": str(2 * i)}]
            fh.write(json.dumps({"messages": msgs}).encode() + b"\n")
        start = fh.tell()
        fh.write(b'{"messages": [{"role": "user", "content": "')
        size, target = 0, megabytes * 1_000_000
        while size < target:
            if shape == "letters":
                words = "".join(rng.choices(string.ascii_letters, k=16384))
            else:
                words = " ".join(rng.choice(WORDS) for _ in range(2000)) + " "
            piece = json.dumps(words, ensure_ascii=False)[1:-1].encode("utf-8")  # escaped, without the quotes
            fh.write(piece)
            size += len(piece)
        fh.write(b'"}, {"role": "assistant", "content": "ok"}]}')
        length = fh.tell() - start
        fh.write(b"\n")
    return length


def peak_rss_mb(code: str, *args: str, env: dict[str, str]) -> tuple[float, str]:
    """Run `python -c code args` in a fresh interpreter; return (its peak RSS in MB, its stdout).

    The child reports its own peak as it ends (RUSAGE_CHILDREN in the parent would be the maximum over every child
    so far, which hides a smaller child after a larger one)."""
    proc = subprocess.run(
        [sys.executable, "-c", code + _RSS, *args], capture_output=True, text=True, env=env, check=True
    )
    out, _, rss = proc.stdout.rpartition("@@rss ")
    return int(rss) / 1024, out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1,10,50", help="huge line sizes in MB, comma-separated, ascending")
    ap.add_argument("--model", default="gpt-4.1-mini-2025-04-14", help="model whose per-example limit applies")
    ap.add_argument("--shapes", default="words,letters", help="huge line text: words and/or letters")
    ap.add_argument("--workers", default="1", help="FINEPLAN_WORKERS for the checks (1: everything in one process)")
    args = ap.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    with tempfile.TemporaryDirectory(prefix="fineplan-bench-line-") as tmp:
        base = Path(tmp)
        env = {**os.environ, "FINEPLAN_CACHE_DIR": str(base / "cache"), "FINEPLAN_WORKERS": args.workers}
        imports, _ = peak_rss_mb(_IMPORTS, env=env)
        peak_rss_mb(_TOKENIZER, env=env)  # the first load fills the tokenizer cache; checks find it filled
        tokenizer, _ = peak_rss_mb(_TOKENIZER, env=env)
        print(
            f"check_dataset of one huge JSONL line ({args.model}, FINEPLAN_WORKERS={args.workers}); "
            "peak RSS of the largest process, a fresh interpreter per row"
        )
        print(f"  baseline: interpreter + imports {imports:.0f} MB; + tokenizer loaded {tokenizer:.0f} MB")
        print(
            f"{'shape':>8} {'line MB':>8} {'peak MB':>8} {'peak/line':>9} {'above base':>10} {'excess/line':>11}"
            "  finding on the huge line"
        )
        for shape in args.shapes.split(","):
            for mb in sizes:
                path = base / f"line-{shape}-{mb}mb.jsonl"
                line_mb = write_file(path, mb, shape) / 1e6
                peak, out = peak_rss_mb(_CHECK, str(path), args.model, env=env)
                found = [d for d in json.loads(out) if d[1] == 11]
                what = "; ".join(f"{code} at line {line}: {summary[:48]}..." for code, line, summary in found)
                excess = max(0.0, peak - tokenizer)
                print(
                    f"{shape:>8} {line_mb:>8.1f} {peak:>8.0f} {peak / line_mb:>8.1f}x {excess:>10.0f} "
                    f"{excess / line_mb:>10.2f}x  {what or 'none'}"
                )
                path.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
