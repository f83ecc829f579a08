"""Engine benchmark: refresh + plan over 1,000 managed resources against an emulator adding 50 ms to every call,
beside one sequential GET per resource measured in the same run, and the planner's peak RSS.

    python benchmarks/bench_engine.py [--datasets 100] [--latency-ms 50] [--sequential-sample 0]

Targets (issue 5): refresh + plan ≤ 3 s; the sequential baseline ≥ 50 s; peak RSS ≤ 300 MB.

How it is built, so the figures mean what they say:
1. A project on disk: N datasets (small distinct chat files), 3 jobs per dataset (two SFT on base models, one SFT
   stacked on the first: 300) and 2 deployments per job spread over 3 accounts (600): 1,000 resources. Azure
   allows 5 fine-tuned deployments per account, so 15 deployments serve jobs' models and 585 serve base models.
2. The remote objects are created directly through the provider (uploads, job creates, ARM PUTs) against an
   in-process emulator at instant speed, tagged exactly as apply tags them; the per-resource job limits Azure
   imposes (100 jobs, 20 queued) are raised for this one populating emulator. Nothing is trained through apply.
3. The state is rebuilt from those tags (`fineplan state rebuild`'s code), and a plan with no latency must show no
   changes, which checks the setup itself.
4. The same data dir is served by `fineplan emulator serve --faults latency_ms=50` in its own process, and a
   separate measuring process (so its RSS is the planner's alone) runs `Engine.plan()` cold and warm, times the
   refresh alone, then does one GET per resource, sequentially, with the same provider.
Not part of the test run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

PROJECT = "bench"
ACCOUNTS = ("acct-0", "acct-1", "acct-2")
BASES = ("gpt-4.1-nano-2025-04-14", "gpt-4.1-mini-2025-04-14")
FINE_TUNED_PER_ACCOUNT = 5  # Azure's limit (and lint rule FP315)


# ---------------------------------------------------------------- the project


def write_project(root: Path, datasets: int) -> int:
    """Write the specs and data; return how many resources they declare."""
    (root / "specs").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "fineplan.yaml").write_text(
        f"project: {PROJECT}\nspecs: ['specs/*.yaml']\ndefault_target: local\ntargets:\n  local: {{type: local}}\n",
        encoding="utf-8",
    )
    ds_docs, job_docs, dep_docs, job_names = [], [], [], []
    for i in range(datasets):
        rows = [
            {
                "messages": [
                    {"role": "system", "content": f"You answer questions about catalogue {i}."},
                    {"role": "user", "content": f"What is item {i}-{n} made of?"},
                    {"role": "assistant", "content": f"Item {i}-{n} is made of recycled aluminium, grade {n % 7}."},
                ]
            }
            for n in range(12)
        ]
        (root / "data" / f"ds{i}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        ds_docs.append(f"kind: Dataset\nname: ds{i}\nspec: {{path: data/ds{i}.jsonl, format: chat}}\n")
        jobs = {
            f"ds{i}-a": f"base_model: {BASES[0]}",
            f"ds{i}-b": f"base_model: {BASES[1]}",
            f"ds{i}-c": f"base_model: {{job: ds{i}-a}}",
        }
        for seed, (name, base) in enumerate(jobs.items()):
            job_names.append(name)
            job_docs.append(
                f"kind: FineTuningJob\nname: {name}\nspec:\n  {base}\n  training_data: ds{i}\n"
                f"  hyperparameters: {{n_epochs: 1}}\n  suffix: {name}\n  seed: {seed}\n"
            )
    # Azure allows 5 fine-tuned deployments per account: 15 serve jobs' models, the rest serve base models.
    fine_tuned = min(FINE_TUNED_PER_ACCOUNT * len(ACCOUNTS), len(job_names))
    for n in range(2 * len(job_names)):
        model = f"{{job: {job_names[n]}}}" if n < fine_tuned else BASES[n % 2]
        dep_docs.append(
            f"kind: Deployment\nname: dep{n}\nspec:\n  model: {model}\n  type: standard\n"
            f"  capacity: 1\n  account: {ACCOUNTS[n % len(ACCOUNTS)]}\n"
        )
    for kind, docs in (("datasets", ds_docs), ("jobs", job_docs), ("deployments", dep_docs)):
        (root / "specs" / f"{kind}.yaml").write_text("---\n".join(docs), encoding="utf-8")
    return len(ds_docs) + len(job_docs) + len(dep_docs)


# ---------------------------------------------------------------- the remote objects and the state


def populate(root: Path, data_dir: Path) -> dict[str, int]:
    """Create every remote object through the provider, tagged as apply tags them; then rebuild the state."""
    from fineplan.catalog import load_catalog
    from fineplan.emulator.embedded import EmbeddedEmulator
    from fineplan.engine import Engine
    from fineplan.kinds.dataset import DatasetDesired
    from fineplan.kinds.deployment import DeploymentDesired
    from fineplan.kinds.job import JobDesired
    from fineplan.kinds.tags import (
        META_ADDRESS,
        META_DIGEST,
        META_OP,
        META_PROJECT,
        TAG_ADDRESS,
        TAG_DIGEST,
        TAG_PROJECT,
    )
    from fineplan.providers.base import DeploymentRequest, JobRequest
    from fineplan.providers.factory import LOCAL_API_KEY, local_provider
    from fineplan.spec.models import LocalTarget

    limits = load_catalog().limits  # this populating process only: a resource with room for the benchmark
    limits.update(jobs_per_resource=10**6, queued_jobs_per_resource=10**6)
    counts = {"files": 0, "jobs": 0, "deployments": 0}
    with EmbeddedEmulator(data_dir, speed=1e7, api_key=LOCAL_API_KEY, quota={"standard": 10**6}) as emu:
        provider = local_provider(emu.url, LocalTarget())
        planner = Engine(root)
        desired = planner.desired(planner.project(), with_stats=False)
        files: dict[str, str] = {}

        def upload(want: DatasetDesired) -> None:
            part = want.parts["train"]
            uploaded = provider.upload_file(part.path, part.filename)
            files[want.address] = provider.wait_file_processed(uploaded.id).id

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(upload, [d for d in desired.values() if isinstance(d, DatasetDesired)]))
        counts["files"] = len(files)

        models: dict[str, str] = {}
        for address, want in desired.items():  # dependency order: a stacked job after its parent
            if not isinstance(want, JobDesired):
                continue
            base = models[want.parent] if want.parent else str(want.base_model)
            job = provider.create_job(
                JobRequest(
                    model=base,
                    training_file=files[want.training.dataset],
                    method=want.method,
                    hyperparameters=dict(want.hyperparameters),
                    training_type=want.training_type,
                    suffix=want.suffix,
                    seed=want.seed,
                    metadata={
                        META_ADDRESS: address,
                        META_DIGEST: want.inputs_digest,
                        META_PROJECT: PROJECT,
                        META_OP: f"bench-{counts['jobs']}",
                    },
                )
            )
            while not job.terminal:
                job = provider.get_job(job.id)  # type: ignore[assignment]
            assert job.status == "succeeded" and job.fine_tuned_model, job
            models[address] = job.fine_tuned_model
            counts["jobs"] += 1

        def deploy(account: str) -> int:
            n = 0
            for address, want in desired.items():
                if not isinstance(want, DeploymentDesired) or want.account != account:
                    continue
                provider.put_deployment(
                    account,
                    want.name,
                    DeploymentRequest(
                        model_name=models[want.parent] if want.parent else str(want.model),
                        deployment_type=want.type,
                        capacity=want.capacity,
                        rai_policy=want.rai_policy,
                        version_upgrade=want.version_upgrade,
                        tags={TAG_ADDRESS: address, TAG_DIGEST: want.inputs_digest, TAG_PROJECT: PROJECT},
                    ),
                )
                n += 1
            return n

        with ThreadPoolExecutor(len(ACCOUNTS)) as pool:
            counts["deployments"] = sum(pool.map(deploy, ACCOUNTS))
        provider.close()

        os.environ["FINEPLAN_EMULATOR_URL"] = emu.url
        engine = Engine(root)
        print("  " + engine.state_rebuild(), flush=True)
        plan = engine.plan().plan
        if plan.has_changes:
            changed = [(c.address, c.action.value, c.reasons) for c in plan.resource_changes if c.action.changes][:2]
            raise SystemExit(f"setup error: the plan without latency is not empty, e.g. {changed}")
        del os.environ["FINEPLAN_EMULATOR_URL"]
    return counts


# ---------------------------------------------------------------- the measuring process


def measure(root: Path, url: str, sample: int) -> dict[str, Any]:
    """Runs in its own process. Refresh + plan cold and warm, refresh alone, then one GET per resource."""
    os.environ["FINEPLAN_EMULATOR_URL"] = url
    from fineplan.engine import Engine
    from fineplan.kinds.dataset import FileIndex
    from fineplan.kinds.deployment import DeploymentIndex
    from fineplan.kinds.job import JobIndex
    from fineplan.plan.model import PlanOptions
    from fineplan.resource import Kind
    from fineplan.state.refresh import read_snapshot

    out: dict[str, Any] = {}
    engine = Engine(root)
    start = time.perf_counter()
    run = engine.plan()
    out["plan_cold_s"] = time.perf_counter() - start
    out["resources"] = len(run.plan.resource_changes)
    out["changes"] = run.plan.has_changes
    start = time.perf_counter()
    engine.plan()
    out["plan_warm_s"] = time.perf_counter() - start

    project = engine.project()
    state = engine.read_state()
    records, wanted = list(state.resources.values()), list(engine.desired(project, with_stats=False).values())
    with engine.provider(project) as provider:
        read_snapshot(provider, engine.kinds, records, wanted)  # connections warm, as in a plan
        start = time.perf_counter()
        snapshot = read_snapshot(provider, engine.kinds, records, wanted)
        out["refresh_only_s"] = time.perf_counter() - start
        start = time.perf_counter()
        engine.make_plan(provider, project, state, PlanOptions(), [])
        out["make_plan_s"] = time.perf_counter() - start
        files, jobs, deps = (snapshot.get(k) for k in (Kind.DATASET, Kind.JOB, Kind.DEPLOYMENT))
        assert isinstance(files, FileIndex) and isinstance(jobs, JobIndex) and isinstance(deps, DeploymentIndex)
        out["listed"] = len(files.by_id) + len(jobs.by_id) + len(deps.by_name)

        gets: list[Any] = []
        for res in state.resources.values():
            if res.kind is Kind.DATASET:
                gets.append(lambda r=res: provider.get_file(r.remote_id))  # type: ignore[attr-defined]
            elif res.kind is Kind.JOB:
                gets.append(lambda r=res: provider.get_job(r.remote_id))
            else:
                gets.append(lambda r=res: provider.get_deployment(r.attributes["account"], r.name))
        chosen = gets if not sample or sample >= len(gets) else gets[:: max(1, len(gets) // sample)][:sample]
        start = time.perf_counter()
        for get in chosen:
            assert get() is not None
        measured = time.perf_counter() - start
        out["sequential_measured_gets"] = len(chosen)
        out["sequential_measured_s"] = measured
        out["sequential_total_s"] = measured * len(gets) / len(chosen)
        out["sequential_extrapolated"] = len(chosen) != len(gets)
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def serve(data_dir: Path, latency_ms: float) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "fineplan", "emulator", "serve", "--data-dir", str(data_dir), "--quiet",
         "--api-key", "fineplan-local", "--faults", f"latency_ms={latency_ms}"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if "listening on" not in line:
        proc.kill()
        raise SystemExit(f"emulator did not start: {line!r}")
    return proc, line.rsplit(" ", 1)[1].strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=int, default=100, help="10 resources each (default 100 → 1,000)")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--sequential-sample", type=int, default=0, help="GETs to time (0: one per resource)")
    parser.add_argument("--keep", action="store_true", help="keep the generated project and emulator data")
    parser.add_argument("--measure", nargs=2, metavar=("ROOT", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(Path(args.measure[0]), args.measure[1], args.sequential_sample)))
        return 0

    work = Path(tempfile.mkdtemp(prefix="fineplan-bench-engine-"))
    try:
        return run_benchmark(work, args)
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def run_benchmark(work: Path, args: argparse.Namespace) -> int:
    root, data_dir = work / "project", work / "emulator"
    total = write_project(root, args.datasets)
    print(f"project: {total} resources in {root}", flush=True)
    start = time.perf_counter()
    counts = populate(root, data_dir)
    print(f"populated the emulator in {time.perf_counter() - start:.1f} s: {counts}", flush=True)

    proc, url = serve(data_dir, args.latency_ms)
    try:
        env = {**os.environ, "FINEPLAN_EMULATOR_API_KEY": "fineplan-local"}
        done = subprocess.run(
            [sys.executable, __file__, "--measure", str(root), url, "--sequential-sample", str(args.sequential_sample)],
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
    finally:
        proc.terminate()
        proc.wait(10)
    if done.returncode != 0:
        print(done.stdout, done.stderr, file=sys.stderr)
        return 1
    r = json.loads(done.stdout.strip().splitlines()[-1])
    seq_note = (
        f"extrapolated from {r['sequential_measured_gets']} GETs in {r['sequential_measured_s']:.1f} s"
        if r["sequential_extrapolated"]
        else f"measured: {r['sequential_measured_gets']} GETs"
    )
    plan_s, seq_s = r["plan_cold_s"], r["sequential_total_s"]
    print(f"\n{r['resources']} resources, {args.latency_ms:.0f} ms per call (plan has changes: {r['changes']})")
    rows = [
        ("Engine.plan(), cold process (load, lint, SDK imports, refresh, plan)", f"{plan_s:6.2f} s", "target ≤ 3 s"),
        ("Engine.plan(), warm process", f"{r['plan_warm_s']:6.2f} s", ""),
        ("refresh + plan alone (desired, refresh, build with costing)", f"{r['make_plan_s']:6.2f} s", ""),
        (f"refresh alone (paged list calls, {r['listed']} objects)", f"{r['refresh_only_s']:6.2f} s", ""),
        ("one sequential GET per resource", f"{seq_s:6.2f} s", f"target ≥ 50 s; {seq_note}"),
        ("peak RSS of the planning process", f"{r['peak_rss_mb']:6.0f} MB", "target ≤ 300 MB"),
    ]
    for label, value, note in rows:
        print(f"  {label:<70} {value}  {note}")
    print(
        f"  sequential GETs take: {seq_s / plan_s:.0f}× Engine.plan() cold, {seq_s / r['plan_warm_s']:.0f}× warm, "
        f"{seq_s / r['make_plan_s']:.0f}× refresh + plan alone, {seq_s / r['refresh_only_s']:.0f}× refresh alone"
    )
    ok = plan_s <= 3.0 and seq_s >= 50.0 and r["peak_rss_mb"] <= 300 and not r["changes"]
    print("meets the targets" if ok else "MISSES a target")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
