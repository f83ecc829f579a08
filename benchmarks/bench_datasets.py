"""Dataset validation benchmark: fineplan's check vs what the popular data-prep notebook does, side by side.

    python benchmarks/bench_datasets.py [--mb 210] [--big-mb 1000] [--repeat 1] [--tmp DIR] [--keep]

Generates a realistic chat SFT file (>= 200 MB, see gen_chat_dataset.py) in a temp dir and measures, each in a
fresh process so memory figures are not polluted by the others:

  baseline  the OpenAI cookbook "data preparation and analysis for chat model fine-tuning" notebook: json.loads of
            every line into a list, its format checks, then tiktoken per message value (and the assistant
            contents again for its assistant-token stats). Non-string values (tool_calls, weight) are skipped,
            where the notebook itself would crash.
  default   check_dataset(): structure of every line, exact count of every example that could exceed the limit,
            token totals from a deterministic sample with a stated error bound.
  exact     check_dataset(exact=True): every example counted.
  again     check_dataset() on an unchanged 1 GB file, a second time (after a first run that fills the cache).

Times are measured inside the child after imports (tokenizer loading included for both sides), best of
--repeat runs. Memory comes from one more run of each, sampled every 10 ms from /proc over the child's whole
process tree (sampling costs CPU, so it never runs during a timed run): Σ PSS (shared pages counted once,
proportionally: what the tree really occupies) and Σ RSS (shared pages counted in every process: an upper
bound), plus the largest per-process peak RSS (VmHWM; getrusage's ru_maxrss would include the benchmark
parent's size, since it survives exec). Caches: each run starts with an empty digest and
report cache; the tokenizer tables (a per-machine, one-time cache for fineplan; tiktoken's own cache file for
the baseline) are warm for both. The machine may be shared: use --repeat to take the best of several runs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
MODEL = "gpt-4.1-mini-2025-04-14"


# ---------------------------------------------------------------- children (run in fresh processes)


def _baseline(path: str) -> dict[str, Any]:
    """What the notebook does (its code, with o200k_base and non-string values skipped)."""
    from collections import defaultdict

    import tiktoken

    t0 = time.perf_counter()
    encoding = tiktoken.get_encoding("o200k_base")
    with open(path, encoding="utf-8") as f:
        dataset = [json.loads(line) for line in f]

    format_errors: dict[str, int] = defaultdict(int)
    for ex in dataset:
        if not isinstance(ex, dict):
            format_errors["data_type"] += 1
            continue
        messages = ex.get("messages", None)
        if not messages:
            format_errors["missing_messages_list"] += 1
            continue
        for message in messages:
            if "role" not in message or "content" not in message:
                format_errors["message_missing_key"] += 1
            if any(k not in ("role", "content", "name", "function_call", "weight") for k in message):
                format_errors["message_unrecognized_key"] += 1
            if message.get("role", None) not in ("system", "user", "assistant", "function"):
                format_errors["unrecognized_role"] += 1
            content = message.get("content", None)
            function_call = message.get("function_call", None)
            if (not content and not function_call) or not isinstance(content, str):
                format_errors["missing_content"] += 1
        if not any(message.get("role", None) == "assistant" for message in messages):
            format_errors["example_missing_assistant_message"] += 1

    def num_tokens_from_messages(messages: list[dict[str, Any]], tokens_per_message: int = 3) -> int:
        num_tokens = 0
        for message in messages:
            num_tokens += tokens_per_message
            for key, value in message.items():
                if isinstance(value, str):
                    num_tokens += len(encoding.encode(value))
                if key == "name":
                    num_tokens += 1
        return num_tokens + 3

    def num_assistant_tokens_from_messages(messages: list[dict[str, Any]]) -> int:
        return sum(
            len(encoding.encode(m["content"]))
            for m in messages
            if m["role"] == "assistant" and isinstance(m.get("content"), str)
        )

    n_missing_system = n_missing_user = 0
    n_messages, convo_lens, assistant_message_lens = [], [], []
    for ex in dataset:
        messages = ex["messages"]
        if not any(message["role"] == "system" for message in messages):
            n_missing_system += 1
        if not any(message["role"] == "user" for message in messages):
            n_missing_user += 1
        n_messages.append(len(messages))
        convo_lens.append(num_tokens_from_messages(messages))
        assistant_message_lens.append(num_assistant_tokens_from_messages(messages))
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "tokens_total": sum(convo_lens), "format_errors": dict(format_errors)}


def _ours(path: str, exact: bool) -> dict[str, Any]:
    from fineplan.datasets.check import check_dataset

    t0 = time.perf_counter()
    report = check_dataset(Path(path), "chat", MODEL, exact=exact)
    seconds = time.perf_counter() - t0
    st = report.stats
    return {
        "seconds": seconds,
        "cached": report.cached,
        "tokens_total": st.tokens_total,
        "estimated": st.estimated,
        "error_bound": st.error_bound,
        "sample_size": st.sample_size,
        "p50": st.tokens_p50,
        "p95": st.tokens_p95,
        "max": st.tokens_max,
        "over_limit": st.over_limit,
        "diagnostics": [(d.code, d.count) for d in report.diagnostics],
        "timings": report.timings,
    }


def child(mode: str, path: str) -> None:
    out = _baseline(path) if mode == "baseline" else _ours(path, exact=mode == "exact")
    # VmHWM, not getrusage: ru_maxrss survives exec, so it would report the benchmark parent's size.
    out["hwm_self_mb"] = _kb("/proc/self/status", "VmHWM:") / 1024
    print("RESULT " + json.dumps(out))


# ---------------------------------------------------------------- memory of a process tree


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except OSError:
            continue
    return out


def _kb(path: str, field: str) -> int:
    try:
        with open(path) as fh:
            for line in fh:
                if line.startswith(field):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class TreeMemory(threading.Thread):
    """Samples Σ PSS and Σ RSS of a process tree until stopped; keeps the peaks (MB)."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_pss = self.peak_rss = 0.0
        self.max_procs = 0
        self.hwm: dict[int, float] = {}  # per process: its own peak RSS (VmHWM), MB
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            pids = _descendants(self.pid)
            pss = sum(_kb(f"/proc/{p}/smaps_rollup", "Pss:") for p in pids) / 1024
            rss = sum(_kb(f"/proc/{p}/status", "VmRSS:") for p in pids) / 1024
            for p in pids:
                self.hwm[p] = max(self.hwm.get(p, 0.0), _kb(f"/proc/{p}/status", "VmHWM:") / 1024)
            self.peak_pss, self.peak_rss = max(self.peak_pss, pss), max(self.peak_rss, rss)
            self.max_procs = max(self.max_procs, len(pids))
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def measure(mode: str, path: Path, cache: Path, tiktoken_cache: Path, *, memory: bool = False) -> dict[str, Any]:
    """One run in a fresh process. With `memory`, /proc is sampled meanwhile (which costs the run some CPU, so
    timing runs and memory runs are separate)."""
    env = dict(os.environ, FINEPLAN_CACHE_DIR=str(cache), TIKTOKEN_CACHE_DIR=str(tiktoken_cache))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--child", mode, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    mem = TreeMemory(proc.pid, interval=0.01) if memory else None
    if mem is not None:
        mem.start()
    out, err = proc.communicate()
    if mem is not None:
        mem.stop()
    if proc.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{err}")
    result = json.loads(next(line for line in out.splitlines() if line.startswith("RESULT "))[7:])
    if mem is not None:
        result.update(peak_pss_mb=mem.peak_pss, peak_rss_sum_mb=mem.peak_rss, processes=mem.max_procs)
        result["max_single_rss_mb"] = max([result["hwm_self_mb"], *mem.hwm.values()])
    result["mb_per_s"] = path.stat().st_size / 1e6 / result["seconds"]
    return result


def _fresh_cache(root: Path, name: str, tokenizers: Path) -> Path:
    cache = root / name
    shutil.rmtree(cache, ignore_errors=True)
    cache.mkdir(parents=True)
    shutil.copytree(tokenizers, cache / "tokenizers")
    return cache


def _timed_and_sampled(
    mode: str, path: Path, work: Path, tokenizers: Path, tiktoken_cache: Path, repeat: int, *, cache: Path | None = None
) -> dict[str, Any]:
    """Best time of `repeat` plain runs, with the memory figures of one more, sampled, run."""
    runs = []
    for i in range(repeat):
        c = cache or _fresh_cache(work, f"cache-{mode}-{i}", tokenizers)
        runs.append(measure(mode, path, c, tiktoken_cache))
    best = min(runs, key=lambda r: r["seconds"])
    c = cache or _fresh_cache(work, f"cache-{mode}-mem", tokenizers)
    sampled = measure(mode, path, c, tiktoken_cache, memory=True)
    for key in ("peak_pss_mb", "peak_rss_sum_mb", "processes", "max_single_rss_mb"):
        best[key] = sampled[key]
    return best


def _row(name: str, r: dict[str, Any]) -> str:
    return (
        f"  {name:<22} {r['seconds']:8.3f} s {r['mb_per_s']:8.1f} MB/s   peak ΣPSS {r['peak_pss_mb']:7.1f} MB"
        f"   ΣRSS {r['peak_rss_sum_mb']:7.1f} MB   largest process peak RSS {r['max_single_rss_mb']:6.1f} MB"
        f"   procs {r['processes']}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    ap.add_argument("--mb", type=float, default=210, help="size of the main file in MB (>= 200)")
    ap.add_argument("--big-mb", type=float, default=1000, help="size of the file checked twice (default 1 GB)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per measurement; the fastest counts")
    ap.add_argument("--tmp", type=Path, help="directory for the generated files (default: a new temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the generated files")
    a = ap.parse_args()
    if a.child:
        child(*a.child)
        return

    sys.path.insert(0, str(REPO))
    from benchmarks.gen_chat_dataset import generate
    from fineplan.datasets.tokens import get_encoder, seed_tiktoken_cache

    work = Path(tempfile.mkdtemp(prefix="fineplan-bench-", dir=a.tmp))
    try:
        print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; work dir {work}")
        main_file, big_file = work / "chat.jsonl", work / "big.jsonl"
        t = time.perf_counter()
        lines = generate(main_file, int(a.mb * 1e6), seed=0)
        print(f"generated {main_file.stat().st_size / 1e6:.1f} MB, {lines:,} lines in {time.perf_counter() - t:.1f} s")

        # Warm the per-machine tokenizer tables once, for both sides.
        tokenizers = work / "warm" / "tokenizers"
        os.environ["FINEPLAN_CACHE_DIR"] = str(work / "warm")
        os.environ["TIKTOKEN_CACHE_DIR"] = str(work / "tiktoken")
        get_encoder("o200k_base")
        seed_tiktoken_cache("o200k_base")
        tiktoken_cache = work / "tiktoken"

        results: dict[str, dict[str, Any]] = {}
        for mode in ("baseline", "default", "exact"):
            results[mode] = _timed_and_sampled(mode, main_file, work, tokenizers, tiktoken_cache, a.repeat)

        t = time.perf_counter()
        big_lines = generate(big_file, int(a.big_mb * 1e6), seed=1)
        took = time.perf_counter() - t
        print(f"generated {big_file.stat().st_size / 1e6:.1f} MB, {big_lines:,} lines in {took:.1f} s")
        big_cache = _fresh_cache(work, "cache-big", tokenizers)
        results["big-first"] = measure("default", big_file, big_cache, tiktoken_cache, memory=True)
        results["big-again"] = _timed_and_sampled(
            "default", big_file, work, tokenizers, tiktoken_cache, a.repeat, cache=big_cache
        )
        cli_t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "fineplan", "dataset", "inspect", str(big_file), "--model", MODEL, "--json"],
            env=dict(os.environ, FINEPLAN_CACHE_DIR=str(big_cache)),
            capture_output=True,
            check=False,
        )
        cli_seconds = time.perf_counter() - cli_t

        base, d, x, again = results["baseline"], results["default"], results["exact"], results["big-again"]
        print()
        print(f"file {main_file.stat().st_size / 1e6:.0f} MB ({lines:,} examples), model {MODEL}")
        print(_row("baseline (notebook)", base))
        print(_row("fineplan default", d))
        print(_row("fineplan --exact", x))
        print(_row("1 GB, first run", results["big-first"]))
        print(_row("1 GB, again (cached)", again))
        print()
        print(
            f"tokens: baseline {base['tokens_total']:,}; exact {x['tokens_total']:,}; default {d['tokens_total']:,}"
            f" (estimated ± {d['error_bound'] * 100:.2f} % at 95 %, from {d['sample_size']} sampled examples; actual"
            f" error {abs(d['tokens_total'] - x['tokens_total']) / x['tokens_total'] * 100:.2f} %)"
        )
        print(f"findings (default): {d['diagnostics']}; examples over the limit: {d['over_limit']}")
        print()
        print("RATIOS")
        r1 = d["mb_per_s"] / base["mb_per_s"]
        r2 = x["mb_per_s"] / base["mb_per_s"]
        r3 = 0.050 / again["seconds"]
        print(f"  default vs baseline throughput : {r1:6.1f}x   (target >= 10x;  peak ΣPSS {d['peak_pss_mb']:.0f} MB)")
        print(f"  --exact vs baseline throughput : {r2:6.1f}x   (target >= 2.5x; peak ΣPSS {x['peak_pss_mb']:.0f} MB)")
        print(
            f"  unchanged 1 GB file, again     : {again['seconds'] * 1000:6.1f} ms (target <= 50 ms: 50 ms / measured ="
            f" {r3:.1f}x; `fineplan dataset inspect` end to end incl. interpreter start: {cli_seconds * 1000:.0f} ms)"
        )
        print(
            f"  peak memory, 1 GB first run    : ΣPSS {results['big-first']['peak_pss_mb']:.0f} MB"
            f" (target <= 150 MB whatever the size; baseline on {a.mb:.0f} MB: {base['peak_pss_mb']:.0f} MB)"
        )
    finally:
        if a.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
